package transcript

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"
)

// probeConversation is the conversation of ProbeCommit's record, which is
// never kept.
const probeConversation = "readiness-probe"

// CommitErr is why the log's last commit stored nothing (every record of
// it failed, or the transaction did), nil once a commit succeeds. A log
// that answers queries but cannot commit loses every answer, so readiness
// must not rest on queries alone.
func (s *Store) CommitErr() error {
	if p := s.commitErr.Load(); p != nil {
		return *p
	}
	return nil
}

// ProbeCommit commits a transaction through the writer that inserts a
// record as Record does, rolls the insert back and writes the database
// header: corrupt pages, a full disk or a read-only file fail it. Its
// outcome sets CommitErr like any commit's, so a log that recovers is
// seen to without waiting for a patient's question.
func (s *Store) ProbeCommit(ctx context.Context) error {
	rec := Record{AnswerID: probeConversation, ConversationID: probeConversation, Time: time.Now(), Question: "probe"}
	// Unlike Record's caller, a readiness check must not wait on a writer
	// stuck on a hung disk: that is an answer too.
	done := make(chan error, 1)
	go func() { done <- s.send(ctx, writeReq{rec: rec, probe: true, done: make(chan error, 1)}) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("probe commit: %w", ctx.Err())
	}
}

// noteCommit records the outcome of a commit for CommitErr: it stored
// nothing when the transaction failed or every record in it did. A bad
// record beside good ones is the record's fault, not the log's.
func (s *Store) noteCommit(err error, batch []writeReq, errs []error) {
	if err == nil {
		var failed []error
		for i, e := range errs {
			if batch[i].op != nil {
				continue // an op's failure is its own, not the log's
			}
			if e == nil {
				s.commitErr.Store(nil)
				return
			}
			failed = append(failed, e)
		}
		if len(failed) == 0 { // ops alone: the log committed them
			s.commitErr.Store(nil)
			return
		}
		err = errors.Join(failed...)
	}
	s.commitErr.Store(&err)
}

func (s *Store) probeInsert(ctx context.Context, r Record) error {
	c := s.wconn
	if _, err := c.ExecContext(ctx, `SAVEPOINT probe`); err != nil {
		return err
	}
	cache := s.wstmts.passages
	mark := len(cache.added)
	ierr := insertRecord(ctx, s.wstmts, r)
	if _, err := c.ExecContext(ctx, `ROLLBACK TO probe`); err != nil {
		return errors.Join(ierr, err)
	}
	cache.rolledBack(mark)
	if _, err := c.ExecContext(ctx, `RELEASE probe`); err != nil {
		return errors.Join(ierr, err)
	}
	return ierr
}

// touchHeader rewrites the header's user version with its own value, so
// the transaction has a page to write and its commit reaches the disk.
func touchHeader(ctx context.Context, c *sql.Conn) error {
	var v int64
	if err := c.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	_, err := c.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v))
	return err
}

// quickCheck runs SQLite's quick_check (every page's structure, not that
// indexes match their tables; time linear in the file's size), so a
// corrupt log is refused at start rather than failing patients' answers.
func quickCheck(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `PRAGMA quick_check(5)`)
	if err != nil {
		return fmt.Errorf("quick_check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("quick_check: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("quick_check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("quick_check: %s", strings.Join(problems, "; "))
	}
	return nil
}

func corruptLog(path string, err error) error {
	return fmt.Errorf("the transcript log %s is corrupt (%w): refusing to start on it; restore it from a backup, or move it (with its -wal file) aside to start a new log", path, err)
}

// isCorrupt: SQLite's SQLITE_CORRUPT, "database disk image is malformed".
func isCorrupt(err error) bool {
	return strings.Contains(err.Error(), "database disk image is malformed")
}

// checkExisting reports whether the log file is already there, and refuses
// an empty one: SQLite would take it for a new database, and a log that
// was truncated (every turn and staff account gone) would be silently
// started over. Right after the file is first created, its pages may all
// be in the -wal file, which SQLite reads.
func checkExisting(path string) (existed bool, err error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("open transcript %s: %w", path, err)
	case fi.Size() > 0:
		return true, nil
	}
	if wi, err := os.Stat(path + "-wal"); err == nil && wi.Size() > 0 {
		return true, nil
	}
	return true, fmt.Errorf("the transcript log %s is empty (0 bytes): refusing to take it for a new log, as a truncated log would lose every turn and staff account; restore it from a backup, or delete it to start a new log", path)
}

// checkOurs refuses an existing file that is not a transcript log: not an
// SQLite database, or one with tables but not the migrations table every
// cellchat log has. One with no tables holds nothing to lose and becomes a
// new log. It reads without writing, so a refused file is left as it was
// (opening for the log would turn on WAL in its header); what it cannot
// read is left to the full open to report.
func checkOurs(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro")
	if err != nil {
		return nil
	}
	defer db.Close()
	var tables, ours int
	err = db.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE name = 'schema_migrations')
		FROM sqlite_master WHERE type = 'table'`).Scan(&tables, &ours)
	switch {
	case err != nil && isNotADB(err):
		return notOurs(path, "it is not an SQLite database")
	case err == nil && tables > 0 && ours == 0:
		return notOurs(path, fmt.Sprintf("it is an SQLite database with %d tables, none of them cellchat's", tables))
	}
	return nil
}

func notOurs(path, why string) error {
	return fmt.Errorf("%s is not a cellchat transcript log (%s): refusing to start on it; point --data at the directory of the log, or move the file aside to start a new log", path, why)
}

// isNotADB: SQLite's SQLITE_NOTADB, "file is not a database".
func isNotADB(err error) bool {
	return strings.Contains(err.Error(), "file is not a database")
}
