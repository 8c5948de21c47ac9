package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/cellchat/cellchat/transcript"
)

const migrateDBUsage = `usage: cellchat migrate-db --from data/transcript.db --to postgres://USER@HOST/DB [--json]

Copies a SQLite transcript log to a PostgreSQL database, for moving one
server to several replicas: staff accounts and sessions, conversations and
turns, feedback, reviews, the audit log and the answer library. It then
checks that every row copied is in the database and prints the counts.
Rows already there are skipped, so a copy interrupted or run again finishes
the job and adds nothing twice. Run it before the replicas start writing to
the database (stop the server first, or copy again once it has stopped).

`

func runMigrateDB(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "migrate-db", "")
	fs.Usage = func() {
		fmt.Fprint(c.stderr, migrateDBUsage)
		fs.PrintDefaults()
	}
	from := fs.String("from", "", "the SQLite log to copy (a file path or sqlite:PATH)")
	to := fs.String("to", "", "the PostgreSQL database to copy it to (postgres://...)")
	asJSON := fs.Bool("json", false, "print the counts as JSON")
	pos, err := parseFlags(fs, c, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *from == "" || *to == "" {
		fs.Usage()
		return &exitError{code: 2, err: errors.New("migrate-db: want --from and --to, and no arguments")}
	}
	fromKind, fromPath, err := transcript.ParseDB(*from)
	if err == nil && fromKind != "sqlite" {
		err = fmt.Errorf("--from %s: want a SQLite log (a file path or sqlite:PATH)", transcript.DisplayDB(*from))
	}
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("migrate-db: %w", err)}
	}
	if toKind, _, err := transcript.ParseDB(*to); err != nil || toKind != "postgres" {
		return &exitError{code: 2, err: fmt.Errorf("migrate-db: --to %s: want a PostgreSQL URL (postgres://...)", transcript.DisplayDB(*to))}
	}
	// Open would create an empty log where none is: copying nothing is
	// surely a mistyped path.
	if _, err := os.Stat(fromPath); err != nil {
		return fmt.Errorf("migrate-db: --from: %w", err)
	}
	src, err := transcript.Open(ctx, fromPath, transcript.Options{})
	if err != nil {
		return fmt.Errorf("migrate-db: %w", err)
	}
	defer src.Close()
	dst, err := transcript.OpenPG(ctx, *to, transcript.Options{})
	if err != nil {
		return fmt.Errorf("migrate-db: %w", err)
	}
	defer dst.Close()
	counts, err := src.CopyTo(ctx, dst)
	if *asJSON {
		if perr := printIndentedJSON(c, counts); perr != nil && err == nil {
			err = perr
		}
	} else {
		w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "table\tin the SQLite log\tin PostgreSQL")
		for _, n := range counts {
			fmt.Fprintf(w, "%s\t%d\t%d\n", n.Table, n.Source, n.Found)
		}
		w.Flush()
	}
	if err != nil {
		return fmt.Errorf("migrate-db: %w", err)
	}
	fmt.Fprintf(c.stderr, "copied %s to %s: every row is there\n", fromPath, transcript.DisplayDB(*to))
	return nil
}
