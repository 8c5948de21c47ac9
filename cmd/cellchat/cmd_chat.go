package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cellchat/cellchat/chat"
	"golang.org/x/term"
)

// maxChatHistory bounds what a terminal conversation keeps; the engine
// itself looks back only a few turns.
const maxChatHistory = 20

// runChat holds a conversation in the terminal: one question per line on
// stdin (typed or piped), each answered in the context of the earlier ones.
// "exit", "quit" or end of input ends it.
func runChat(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "chat", "")
	p := addPathFlags(fs)
	asJSON := fs.Bool("json", false, "print each reply as one line of JSON (JSON Lines)")
	lf := addLLMFlags(fs)
	rest, err := parseFlags(fs, c, args)
	if err != nil {
		return err
	}
	if err := lf.check(); err != nil {
		return err
	}
	if len(rest) > 0 {
		return &exitError{code: 2, err: fmt.Errorf("chat: unexpected arguments %q (questions are read from stdin)", rest)}
	}
	eng, ix, err := openEngine(ctx, c, p, lf.tune)
	if err != nil {
		return fmt.Errorf("chat: %w", err)
	}
	defer ix.Close()

	interactive := isTerminal(c.stdin)
	if interactive && !*asJSON {
		fmt.Fprintf(c.stdout, "Ask about cell therapy, CAR-T or stem cell transplants. Type \"exit\" to leave.\n%s\n", eng.Disclaimer())
	}
	// Lines are read in their own goroutine so that Ctrl-C ends the
	// conversation at once, not after the next line.
	lines := make(chan string)
	readErr := make(chan error, 1)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(lines)
		in := bufio.NewScanner(c.stdin)
		in.Buffer(make([]byte, 64*1024), 1024*1024)
		for in.Scan() {
			select {
			case lines <- in.Text():
			case <-done:
				return
			}
		}
		readErr <- in.Err()
	}()
	var history []chat.Turn
	enc := json.NewEncoder(c.stdout)
	enc.SetEscapeHTML(false)
	for {
		if interactive && !*asJSON {
			fmt.Fprint(c.stdout, "\n> ")
		}
		var line string
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case line, ok = <-lines:
		}
		if !ok {
			break
		}
		question := strings.TrimSpace(line)
		switch strings.ToLower(question) {
		case "":
			continue
		case "exit", "quit", "/exit", "/quit", "bye!":
			return nil
		}
		var onDelta func(string)
		if !*asJSON {
			if !interactive {
				// Piped questions are echoed, so the output reads as a transcript.
				fmt.Fprintf(c.stdout, "> %s\n", question)
			}
			onDelta = func(d string) { io.WriteString(c.stdout, d) }
		}
		r, err := eng.Answer(ctx, history, question, onDelta)
		switch {
		case errors.Is(err, chat.ErrEmptyQuestion), errors.Is(err, chat.ErrQuestionTooLong):
			fmt.Fprintln(c.stderr, "cellchat:", err) // the conversation goes on
			continue
		case ctx.Err() != nil:
			return nil // Ctrl-C while answering
		case err != nil:
			return fmt.Errorf("chat: %w", err)
		}
		noteGenerated(c.stderr, r)
		if *asJSON {
			if err := enc.Encode(r); err != nil {
				return err
			}
		} else {
			fmt.Fprintln(c.stdout)
			printSources(c.stdout, r)
			if !interactive {
				fmt.Fprintln(c.stdout)
			}
		}
		history = append(history, chat.Turn{Question: question, Reply: r})
		if len(history) > maxChatHistory {
			history = history[len(history)-maxChatHistory:]
		}
	}
	if err := <-readErr; err != nil {
		return fmt.Errorf("chat: read stdin: %w", err)
	}
	return nil
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
