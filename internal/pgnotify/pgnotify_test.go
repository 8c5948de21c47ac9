package pgnotify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cellchat/cellchat/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// listen starts a listener on channel and returns the notices it gets.
func listen(t *testing.T, url, channel string) (*Listener, <-chan Notice) {
	t.Helper()
	got := make(chan Notice, 16)
	l := NewListener(url, channel, func(ctx context.Context, n Notice) { got <- n })
	l.ReconnectDelay = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Listen(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Listen returned %v, want context.Canceled", err)
		}
	})
	select {
	case <-l.Listening():
	case err := <-done:
		t.Fatalf("listener stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the listener did not start listening")
	}
	return l, got
}

func next(t *testing.T, got <-chan Notice) Notice {
	t.Helper()
	select {
	case n := <-got:
		return n
	case <-time.After(30 * time.Second):
		t.Fatal("no notice came")
		return Notice{}
	}
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestNoticesReachListenersAndSurviveARestart(t *testing.T) {
	pg := pgtest.Start(t)
	url := pg.URL("postgres")
	ctx := context.Background()
	l, got := listen(t, url, "changes")
	_, other := listen(t, url, "elsewhere")

	conn := connect(t, url)
	if err := Notify(ctx, conn, "changes", `{"kind":"corpus","version":"3f2a"}`); err != nil {
		t.Fatal(err)
	}
	if n := next(t, got); n != (Notice{Channel: "changes", Payload: `{"kind":"corpus","version":"3f2a"}`}) {
		t.Errorf("got %+v", n)
	}
	select {
	case n := <-other:
		t.Errorf("a listener on another channel got %+v", n)
	case <-time.After(200 * time.Millisecond):
	}
	// A notice sent in a transaction is delivered only when it commits.
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := Notify(ctx, tx, "changes", "rolled back"); err != nil {
		t.Fatal(err)
	}
	tx.Rollback(ctx)

	// The server restarts: the listener reconnects by itself and says to
	// resync, once, and then gets notices again.
	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	if n := next(t, got); !n.Resync || n.Channel != "changes" || n.Payload != "" {
		t.Fatalf("after the restart got %+v, want a resync (the rolled-back notice must never come)", n)
	}
	if l.Listens() != 2 {
		t.Errorf("listened %d times, want 2", l.Listens())
	}
	conn = connect(t, url)
	if err := Notify(ctx, conn, "changes", "after"); err != nil {
		t.Fatal(err)
	}
	if n := next(t, got); n != (Notice{Channel: "changes", Payload: "after"}) {
		t.Errorf("after the restart got %+v", n)
	}
}

func TestNotifyRefusesWhatPostgreSQLWould(t *testing.T) {
	// Checked before anything is sent: no server needed.
	var db Execer // never reached
	if err := Notify(context.Background(), db, "changes", strings.Repeat("x", MaxPayload+1)); err == nil || !strings.Contains(err.Error(), "over PostgreSQL's limit") {
		t.Errorf("an oversized payload: %v", err)
	}
	if err := Notify(context.Background(), db, "", "x"); err == nil {
		t.Error("no channel accepted")
	}
	if err := NewListener("postgres://x", "", nil).Listen(context.Background()); err == nil {
		t.Error("a listener without channel or handler started")
	}
}

// PostgreSQL itself refuses a payload one byte over MaxPayload, and takes
// one of MaxPayload bytes, so the limit is the server's.
func TestMaxPayloadIsTheServers(t *testing.T) {
	pg := pgtest.Start(t)
	conn := connect(t, pg.URL("postgres"))
	ctx := context.Background()
	if err := Notify(ctx, conn, "changes", strings.Repeat("x", MaxPayload)); err != nil {
		t.Errorf("a payload of MaxPayload bytes: %v", err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_notify('changes', $1)", strings.Repeat("x", MaxPayload+1)); err == nil {
		t.Error("PostgreSQL took a payload over MaxPayload: the limit is too low")
	}
}
