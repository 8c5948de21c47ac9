package main

import (
	"context"
	"errors"
)

func runSearch(ctx context.Context, c *cli, args []string) error {
	return errors.New("search: not implemented yet")
}
