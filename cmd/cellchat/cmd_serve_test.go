package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellchat/cellchat/transcript"
	"github.com/gorilla/websocket"
)

// lockedBuffer is a goroutine-safe log sink.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveInProcess runs `cellchat serve` on a free port with the real
// engine and transcript store and returns its address and a stop func that
// shuts it down (as SIGTERM would) and returns runServe's error.
func serveInProcess(t *testing.T, data string, env map[string]string, args ...string) (addr string, logs *lockedBuffer, stop func() error) {
	t.Helper()
	logs = &lockedBuffer{}
	c := &cli{getenv: func(k string) string { return env[k] }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	all := append([]string{"--addr", "127.0.0.1:0", "--corpus", "../../corpus", "--data", data}, args...)
	go func() { done <- runServe(ctx, c, all) }()
	deadline := time.Now().Add(2 * time.Minute)
	for addr == "" {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve exited before serving: %v\n%s", err, logs)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start:\n%s", logs)
		}
		for _, line := range strings.Split(logs.String(), "\n") {
			var l struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "serving" {
				addr = l.Addr
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	var once sync.Once
	var stopErr error
	stop = func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	t.Cleanup(func() { stop() })
	return addr, logs, stop
}

func TestServeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes the real corpus (skipped with -short)")
	}
	data := t.TempDir()
	// More sockets allowed than any open-file limit here: serve says so.
	addr, logs, stop := serveInProcess(t, data, map[string]string{"CELLCHAT_MAX_QUESTION_CHARS": "300"}, "--log-level", "warn", "--debug-addr", "127.0.0.1:0", "--max-sockets", "1000000000")
	if !strings.Contains(logs.String(), "the open-file limit is under --max-sockets") {
		t.Errorf("no warning about the open-file limit:\n%s", logs)
	}

	// The profiler is on its own listener, not on the public one.
	var debugAddr string
	for _, line := range strings.Split(logs.String(), "\n") {
		var l struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "profiler" {
			debugAddr = l.Addr
		}
	}
	for base, want := range map[string]int{debugAddr: 200, addr: 404} {
		resp, err := http.Get("http://" + base + "/debug/pprof/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s/debug/pprof/ = %d, want %d", base, resp.StatusCode, want)
		}
	}

	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/": 200, "/widget.js": 200, "/staff/": 303} {
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}

	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	read := func() map[string]any {
		t.Helper()
		ws.SetReadDeadline(time.Now().Add(30 * time.Second))
		var f map[string]any
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("read: %v", err)
		}
		return f
	}
	hello := read()
	conv, _ := hello["conversation_id"].(string)
	if hello["type"] != "hello" || len(conv) != 32 || hello["disclaimer"] == "" {
		t.Fatalf("hello = %v", hello)
	}
	answerOf := func(id, text string) map[string]any {
		t.Helper()
		ws.WriteJSON(map[string]string{"type": "ask", "id": id, "text": text})
		for {
			f := read()
			if f["type"] == "delta" {
				continue
			}
			if f["id"] != id {
				t.Fatalf("frame for another ask: %v", f)
			}
			return f
		}
	}
	a := answerOf("c1", "What is CAR-T cell therapy?")
	cites, _ := a["citations"].([]any)
	if a["type"] != "answer" || a["kind"] != "answer" || len(cites) == 0 || a["disclaimer"] == "" {
		t.Fatalf("answer = %v", a)
	}
	followUp := answerOf("c2", "What are its side effects?")
	if followUp["type"] != "answer" || !strings.Contains(strings.ToLower(followUp["text"].(string)), "cytokine") {
		t.Errorf("follow-up did not use the conversation: %v", followUp["text"])
	}
	tooLong := answerOf("c3", strings.Repeat("why ", 100)) // CELLCHAT_MAX_QUESTION_CHARS=300
	if tooLong["type"] != "error" || tooLong["code"] != "too_large" {
		t.Errorf("long question: %v", tooLong)
	}
	ws.WriteJSON(map[string]string{"type": "feedback", "answer_id": a["answer_id"].(string), "rating": "up", "comment": "clear"})
	if ack := read(); ack["type"] != "ack" {
		t.Errorf("feedback: %v", ack)
	}

	resp, err := http.Post("http://"+addr+"/api/ask", "application/json", strings.NewReader(`{"question":"What is cytokine release syndrome?"}`))
	if err != nil {
		t.Fatal(err)
	}
	var api map[string]any
	json.NewDecoder(resp.Body).Decode(&api)
	resp.Body.Close()
	if resp.StatusCode != 200 || api["kind"] != "answer" || api["conversation_id"] == "" {
		t.Errorf("/api/ask: %d %v", resp.StatusCode, api)
	}
	// The first question of a new conversation, asked before: the reply
	// comes from the cache, under an answer id of its own.
	resp, err = http.Post("http://"+addr+"/api/ask", "application/json", strings.NewReader(`{"question":"What is CAR-T cell therapy?"}`))
	if err != nil {
		t.Fatal(err)
	}
	var again map[string]any
	json.NewDecoder(resp.Body).Decode(&again)
	resp.Body.Close()
	if again["text"] != a["text"] || again["answer_id"] == a["answer_id"] {
		t.Errorf("asked again: %v, first %v", again, a)
	}
	resp, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`cellchat_answers_total{kind="answer"} 4`, "cellchat_reply_cache_hits_total 1\n", "cellchat_transcript_records_total 4\n"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}

	// eval --server scores this real server through /api/ask: follow-ups
	// keep their conversation, and retrieval is scored from the passages
	// the API returns (a null retrieval metric would fail --min).
	dir := t.TempDir()
	set := writeFile(t, dir, "server-set.yaml", `name: against-serve
cases:
  - id: car-t-follow-up
    turns:
      - ask: What is CAR-T therapy?
        expect: {kind: answer, evidence: ["chimeric antigen receptor"]}
      - ask: What are its side effects?
        expect: {kind: answer, evidence: ["cytokine release syndrome"]}
  - id: fever-now
    ask: I have a high fever since my CAR-T infusion yesterday
    expect: {kind: emergency}
`)
	jsonOut := filepath.Join(dir, "server-run.json")
	out, _, err := runEvalCLI(t, nil, set, "--server", "http://"+addr, "--json", jsonOut,
		"--min", "pass_rate=1", "--min", "retrieval_hit@5=1", "--min", "mrr=0.2")
	if err != nil {
		t.Errorf("eval --server against serve: %v\n%s", err, out)
	}
	var run struct {
		Results []struct {
			Turns []struct {
				Retrieved []map[string]any `json:"retrieved"`
			} `json:"turns"`
		} `json:"results"`
	}
	if data, err := os.ReadFile(jsonOut); err != nil || json.Unmarshal(data, &run) != nil || len(run.Results) != 2 || len(run.Results[0].Turns[0].Retrieved) == 0 {
		t.Errorf("eval --server JSON lacks the retrieved passages (%v): %+v", err, run)
	}

	// SIGTERM (context cancel) closes sockets with 1001 and returns cleanly.
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v\n%s", err, logs)
	}
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("socket after shutdown: %v, want close 1001", err)
	}
	if strings.Contains(logs.String(), `"level":"INFO","msg":"request"`) {
		t.Error("--log-level warn still logs requests")
	}

	// Every answer the client saw is in the log.
	store, err := transcript.Open(context.Background(), transcript.PathIn(data), transcript.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	recs, err := store.History(context.Background(), conv, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].AnswerID != a["answer_id"] || recs[1].AnswerID != followUp["answer_id"] {
		t.Errorf("logged turns = %+v", recs)
	}
}

func TestServeRejectsBadLimits(t *testing.T) {
	for _, args := range [][]string{
		{"--max-frame-bytes", "10"},
		{"--ping-interval", "2m", "--read-timeout", "1m"},
		{"--allowed-origins", "clinic.example"},
		{"--log-level", "loud"},
		{"extra-argument"},
		{"--reply-cache", "-1"},
		{"--llm-min-support", "0"},
		{"--llm-min-support", "2"},
		{"--body-timeout", "-1s"},
		{"--max-conns-per-ip", "-1"},
		{"--max-sockets-per-ip", "-1"},
		{"--max-socket-lifetime", "-1s"},
	} {
		c := &cli{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
		err := runServe(context.Background(), c, append([]string{"--data", t.TempDir()}, args...))
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("serve %v: %v, want exit code 2", args, err)
		}
	}
	c := &cli{getenv: func(k string) string { return map[string]string{"CELLCHAT_CONN_RATE": "fast"}[k] }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	if err := runServe(context.Background(), c, nil); err == nil || !strings.Contains(err.Error(), "CELLCHAT_CONN_RATE") {
		t.Errorf("bad env value: %v", err)
	}
}

func TestServeMetricsAddr(t *testing.T) {
	addr, logs, _ := serveInProcess(t, t.TempDir(), nil, "--log-level", "warn", "--metrics-addr", "127.0.0.1:0")
	var metricsAddr string
	for _, line := range strings.Split(logs.String(), "\n") {
		var l struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "metrics" {
			metricsAddr = l.Addr
		}
	}
	if metricsAddr == "" {
		t.Fatalf("no metrics line in the log:\n%s", logs)
	}
	for base, want := range map[string]int{metricsAddr: 200, addr: 404} {
		resp, err := http.Get("http://" + base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s/metrics = %d, want %d", base, resp.StatusCode, want)
		}
	}
}

func TestServeRefusesEmptyOrForeignLog(t *testing.T) {
	for name, content := range map[string]string{
		"is empty":                      "",
		"not a cellchat transcript log": strings.Repeat("these are someone's notes, not a database\n", 200),
	} {
		data := t.TempDir()
		path := filepath.Join(data, "transcript.db")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		c := &cli{getenv: func(k string) string { return map[string]string{"CELLCHAT_ADDR": "127.0.0.1:0"}[k] }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
		err := runServe(context.Background(), c, []string{"--corpus", "../../corpus", "--data", data})
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), path) {
			t.Errorf("serve on a log that %s: %v", name, err)
		}
		if got, _ := os.ReadFile(path); string(got) != content {
			t.Errorf("serve changed the refused log that %s", name)
		}
	}
}

// Behind a proxy (--client-ip-header) without --secure-cookies, staff
// cookies go out without Secure: serve says so at start. With it, every
// response carries HSTS, for --hsts-max-age (a year unless set).
func TestServeSecureCookiesWarningAndHSTS(t *testing.T) {
	data := t.TempDir()
	warned := func(logs string) bool {
		for _, line := range strings.Split(logs, "\n") {
			var l struct{ Level, Msg string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Level == "WARN" && strings.Contains(l.Msg, "--secure-cookies") {
				return true
			}
		}
		return false
	}
	hsts := func(addr string) string {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("Strict-Transport-Security")
	}
	cases := []struct {
		name     string
		env      map[string]string
		args     []string
		wantWarn bool
		wantHSTS string
	}{
		{"proxy without secure cookies", nil, []string{"--client-ip-header", "X-Forwarded-For"}, true, ""},
		{"proxy with secure cookies", nil, []string{"--client-ip-header", "X-Forwarded-For", "--secure-cookies"}, false, "max-age=31536000"},
		{"no proxy", nil, nil, false, ""},
		{"max-age by env", map[string]string{"CELLCHAT_SECURE_COOKIES": "true", "CELLCHAT_HSTS_MAX_AGE": "24h"}, nil, false, "max-age=86400"},
		{"hsts off", nil, []string{"--secure-cookies", "--hsts-max-age", "0"}, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr, logs, stop := serveInProcess(t, data, tc.env, tc.args...)
			if got := warned(logs.String()); got != tc.wantWarn {
				t.Errorf("warning %v, want %v:\n%s", got, tc.wantWarn, logs)
			}
			if got := hsts(addr); got != tc.wantHSTS {
				t.Errorf("Strict-Transport-Security %q, want %q", got, tc.wantHSTS)
			}
			if err := stop(); err != nil {
				t.Error(err)
			}
		})
	}
}
