package main

import (
	"context"
	"errors"
)

func runAsk(ctx context.Context, c *cli, args []string) error {
	return errors.New("ask: not implemented yet")
}
