package main

import (
	"context"
	"fmt"
	"time"

	"github.com/cellchat/cellchat/eval"
	"github.com/cellchat/cellchat/loadtest"
	"github.com/cellchat/cellchat/transcript"
)

// runFill writes n synthetic turns into the log in p.data: the questions
// of the question set, each with the reply the engine gives it.
func runFill(ctx context.Context, c *cli, p *paths, questions string, n, days int, asJSON bool) error {
	set, err := eval.Load(questions)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	eng, ix, err := openEngine(ctx, c, p)
	if err != nil {
		return fmt.Errorf("fill: %w", err)
	}
	var from []loadtest.FillTurn
	for _, cs := range set.Cases {
		for _, t := range cs.Turns {
			r, err := eng.Answer(ctx, nil, t.Ask, nil)
			if err != nil {
				continue // a question the engine refuses is not a turn
			}
			from = append(from, loadtest.FillTurn{Question: t.Ask, Reply: r})
		}
	}
	ix.Close()
	store, err := p.openLog(ctx, transcript.Options{Bulk: true})
	if err != nil {
		return fmt.Errorf("fill: %w", err)
	}
	progress := func(done int) {
		fmt.Fprintf(c.stderr, "fill: %d of %d turns\n", done, n)
	}
	res, ferr := loadtest.Fill(ctx, store, loadtest.FillConfig{Turns: n, Days: days, From: from, Seed: uint64(time.Now().UnixNano()), Progress: progress})
	if err := store.Close(); err != nil && ferr == nil {
		ferr = fmt.Errorf("fill: %w", err)
	}
	if ferr != nil {
		return ferr
	}
	if asJSON {
		return printIndentedJSON(c, res)
	}
	fmt.Fprintf(c.stdout, "filled %s: %d turns in %d conversations, %d feedback, %d reviews in %s (%.0f turns/s)\n",
		p.logName(), res.Turns, res.Conversations, res.Feedback, res.Reviews, res.Elapsed.Round(time.Millisecond),
		float64(res.Turns)/res.Elapsed.Seconds())
	return nil
}
