package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cellchat/cellchat/internal/pgnotify"
	"github.com/cellchat/cellchat/transcript"
	"github.com/cellchat/cellchat/web/staff"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Replicas of serve that share one PostgreSQL database tell each other of
// the changes they make, so that a corpus reloaded or a library entry
// saved on one is served by all. A notice is only a trigger: each replica
// reloads its own corpus directory (and refuses a broken one, as always)
// and reads the library from the database.

// changesChannel is the PostgreSQL channel the notices go on.
const changesChannel = "cellchat_changes"

// notifyTimeout bounds sending one notice: the change it tells of is
// made and served here already, and the others also resync when their
// listener reconnects.
const notifyTimeout = 5 * time.Second

// listenStartWait is how long start waits for the listener, so that a
// change another replica makes once this one serves is not missed; a
// database slower than that is still listened to once it answers.
const listenStartWait = 10 * time.Second

// Kinds of change notices.
const (
	changeCorpus  = "corpus"  // a new corpus version is served; reload
	changeLibrary = "library" // library entries changed; read them again
)

// changeNotice is a notice's payload.
type changeNotice struct {
	Kind    string `json:"kind"`
	Version string `json:"version,omitempty"` // the corpus version the sender serves now
	From    string `json:"from"`              // the sending replica, so it skips its own
}

// pendingChanges are the notices received and not yet acted on, merged:
// however many arrive while a reload runs, one more reload serves them all.
type pendingChanges struct {
	mu      sync.Mutex
	corpus  bool
	library bool
	version string // the newest corpus version announced
	trigger string // "replica", or "resync" after lost notices

	ready chan struct{} // holds a token while changes are pending
}

func newPendingChanges() *pendingChanges {
	return &pendingChanges{ready: make(chan struct{}, 1)}
}

func (p *pendingChanges) add(corpus, library bool, version, trigger string) {
	p.mu.Lock()
	p.corpus = p.corpus || corpus
	p.library = p.library || library
	if version != "" {
		p.version = version
	}
	if p.trigger != "resync" {
		p.trigger = trigger
	}
	p.mu.Unlock()
	select {
	case p.ready <- struct{}{}:
	default:
	}
}

func (p *pendingChanges) take() (corpus, library bool, version, trigger string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	corpus, library, version, trigger = p.corpus, p.library, p.version, p.trigger
	p.corpus, p.library, p.version, p.trigger = false, false, "", ""
	return
}

// isPostgresURL says whether a --db value names a PostgreSQL database.
func isPostgresURL(db string) bool {
	kind, _, err := transcript.ParseDB(db)
	return err == nil && kind == "postgres"
}

// startReplicaNotices, when dbURL is a PostgreSQL URL, makes live (and the
// staff console configured in sc) tell the other replicas of every corpus
// reload and library change made here, and reload when they tell of
// theirs, until ctx ends. For any other database it does nothing. Call it
// before the staff handler is built and before live.startWatch.
func startReplicaNotices(ctx context.Context, dbURL string, live *liveEngine, sc *staff.Config, logger *slog.Logger) error {
	if !isPostgresURL(dbURL) {
		return nil
	}
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return fmt.Errorf("replica notices: %w", err)
	}
	cfg.MaxConns = 1 // notices are rare: one connection, opened when first needed
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("replica notices: %w", err)
	}
	context.AfterFunc(ctx, pool.Close)
	id := rand.Text()
	live.pending = newPendingChanges()
	live.announce = func(kind, version string) {
		payload, _ := json.Marshal(changeNotice{Kind: kind, Version: version, From: id})
		go func() {
			nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), notifyTimeout)
			defer cancel()
			if err := pgnotify.Notify(nctx, pool, changesChannel, string(payload)); err != nil {
				logger.Warn("the other replicas were not told of a change; they pick it up when they next reload or resync", "kind", kind, "err", err)
			}
		}()
	}
	if sc.Library != nil {
		sc.Library = announcingLibrary{Library: sc.Library, announce: live.announce}
	}
	l := pgnotify.NewListener(dbURL, changesChannel, func(_ context.Context, n pgnotify.Notice) {
		receiveNotice(n, id, live.pending, logger)
	})
	l.LogError = func(err error) { logger.Warn("replica notices: listening failed; retrying", "err", err) }
	go l.Listen(ctx)
	select {
	case <-l.Listening():
		logger.Info("replica notices on", "channel", changesChannel, "replica", id)
	case <-time.After(listenStartWait):
		logger.Warn("replica notices: not listening yet; serving meanwhile, and retrying", "channel", changesChannel)
	case <-ctx.Done():
	}
	return nil
}

// receiveNotice queues what a notice asks for; a notice this replica
// sent is skipped, one it cannot read is taken as a resync.
func receiveNotice(n pgnotify.Notice, self string, pending *pendingChanges, logger *slog.Logger) {
	if n.Resync {
		pending.add(true, true, "", "resync")
		return
	}
	var c changeNotice
	if err := json.Unmarshal([]byte(n.Payload), &c); err != nil || (c.Kind != changeCorpus && c.Kind != changeLibrary) {
		logger.Warn("replica notices: a notice not understood; checking corpus and library", "payload", n.Payload)
		pending.add(true, true, "", "resync")
		return
	}
	if c.From == self {
		return
	}
	pending.add(c.Kind == changeCorpus, c.Kind == changeLibrary, c.Version, "replica")
}

// followReplicas acts on the pending notices: the library read again, the
// corpus reloaded from this replica's own corpus directory. A corpus that
// does not come out at the version another replica announced is logged:
// this replica's files differ from that one's.
func (l *liveEngine) followReplicas(ctx context.Context, logger *slog.Logger) {
	corpus, library, version, trigger := l.pending.take()
	if library {
		l.refreshLibrary(ctx, logger)
	}
	if !corpus {
		return
	}
	if _, err := l.reloadAndLog(ctx, logger, trigger); err == nil && version != "" && version != l.Version() {
		logger.Warn("another replica serves a corpus version this one's corpus directory does not hold: deploy the same files to every replica",
			"announced", version, "serving", l.Version())
	}
}

// announcingLibrary is the staff console's library: a change saved there
// is served here at once (Refresh) and announced to the other replicas.
type announcingLibrary struct {
	staff.Library
	announce func(kind, version string)
}

func (a announcingLibrary) Refresh(ctx context.Context) error {
	err := a.Library.Refresh(ctx)
	a.announce(changeLibrary, "")
	return err
}
