package loadtest

import (
	"context"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/transcript"
	"github.com/cellchat/cellchat/web"
)

// echoAnswerer answers every question with its own text, a little later,
// so that answers are in flight when a replica goes away.
type echoAnswerer struct{}

func (echoAnswerer) Answer(ctx context.Context, history []chat.Turn, q string, onDelta func(string)) (chat.Reply, error) {
	select {
	case <-ctx.Done():
		return chat.Reply{}, ctx.Err()
	case <-time.After(2 * time.Millisecond):
	}
	return chat.Reply{Kind: chat.KindAnswer, Text: "You asked: " + q, Disclaimer: "Ask your care team.", Mode: "extractive", CorpusVersion: "v1"}, nil
}

// connTracker is a listener that can drop every connection it accepted,
// websockets included, as a killed process would.
type connTracker struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *connTracker) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

func (l *connTracker) kill() {
	l.Listener.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.Close()
	}
}

// replica is the real web handler on a loopback listener, logging to the
// store all replicas share.
func replica(t *testing.T, store *transcript.Store) (wsURL string, kill func()) {
	t.Helper()
	cfg := web.DefaultConfig()
	cfg.Disclaimer = "Ask your care team."
	cfg.ConnRate, cfg.IPRate = 0, 0 // every client is on loopback
	srv, err := web.NewServer(cfg, echoAnswerer{}, store)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	tr := &connTracker{Listener: hs.Listener}
	hs.Listener = tr
	hs.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		tr.kill()
		hs.Close()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws", tr.kill
}

// sharedLog is the transcript log the replicas of a test share, as
// replicas share one database.
func sharedLog(t *testing.T) *transcript.Store {
	t.Helper()
	store, err := transcript.Open(context.Background(), filepath.Join(t.TempDir(), "transcript.db"), transcript.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

func TestRunAcrossReplicasSurvivesOneKilled(t *testing.T) {
	ctx := context.Background()
	store := sharedLog(t)
	a, killA := replica(t, store)
	b, _ := replica(t, store)

	time.AfterFunc(700*time.Millisecond, killA)
	res, err := Run(ctx, Config{URLs: []string{a, b}, Clients: 6, Duration: 2 * time.Second,
		Questions: []string{"What is CAR-T?", "What is GVHD?", "How long is the hospital stay?"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.URLs) != 2 || res.URLs[0].URL != a || res.URLs[1].URL != b {
		t.Fatalf("per-URL figures: %+v", res.URLs)
	}
	for _, u := range res.URLs {
		if u.Clients != 3 || u.Answers == 0 {
			t.Errorf("%s: %d clients, %d answers; want 3 clients and some answers", u.URL, u.Clients, u.Answers)
		}
	}
	if res.URLs[0].Answers+res.URLs[1].Answers != res.Answers || len(res.AnswerIDs) != res.Answers {
		t.Errorf("per-URL answers %d+%d, %d ids, total %d", res.URLs[0].Answers, res.URLs[1].Answers, len(res.AnswerIDs), res.Answers)
	}
	// The three clients of the killed replica went on at the other one, in
	// the conversations they had.
	if res.Reconnects != 3 || res.Resumed != 3 || res.NotResumed != 0 {
		t.Errorf("reconnects %d, resumed %d, not resumed %d; want 3, 3, 0", res.Reconnects, res.Resumed, res.NotResumed)
	}
	if res.ErrorCount() != 0 || res.ConnectFails != 0 {
		t.Errorf("errors %v, connect failures %d", res.Errors, res.ConnectFails)
	}
	missing, err := store.MissingAnswers(ctx, res.AnswerIDs)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("%d answers received are not in the log (first %s)", len(missing), missing[0])
	}
}

func TestRunWithOneURLDoesNotReconnect(t *testing.T) {
	ctx := context.Background()
	store := sharedLog(t)
	a, killA := replica(t, store)
	time.AfterFunc(300*time.Millisecond, killA)
	res, err := Run(ctx, Config{URL: a, Clients: 2, Duration: time.Second, Questions: []string{"What is CAR-T?"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.URLs != nil || res.Reconnects != 0 {
		t.Errorf("one URL reported as replicas: %+v", res.Replicas)
	}
	if res.Answers == 0 || res.Errors["read"]+res.Errors["write"] != 2 {
		t.Errorf("answers %d, errors %v: want answers, then each client's dropped socket as an error", res.Answers, res.Errors)
	}
}

// A client whose next replica is down too goes on to the one after it.
func TestRunReconnectsPastADeadReplica(t *testing.T) {
	store := sharedLog(t)
	a, _ := replica(t, store)
	b, killB := replica(t, store)
	c, killC := replica(t, store)
	time.AfterFunc(500*time.Millisecond, func() { killC(); killB() })
	res, err := Run(context.Background(), Config{URLs: []string{a, b, c}, Clients: 3, Duration: 1500 * time.Millisecond,
		Questions: []string{"What is CAR-T?", "What is GVHD?"}})
	if err != nil {
		t.Fatal(err)
	}
	// c's client goes to a; b's finds c refusing, then goes to a.
	if res.Reconnects != 2 || res.ReconnectFailures != 1 || res.Resumed != 2 || res.NotResumed != 0 || res.ErrorCount() != 0 {
		t.Errorf("reconnects %d, refused %d, resumed %d, not resumed %d, errors %v; want 2, 1, 2, 0, none",
			res.Reconnects, res.ReconnectFailures, res.Resumed, res.NotResumed, res.Errors)
	}
	if res.URLs[0].Answers == 0 {
		t.Error("a answered nothing")
	}
}
