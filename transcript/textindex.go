package transcript

import (
	"context"
	"fmt"
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
	restore, err := s.withoutFsync(ctx)
	if err != nil {
		return 0, err
	}
	defer restore()
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
	s.mergeDue = true // the chunk is a new index segment
	return int(count), nil
}

// withoutFsync sets the writer's connection to commit without fsync, for
// index work whose loss in a crash costs nothing but redoing it; restore
// sets it back.
func (s *Store) withoutFsync(ctx context.Context) (restore func(), err error) {
	if _, err := s.wconn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		return nil, err
	}
	return func() { s.wconn.ExecContext(ctx, `PRAGMA synchronous = `+s.synchronous) }, nil
}

// FTS5 merges index segments inside the transaction that writes a new one,
// and so inside the commit of an index chunk, which every reply queued
// behind it waits for. Instead the writer merges in small steps while no
// reply waits (mergeWhileIdle); the limits below keep the index compact
// when it never idles.
const (
	// mergePages is how many index pages one idle merge step writes: a
	// few milliseconds, the most a reply arriving mid-step waits.
	mergePages = 64
	// crisisMerge is how many segments on one level make FTS5 merge them
	// at once within a commit (FTS5's default): reached only if the writer
	// has had no idle moment for that many chunks, it bounds what a search
	// reads at the price of one stalled commit.
	crisisMerge = 16
)

// mergeOnlyWhenIdle turns off FTS5's merging at each commit; the setting
// is stored in the index, so it runs at every open, before the writer.
func (s *Store) mergeOnlyWhenIdle(ctx context.Context) error {
	if _, err := s.wconn.ExecContext(ctx, `INSERT INTO turns_fts(turns_fts, rank) VALUES ('automerge', 0)`); err != nil {
		return fmt.Errorf("text index automerge: %w", err)
	}
	if _, err := s.wconn.ExecContext(ctx, `INSERT INTO turns_fts(turns_fts, rank) VALUES ('crisismerge', ?)`, crisisMerge); err != nil {
		return fmt.Errorf("text index crisismerge: %w", err)
	}
	s.mergeDue = true // segments an earlier run left
	return nil
}

// mergeWhileIdle runs on the writer: it merges text index segments one
// bounded step at a time until none need merging or a write, or Close,
// is waiting.
func (s *Store) mergeWhileIdle(ctx context.Context) {
	for s.mergeDue && len(s.writes) == 0 {
		select {
		case <-s.stop:
			return
		default:
		}
		worked, err := s.mergeStep(ctx)
		if err != nil {
			// Left for the next chunk; crisisMerge bounds the segments meanwhile.
			slog.Warn("transcript text index merge", "err", err)
			s.mergeDue = false
			return
		}
		s.mergeDue = worked
	}
}

// mergeStep writes at most about mergePages pages of merged segments and
// reports whether there was anything to merge: FTS5 says so only through
// the connection's change count, which a step that worked raises by 2 or
// more.
func (s *Store) mergeStep(ctx context.Context) (worked bool, err error) {
	restore, err := s.withoutFsync(ctx)
	if err != nil {
		return false, err
	}
	defer restore()
	var before, after int64
	if err := s.wconn.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&before); err != nil {
		return false, err
	}
	if _, err := s.wconn.ExecContext(ctx, `INSERT INTO turns_fts(turns_fts, rank) VALUES ('merge', ?)`, mergePages); err != nil {
		return false, err
	}
	if err := s.wconn.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&after); err != nil {
		return false, err
	}
	return after-before >= 2, nil
}
