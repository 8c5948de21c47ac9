package main

import (
	"context"
	"errors"
)

func runStaff(ctx context.Context, c *cli, args []string) error {
	return errors.New("staff: not implemented yet")
}
