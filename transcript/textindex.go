package transcript

import (
	"context"
	"log/slog"
	"time"
)

// indexChunk is how many waiting turns one indexing transaction adds to
// the text search index: large enough that the turns share index pages
// (the cost per turn falls with the chunk), small enough that the replies
// queued behind it wait a few milliseconds at most.
const indexChunk = 256

// indexLag is how long fewer than indexChunk turns may wait to be indexed.
// Searches read waiting turns one by one, so this bounds their number,
// not what a search finds. (A variable for tests.)
var indexLag = time.Second

// notePending counts n turns just committed, which wait to be indexed.
func (s *Store) notePending(n int) {
	if n > 0 && s.unindexed == 0 {
		s.unindexedSince = time.Now()
	}
	s.unindexed += n
}

// indexDue is when the writer should index waiting turns though no reply
// comes: nil (never) when none wait.
func (s *Store) indexDue() <-chan time.Time {
	if s.unindexed == 0 {
		return nil
	}
	// One timer for the writer's life, not one per commit.
	s.indexTimer.Reset(max(time.Until(s.unindexedSince.Add(s.indexLag)), 0))
	return s.indexTimer.C
}

// indexPending runs on the writer between commits: it indexes one chunk of
// the waiting turns once a chunk's worth waits or the oldest has waited
// indexLag (always, when force).
func (s *Store) indexPending(ctx context.Context, force bool) {
	if s.unindexed == 0 || (!force && s.unindexed < indexChunk && time.Since(s.unindexedSince) < s.indexLag) {
		return
	}
	n, err := s.indexChunk(ctx)
	if err != nil {
		// The turns stay in the queue, where searches still read them.
		slog.Warn("transcript text index", "err", err)
		s.unindexedSince = time.Now()
		return
	}
	if n < indexChunk {
		s.unindexed = 0 // the queue is empty (the count may have missed turns another process logged)
		return
	}
	s.unindexed = max(s.unindexed-n, 1)
}

// indexChunk moves the oldest indexChunk waiting turns into the text
// search index in one transaction, and returns how many it moved.
func (s *Store) indexChunk(ctx context.Context) (n int, err error) {
	c := s.wconn
	// No fsync of its own: the turns are already durable, and a crash that
	// loses the chunk leaves them queued (the next reply's commit fsyncs
	// the WAL, chunk included, anyway).
	if _, err := c.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		return 0, err
	}
	defer c.ExecContext(ctx, `PRAGMA synchronous = `+s.synchronous)
	if _, err := c.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			c.ExecContext(ctx, `ROLLBACK`)
		}
	}()
	var hi, count int64
	if err := c.QueryRowContext(ctx, `SELECT COALESCE(MAX(turn), 0), COUNT(*) FROM
		(SELECT turn FROM turns_fts_pending ORDER BY turn LIMIT ?)`, indexChunk).Scan(&hi, &count); err != nil {
		return 0, err
	}
	if _, err := c.ExecContext(ctx, `INSERT INTO turns_fts(rowid, question, text)
		SELECT t.rowid, t.question, t.text FROM turns_fts_pending p CROSS JOIN turns t ON t.rowid = p.turn WHERE p.turn <= ?`, hi); err != nil {
		return 0, err
	}
	if _, err := c.ExecContext(ctx, `DELETE FROM turns_fts_pending WHERE turn <= ?`, hi); err != nil {
		return 0, err
	}
	if _, err := c.ExecContext(ctx, `COMMIT`); err != nil {
		return 0, err
	}
	return int(count), nil
}
