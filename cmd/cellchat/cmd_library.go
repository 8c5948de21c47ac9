package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/cellchat/cellchat/corpus"
	"github.com/cellchat/cellchat/library"
	"github.com/cellchat/cellchat/transcript"
)

const libraryUsage = `usage: cellchat library export FILE.yaml [--data DIR]
       cellchat library import FILE.yaml [--data DIR] [--corpus DIR] [--library-max-*]

Moves the care team's answer library (kept in the transcript log: --db, or DATA/transcript.db) to and
from a readable YAML file, for version control and other deployments.
"export" writes every entry (its current version; - writes to stdout).
"import" checks every entry of the file first (known chunk ids of the
corpus, [n] markers matching citations, sizes) and refuses a bad file
whole, listing every problem and changing nothing; otherwise it saves each
entry as a new version (an id already in the log) or a new entry, status
as the file says. A running serve picks the entries up on its next reload
check.
`

func runLibrary(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(c.stderr, libraryUsage)
		if len(args) == 0 {
			return &exitError{code: 2, err: errors.New("library: missing action (export or import)")}
		}
		return flag.ErrHelp
	}
	action := args[0]
	if action != "export" && action != "import" {
		fmt.Fprint(c.stderr, libraryUsage)
		return &exitError{code: 2, err: fmt.Errorf("library: unknown action %q (want export or import)", action)}
	}
	fs := newFlagSet(c, "library "+action, "FILE.yaml")
	p := addPathFlags(fs)
	addDBFlag(fs, p)
	lf := addLibraryFlags(fs, false)
	pos, err := parseFlags(fs, c, args[1:])
	if err != nil {
		return err
	}
	if err := lf.check(fs); err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return &exitError{code: 2, err: fmt.Errorf("library %s: want one file, got %d arguments", action, len(pos))}
	}
	var entries []library.Entry
	if action == "import" {
		// The file is checked before the log is opened: a bad one changes nothing.
		corp, err := corpus.Load(p.corpus)
		if corp == nil {
			return fmt.Errorf("library import: load corpus %s: %w", p.corpus, err)
		}
		if entries, err = readLibraryFile(pos[0], lf, corp.Chunks); err != nil {
			return &exitError{code: 1, err: fmt.Errorf("library import: %w", err)}
		}
	}
	store, err := p.openLog(ctx, transcript.Options{})
	if err != nil {
		return fmt.Errorf("library: %w", err)
	}
	defer store.Close()
	if action == "import" {
		saved, err := store.Import(ctx, entries, "cli")
		if err != nil {
			return fmt.Errorf("library import: %w", err)
		}
		fmt.Fprintf(c.stdout, "imported %d entries from %s\n", len(saved), pos[0])
		return nil
	}
	if entries, err = store.Entries(ctx); err != nil {
		return fmt.Errorf("library export: %w", err)
	}
	if pos[0] == "-" {
		return library.Export(c.stdout, entries)
	}
	if err := writeFileWith(pos[0], func(w io.Writer) error { return library.Export(w, entries) }); err != nil {
		return fmt.Errorf("library export: %w", err)
	}
	fmt.Fprintf(c.stderr, "exported %d entries to %s\n", len(entries), pos[0])
	return nil
}
