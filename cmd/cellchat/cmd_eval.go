package main

import (
	"context"
	"errors"
)

func runEval(ctx context.Context, c *cli, args []string) error {
	return errors.New("eval: not implemented yet")
}
