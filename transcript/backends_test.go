package transcript

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/cellchat/cellchat/internal/pgtest"
)

// The store tests run against both back ends: a SQLite file in the test's
// temporary directory, and a fresh database per test on one throwaway
// PostgreSQL server the package's tests share (started by the first test
// that needs it, stopped in TestMain; without PostgreSQL those cases are
// skipped, or fail under CI=true).

var (
	pgOnce   sync.Once
	pgServer *pgtest.Server
	pgErr    error
	pgDir    string
)

// sharedPG starts the shared server once and returns it, or skips (or
// fails) t without it.
func sharedPG(t testing.TB) *pgtest.Server {
	t.Helper()
	pgOnce.Do(func() {
		if pgDir, pgErr = os.MkdirTemp("", "transcript-pg-"); pgErr == nil {
			pgServer, pgErr = pgtest.Launch(pgDir)
		}
	})
	if pgErr != nil {
		pgtest.Unavailable(t, pgErr)
	}
	return pgServer
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pgServer != nil {
		pgServer.Stop()
	}
	if pgDir != "" {
		os.RemoveAll(pgDir)
	}
	os.Exit(code)
}

// opener opens an empty log of one back end for a test.
type opener func(t testing.TB, opts Options) Backend

// backends are the back ends every store test runs against.
var backends = []struct {
	name string
	open opener
}{
	{"sqlite", func(t testing.TB, opts Options) Backend { return openTest(t, opts) }},
	{"postgres", func(t testing.TB, opts Options) Backend { return openPGTest(t, opts) }},
}

// eachBackend runs test once per back end, as a subtest named after it.
func eachBackend(t *testing.T, test func(t *testing.T, open opener)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { test(t, b.open) })
	}
}

// openPGTest opens a PostgreSQL log on a database of its own.
func openPGTest(t testing.TB, opts Options) *PGStore {
	t.Helper()
	s, err := OpenPG(context.Background(), sharedPG(t).NewDatabase(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawQueryRow is rawExec's query of one row.
func rawQueryRow(s Backend, q string, args ...any) interface{ Scan(...any) error } {
	switch s := s.(type) {
	case *Store:
		return s.db.QueryRow(q, args...)
	case *PGStore:
		return s.pool.QueryRow(context.Background(), pgParams(q), args...)
	}
	panic(fmt.Sprintf("rawQueryRow: %T", s))
}

// pgParams numbers a statement's ? parameters as PostgreSQL's $1, $2, ...
func pgParams(q string) string {
	n := 0
	return regexp.MustCompile(`\?`).ReplaceAllStringFunc(q, func(string) string { n++; return "$" + strconv.Itoa(n) })
}

// rawExec runs a statement written for SQLite (? parameters) on either
// back end, for a test to set up what the API cannot (say rows dated long ago).
func rawExec(s Backend, q string, args ...any) error {
	switch s := s.(type) {
	case *Store:
		_, err := s.db.Exec(q, args...)
		return err
	case *PGStore:
		_, err := s.pool.Exec(context.Background(), pgParams(q), args...)
		return err
	}
	return fmt.Errorf("rawExec: %T", s)
}
