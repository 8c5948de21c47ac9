// Command cellchat answers patients' questions about cell therapy from a
// curated corpus. It only wires the packages together; see README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/cellchat/cellchat/transcript"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &cli{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	if err := run(ctx, os.Args, env); err != nil {
		code := 1
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "cellchat:", err)
		} else {
			code = 0
		}
		os.Exit(code)
	}
}

// cli is what a subcommand may touch of the outside world, so tests can
// run any subcommand in-process.
type cli struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// exitError carries a specific exit code (e.g. eval: 1 for a missed
// threshold, 2 for a malformed file).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

type command struct {
	summary string
	run     func(ctx context.Context, c *cli, args []string) error
}

var commands = map[string]command{
	"ingest":     {"index the corpus into the data directory", runIngest},
	"corpus":     {"list the corpus documents and their chunks", runCorpus},
	"glossary":   {"list the terms the corpus itself defines", runGlossary},
	"search":     {"print the passages ranked for a question", runSearch},
	"ask":        {"answer one question as the chat widget would", runAsk},
	"chat":       {"an interactive conversation in the terminal", runChat},
	"eval":       {"score the bot on question sets", runEval},
	"serve":      {"serve the chat widget, websocket API and staff console", runServe},
	"staff":      {"manage staff accounts (add, list, remove)", runStaff},
	"library":    {"export or import the care team's answer library", runLibrary},
	"loadtest":   {"load-test a running server over websockets", runLoadtest},
	"migrate-db": {"copy a SQLite transcript log to PostgreSQL, for replicas", runMigrateDB},
}

func run(ctx context.Context, args []string, c *cli) error {
	if len(args) < 2 || args[1] == "-h" || args[1] == "--help" || args[1] == "help" {
		usage(c.stdout)
		if len(args) < 2 {
			return &exitError{code: 2, err: errors.New("missing subcommand")}
		}
		return nil
	}
	cmd, ok := commands[args[1]]
	if !ok {
		usage(c.stderr)
		return &exitError{code: 2, err: fmt.Errorf("unknown subcommand %q", args[1])}
	}
	return cmd.run(ctx, c, args[2:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: cellchat <subcommand> [flags] [args]")
	fmt.Fprintln(w, "\nsubcommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'cellchat <subcommand> --help' for its flags. Every flag can also be set")
	fmt.Fprintln(w, "by environment: flag --foo-bar is CELLCHAT_FOO_BAR.")
}

// newFlagSet makes a flag set whose usage names the subcommand and the
// positional arguments it takes.
func newFlagSet(c *cli, name, argsUsage string) *flag.FlagSet {
	fs := flag.NewFlagSet("cellchat "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "usage: cellchat %s [flags] %s\n\nflags (each also settable as CELLCHAT_<NAME>):\n", name, argsUsage)
		fs.PrintDefaults()
	}
	return fs
}

// paths are the flags every subcommand that reads the corpus or the index
// takes, and --db of those that open the transcript log (see addDBFlag).
type paths struct {
	corpus string
	data   string
	db     string
}

func addPathFlags(fs *flag.FlagSet) *paths {
	p := &paths{}
	fs.StringVar(&p.corpus, "corpus", "corpus", "directory of source documents and sources.yaml")
	fs.StringVar(&p.data, "data", "data", "data directory for the index and the transcript log")
	return p
}

// addDBFlag adds --db (CELLCHAT_DB), the transcript log a command opens.
// Unset, it is DATA/transcript.db, as before the flag existed.
func addDBFlag(fs *flag.FlagSet, p *paths) {
	fs.StringVar(&p.db, "db", "", "the transcript log: a file path or sqlite:PATH (default: DATA/transcript.db), or a PostgreSQL URL (postgres://USER@HOST/DB) that several replicas share")
}

// openLog opens the transcript log the flags name: --db, or the log in the
// data directory (made if missing, as it always was).
func (p *paths) openLog(ctx context.Context, opts transcript.Options) (transcript.Backend, error) {
	if p.db == "" {
		if err := os.MkdirAll(p.data, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		return transcript.Open(ctx, transcript.PathIn(p.data), opts)
	}
	if _, _, err := transcript.ParseDB(p.db); err != nil {
		return nil, &exitError{code: 2, err: err} // a mistyped flag, like any other
	}
	return transcript.OpenDB(ctx, p.db, opts)
}

// logName names the transcript log for messages (a URL without its password).
func (p *paths) logName() string {
	if p.db == "" {
		return transcript.PathIn(p.data)
	}
	return transcript.DisplayDB(p.db)
}

// parseFlags parses flags that may stand before or after positional
// arguments, after applying CELLCHAT_* environment variables as defaults, so
// that the command line wins over the environment.
func parseFlags(fs *flag.FlagSet, c *cli, args []string) ([]string, error) {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		key := "CELLCHAT_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := c.getenv(key); v != "" {
			if err := f.Value.Set(v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s=%q: %w", key, v, err)
			}
			f.DefValue = v
		}
	})
	if envErr != nil {
		return nil, &exitError{code: 2, err: envErr}
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &exitError{code: 2, err: err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// fdReserve is the open files a process needs beside its sockets: the
// transcript log, the index, listeners and the standard streams.
const fdReserve = 256
