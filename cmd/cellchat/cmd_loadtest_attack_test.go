package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cellchat/cellchat/loadtest"
	"github.com/cellchat/cellchat/transcript"
)

var attackQuestions = []string{"What is CAR-T therapy?", "What is graft-versus-host disease?", "How much does CAR-T cost?"}

const attackStaff = "nurse@clinic.example"

// serveForAttack starts serve in-process with a staff account and small
// limits, so each defence is reached by a few dozen attempts.
func serveForAttack(t *testing.T, args ...string) (wsURL, data string) {
	t.Helper()
	data = t.TempDir()
	store, err := transcript.Open(context.Background(), transcript.PathIn(data), transcript.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.AddStaff(context.Background(), attackStaff, "Quiet-Harbour-Lantern-93"); err != nil {
		t.Fatal(err)
	}
	store.Close()
	addr, _, _ := serveInProcess(t, data, nil, append([]string{"--ip-rate", "0", "--conn-rate", "0", "--log-level", "error"}, args...)...)
	return "ws://" + addr + "/ws", data
}

func attackRun(t *testing.T, url string, a loadtest.Attack, d time.Duration) loadtest.Result {
	t.Helper()
	res, err := loadtest.Run(context.Background(), loadtest.Config{
		URL: url, Clients: 2, Duration: d, Questions: attackQuestions, Timeout: 10 * time.Second, Attack: &a,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attack == nil {
		t.Fatal("no attack result")
	}
	if res.Answers == 0 {
		t.Errorf("the other clients got no answers during %s: %+v", a.Name, res)
	}
	t.Logf("%s: %+v; clients p99 %s", a.Name, *res.Attack, res.P99)
	return res
}

// TestAttackSignInBurst: of a burst of wrong passwords, only as many are
// checked as the pair's failure limit allows; the rest are refused with 429.
func TestAttackSignInBurst(t *testing.T) {
	url, _ := serveForAttack(t, "--staff-max-failures", "3", "--staff-max-failures-per-ip", "5", "--staff-signin-concurrency-per-ip", "2")
	// The burst ends at its cap; the run's length only bounds it, long
	// enough for the first password checks to finish on a loaded machine
	// (under three seconds they did not, and no check was counted).
	a := attackRun(t, url, loadtest.Attack{Name: "signin-burst", Max: 40, Concurrency: 10, Email: attackStaff}, 10*time.Second).Attack
	if a.Attempts != 40 {
		t.Errorf("attempts = %d, want 40 (the cap)", a.Attempts)
	}
	if a.Outcomes["http:429-busy"] == 0 {
		t.Errorf("outcomes %v: want 429s from the concurrency cap", a.Outcomes)
	}
	if a.Through == 0 || a.Through > 3 || a.Outcomes["http:303"] > 0 {
		t.Errorf("%d passwords checked (outcomes %v); want 1 to 3 (the pair's limit) and no sign-in", a.Through, a.Outcomes)
	}
}

// TestAttackAuditFlood runs the command as an operator would: repeated
// sign-ins on one e-mail write a few merged audit rows, not one a request.
func TestAttackAuditFlood(t *testing.T) {
	prev := auditSettle
	auditSettle = 5500 * time.Millisecond // the console's 5 s flush, and a little
	defer func() { auditSettle = prev }()
	url, data := serveForAttack(t, "--staff-max-failures", "3")
	var out, errOut bytes.Buffer
	// The attack ends at --attack-max; the duration only bounds it, long
	// enough for the first password checks on a loaded machine.
	err := run(context.Background(), []string{"cellchat", "loadtest", "--url", url, "--clients", "2", "--duration", "8s",
		"--questions", "../../eval/questions.yaml", "--attack", "audit-flood", "--attack-max", "200", "--attack-email", attackStaff,
		"--verify-log", data, "--json"}, &cli{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &out, stderr: &errOut})
	if err != nil {
		t.Fatalf("loadtest: %v\n%s%s", err, out.String(), errOut.String())
	}
	var res struct {
		Attack *loadtest.AttackResult
		Audit  *auditCount
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	a := res.Attack
	if a == nil || res.Audit == nil {
		t.Fatalf("no attack or audit in the report:\n%s", out.String())
	}
	t.Logf("audit-flood: %+v; audit %+v", *a, *res.Audit)
	if a.Attempts < 20 || a.Outcomes["http:429-locked"] == 0 || a.Through > 3 {
		t.Errorf("attack %+v: want many attempts, refused with 429 after at most 3 checked", *a)
	}
	if res.Audit.Rows > 6 || res.Audit.Rows >= a.Attempts {
		t.Errorf("%d audit rows for %d attempts: want a few merged rows", res.Audit.Rows, a.Attempts)
	}
	if res.Audit.Events < a.Attempts-a.Outcomes["error"] {
		t.Errorf("audit rows record %d events for %d attempts", res.Audit.Events, a.Attempts)
	}
}

// TestAttackSlowBody: past the per-IP connection cap connections are cut
// unanswered; the rest get 408 when the body timeout passes, and none is
// still held when the run ends.
func TestAttackSlowBody(t *testing.T) {
	url, _ := serveForAttack(t, "--body-timeout", "500ms", "--max-conns-per-ip", "10")
	a := attackRun(t, url, loadtest.Attack{Name: "slow-body", Max: 20, Concurrency: 20, ByteEvery: 100 * time.Millisecond}, 3*time.Second).Attack
	if a.Attempts != 20 || a.Outcomes["http:408"] == 0 || a.Outcomes["cut"] == 0 || a.Through != 0 {
		t.Errorf("attack %+v: want 20 attempts, some 408, some cut, none held", *a)
	}
}

// TestAttackSocketHog: one address holds at most --max-sockets-per-ip
// sockets (the clients' two among them); the rest are refused with 429.
func TestAttackSocketHog(t *testing.T) {
	url, _ := serveForAttack(t, "--max-sockets-per-ip", "6")
	a := attackRun(t, url, loadtest.Attack{Name: "socket-hog", Max: 20, Concurrency: 5}, 2*time.Second).Attack
	if a.Attempts != 20 || a.Through != 4 || a.Outcomes["held"] != 4 || a.Outcomes["http:429"] != 16 {
		t.Errorf("attack %+v: want 4 sockets held and 16 refused with 429", *a)
	}
}

func TestAttackRefusesNonLoopback(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"ws://127.0.0.1:8080/ws", "ws://127.3.4.5:1/ws", "ws://[::1]:8080/ws", "ws://localhost:8080/ws"} {
		if err := loadtest.CheckLoopback(ctx, u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	for _, u := range []string{"ws://10.0.0.1:8080/ws", "ws://192.0.2.7/ws", "ws://[2001:db8::1]/ws", "ws://chat.example.org/ws", "ws://0.0.0.0:8080/ws"} {
		err := loadtest.CheckLoopback(ctx, u)
		if err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("%s: err = %v, want a refusal naming loopback", u, err)
		}
		if _, err := loadtest.Run(ctx, loadtest.Config{URL: u, Clients: 1, Duration: time.Second, Questions: attackQuestions,
			Attack: &loadtest.Attack{Name: "socket-hog"}}); err == nil {
			t.Errorf("Run attacked %s", u)
		}
	}
	err := run(ctx, []string{"cellchat", "loadtest", "--url", "ws://192.0.2.7:8080/ws", "--attack", "signin-burst"},
		&cli{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("loadtest against 192.0.2.7: err = %v, want a usage error naming loopback", err)
	}
	if _, err := loadtest.Run(ctx, loadtest.Config{URL: "ws://127.0.0.1:1/ws", Clients: 1, Duration: time.Second, Questions: attackQuestions,
		Attack: &loadtest.Attack{Name: "fork-bomb"}}); err == nil {
		t.Error("unknown attack accepted")
	}
}
