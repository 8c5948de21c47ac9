package transcript

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	return s.send(ctx, writeReq{rec: rec, probe: true, done: make(chan error, 1)})
}

// noteCommit records the outcome of a commit for CommitErr: it stored
// nothing when the transaction failed or every record in it did. A bad
// record beside good ones is the record's fault, not the log's.
func (s *Store) noteCommit(err error, errs []error) {
	if err == nil {
		for _, e := range errs {
			if e == nil {
				s.commitErr.Store(nil)
				return
			}
		}
		err = errors.Join(errs...)
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
