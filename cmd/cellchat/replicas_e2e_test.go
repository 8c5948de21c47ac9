package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellchat/cellchat/internal/pgtest"
	"github.com/cellchat/cellchat/loadtest"
	"github.com/cellchat/cellchat/transcript"
)

// Two replicas on one PostgreSQL database, 100 clients spread over both,
// one replica SIGKILLed mid-run: its clients reconnect to the other and
// resume their conversations, every answer any client received is in the
// database, and a staff member signed in through the killed replica keeps
// working through the other.
func TestTwoReplicasOnPostgreSQLSurviveAKill(t *testing.T) {
	pg := pgtest.Start(t)
	db := pg.NewDatabase(t)
	flags := []string{"--db", db, "--max-conns-per-ip", "0", "--max-sockets-per-ip", "0"}
	a := startServer(t, t.TempDir(), flags...)
	b := startServer(t, t.TempDir(), flags...)
	for _, s := range []*server{a, b} {
		for s.get(t, "/readyz") != http.StatusOK {
			time.Sleep(20 * time.Millisecond)
		}
	}
	store, err := transcript.OpenDB(context.Background(), db, transcript.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.AddStaff(context.Background(), safetyStaff, safetyPassword); err != nil {
		t.Fatal(err)
	}
	staff := staffSignIn(t, "http://"+a.addr)
	onB := func(when string) {
		t.Helper()
		page := staffPage(t, staff, "http://"+b.addr+"/staff/")
		if strings.Contains(page, `name="password"`) {
			t.Errorf("%s: the session made through one replica is asked to sign in again on the other", when)
		}
	}
	onB("before the kill")

	questions := []string{"What is CAR-T therapy?", "What is graft-versus-host disease?", "How long will I stay in hospital?", "What is an autologous transplant?"}
	time.AfterFunc(3*time.Second, a.kill)
	res, err := loadtest.Run(context.Background(), loadtest.Config{
		URLs: []string{"ws://" + a.addr + "/ws", "ws://" + b.addr + "/ws"}, Clients: 100, Duration: 8 * time.Second,
		Questions: questions, Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d answers (%d from the killed replica), %d reconnects, %d resumed, %d interrupted, p99 %v",
		res.Answers, res.URLs[0].Answers, res.Reconnects, res.Resumed, res.Interrupted, res.P99)
	if res.URLs[0].Answers == 0 || res.URLs[1].Answers == 0 {
		t.Fatalf("a replica answered nothing: %+v", res.URLs)
	}
	if res.Reconnects != 50 || res.Resumed != 50 || res.NotResumed != 0 || res.ErrorCount() != 0 {
		t.Errorf("reconnects %d, resumed %d, not resumed %d, errors %v; want 50, 50, 0, none", res.Reconnects, res.Resumed, res.NotResumed, res.Errors)
	}
	missing, err := store.MissingAnswers(context.Background(), res.AnswerIDs)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d answers a client received are not in the database, e.g. %s", len(missing), len(res.AnswerIDs), missing[0])
	}
	onB("after the kill")

	// The load tool checks its answers against the shared database too.
	var out, errOut strings.Builder
	c := &cli{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}
	if err := run(context.Background(), []string{"cellchat", "loadtest", "--url", "ws://" + b.addr + "/ws",
		"--clients", "2", "--duration", "1s", "--questions", "../../eval/questions.yaml", "--verify-log", db}, c); err != nil {
		t.Fatalf("loadtest --verify-log %s: %v\n%s%s", transcript.DisplayDB(db), err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "log check:") || strings.Contains(out.String(), "log check: 0 of") {
		t.Errorf("no answers verified against PostgreSQL:\n%s", out.String())
	}
}
