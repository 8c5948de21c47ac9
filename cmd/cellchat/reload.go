package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/corpus"
	"github.com/cellchat/cellchat/retrieval"
	"github.com/cellchat/cellchat/web"
	"github.com/cellchat/cellchat/web/staff"
)

// liveEngine is the answer engine serve answers with. A reload loads the
// corpus again, brings the index up to date, builds a new engine on a view
// of the new version and swaps it in: an answer in flight finishes on the
// engine (and the index view) it started on, the next one gets the new
// engine, and its reply names the new corpus version. A reload that fails
// leaves the current engine serving.
type liveEngine struct {
	cur atomic.Pointer[servedEngine]

	mu   sync.Mutex // one reload at a time
	c    *cli
	p    *paths
	ix   *retrieval.Index
	tune []func(*chat.Config)

	// Reply-cache counts of the engines swapped out, so the exported
	// counters never go down.
	hits, misses atomic.Uint64

	// library, when set, is served against each new corpus before the
	// engine that answers from it, and re-read on every reload trigger.
	library *servedLibrary

	// With replicas on one PostgreSQL database (replicas.go): announce
	// tells the others of a corpus this one reloaded, and pending holds
	// what they told of theirs. Both nil otherwise.
	announce func(kind, version string)
	pending  *pendingChanges
}

// servedEngine is one engine and the corpus it answers from.
type servedEngine struct {
	eng     *chat.Engine
	corp    *corpus.Corpus
	details map[string]web.SourceDetails // by document id
}

func newServedEngine(eng *chat.Engine, corp *corpus.Corpus) *servedEngine {
	s := &servedEngine{eng: eng, corp: corp, details: make(map[string]web.SourceDetails, len(corp.Docs))}
	for _, d := range corp.Docs {
		s.details[d.ID] = web.SourceDetails{Publisher: d.Publisher, Reviewed: d.Reviewed}
	}
	return s
}

func newLiveEngine(c *cli, p *paths, ix *retrieval.Index, eng *chat.Engine, corp *corpus.Corpus, tune []func(*chat.Config)) *liveEngine {
	l := &liveEngine{c: c, p: p, ix: ix, tune: tune}
	l.cur.Store(newServedEngine(eng, corp))
	return l
}

// SourceDetails is a served document's publisher and review date, which
// citations carry.
func (l *liveEngine) SourceDetails(docID string) web.SourceDetails {
	return l.cur.Load().details[docID]
}

func (l *liveEngine) Answer(ctx context.Context, history []chat.Turn, question string, onDelta func(string)) (chat.Reply, error) {
	return l.cur.Load().eng.Answer(ctx, history, question, onDelta)
}

// ReplyCacheStats counts over every engine served since start.
func (l *liveEngine) ReplyCacheStats() (hits, misses uint64) {
	h, m := l.cur.Load().eng.ReplyCacheStats()
	return h + l.hits.Load(), m + l.misses.Load()
}

// Version is the corpus version being served.
func (l *liveEngine) Version() string { return l.cur.Load().corp.Version }

// reloadResult says what a reload did.
type reloadResult struct {
	Changed      bool
	From, To     string // corpus versions
	Docs, Chunks int
	Embedded     int
}

// errReloadRefused wraps the reasons a reload keeps the current corpus.
var errReloadRefused = errors.New("the corpus was not reloaded; the current version is still served")

// Reload loads the corpus from disk and, if it changed, serves it. A
// corpus in which any file fails to load is refused whole: a clinic that
// replaces a handout with a broken file keeps the old handout answering
// rather than lose it.
func (l *liveEngine) Reload(ctx context.Context) (reloadResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cur := l.cur.Load()
	res := reloadResult{From: cur.corp.Version, To: cur.corp.Version}
	corp, err := corpus.Load(l.p.corpus)
	if corp == nil {
		return res, fmt.Errorf("%w: %w", errReloadRefused, err)
	}
	if err != nil {
		return res, fmt.Errorf("%w: some files failed to load (fix them and reload): %w", errReloadRefused, err)
	}
	res.Docs, res.Chunks, res.To = len(corp.Docs), len(corp.Chunks), corp.Version
	if corp.Version == cur.corp.Version {
		return res, nil
	}
	stats, err := l.ix.Sync(ctx, corp, nil)
	if err != nil {
		return res, fmt.Errorf("%w: %w", errReloadRefused, err)
	}
	res.Embedded = stats.Embedded
	eng, err := buildEngine(l.c, l.p, l.ix.View(), corp, l.tune...)
	if err != nil {
		return res, fmt.Errorf("%w: %w", errReloadRefused, err)
	}
	if l.library != nil {
		if err := l.library.setCorpus(ctx, corp); err != nil {
			return res, fmt.Errorf("%w: the answer library: %w", errReloadRefused, err)
		}
	}
	old := l.cur.Swap(newServedEngine(eng, corp))
	h, m := old.eng.ReplyCacheStats()
	l.hits.Add(h)
	l.misses.Add(m)
	res.Changed = true
	return res, nil
}

// reloadAndLog reloads and writes the outcome to the server log.
func (l *liveEngine) reloadAndLog(ctx context.Context, logger *slog.Logger, trigger string) (reloadResult, error) {
	start := time.Now()
	res, err := l.Reload(ctx)
	switch {
	case err != nil:
		logger.Warn("corpus reload failed", "trigger", trigger, "serving", res.From, "err", err)
	case res.Changed:
		logger.Info("corpus reloaded", "trigger", trigger, "from", res.From, "to", res.To,
			"documents", res.Docs, "chunks", res.Chunks, "embedded", res.Embedded, "took", time.Since(start))
		if l.announce != nil && trigger != "replica" && trigger != "resync" {
			l.announce(changeCorpus, res.To)
		}
	default:
		logger.Info("corpus unchanged", "trigger", trigger, "version", res.To)
	}
	return res, err
}

// refreshLibrary serves entries imported by another process.
func (l *liveEngine) refreshLibrary(ctx context.Context, logger *slog.Logger) {
	if l.library == nil {
		return
	}
	if err := l.library.Refresh(ctx); err != nil {
		logger.Warn("answer library not re-read", "err", err)
	}
}

// startWatch reloads on SIGHUP, when another process (cellchat ingest)
// commits a new corpus version to the index, checked every interval (0:
// not checked), and when another replica tells of a change, until ctx
// ends. SIGHUP is taken before it
// returns, so an early one does not end the process.
func (l *liveEngine) startWatch(ctx context.Context, interval time.Duration, logger *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		l.watch(ctx, hup, interval, logger)
	}()
}

// watch serves the reload triggers. An index version whose reload failed
// or changed nothing is not tried again until it changes.
func (l *liveEngine) watch(ctx context.Context, hup <-chan os.Signal, interval time.Duration, logger *slog.Logger) {
	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	passed := "" // an index version not to try again
	var replicas <-chan struct{}
	if l.pending != nil {
		replicas = l.pending.ready
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-replicas:
			l.followReplicas(ctx, logger)
		case <-hup:
			l.refreshLibrary(ctx, logger)
			l.reloadAndLog(ctx, logger, "SIGHUP")
		case <-tick:
			l.refreshLibrary(ctx, logger)
			stored, err := retrieval.StoredVersion(l.p.data)
			if err != nil || stored == "" || stored == l.Version() || stored == passed {
				continue
			}
			if res, err := l.reloadAndLog(ctx, logger, "ingest"); err != nil || !res.Changed {
				passed = stored
			}
		}
	}
}

// consoleSources is the staff console's view of the served corpus and its
// "Reload sources" button.
type consoleSources struct {
	live   *liveEngine
	logger *slog.Logger
}

func (s consoleSources) Documents() []staff.SourceDocument {
	corp := s.live.cur.Load().corp
	passages := map[string]int{}
	for _, ch := range corp.Chunks {
		passages[ch.DocID]++
	}
	out := make([]staff.SourceDocument, len(corp.Docs))
	for i, d := range corp.Docs {
		due, _ := d.ReviewDue()
		out[i] = staff.SourceDocument{ID: d.ID, Title: d.Title, Publisher: d.Publisher, URL: d.URL, File: relTo(s.live.p.corpus, d.Path),
			Reviewed: d.Reviewed, ReviewDue: due, Passages: passages[d.ID], Warnings: d.Warnings(time.Now())}
	}
	return out
}

func (s consoleSources) Reload(ctx context.Context) (string, error) {
	res, err := s.live.reloadAndLog(ctx, s.logger, "console")
	switch {
	case err != nil:
		return "", err
	case res.Changed:
		return fmt.Sprintf("Reloaded: %d documents, %d passages (%d new), corpus version %s (was %s).", res.Docs, res.Chunks, res.Embedded, res.To, res.From), nil
	}
	return fmt.Sprintf("Nothing changed: %d documents, corpus version %s.", res.Docs, res.To), nil
}
