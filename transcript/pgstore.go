package transcript

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Limits of the PostgreSQL store.
const (
	// pgWriters is how many group commits one process has in flight: while
	// one waits for the server's fsync the next batch is being written, so
	// a replica is not held to one commit per round trip.
	pgWriters = 4
	// rollupShards spreads each day's roll-up over rows, so writers and
	// replicas committing at once rarely wait on one another's row lock.
	rollupShards = 16
	// pgMinConns keeps connections open for the writers and a console read.
	pgMinConns = pgWriters + 1
	// pgCommitTimeout bounds a group commit, connecting included: a
	// database that does not answer fails the batch's answers ("could not
	// be saved") rather than keep patients waiting on a dead connection.
	pgCommitTimeout = 10 * time.Second
	// pgConnectTimeout bounds opening a connection to an unreachable host
	// (the system's own wait is minutes): start-up fails, or a commit, and
	// the pool tries again at the next.
	pgConnectTimeout = 5 * time.Second
)

// PGStore is the transcript log on a PostgreSQL server, which several
// replicas of the server share. Its methods are safe for concurrent use
// and mean what *Store's do.
//
// Durability: Record hands its turn to the process's writers, which commit
// every turn waiting at that moment in one transaction and only then answer
// each caller: Record returning nil means the server has committed the turn.
// When the server is unreachable Record fails; the pool reconnects by
// itself once it is back.
type PGStore struct {
	pool        *pgxpool.Pool
	redact      bool
	readTimeout time.Duration
	shortSearch int
	reads       chan struct{} // one slot per console read running, see consoleRead

	writes   chan pgWrite
	maxBatch int
	wg       sync.WaitGroup

	commits, committed atomic.Uint64
	commitErr          atomic.Pointer[error]

	closeMu sync.RWMutex
	closed  bool
}

type pgWrite struct {
	rec   Record
	probe bool // written and rolled back, see ProbeCommit
	done  chan error
}

var _ Backend = (*PGStore)(nil)

// OpenPG connects to the PostgreSQL database at url (postgres://...),
// migrating its schema under an advisory lock if this process is the first
// of a newer version to start. It refuses a database whose schema is newer
// than this program's (ErrSchemaNewer).
func OpenPG(ctx context.Context, url string, opts Options) (*PGStore, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("transcript database: %w", err)
	}
	reads := opts.ConsoleReads
	if reads <= 0 {
		reads = DefaultConsoleReads
	}
	if cfg.ConnConfig.ConnectTimeout == 0 { // the URL's connect_timeout, if any, wins
		cfg.ConnConfig.ConnectTimeout = pgConnectTimeout
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["max_parallel_workers_per_gather"]; !ok {
		// The console's reads are bounded; starting parallel workers for
		// one costs more than it saves, and takes cores patients' answers
		// need. A URL parameter of the same name sets it otherwise.
		cfg.ConnConfig.RuntimeParams["max_parallel_workers_per_gather"] = "0"
	}
	cfg.MinConns = pgMinConns
	cfg.MaxConns = max(cfg.MaxConns, int32(pgWriters+reads+4))
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("transcript database %s: %w", redactURL(url), err)
	}
	if err := pgMigrate(ctx, pool, pgSchemaVersion); err != nil {
		pool.Close()
		return nil, fmt.Errorf("transcript database %s: %w", redactURL(url), err)
	}
	s := &PGStore{
		pool:        pool,
		redact:      opts.Redact,
		readTimeout: opts.ReadTimeout,
		reads:       make(chan struct{}, reads),
		writes:      make(chan pgWrite, 1024),
		maxBatch:    opts.MaxBatch,
	}
	if s.maxBatch <= 0 {
		s.maxBatch = 256
	}
	if s.readTimeout == 0 {
		s.readTimeout = DefaultReadTimeout
	}
	switch {
	case opts.ShortSearchReplies == 0:
		s.shortSearch = DefaultShortSearchReplies
	case opts.ShortSearchReplies > 0:
		s.shortSearch = opts.ShortSearchReplies
	}
	for range pgWriters {
		s.wg.Add(1)
		go s.writer()
	}
	return s, nil
}

// redactURL is url without its password, for error messages.
func redactURL(url string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "(unparsable URL)"
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// Record durably stores one turn, as Store.Record does.
func (s *PGStore) Record(ctx context.Context, r Record) error {
	if err := prepareRecord(&r, s.redact); err != nil {
		return err
	}
	// Checked here, not in the batch: a record refused alone leaves the
	// others of its batch to commit without a second pass.
	if err := checkCitationNumbers(r.Reply.Citations); err != nil {
		return fmt.Errorf("transcript.Record %s: %w", r.AnswerID, err)
	}
	return s.send(ctx, pgWrite{rec: r, done: make(chan error, 1)})
}

func (s *PGStore) send(ctx context.Context, w pgWrite) error {
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return ErrClosed
	}
	select {
	case s.writes <- w:
		s.closeMu.RUnlock()
	case <-ctx.Done():
		s.closeMu.RUnlock()
		return ctx.Err()
	}
	// Once queued the turn will be written even if ctx ends.
	return <-w.done
}

// writer commits what is waiting, a batch at a time, until Close.
func (s *PGStore) writer() {
	defer s.wg.Done()
	for first := range s.writes {
		batch := []pgWrite{first}
	fill:
		for len(batch) < s.maxBatch {
			select {
			case w, ok := <-s.writes:
				if !ok {
					break fill
				}
				batch = append(batch, w)
			default:
				break fill
			}
		}
		s.commit(batch)
	}
}

// commit writes batch in one transaction and answers each caller after the
// commit. If it fails and the batch holds more than one record, it is
// written again with each record under its own savepoint, so a bad record
// (say a duplicate answer id) fails alone.
func (s *PGStore) commit(batch []pgWrite) {
	ctx, cancel := context.WithTimeout(context.Background(), pgCommitTimeout)
	defer cancel()
	errs := make([]error, len(batch))
	err := s.writeBatch(ctx, batch, errs, false)
	if err != nil && len(batch) > 1 && !isConnError(err) {
		clear(errs)
		err = s.writeBatch(ctx, batch, errs, true)
	}
	if err == nil {
		s.commits.Add(1)
		s.committed.Add(uint64(len(batch)))
	}
	s.noteCommit(err, batch, errs)
	for i, w := range batch {
		switch {
		case err != nil:
			w.done <- fmt.Errorf("transcript.Record %s: %w", w.rec.AnswerID, err)
		case errs[i] != nil:
			w.done <- fmt.Errorf("transcript.Record %s: %w", w.rec.AnswerID, errs[i])
		default:
			w.done <- nil
		}
	}
}

// isConnError reports whether err is the connection's failure rather than
// a record's: writing the batch again one by one would fail the same way.
func isConnError(err error) bool {
	var pgErr interface{ SQLState() string }
	return !errors.As(err, &pgErr)
}

// noteCommit records the outcome for CommitErr, as Store.noteCommit does.
func (s *PGStore) noteCommit(err error, batch []pgWrite, errs []error) {
	if err == nil {
		var failed []error
		for i, e := range errs {
			if e == nil && !batch[i].probe {
				s.commitErr.Store(nil)
				return
			}
			if e != nil {
				failed = append(failed, e)
			}
		}
		if len(failed) == 0 {
			s.commitErr.Store(nil)
			return
		}
		err = errors.Join(failed...)
	}
	s.commitErr.Store(&err)
}

// dayKind is a key of the daily roll-up.
type dayKind struct {
	day  int64
	kind string
}

func (s *PGStore) writeBatch(ctx context.Context, batch []pgWrite, errs []error, isolate bool) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		days := map[dayKind]int64{}
		if !isolate {
			b := &pgx.Batch{}
			// A probe comes alone (see ProbeCommit): written and rolled
			// back, as a real record would be written.
			probe := len(batch) == 1 && batch[0].probe
			if probe {
				b.Queue(`SAVEPOINT probe`)
			}
			for _, w := range batch {
				if err := queueRecord(b, w.rec); err != nil {
					return err
				}
				if !w.probe {
					days[dayKind{w.rec.Time.UnixNano() / nsPerDay, string(w.rec.Reply.Kind)}]++
				}
			}
			if probe {
				b.Queue(`ROLLBACK TO probe`)
			}
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return err
			}
			return addRollup(ctx, tx, days)
		}
		for i, w := range batch {
			b := &pgx.Batch{}
			b.Queue(`SAVEPOINT rec`)
			if errs[i] = queueRecord(b, w.rec); errs[i] != nil {
				continue
			}
			if errs[i] = tx.SendBatch(ctx, b).Close(); errs[i] != nil || w.probe {
				if _, err := tx.Exec(ctx, `ROLLBACK TO rec`); err != nil {
					return err
				}
				continue
			}
			days[dayKind{w.rec.Time.UnixNano() / nsPerDay, string(w.rec.Reply.Kind)}]++
		}
		return addRollup(ctx, tx, days)
	})
}

const (
	pgSQLConversation = `INSERT INTO conversations(id, started, last) VALUES ($1, $2, $2)
		ON CONFLICT (id) DO UPDATE SET last = GREATEST(conversations.last, EXCLUDED.last)`
	pgSQLTurn = `INSERT INTO turns(answer_id, conversation_id, time, question, kind, text, disclaimer, mode, reason,
		confidence, corpus_version, latency_ns, citations, retrieved, library_entry, library_date)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`
)

// queueRecord adds the statements that store r to b.
func queueRecord(b *pgx.Batch, r Record) error {
	return queueTurn(b, r, pgSQLTurn)
}

// queueTurn adds the statements that store r to b, the turn inserted by
// sqlTurn (pgSQLTurn, or a copy's that skips a turn already there).
func queueTurn(b *pgx.Batch, r Record, sqlTurn string) error {
	rp := r.Reply
	if err := checkCitationNumbers(rp.Citations); err != nil {
		return err
	}
	cites := make([]chat.Citation, len(rp.Citations))
	for i, c := range rp.Citations {
		c.Title, c.Section, c.Passage = pgText(c.Title), pgText(c.Section), pgText(c.Passage)
		cites[i] = c
	}
	retrieved := make([]chat.Retrieved, len(rp.Retrieved))
	for i, p := range rp.Retrieved {
		p.Section, p.Text = pgText(p.Section), pgText(p.Text)
		retrieved[i] = p
	}
	t := r.Time.UnixNano()
	b.Queue(pgSQLConversation, r.ConversationID, t)
	b.Queue(sqlTurn, r.AnswerID, r.ConversationID, t, pgText(r.Question), string(rp.Kind), pgText(rp.Text), pgText(rp.Disclaimer), rp.Mode, rp.Reason,
		rp.Confidence, rp.CorpusVersion, int64(r.Latency), cites, retrieved, libraryEntry(rp.Reviewed), libraryDate(rp.Reviewed))
	return nil
}

// pgText is s as PostgreSQL's text can hold it: NUL, which it cannot, is
// written as U+2400 (␀), the symbol for it, so the text is kept visibly
// rather than refused.
func pgText(s string) string {
	if !strings.Contains(s, "\x00") {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "\u2400")
}

// addRollup adds counts to the daily roll-up, in key order so two
// transactions never lock the same rows in opposite orders.
func addRollup(ctx context.Context, tx pgx.Tx, counts map[dayKind]int64) error {
	if len(counts) == 0 {
		return nil
	}
	keys := make([]dayKind, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b dayKind) int {
		return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.kind, b.kind))
	})
	shard := rand.IntN(rollupShards)
	b := &pgx.Batch{}
	for _, k := range keys {
		b.Queue(`INSERT INTO turn_days(day, kind, shard, n) VALUES ($1, $2, $3, $4)
			ON CONFLICT (day, kind, shard) DO UPDATE SET n = turn_days.n + EXCLUDED.n`, k.day, k.kind, shard, counts[k])
	}
	return tx.SendBatch(ctx, b).Close()
}

// CommitStats reports the transactions committed and the records they held.
func (s *PGStore) CommitStats() (commits, records uint64) {
	return s.commits.Load(), s.committed.Load()
}

// CommitErr is why the last commit stored nothing, nil once one succeeds.
func (s *PGStore) CommitErr() error {
	if p := s.commitErr.Load(); p != nil {
		return *p
	}
	return nil
}

// ProbeCommit writes a record through a writer, rolls it back and commits:
// its outcome sets CommitErr like any commit's.
func (s *PGStore) ProbeCommit(ctx context.Context) error {
	rec := Record{AnswerID: probeConversation, ConversationID: probeConversation, Time: time.Now(), Question: "probe"}
	// A probe is written in a transaction of its own (see writeBatch).
	w := pgWrite{rec: rec, probe: true, done: make(chan error, 1)}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return ErrClosed
	}
	s.closeMu.RUnlock()
	go func() {
		s.commit([]pgWrite{w})
	}()
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("probe commit: %w", ctx.Err())
	}
}

// Ping checks that the database answers.
func (s *PGStore) Ping(ctx context.Context) error {
	var one int
	return s.pool.QueryRow(ctx, `SELECT 1`).Scan(&one)
}

// Close flushes pending writes and closes the pool.
func (s *PGStore) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	close(s.writes)
	s.closeMu.Unlock()
	s.wg.Wait()
	s.pool.Close()
	return nil
}

// consoleRead bounds a console read by the statement time limit and the
// number of console reads at once, as Store.consoleRead does.
func (s *PGStore) consoleRead(ctx context.Context) (context.Context, func(error) error, error) {
	select {
	case s.reads <- struct{}{}:
	case <-ctx.Done():
		return ctx, nil, ctx.Err()
	}
	release := func() { <-s.reads }
	if s.readTimeout <= 0 {
		return ctx, func(err error) error { release(); return err }, nil
	}
	limited, cancel := context.WithTimeout(ctx, s.readTimeout)
	return limited, func(err error) error {
		cancel()
		release()
		if err != nil && ctx.Err() == nil && errors.Is(limited.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w (stopped after %s)", ErrTooSlow, s.readTimeout)
		}
		return err
	}, nil
}
