package transcript

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// writeOp is a write other than a reply (an audit row, a patient's rating,
// a review, a staff session), run by the writer goroutine on its own
// connection inside its next transaction. Every write of this process thus
// goes through the one writer: none waits for the write lock behind
// another, and the writer never waits behind one of them, which a staff
// member's audit insert made it do (SQLite's busy handler sleeps for
// milliseconds at a time between tries). An op runs under a savepoint, so
// its failure (say ErrNotFound) undoes it alone; it may be run twice when
// its batch is written again (see commit), so it sets its results afresh.
type writeOp func(ctx context.Context, c *sql.Conn) error

// write runs op in the writer's next transaction and returns once that
// has committed (op's error, or the commit's).
func (s *Store) write(ctx context.Context, op writeOp) error {
	return s.send(ctx, writeReq{op: op, done: make(chan error, 1)})
}

// runOp runs op under a savepoint of the writer's transaction: opErr is
// op's own failure, undone; err a failure of the transaction itself.
func (s *Store) runOp(ctx context.Context, op writeOp) (opErr, err error) {
	c := s.wconn
	if _, err := c.ExecContext(ctx, `SAVEPOINT op`); err != nil {
		return nil, err
	}
	if opErr = op(ctx, c); opErr != nil {
		if _, err := c.ExecContext(ctx, `ROLLBACK TO op`); err != nil {
			return opErr, errors.Join(opErr, err)
		}
	}
	if _, err := c.ExecContext(ctx, `RELEASE op`); err != nil {
		return opErr, err
	}
	return opErr, nil
}

// outcome is what the caller of req hears once its batch is done: err is
// the batch's failure, own the request's.
func (req writeReq) outcome(err, own error) error {
	switch {
	case err != nil && req.op != nil:
		return fmt.Errorf("transcript write: %w", err)
	case err != nil:
		return fmt.Errorf("transcript.Record %s: %w", req.rec.AnswerID, err)
	case own != nil && req.op == nil:
		return fmt.Errorf("transcript.Record %s: %w", req.rec.AnswerID, own)
	}
	return own
}
