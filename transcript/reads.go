package transcript

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrTooSlow is returned by a staff console read that ran past the
// statement time limit (Options.ReadTimeout) and was stopped: its filter
// selects more than the log can sort or scan in that time.
var ErrTooSlow = errors.New("this query took too long: narrow the filter (fewer days, a kind, feedback or review status, or a longer search text)")

// DefaultReadTimeout is the statement time limit of console reads when
// Options.ReadTimeout is 0: far above what any console page takes on a
// log of millions of turns, so only a filter nothing narrows reaches it.
const DefaultReadTimeout = 10 * time.Second

// DefaultConsoleReads is how many console reads run at once when
// Options.ConsoleReads is 0; more wait for one. One: a console read keeps
// a CPU busy while it runs (SQLite computes in the calling goroutine), so
// on a two-core server one read at a time leaves patients the other core
// however many staff members read. Patients' reads and writes use
// connections of their own.
const DefaultConsoleReads = 1

// openReader opens the console's read-only connections to the log: reads
// that may be long (a dashboard over years, a search through every turn)
// never take a connection patients' history lookups need, and, being
// query_only, cannot write whatever they are asked.
func openReader(path string, opts Options) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(path, opts, true))
	if err != nil {
		return nil, fmt.Errorf("open transcript %s for reading: %w", path, err)
	}
	conns := opts.ConsoleReads
	if conns <= 0 {
		conns = DefaultConsoleReads
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open transcript %s for reading: %w", path, err)
	}
	return db, nil
}

// consoleRead bounds a console read by the statement time limit: the
// returned context ends at the limit, which interrupts the statement
// running in SQLite, and done, given the read's error, ends the context
// and turns a stop at the limit into ErrTooSlow.
func (s *Store) consoleRead(ctx context.Context) (context.Context, func(error) error) {
	if s.readTimeout <= 0 {
		return ctx, func(err error) error { return err }
	}
	limited, cancel := context.WithTimeout(ctx, s.readTimeout)
	return limited, func(err error) error {
		cancel()
		if err != nil && ctx.Err() == nil && errors.Is(limited.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w (stopped after %s)", ErrTooSlow, s.readTimeout)
		}
		return err
	}
}
