package main

import (
	"context"
	"errors"
)

func runServe(ctx context.Context, c *cli, args []string) error {
	return errors.New("serve: not implemented yet")
}
