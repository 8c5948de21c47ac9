package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cellchat/cellchat/chat"
)

// runAsk answers one question as the chat widget would: the reply text
// (streamed as it is produced), its numbered sources and the disclaimer;
// --json prints the whole reply object instead.
func runAsk(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "ask", `"question"`)
	p := addPathFlags(fs)
	asJSON := fs.Bool("json", false, "print the reply object as JSON")
	lf := addLLMFlags(fs)
	rest, err := parseFlags(fs, c, args)
	if err != nil {
		return err
	}
	if err := lf.check(); err != nil {
		return err
	}
	question := strings.TrimSpace(strings.Join(rest, " "))
	if question == "" {
		return &exitError{code: 2, err: errors.New(`ask: missing question (usage: cellchat ask "question" [--json])`)}
	}
	eng, ix, err := openEngine(ctx, c, p, lf.tune)
	if err != nil {
		return fmt.Errorf("ask: %w", err)
	}
	defer ix.Close()

	var onDelta func(string)
	if !*asJSON {
		onDelta = func(d string) { io.WriteString(c.stdout, d) }
	}
	r, err := eng.Answer(ctx, nil, question, onDelta)
	if err != nil {
		return answerError("ask", err)
	}
	noteGenerated(c.stderr, r)
	if *asJSON {
		return printJSON(c.stdout, r)
	}
	fmt.Fprintln(c.stdout)
	printSources(c.stdout, r)
	return nil
}

// answerError gives a refused question exit code 2, like other bad input.
func answerError(cmd string, err error) error {
	if errors.Is(err, chat.ErrEmptyQuestion) || errors.Is(err, chat.ErrQuestionTooLong) {
		return &exitError{code: 2, err: fmt.Errorf("%s: %w", cmd, err)}
	}
	return fmt.Errorf("%s: %w", cmd, err)
}

// printSources prints a reply's numbered sources and its disclaimer, after
// its text.
func printSources(w io.Writer, r chat.Reply) {
	if len(r.Citations) > 0 {
		fmt.Fprintln(w, "\nSources:")
		for _, cit := range r.Citations {
			title := cit.Title
			if cit.Section != "" && cit.Section != cit.Title {
				title += " — " + cit.Section
			}
			fmt.Fprintf(w, "  [%d] %s\n", cit.N, title)
			if cit.URL != "" {
				fmt.Fprintf(w, "      %s\n", cit.URL)
			}
		}
	}
	fmt.Fprintf(w, "\n%s\n", r.Disclaimer)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
