package main

import (
	"context"
	"errors"
)

func runChat(ctx context.Context, c *cli, args []string) error {
	return errors.New("chat: not implemented yet")
}
