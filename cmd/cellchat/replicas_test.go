package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/internal/pgtest"
	"github.com/cellchat/cellchat/library"
	"github.com/cellchat/cellchat/transcript"
	"github.com/cellchat/cellchat/web/staff"
)

// testReplica is what serve wires for one replica: the live engine, its
// library and the staff console's view of both.
type testReplica struct {
	live *liveEngine
	lib  *library.Live
	sc   staff.Config
	logs *lockedBuffer
}

// startTestReplica serves corpusDir from a data directory of its own,
// with the library in store and notices on the database at dbURL.
func startTestReplica(t *testing.T, ctx context.Context, corpusDir string, store *transcript.Store, dbURL string) *testReplica {
	t.Helper()
	r := &testReplica{lib: library.NewLive(), logs: &lockedBuffer{}}
	c := &cli{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	p := &paths{corpus: corpusDir, data: t.TempDir()}
	tune := []func(*chat.Config){func(ec *chat.Config) { ec.Library = r.lib }}
	eng, ix, corp, err := openServed(ctx, c, p, tune...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	logger := slog.New(slog.NewJSONHandler(r.logs, nil))
	r.live = newLiveEngine(c, p, ix, eng, corp, tune)
	served := &servedLibrary{live: r.lib, store: store, threshold: library.DefaultThreshold, log: logger}
	if err := served.setCorpus(ctx, corp); err != nil {
		t.Fatal(err)
	}
	r.live.library = served
	r.sc.Library = served
	if err := startReplicaNotices(ctx, dbURL, r.live, &r.sc, logger); err != nil {
		t.Fatal(err)
	}
	go r.live.watch(ctx, nil, 0, logger)
	return r
}

// eventually waits until ok, failing with what after a minute.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
	}
}

// Two replicas on one PostgreSQL server: a corpus reloaded from one's
// console and a library entry saved on it reach the other; after the
// database restarts, notices sent meanwhile being lost, each replica
// resyncs by itself.
func TestReplicasFollowEachOthersChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two engines and runs PostgreSQL (skipped with -short)")
	}
	pg := pgtest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	store, err := transcript.Open(ctx, filepath.Join(t.TempDir(), transcript.FileName), transcript.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	dir := handoutCorpus(t)
	a := startTestReplica(t, ctx, dir, store, pg.URL("postgres"))
	b := startTestReplica(t, ctx, dir, store, pg.URL("postgres"))
	v1 := a.live.Version()
	if b.live.Version() != v1 {
		t.Fatalf("replicas start at %s and %s", v1, b.live.Version())
	}

	// A new handout, reloaded from a's console: b serves it too.
	src, _ := os.ReadFile(filepath.Join(handouts, "tiredness.txt"))
	os.WriteFile(filepath.Join(dir, "tiredness.txt"), src, 0o644)
	if _, err := (consoleSources{live: a.live, logger: slog.New(slog.DiscardHandler)}).Reload(ctx); err != nil {
		t.Fatal(err)
	}
	v2 := a.live.Version()
	if v2 == v1 {
		t.Fatal("the console reload changed nothing")
	}
	eventually(t, "b did not reload the corpus a announced", func() bool { return b.live.Version() == v2 })

	// A library entry saved through a's console is served by b.
	chunk := a.live.cur.Load().corp.Chunks[0]
	e := library.PassagesOf(a.live.cur.Load().corp.Chunks).Cite(library.Entry{Status: library.StatusPublished,
		Question: "Can I drive home after my infusion?", Answer: "See [1].", Citations: []chat.Citation{{N: 1, ChunkID: chunk.ID}}})
	if _, err := store.Import(ctx, []library.Entry{e}, "test"); err != nil {
		t.Fatal(err)
	}
	if err := a.sc.Library.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.lib.Lookup(e.Question, ""); !ok {
		t.Fatal("a does not serve the entry it saved")
	}
	eventually(t, "b does not serve the library entry a saved", func() bool { _, ok := b.lib.Lookup(e.Question, ""); return ok })

	// A change nobody announces, then the database restarts: both
	// listeners reconnect, resync and serve it.
	f, _ := os.OpenFile(filepath.Join(dir, "tiredness.txt"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("\nRest when you need to, and tell your care team if tiredness gets worse.\n")
	f.Close()
	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b did not resync after the database restarted", func() bool { v := b.live.Version(); return v != v2 && v != v1 })
	eventually(t, "a did not resync after the database restarted", func() bool { return a.live.Version() == b.live.Version() })
	for _, want := range []string{`"trigger":"replica"`, `"trigger":"resync"`} {
		if !strings.Contains(b.logs.String(), want) {
			t.Errorf("b's log lacks a reload by %s:\n%s", want, b.logs)
		}
	}
	// A skips the notices it sent itself.
	if strings.Contains(a.logs.String(), `"trigger":"replica"`) {
		t.Errorf("a followed its own notice:\n%s", a.logs)
	}
}

func TestReplicaNoticesOnlyForPostgres(t *testing.T) {
	for _, db := range []string{"", "data/transcript.db", "sqlite:data/transcript.db"} {
		l := &liveEngine{}
		if err := startReplicaNotices(context.Background(), db, l, &staff.Config{}, slog.New(slog.DiscardHandler)); err != nil || l.announce != nil || l.pending != nil {
			t.Errorf("%q: notices wired (%v)", db, err)
		}
	}
}
