package main

import (
	"context"
	"errors"
)

func runLoadtest(ctx context.Context, c *cli, args []string) error {
	return errors.New("loadtest: not implemented yet")
}
