package main

import (
	"context"
	"errors"
)

func runCorpus(ctx context.Context, c *cli, args []string) error {
	return errors.New("corpus: not implemented yet")
}
