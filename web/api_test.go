package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func postAsk(t testing.TB, ts *testServer, body string, header http.Header) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/ask", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /api/ask: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func TestAPIAskAnswersAndFollowsUp(t *testing.T) {
	ts := newTestServer(t, nil)
	status, body := postAsk(t, ts, `{"question":"What is CAR-T?"}`, nil)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var a struct {
		frame
		ConversationID string `json:"conversation_id"`
	}
	json.Unmarshal([]byte(body), &a)
	json.Unmarshal([]byte(body), &a.raw)
	if a.Type != "answer" || a.Kind != "answer" || !validID(a.AnswerID) || !validID(a.ConversationID) || len(a.Citations) != 2 || a.Disclaimer == "" {
		t.Fatalf("answer = %s", body)
	}
	for _, key := range []string{"type", "answer_id", "kind", "text", "citations", "disclaimer", "conversation_id"} {
		if _, ok := a.raw[key]; !ok {
			t.Errorf("answer lacks %q", key)
		}
	}
	if !ts.log.hasAnswer(a.AnswerID) {
		t.Error("answer not logged")
	}
	status, body = postAsk(t, ts, `{"question":"What are its side effects?","conversation_id":"`+a.ConversationID+`"}`, nil)
	var b struct {
		ConversationID string `json:"conversation_id"`
	}
	json.Unmarshal([]byte(body), &b)
	if status != http.StatusOK || b.ConversationID != a.ConversationID {
		t.Fatalf("follow-up: %d %s", status, body)
	}
	if h := ts.answerer.lastHistory(); len(h) != 1 || h[0].Question != "What is CAR-T?" {
		t.Errorf("follow-up history = %+v", h)
	}
	// The same conversation resumes over the websocket.
	c := ts.dial(t, "conversation="+a.ConversationID)
	if len(c.hello.History) != 2 {
		t.Errorf("websocket resume of an API conversation: %d turns, want 2", len(c.hello.History))
	}
	// An unknown conversation id starts a new one.
	_, body = postAsk(t, ts, `{"question":"What is CAR-T?","conversation_id":"nope"}`, nil)
	json.Unmarshal([]byte(body), &b)
	if !validID(b.ConversationID) || b.ConversationID == a.ConversationID {
		t.Errorf("unknown id: conversation %q", b.ConversationID)
	}
}

func TestAPIAskErrors(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MaxQuestionChars = 50; c.MaxBodyBytes = 512 })
	tests := []struct {
		name   string
		body   string
		header http.Header
		status int
		code   string
	}{
		{"invalid JSON", `{"question":`, nil, 400, codeBadRequest},
		{"wrong type", `{"question":42}`, nil, 400, codeBadRequest},
		{"empty question", `{"question":"  "}`, nil, 400, codeBadRequest},
		{"no question", `{}`, nil, 400, codeBadRequest},
		{"question too long", `{"question":"` + strings.Repeat("a", 51) + `"}`, nil, 413, codeTooLarge},
		{"body too large", `{"question":"` + strings.Repeat("a", 600) + `"}`, nil, 413, codeTooLarge},
		{"invalid UTF-8", "{\"question\":\"\xff\"}", nil, 400, codeBadRequest},
		{"foreign origin", `{"question":"What is CAR-T?"}`, http.Header{"Origin": {"https://evil.example"}}, 403, codeBadRequest},
		{"answerer fails", `{"question":"please fail"}`, nil, 500, codeInternal},
		{"answerer panics", `{"question":"please panic"}`, nil, 500, codeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postAsk(t, ts, tt.body, tt.header)
			var e frame
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("error body is not JSON: %s", body)
			}
			if status != tt.status || e.Type != "error" || e.Code != tt.code || e.Message == "" {
				t.Errorf("got %d %s, want %d %s", status, body, tt.status, tt.code)
			}
		})
	}
	if status, _ := postAsk(t, ts, `{"question":"What is CAR-T?"}`, nil); status != 200 {
		t.Errorf("after the errors: %d", status)
	}
}

func TestAPIAskBusyWhileDraining(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.srv.Shutdown(context.Background())
	status, body := postAsk(t, ts, `{"question":"What is CAR-T?"}`, nil)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, codeBusy) {
		t.Errorf("got %d %s, want 503 busy", status, body)
	}
}

func TestAPIAskCORS(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.AllowedOrigins = []string{"https://clinic.example"} })
	req, _ := http.NewRequest(http.MethodOptions, ts.URL+"/api/ask", nil)
	req.Header.Set("Origin", "https://clinic.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "https://clinic.example" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	req.Header.Set("Origin", "https://evil.example")
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign preflight: %d", resp.StatusCode)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	var notReady error
	ts := newTestServer(t, func(c *Config) {
		c.Ready = func(context.Context) error { return notReady }
	})
	if status, _, _ := httpGet(t, ts.URL+"/healthz"); status != 200 {
		t.Errorf("healthz = %d", status)
	}
	if status, body, _ := httpGet(t, ts.URL+"/readyz"); status != 200 {
		t.Errorf("readyz = %d %s", status, body)
	}
	notReady = errors.New("the index is empty")
	if status, body, _ := httpGet(t, ts.URL+"/readyz"); status != 503 || !strings.Contains(body, "index is empty") {
		t.Errorf("readyz without index = %d %s", status, body)
	}
	notReady = nil
	ts.log.mu.Lock()
	ts.log.failHistory = errors.New("database is closed")
	ts.log.mu.Unlock()
	if status, body, _ := httpGet(t, ts.URL+"/readyz"); status != 503 || !strings.Contains(body, "database is closed") {
		t.Errorf("readyz with a broken store = %d %s", status, body)
	}
}

func TestMetricsExposition(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t, "")
	c.askOK("c1", "What is CAR-T?")
	c.askOK("c2", "I can't breathe, emergency")
	postAsk(t, ts, `{"question":"What is CAR-T?"}`, nil)
	c.sendRaw(1, []byte("nope"))
	c.expectError("", codeBadRequest)
	_, body, hdr := httpGet(t, ts.URL+"/metrics")
	if !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Errorf("content type %q", hdr.Get("Content-Type"))
	}
	for _, want := range []string{
		`cellchat_answers_total{kind="answer"} 2`,
		`cellchat_answers_total{kind="emergency"} 1`,
		`cellchat_answer_duration_seconds_bucket{transport="ws",le="+Inf"} 2`,
		`cellchat_answer_duration_seconds_count{transport="http"} 1`,
		`cellchat_open_sockets 1`,
		`cellchat_errors_total{code="bad_request"} 1`,
		`cellchat_errors_total{code="rate_limited"} 0`,
		`cellchat_http_requests_total{code="200",route="/api/ask"} 1`,
		"go_goroutines ",
		"go_memstats_heap_alloc_bytes ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	c.ws.Close() // a socket's request is counted when it ends
	eventually(t, "the upgrade counted as 101", func() bool {
		return metricValue(t, ts, `cellchat_http_requests_total{code="101",route="/ws"}`) == 1
	})
}

func TestDemoPageAndWidgetServed(t *testing.T) {
	staff := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "staff:"+r.URL.Path) })
	ts := newTestServer(t, func(c *Config) { c.Staff = staff })
	status, body, hdr := httpGet(t, ts.URL+"/")
	if status != 200 || !strings.Contains(body, `src="/widget.js"`) || !strings.Contains(hdr.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("demo page: %d %q %v", status, body[:min(len(body), 200)], hdr)
	}
	status, body, hdr = httpGet(t, ts.URL+"/widget.js")
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/javascript") || !strings.Contains(body, "attachShadow") {
		t.Errorf("widget.js: %d %v", status, hdr)
	}
	if strings.Contains(body, ".innerHTML") {
		t.Error("widget.js uses innerHTML: all text must be rendered as text")
	}
	for _, path := range []string{"/staff", "/staff/", "/staff/conversations"} {
		if status, body, _ := httpGet(t, ts.URL+path); status != 200 || body != "staff:"+path {
			t.Errorf("GET %s: %d %q", path, status, body)
		}
	}
	if status, _, _ := httpGet(t, ts.URL+"/nope"); status != 404 {
		t.Errorf("unknown path: %d", status)
	}
}

func TestGeneratedAnswersNotShownAreLoggedAndCounted(t *testing.T) {
	logs := &logCapture{}
	ts := newTestServer(t, func(c *Config) { c.Logger = logs.logger(slog.LevelInfo) })
	c := ts.dial(t, "")
	c.askOK("c1", "What is CAR-T? (hostile model)")
	c.askOK("c2", "What is CAR-T? (timid model)")
	postAsk(t, ts, `{"question":"What is CAR-T? (careless model)"}`, nil)
	postAsk(t, ts, `{"question":"What is CAR-T? (hostile model)"}`, nil)
	for series, want := range map[string]float64{
		`cellchat_llm_rejected_total{reason="unsupported"}`: 2,
		`cellchat_llm_rejected_total{reason="llm_timeout"}`: 1,
		`cellchat_llm_rejected_total{reason="llm_error"}`:   0,
		`cellchat_llm_rejected_total{reason="other"}`:       0,
		`cellchat_llm_unsupported_sentences_total`:          5,
		`cellchat_answers_total{kind="answer"}`:             4,
	} {
		if got := metricValue(t, ts, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	out := logs.String()
	for _, want := range []string{
		`level=WARN msg="generated answer not shown; extractive answer sent"`,
		`fallback="unsupported: \"CAR-T therapy cures every cancer within one week.\" (absolute \"cures\" not in [1])"`,
		`fallback=llm_timeout`,
		`level=INFO msg="generated answer shown without its unsupported sentences"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "What is CAR-T") {
		t.Errorf("a patient's question was logged:\n%s", out)
	}
}

func TestRejectReason(t *testing.T) {
	for fallback, want := range map[string]string{
		`unsupported: "x" (y)`:                         "unsupported",
		"invalid_citation: [9]":                        "invalid_citation",
		"llm_error: Post http://x: connection refused": "llm_error",
		"llm_stalled":                                  "llm_stalled",
		"something new":                                "other",
	} {
		if got := rejectReason(fallback); got != want {
			t.Errorf("rejectReason(%q) = %q, want %q", fallback, got, want)
		}
	}
}

// logCapture keeps what a server logs, for tests to read while it runs.
type logCapture struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *logCapture) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logCapture) logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: level}))
}
