package transcript

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellchat/cellchat/chat"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrNotFound is returned for an unknown conversation or answer, or one that
// belongs to another conversation.
var ErrNotFound = errors.New("not found")

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("transcript store closed")

// FileName is the name of the log inside the data directory.
const FileName = "transcript.db"

// PathIn returns where the log lives in the data directory dataDir.
func PathIn(dataDir string) string { return filepath.Join(dataDir, FileName) }

// Options configure a Store.
type Options struct {
	Redact bool // redact e-mail addresses, phone numbers and similar identifiers in stored questions

	// MaxBatch caps how many concurrent Record calls share one commit
	// (group commit). 0 means 256; 1 means one commit per record.
	MaxBatch int
	// BusyTimeout is how long a write waits for another writer's lock
	// (another process on the same file). 0 means 10s.
	BusyTimeout time.Duration
	// ReadTimeout is the statement time limit of the staff console's
	// reads (ListReplies, Conversation, Stats, AuditQuery): a read still
	// running then is interrupted and returns ErrTooSlow. 0 means
	// DefaultReadTimeout; negative, no limit.
	ReadTimeout time.Duration
	// ConsoleReads is how many console reads run at once (each on a
	// connection of its own); 0 means DefaultConsoleReads.
	ConsoleReads int
	// ShortSearchReplies is how many of the newest replies a search of one
	// or two characters reads (the text index serves three or more): 0
	// means DefaultShortSearchReplies; negative, every reply (bounded by
	// ReadTimeout).
	ShortSearchReplies int
	// Bulk commits without fsync (synchronous OFF), for making large test
	// logs fast (cellchat loadtest --fill): a crash may lose the last
	// commits, so a server never opens its log so.
	Bulk bool
}

// Store is the SQLite transcript log. Its methods are safe for concurrent use.
//
// Durability: the database runs in WAL mode with synchronous=FULL, so a
// commit is fsynced to the WAL before it returns. Record hands its turn to
// a single writer goroutine that commits every turn waiting at that moment
// in one transaction (one fsync for the lot) and only then answers each
// caller: Record returning nil means the turn is on disk.
type Store struct {
	db          *sql.DB
	rdb         *sql.DB // the staff console's reads, see openReader
	readTimeout time.Duration
	shortSearch int // see Options.ShortSearchReplies; 0: every reply
	redact      bool

	writes   chan writeReq
	maxBatch int
	wconn    *sql.Conn // the writer's own connection
	wstmts   *writeStmts
	stop     chan struct{}
	done     chan struct{}
	ckDone   chan struct{}

	commits, committed atomic.Uint64         // transactions and the records they held, see CommitStats
	commitErr          atomic.Pointer[error] // why the last commit stored nothing, nil once one succeeds

	restartFrames int           // see checkpoint
	walLong       atomic.Bool   // the checkpointer asks the writer to restart the WAL
	walFrames     atomic.Int64  // the WAL's length in pages at the last checkpoint, see WALBytes
	walWarned     time.Time     // when the checkpointer last warned of a long WAL
	walRetry      time.Time     // the writer's next try at restarting the WAL, after one gave up
	busyTimeout   time.Duration // the writer's wait for another writer's lock

	unindexed      int           // turns waiting for the text search index, as far as the writer knows (textindex.go)
	unindexedSince time.Time     // when the oldest of them was committed
	indexLag       time.Duration // indexLag when the store opened
	synchronous    string        // the writer's synchronous setting, see dsn
	indexTimer     *time.Timer   // see indexDue
	mergeDue       bool          // the text index may have segments to merge, see mergeWhileIdle

	closeMu sync.RWMutex // held for reading while sending to writes
	closed  bool
}

type writeReq struct {
	rec  Record
	op   writeOp // when set, not a reply: see writeOp
	done chan error
	// probe: rec is written and rolled back, and the transaction commits
	// anyway, to learn whether the log can commit (see ProbeCommit).
	probe bool
}

// Open opens (creating and migrating as needed) the log at path.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	existed, err := checkExisting(path)
	if err != nil {
		return nil, err
	}
	if existed {
		if err := checkOurs(ctx, path); err != nil {
			return nil, err
		}
	}
	db, err := openDB(path, opts)
	if err != nil {
		if isCorrupt(err) { // a schema too damaged to read
			return nil, corruptLog(path, err)
		}
		return nil, err
	}
	if err := quickCheck(ctx, db); err != nil {
		db.Close()
		return nil, corruptLog(path, err)
	}
	if err := migrate(ctx, db, schemaVersion); err != nil {
		db.Close()
		return nil, fmt.Errorf("open transcript %s: %w", path, err)
	}
	rdb, err := openReader(path, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &Store{
		db:            db,
		rdb:           rdb,
		readTimeout:   opts.ReadTimeout,
		busyTimeout:   opts.BusyTimeout,
		redact:        opts.Redact,
		writes:        make(chan writeReq, 1024),
		maxBatch:      opts.MaxBatch,
		restartFrames: restartFrames,
		indexLag:      indexLag,
		synchronous:   "FULL",
		indexTimer:    time.NewTimer(time.Hour),
		stop:          make(chan struct{}),
		done:          make(chan struct{}),
		ckDone:        make(chan struct{}),
	}
	if s.maxBatch <= 0 {
		s.maxBatch = 256
	}
	if opts.Bulk {
		s.synchronous = "OFF"
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
	if s.busyTimeout <= 0 {
		s.busyTimeout = defaultBusyTimeout
	}
	if s.wconn, err = db.Conn(ctx); err != nil {
		rdb.Close()
		db.Close()
		return nil, fmt.Errorf("open transcript %s: %w", path, err)
	}
	if s.wstmts, err = prepareWrites(ctx, s.wconn); err != nil {
		s.wconn.Close()
		rdb.Close()
		db.Close()
		return nil, fmt.Errorf("open transcript %s: %w", path, err)
	}
	var waiting int
	err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM turns_fts_pending`).Scan(&waiting)
	if err == nil {
		err = s.mergeOnlyWhenIdle(ctx)
	}
	if err != nil {
		s.wstmts.close()
		s.wconn.Close()
		rdb.Close()
		db.Close()
		return nil, fmt.Errorf("open transcript %s: %w", path, err)
	}
	s.notePending(waiting)
	go s.writer()
	go s.checkpointer(time.Second)
	return s, nil
}

// openDB opens the database file with the pragmas every connection needs.
func openDB(path string, opts Options) (*sql.DB, error) {
	// The log holds patients' questions: readable by this user only. SQLite
	// gives the -wal and -shm files the database file's permissions.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("open transcript %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn(path, opts, false))
	if err != nil {
		return nil, fmt.Errorf("open transcript %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open transcript %s: %w", path, err)
	}
	return db, nil
}

// defaultBusyTimeout is how long a write waits for another writer's lock
// when Options.BusyTimeout is 0.
const defaultBusyTimeout = 10 * time.Second

// dsn is the data source name of the log at path with the pragmas every
// connection needs; a reader's connections are query_only.
func dsn(path string, opts Options, reader bool) string {
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = defaultBusyTimeout
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	// FULL: in WAL mode NORMAL may lose the last commits on power loss;
	// the promise here is that a reply shown to a patient is logged, so
	// every commit is fsynced. Group commit keeps this affordable.
	if opts.Bulk {
		q.Add("_pragma", "synchronous(OFF)")
	} else {
		q.Add("_pragma", "synchronous(FULL)")
	}
	q.Add("_pragma", "foreign_keys(ON)")
	// No checkpoint inside a commit (by default the committing connection
	// copies the WAL back into the database every 1000 pages, and the
	// Record calls of that batch wait for it): the checkpointer goroutine
	// does it in the background instead.
	q.Add("_pragma", "wal_autocheckpoint(0)")
	// Writers take the lock at BEGIN, so two writing transactions never
	// deadlock upgrading from a read lock; busy_timeout makes them queue.
	if reader {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Record durably stores one turn: when it returns nil, the turn survives a
// crash. Concurrent calls are committed together (group commit).
// AnswerID and ConversationID must be set; a zero Time means now.
func (s *Store) Record(ctx context.Context, r Record) error {
	if err := prepareRecord(&r, s.redact); err != nil {
		return err
	}
	return s.send(ctx, writeReq{rec: r, done: make(chan error, 1)})
}

// prepareRecord refuses a record without its ids, sets a zero time to
// now and redacts the question when asked.
func prepareRecord(r *Record, redact bool) error {
	if r.AnswerID == "" || r.ConversationID == "" {
		return errors.New("transcript.Record: answer_id and conversation_id are required")
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	if redact {
		r.Question = Redact(r.Question)
	}
	return nil
}

// send hands req to the writer and waits for its outcome.
func (s *Store) send(ctx context.Context, req writeReq) error {
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return ErrClosed
	}
	select {
	case s.writes <- req:
		s.closeMu.RUnlock()
	case <-ctx.Done():
		s.closeMu.RUnlock()
		return ctx.Err()
	}
	// Once queued the turn will be written even if ctx ends, so wait for
	// the outcome rather than report a failure that may yet succeed.
	return <-req.done
}

// CommitStats reports the transactions the writer has committed and the
// records they held: records/commits is the group-commit batch size.
func (s *Store) CommitStats() (commits, records uint64) {
	return s.commits.Load(), s.committed.Load()
}

// writer is the single goroutine that commits Records, batching whatever
// is queued when it starts a transaction.
func (s *Store) writer() {
	defer close(s.done)
	batch := make([]writeReq, 0, s.maxBatch)
	for {
		s.mergeWhileIdle(context.Background())
		var first writeReq
		select {
		case <-s.indexDue():
			s.indexPending(context.Background(), true)
			continue
		case first = <-s.writes:
		case <-s.stop:
			// Close stops new sends before closing stop; drain the rest.
			batch = batch[:0]
			for {
				select {
				case r := <-s.writes:
					batch = append(batch, r)
				default:
					if len(batch) > 0 {
						s.commit(batch)
					}
					return
				}
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < s.maxBatch {
			select {
			case r := <-s.writes:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		s.commit(batch)
		s.restartWAL(context.Background())
		s.indexPending(context.Background(), false)
	}
}

// writeStmts are the statements the writer runs, prepared once on its own
// connection: parsing SQL costs more than executing these inserts. The
// citations and retrieved passages of a reply are columns of its turn row
// (refs.go), because each row inserted costs far more than its bytes.
type writeStmts struct {
	conversation, turn *sql.Stmt
	addPassage         *sql.Stmt
	passageID          *sql.Stmt
	passages           *passageCache
	pids               []int64 // scratch: passage ids of the record being written
	refs               []byte  // scratch: its encoded refs
}

// passageCache maps the passages known to be in the passages table to
// their ids, so a turn citing passages seen before writes only their ids.
// Only the writer uses it. Ids of passages inserted by a transaction that
// is not yet committed are pending: they become known on commit and are
// forgotten on rollback (whole or to a savepoint). Passages are never
// deleted, so a known id stays valid.
type passageCache struct {
	known   map[passageKey]int64
	pending map[passageKey]int64
	added   []passageKey // pending, in order, for rollback to a savepoint
}

type passageKey struct{ chunkID, text string }

// maxKnownPassages bounds the cache (the corpus has a few hundred passages;
// a generative mode or corpus updates could add more): past it, it starts over.
const maxKnownPassages = 100_000

func newPassageCache() *passageCache {
	return &passageCache{known: map[passageKey]int64{}, pending: map[passageKey]int64{}}
}

// committed makes the pending ids known.
func (c *passageCache) committed() {
	if len(c.known)+len(c.pending) > maxKnownPassages {
		clear(c.known)
	}
	for k, id := range c.pending {
		c.known[k] = id
	}
	c.rolledBack(0)
}

// rolledBack forgets the ids pending since mark (a len(added) taken before).
func (c *passageCache) rolledBack(mark int) {
	for _, k := range c.added[mark:] {
		delete(c.pending, k)
	}
	clear(c.added[mark:])
	c.added = c.added[:mark]
}

const (
	// A turn links to its conversation's newest turn so far (prev), and
	// then becomes the newest itself (last_turn): see migration 6.
	sqlTurn = `INSERT INTO turns(answer_id, conversation_id, time, question, kind, text,
		disclaimer, mode, reason, confidence, corpus_version, latency_ns, citation_refs, retrieved_refs, prev, library_entry, library_date)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT last_turn FROM conversations WHERE id = ?), ?, ?)`
	sqlConversation = `INSERT INTO conversations(id, started, last, last_turn) VALUES (?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET last = MAX(last, excluded.last), last_turn = excluded.last_turn`
	sqlAddPassage = `INSERT OR IGNORE INTO passages(chunk_id, text) VALUES (?, ?)`
	sqlPassageID  = `SELECT id FROM passages WHERE chunk_id = ? AND text = ?`
)

// preparer is a *sql.Conn or a *sql.Tx.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

func prepareWrites(ctx context.Context, p preparer) (*writeStmts, error) {
	w := &writeStmts{passages: newPassageCache()}
	prep := func(dst **sql.Stmt, query string) error {
		st, err := p.PrepareContext(ctx, query)
		if err != nil {
			w.close()
			return err
		}
		*dst = st
		return nil
	}
	if err := prep(&w.conversation, sqlConversation); err != nil {
		return nil, err
	}
	if err := prep(&w.turn, sqlTurn); err != nil {
		return nil, err
	}
	if err := prep(&w.addPassage, sqlAddPassage); err != nil {
		return nil, err
	}
	if err := prep(&w.passageID, sqlPassageID); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *writeStmts) all() []*sql.Stmt {
	return []*sql.Stmt{w.conversation, w.turn, w.addPassage, w.passageID}
}

func (w *writeStmts) close() {
	for _, st := range w.all() {
		if st != nil {
			st.Close()
		}
	}
}

// checkpointer copies committed WAL pages into the database file every
// interval.
func (s *Store) checkpointer(interval time.Duration) {
	defer close(s.ckDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if err := s.checkpoint(); err != nil {
				slog.Warn("transcript checkpoint", "err", err)
			}
		}
	}
}

// restartFrames is the WAL length (in pages) past which the writer
// makes the WAL start over: 4096 pages, 16 MB.
const restartFrames = 4096

// checkpoint copies what it can of the WAL into the database file without
// blocking (PASSIVE). SQLite starts the WAL over only when a commit finds
// it wholly copied back, which under sustained load never happens: the
// writer has always appended more by the time a checkpoint ends, and the
// WAL grew by some 50 MB a second at 200 clients (each commit rewrites the
// tail pages of the turns table and its indexes), making page lookups and
// checkpoints ever slower. Past restartFrames it asks the writer, which
// alone can do it without waiting for itself, to restart the WAL between
// two commits (restartWAL). It also notes the WAL's length (WALBytes) and
// warns when a reader has kept it from starting over for long.
func (s *Store) checkpoint() error {
	var busy, frames, copied int
	if err := s.db.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
		return err
	}
	s.walFrames.Store(int64(frames))
	if frames >= s.restartFrames {
		s.walLong.Store(true)
	}
	if b := s.WALBytes(); b >= walWarnBytes && time.Since(s.walWarned) >= walWarnEvery {
		s.walWarned = time.Now()
		slog.Warn("transcript WAL is long: a long read (a staff console query, a backup) keeps it from starting over; it shrinks once the read ends",
			"wal_mb", b>>20)
	}
	return nil
}

// walPageBytes is the size of one WAL frame: a page (SQLite's default
// 4096 bytes, which the log keeps) and its 24-byte header.
const walPageBytes = 4096 + 24

// walWarnBytes is the WAL length past which the checkpointer warns: some
// 16 times restartFrames, which only a reader holding one snapshot for
// many seconds under load lets it reach. walWarnEvery spaces the warnings.
const (
	walWarnBytes = 256 << 20
	walWarnEvery = time.Minute
)

// WALBytes is the length of the log's write-ahead log at the last
// checkpoint (every second), for the /metrics gauge: it grows while a
// reader holds an old snapshot and the writer cannot start it over.
func (s *Store) WALBytes() int64 { return s.walFrames.Load() * walPageBytes }

// restartRetry is how soon the writer tries again to restart the WAL after
// a reader or another writer was in the way: a few times a second, so the
// gaps between a staff member's page reads are found.
const restartRetry = 100 * time.Millisecond

// restartWAL runs on the writer between commits when the checkpointer found
// the WAL long: a RESTART checkpoint copies back the little PASSIVE left
// and has the next commit write the WAL from its beginning. It never
// waits: a RESTART checkpoint waits (through the busy handler, holding the
// write lock) until every reader has left the WAL, and a reader may take
// seconds (a staff console query over millions of turns), every patient's
// answer waiting behind it. With no busy timeout it gives up at once when a
// reader is still in the WAL, and tries again shortly.
func (s *Store) restartWAL(ctx context.Context) {
	if time.Now().Before(s.walRetry) || !s.walLong.Swap(false) {
		return
	}
	c := s.wconn
	if _, err := c.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err != nil {
		slog.Warn("transcript checkpoint", "err", err)
		return
	}
	var busy, frames, copied int
	if err := c.QueryRowContext(ctx, `PRAGMA wal_checkpoint(RESTART)`).Scan(&busy, &frames, &copied); err != nil {
		slog.Warn("transcript checkpoint", "err", err)
	} else if busy != 0 {
		// A reader, the checkpointer or another writer was in the way: try
		// again soon, rather than at the checkpointer's next round, so
		// that a staff member reading page after page does not keep the
		// WAL from starting over between two pages; not after every
		// commit, which would keep other writers (feedback, reviews) from
		// the write lock.
		s.walRetry = time.Now().Add(restartRetry)
		s.walLong.Store(true)
	}
	// The writer's BEGIN still waits for another writer's lock (a staff
	// review, a feedback insert, another process).
	if _, err := c.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout = %d`, s.busyTimeout.Milliseconds())); err != nil {
		slog.Warn("transcript checkpoint", "err", err)
	}
}

// commit writes batch in one transaction and answers each caller after
// the commit. If a record fails (say a duplicate answer_id), the batch is
// written again with each record under its own savepoint, so the bad one
// fails alone.
func (s *Store) commit(batch []writeReq) {
	ctx := context.Background()
	errs := make([]error, len(batch))
	err := s.writeBatch(ctx, batch, errs, false)
	if err != nil && len(batch) > 1 {
		clear(errs)
		err = s.writeBatch(ctx, batch, errs, true)
	}
	if err == nil {
		s.commits.Add(1)
		records, logged := 0, 0
		for i, req := range batch {
			if req.op == nil {
				records++
				if !req.probe && errs[i] == nil {
					logged++
				}
			}
		}
		s.committed.Add(uint64(records))
		s.notePending(logged)
	}
	s.noteCommit(err, batch, errs)
	for i, req := range batch {
		req.done <- req.outcome(err, errs[i])
	}
}

func (s *Store) writeBatch(ctx context.Context, batch []writeReq, errs []error, isolate bool) (err error) {
	// The transaction is begun and ended with SQL on the writer's
	// connection rather than with database/sql's Tx: Tx.StmtContext
	// prepares a statement prepared on a Conn all over again, and parsing
	// the ~40 insert statements took two thirds of the writer's time.
	c := s.wconn
	if _, err := c.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return err
	}
	cache := s.wstmts.passages
	defer func() {
		if err != nil {
			// Fails harmlessly when SQLite has already rolled back.
			c.ExecContext(ctx, `ROLLBACK`)
			cache.rolledBack(0)
		}
	}()
	st := s.wstmts
	probed := false
	for i, req := range batch {
		if req.op != nil {
			// Always under a savepoint: an op failing is an answer (say
			// ErrNotFound), not a reason to write the batch again.
			if errs[i], err = s.runOp(ctx, req.op); err != nil {
				return err
			}
			continue
		}
		if req.probe {
			probed = true
			if errs[i] = s.probeInsert(ctx, req.rec); errs[i] != nil && !isolate {
				return errs[i]
			}
			continue
		}
		if !isolate {
			if err := insertRecord(ctx, st, req.rec); err != nil {
				return err
			}
			continue
		}
		if _, err := c.ExecContext(ctx, `SAVEPOINT rec`); err != nil {
			return err
		}
		mark := len(cache.added)
		if errs[i] = insertRecord(ctx, st, req.rec); errs[i] != nil {
			if _, err := c.ExecContext(ctx, `ROLLBACK TO rec`); err != nil {
				return err
			}
			cache.rolledBack(mark)
		}
		if _, err := c.ExecContext(ctx, `RELEASE rec`); err != nil {
			return err
		}
	}
	if probed {
		if err := touchHeader(ctx, c); err != nil {
			return err
		}
	}
	if _, err := c.ExecContext(ctx, `COMMIT`); err != nil {
		return err
	}
	cache.committed()
	return nil
}

func insertRecord(ctx context.Context, st *writeStmts, r Record) error {
	t := r.Time.UnixNano()
	rp := r.Reply
	// The passages first: a new one is added to the passages table.
	st.pids = st.pids[:0]
	for _, c := range rp.Citations {
		pid, err := st.passage(ctx, c.ChunkID, c.Passage)
		if err != nil {
			return err
		}
		st.pids = append(st.pids, pid)
	}
	for _, p := range rp.Retrieved {
		pid, err := st.passage(ctx, p.ChunkID, p.Text)
		if err != nil {
			return err
		}
		st.pids = append(st.pids, pid)
	}
	if err := checkCitationNumbers(rp.Citations); err != nil {
		return err
	}
	nc := len(rp.Citations)
	st.refs = appendCitationRefs(st.refs[:0], rp.Citations, st.pids[:nc])
	cited := string(st.refs)
	st.refs = appendRetrievedRefs(st.refs[:0], rp.Retrieved, st.pids[nc:])
	retrieved := string(st.refs)
	res, err := st.turn.ExecContext(ctx, r.AnswerID, r.ConversationID, t, r.Question, string(rp.Kind), rp.Text,
		rp.Disclaimer, rp.Mode, rp.Reason, rp.Confidence, rp.CorpusVersion, int64(r.Latency), cited, retrieved,
		r.ConversationID, libraryEntry(rp.Reviewed), libraryDate(rp.Reviewed))
	if err != nil {
		return err
	}
	turn, err := res.LastInsertId()
	if err != nil {
		return err
	}
	_, err = st.conversation.ExecContext(ctx, r.ConversationID, t, t, turn)
	return err
}

// checkCitationNumbers refuses a reply citing two passages by one number:
// citation numbers are a reply's keys for its citations (as the primary
// key of the citations table was before migration 5).
func checkCitationNumbers(cites []chat.Citation) error {
	for i, c := range cites {
		for _, d := range cites[:i] {
			if d.N == c.N {
				return fmt.Errorf("citation number %d used twice", c.N)
			}
		}
	}
	return nil
}

// passage returns the id of a passage, adding it to the passages table
// if it is not there yet.
func (st *writeStmts) passage(ctx context.Context, chunkID, text string) (int64, error) {
	k := passageKey{chunkID, text}
	c := st.passages
	if id, ok := c.known[k]; ok {
		return id, nil
	}
	if id, ok := c.pending[k]; ok {
		return id, nil
	}
	if _, err := st.addPassage.ExecContext(ctx, chunkID, text); err != nil {
		return 0, err
	}
	var id int64
	if err := st.passageID.QueryRowContext(ctx, chunkID, text).Scan(&id); err != nil {
		return 0, err
	}
	c.pending[k] = id
	c.added = append(c.added, k)
	return id, nil
}

// History returns the turns of a conversation, oldest first, at most limit
// (the newest ones) when limit > 0. ErrNotFound when there is no such conversation.
// Replies carry their citations and the patient's rating; retrieved
// passages are left out (see Turn).
func (s *Store) History(ctx context.Context, conversationID string, limit int) ([]Record, error) {
	return s.history(ctx, s.db, conversationID, limit)
}

// history is History on db: patients' connections or the console's.
func (s *Store) history(ctx context.Context, db *sql.DB, conversationID string, limit int) ([]Record, error) {
	var exists int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM conversations WHERE id = ?`, conversationID).Scan(&exists); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if exists == 0 {
		return nil, ErrNotFound
	}
	if limit <= 0 {
		limit = math.MaxInt64
	}
	rows, err := db.QueryContext(ctx, `SELECT `+turnColumns+` FROM turns WHERE rowid IN (`+conversationTurns+`)
		ORDER BY time, rowid`, conversationID, limit)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	recs, cited, err := scanRecords(rows)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if err := resolveCitations(ctx, db, recs, cited); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if err := ratings(ctx, db, recs); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return recs, nil
}

// conversationTurns selects the rowids of a conversation's newest turns,
// at most the second parameter of them, walking its chain back from
// last_turn (migration 6). prev is always an older rowid, so the walk ends
// even on a damaged chain.
const conversationTurns = `WITH RECURSIVE chain(turn, n) AS (
		SELECT last_turn, 1 FROM conversations WHERE id = ? AND last_turn IS NOT NULL
		UNION ALL
		SELECT t.prev, chain.n + 1 FROM chain JOIN turns t ON t.rowid = chain.turn
		WHERE t.prev < t.rowid AND chain.n < ?
	) SELECT turn FROM chain`

const turnColumns = `answer_id, conversation_id, time, question, kind, text, disclaimer, mode, reason, confidence, corpus_version, latency_ns, citation_refs, rowid, library_entry, library_date`

// scanRecords returns the records of rows (turnColumns) and the
// citation_refs of each, not yet resolved.
func scanRecords(rows *sql.Rows) ([]Record, []string, error) {
	defer rows.Close()
	var out []Record
	var cited []string
	for rows.Next() {
		var r Record
		var t, lat, rowid int64
		var kind, refs, libDate string
		var libEntry sql.NullInt64
		if err := rows.Scan(&r.AnswerID, &r.ConversationID, &t, &r.Question, &kind, &r.Reply.Text, &r.Reply.Disclaimer,
			&r.Reply.Mode, &r.Reply.Reason, &r.Reply.Confidence, &r.Reply.CorpusVersion, &lat, &refs, &rowid, &libEntry, &libDate); err != nil {
			return nil, nil, err
		}
		r.Reply.Reviewed = reviewedOf(libEntry, libDate)
		cited = append(cited, refs)
		r.Time = time.Unix(0, t)
		r.Reply.Kind = chat.Kind(kind)
		r.Latency = time.Duration(lat)
		r.Reply.Latency = r.Latency
		out = append(out, r)
	}
	return out, cited, rows.Err()
}

// resolveCitations sets the citations of each of recs from its
// citation_refs (cited, same order), reading the passages of all in one query.
func resolveCitations(ctx context.Context, db *sql.DB, recs []Record, cited []string) error {
	refs := make([][]citationRef, len(recs))
	var ids []int64
	for i := range recs {
		var err error
		if refs[i], err = decodeCitationRefs(cited[i]); err != nil {
			return fmt.Errorf("%s: %w", recs[i].AnswerID, err)
		}
		for _, r := range refs[i] {
			ids = append(ids, r.pid)
		}
	}
	texts, err := passageTexts(ctx, db, ids)
	if err != nil {
		return err
	}
	for i := range recs {
		cites := make([]chat.Citation, len(refs[i]))
		for j, r := range refs[i] {
			p, ok := texts[r.pid]
			if !ok {
				return fmt.Errorf("%s: passage %d missing", recs[i].AnswerID, r.pid)
			}
			cites[j] = r.c
			cites[j].ChunkID, cites[j].Passage = p.chunkID, p.text
		}
		recs[i].Reply.Citations = cites
	}
	return nil
}

func (s *Store) retrieved(ctx context.Context, answerID string) ([]chat.Retrieved, error) {
	var data string
	if err := s.rdb.QueryRowContext(ctx, `SELECT retrieved_refs FROM turns WHERE answer_id = ?`, answerID).Scan(&data); err != nil {
		return nil, err
	}
	refs, err := decodeRetrievedRefs(data)
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(refs))
	for i, r := range refs {
		ids[i] = r.pid
	}
	texts, err := passageTexts(ctx, s.rdb, ids)
	if err != nil {
		return nil, err
	}
	out := make([]chat.Retrieved, len(refs))
	for i, r := range refs {
		p, ok := texts[r.pid]
		if !ok {
			return nil, fmt.Errorf("%s: passage %d missing", answerID, r.pid)
		}
		out[i] = r.p
		out[i].ChunkID, out[i].Text = p.chunkID, p.text
	}
	return out, nil
}

// RecordFeedback stores a patient's rating of an answer of the given
// conversation; ErrNotFound if the answer is not in that conversation.
// Rating must be "up" or "down"; the comment is redacted like questions.
// An answer has one rating: a later one replaces it (the last counts), and
// a rating sent without a comment keeps the comment already given, so a
// thumbs-down followed by its comment is one thumbs-down with a comment.
func (s *Store) RecordFeedback(ctx context.Context, conversationID string, f Feedback) error {
	if err := prepareFeedback(&f, s.redact); err != nil {
		return err
	}
	err := s.write(ctx, func(ctx context.Context, c *sql.Conn) error {
		// The ownership check and the write are one statement each, so the
		// answer cannot be deleted (retention) between check and write.
		res, err := c.ExecContext(ctx, `UPDATE feedback SET rating = ?, time = ?, comment = CASE WHEN ? <> '' THEN ?
				ELSE (SELECT comment FROM feedback WHERE answer_id = ? ORDER BY comment <> '' DESC, id DESC LIMIT 1) END
			WHERE id = (SELECT MAX(fb.id) FROM feedback fb JOIN turns t ON t.answer_id = fb.answer_id
				WHERE fb.answer_id = ? AND t.conversation_id = ?)`,
			f.Rating, f.Time.UnixNano(), f.Comment, f.Comment, f.AnswerID, f.AnswerID, conversationID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			// Logs written before an answer had one rating may hold several.
			_, err := c.ExecContext(ctx, `DELETE FROM feedback WHERE answer_id = ? AND id < (SELECT MAX(id) FROM feedback WHERE answer_id = ?)`,
				f.AnswerID, f.AnswerID)
			return err
		}
		res, err = c.ExecContext(ctx, `INSERT INTO feedback(answer_id, rating, comment, time, turn_time, turn)
			SELECT answer_id, ?, ?, ?, time, rowid FROM turns WHERE answer_id = ? AND conversation_id = ?`,
			f.Rating, f.Comment, f.Time.UnixNano(), f.AnswerID, conversationID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("record feedback: %w", err)
	}
	return err
}

// prepareFeedback refuses a rating other than up or down, sets a zero
// time to now and redacts the comment when asked.
func prepareFeedback(f *Feedback, redact bool) error {
	if f.Rating != "up" && f.Rating != "down" {
		return fmt.Errorf("feedback rating %q: must be up or down", f.Rating)
	}
	if f.Time.IsZero() {
		f.Time = time.Now()
	}
	if redact {
		f.Comment = Redact(f.Comment)
	}
	return nil
}

// ratings sets the Rating of each of recs that the patient rated. The
// feedback is looked up by the replies' answer ids (its own index), a
// batch at a time: joined to turns by conversation instead, SQLite read
// every feedback row of the log (turns has no conversation index), over a
// second per conversation on a log of millions of turns.
func ratings(ctx context.Context, db *sql.DB, recs []Record) error {
	byID := make(map[string]*Feedback)
	for lo := 0; lo < len(recs); lo += exportBatch {
		batch := recs[lo:min(lo+exportBatch, len(recs))]
		ids := make([]any, len(batch))
		for i, r := range batch {
			ids[i] = r.AnswerID
		}
		if err := readRatings(ctx, db, ids, byID); err != nil {
			return err
		}
	}
	for i := range recs {
		recs[i].Rating = byID[recs[i].AnswerID]
	}
	return nil
}

// readRatings adds the ratings of the answers ids to byID: the last of an
// answer's rows (oldest first) counts, keeping an earlier comment.
func readRatings(ctx context.Context, db *sql.DB, ids []any, byID map[string]*Feedback) error {
	rows, err := db.QueryContext(ctx, `SELECT answer_id, rating, comment, time FROM feedback
		WHERE answer_id IN (`+placeholders(len(ids))+`) ORDER BY time, id`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var f Feedback
		var t int64
		if err := rows.Scan(&f.AnswerID, &f.Rating, &f.Comment, &t); err != nil {
			return err
		}
		f.Time = time.Unix(0, t)
		if old := byID[f.AnswerID]; old != nil && f.Comment == "" {
			f.Comment = old.Comment
		}
		byID[f.AnswerID] = &f
	}
	return rows.Err()
}

// placeholders is n SQL parameters, comma-separated.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// DeleteOlderThan deletes conversations (with their turns, feedback and
// reviews) whose last turn is older than days days, and expired staff
// sessions; it returns how many conversations it deleted. days <= 0 deletes nothing.
func (s *Store) DeleteOlderThan(ctx context.Context, days int) (int64, error) {
	if days <= 0 {
		return 0, nil
	}
	cutoff := time.Now().Add(-time.Duration(days) * 24 * time.Hour).UnixNano()
	n, err := s.deleteConversations(ctx, cutoff)
	if err != nil {
		return 0, fmt.Errorf("retention: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires < ?`, time.Now().UnixNano()); err != nil {
		return n, fmt.Errorf("retention: sessions: %w", err)
	}
	return n, nil
}

// deleteConversations deletes the conversations whose last turn is older
// than cutoff, and their turns, in one transaction. Turns have no foreign
// key to their conversation (migration 6): their last turn being older
// than cutoff, all of them are, so they are found through turns_time. Their
// feedback and reviews go with them (ON DELETE CASCADE).
func (s *Store) deleteConversations(ctx context.Context, cutoff int64) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM turns WHERE time < ?
		AND conversation_id IN (SELECT id FROM conversations WHERE last < ?)`, cutoff, cutoff); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM conversations WHERE last < ?`, cutoff)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, tx.Commit()
}

// Close flushes pending writes and closes the database.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	s.closeMu.Unlock()
	close(s.stop)
	<-s.done
	<-s.ckDone
	// The last connection to close checkpoints and removes the WAL.
	s.wstmts.close()
	s.wconn.Close()
	s.rdb.Close()
	return s.db.Close()
}
