package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cellchat/cellchat/eval"
	"github.com/cellchat/cellchat/internal/fdlimit"
	"github.com/cellchat/cellchat/loadtest"
	"github.com/cellchat/cellchat/transcript"
)

func runLoadtest(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "loadtest", "")
	url := fs.String("url", "ws://127.0.0.1:8080/ws", "websocket URL of the server")
	clients := fs.Int("clients", 10, "concurrent clients")
	duration := fs.Duration("duration", 10*time.Second, "how long clients keep asking")
	questions := fs.String("questions", "eval/questions.yaml", "question set whose questions are asked (every turn of every case)")
	origin := fs.String("origin", "", "Origin header to send (none by default, as a non-browser client)")
	verifyLog := fs.String("verify-log", "", "data directory of the server: check that every answer_id received is in its transcript log")
	idle := fs.Int("idle", 0, "instead of asking, open this many sockets, hold them and report server memory per socket")
	flooders := fs.Int("flood", 0, "extra clients that send asks as fast as they can without waiting (reported apart: the main figures show what everyone else got)")
	think := fs.Duration("think", 0, "pause after each answer before a client's next question")
	timeout := fs.Duration("timeout", 30*time.Second, "longest wait for one answer")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if _, err := parseFlags(fs, c, args); err != nil {
		return err
	}
	// The load tool allocates a buffer per frame read and keeps little:
	// collecting less often leaves more of a shared machine's CPU to the
	// server it measures (GOGC, when set, still rules).
	if c.getenv("GOGC") == "" {
		setGCPercent(defaultGCPercent)
	}
	set, err := eval.Load(*questions)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	var qs []string
	for _, cs := range set.Cases {
		for _, t := range cs.Turns {
			qs = append(qs, t.Ask)
		}
	}
	// Every socket this tool holds is a file of its own.
	sockets := *idle + *clients + *flooders
	if got, err := fdlimit.Ensure(uint64(sockets) + fdReserve); err != nil {
		return fmt.Errorf("loadtest: %w", err)
	} else if got < uint64(sockets)+fdReserve {
		return fmt.Errorf("loadtest: the open-file limit (%d) is too low for %d sockets; raise its hard limit (ulimit -Hn)", got, sockets)
	}
	if *idle > 0 {
		res, err := loadtest.Idle(ctx, *url, *origin, *idle, qs[0])
		if err != nil {
			return err
		}
		if *asJSON {
			return printIndentedJSON(c, res)
		}
		fmt.Fprintf(c.stdout, "idle sockets: %d of %d opened\n", res.Opened, res.Requested)
		fmt.Fprintf(c.stdout, "server memory: RSS %+.1f MB (%.1f KB per socket), Go heap+stacks %+.1f MB (%.1f KB per socket)\n",
			(res.RSSAfter-res.RSSBefore)/1e6, res.RSSPerSocket/1e3, (res.GoMemAfter-res.GoMemBefore)/1e6, res.GoMemPerSocket/1e3)
		if res.FirstError != "" {
			fmt.Fprintf(c.stdout, "first socket error: %s\n", res.FirstError)
		}
		if res.ProbeError != "" {
			return fmt.Errorf("a new client was not answered while the sockets were held: %s", res.ProbeError)
		}
		fmt.Fprintf(c.stdout, "a new client was answered in %s while they were held\n", res.ProbeLatency.Round(time.Microsecond))
		if res.Opened < res.Requested {
			return fmt.Errorf("only %d of %d sockets opened", res.Opened, res.Requested)
		}
		return nil
	}

	res, err := loadtest.Run(ctx, loadtest.Config{URL: *url, Origin: *origin, Clients: *clients, Duration: *duration, Questions: qs, Timeout: *timeout, Flooders: *flooders, Think: *think})
	if err != nil {
		return err
	}
	var missing []string
	if *verifyLog != "" {
		store, err := transcript.Open(ctx, transcript.PathIn(*verifyLog), transcript.Options{})
		if err != nil {
			return fmt.Errorf("verify log: %w", err)
		}
		missing, err = store.MissingAnswers(ctx, res.AnswerIDs)
		store.Close()
		if err != nil {
			return fmt.Errorf("verify log: %w", err)
		}
	}
	if *asJSON {
		out := struct {
			loadtest.Result
			Verified *int     `json:"verified,omitempty"`
			Missing  []string `json:"missing,omitempty"`
		}{Result: res, Missing: missing}
		if *verifyLog != "" {
			n := len(res.AnswerIDs) - len(missing)
			out.Verified = &n
		}
		if err := printIndentedJSON(c, out); err != nil {
			return err
		}
	} else {
		ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
		fmt.Fprintf(c.stdout, "clients %d, duration %s: %d answers, %.0f answers/s\n", res.Clients, res.Duration.Round(time.Millisecond), res.Answers, res.PerSecond)
		fmt.Fprintf(c.stdout, "latency p50 %s  p95 %s  p99 %s  max %s\n", ms(res.P50), ms(res.P95), ms(res.P99), ms(res.Max))
		if len(res.Errors) == 0 {
			fmt.Fprintln(c.stdout, "errors: none")
		} else {
			fmt.Fprintf(c.stdout, "errors: %s\n", countsString(res.Errors))
		}
		if f := res.Flood; f != nil {
			fmt.Fprintf(c.stdout, "flood: %d clients sent %d asks; got %s; %d sockets closed by the server\n", f.Clients, f.Sent, countsString(f.Frames), f.Closed)
		}
		if *verifyLog != "" {
			fmt.Fprintf(c.stdout, "log check: %d of %d answers in the log\n", len(res.AnswerIDs)-len(missing), len(res.AnswerIDs))
		}
	}
	switch {
	case len(missing) > 0:
		return fmt.Errorf("%d answers a client received are not in the log (first: %s)", len(missing), missing[0])
	case res.Answers == 0:
		return errors.New("no answers received")
	case res.ErrorCount() > 0:
		return fmt.Errorf("%d errors", res.ErrorCount())
	}
	return nil
}

func printIndentedJSON(c *cli, v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// countsString prints counts by name, sorted, as "a=1 b=2".
func countsString(m map[string]int) string {
	names := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, m[n])
	}
	return strings.Join(parts, " ")
}
