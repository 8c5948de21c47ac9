package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cellchat/cellchat/chat"
)

func TestWriteTextShowsFailingCases(t *testing.T) {
	rep, _ := runMetricsSet(t)
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"metrics: 5 of 11 cases passed",
		"retrieval_hit@3", "0.667",
		"per tag:", "safety",
		"- miss [retrieval]",
		`expected: kind answer; evidence any of ["leukapheresis"]`,
		"got:      answer: Something else [1].",
		"FAIL evidence:",
		"retrieved #1", // top retrieved passages of a failing turn
		"- conversation",
		"turn 2: q-side-effects",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "- hit-at-2") {
		t.Error("a passing case is listed as failing")
	}
}

func TestWriteHTMLSelfContained(t *testing.T) {
	s, err := Parse("x.yaml", []byte(`name: "<b>set</b>"
cases:
  - id: xss
    tags: [injection]
    ask: "<script>alert(1)</script> What is CAR-T?"
    expect: {kind: answer, evidence: ["chimeric"]}
  - id: fine
    tags: [basics]
    ask: hi
    expect: {kind: greeting}
`))
	if err != nil {
		t.Fatal(err)
	}
	fa := &fakeAnswerer{replies: map[string]chat.Reply{
		"<script>alert(1)</script> What is CAR-T?": answer(`<img src="https://evil.example/x.png" onerror="alert(2)">`, []string{"docC:<a href='http://evil.example'>T cells</a>"}, "<iframe src=x>"),
		"hi": kindReply(chat.KindGreeting),
	}}
	rep, err := Run(context.Background(), fa, []*Set{s}, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := *rep
	base.Results = []CaseResult{{ID: "xss", Passed: true}, {ID: "fine", Passed: true}}
	cmp := Compare(&base, rep)
	var buf bytes.Buffer
	if err := rep.WriteHTML(&buf, &cmp); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"<svg", "latency histogram", "pass rate per tag", "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=", "Newly failing: xss", "Failing cases (1)", "kind_accuracy"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	// Nothing to fetch: no scripts, stylesheets, images or frames from
	// anywhere, and none of the injected markup as live markup.
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script`),
		regexp.MustCompile(`(?i)<(img|iframe|link|a)\b`),
		regexp.MustCompile(`(?i)\b(src|href)\s*=\s*["']?(https?:)?//`),
		regexp.MustCompile(`(?i)url\(|@import`),
	} {
		if m := bad.FindString(page); m != "" {
			t.Errorf("HTML report is not self-contained or escapes badly: found %q", m)
		}
	}
}

func TestCompare(t *testing.T) {
	pass, fail := 1.0, 0.5
	base := &Report{Name: "old", Metrics: Metrics{PassRate: &pass}, Results: []CaseResult{
		{ID: "a", Passed: true}, {ID: "b", Passed: false}, {ID: "c", Passed: true}, {ID: "gone", Passed: true},
	}}
	cur := &Report{Name: "new", Metrics: Metrics{PassRate: &fail, MRR: &pass}, Results: []CaseResult{
		{ID: "a", Passed: false}, {ID: "b", Passed: true}, {ID: "c", Passed: true}, {ID: "fresh", Passed: false},
	}}
	c := Compare(base, cur)
	if !slices.Equal(c.NewlyFailing, []string{"a"}) || !slices.Equal(c.NewlyPassing, []string{"b"}) ||
		!slices.Equal(c.Added, []string{"fresh"}) || !slices.Equal(c.Removed, []string{"gone"}) {
		t.Errorf("comparison = %+v", c)
	}
	var buf bytes.Buffer
	if err := c.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"compared with old", "pass_rate", "-0.500 (worse)", "mrr", "n/a", "newly failing (1): a", "newly passing (1): b", "new cases (1): fresh", "cases no longer in the set (1): gone"} {
		if !strings.Contains(out, want) {
			t.Errorf("comparison text lacks %q:\n%s", want, out)
		}
	}
}

func TestThresholds(t *testing.T) {
	hit, lat := 0.8, 12.0
	m := Metrics{RetrievalHit3: &hit, LatencyP95Ms: &lat}
	parse := func(s string, max bool) Threshold {
		th, err := ParseThreshold(s, max)
		if err != nil {
			t.Fatal(err)
		}
		return th
	}
	if err := Check(m, []Threshold{parse("retrieval_hit@3=0.8", false), parse("latency_p95_ms=20", true)}); err != nil {
		t.Errorf("met thresholds fail: %v", err)
	}
	err := Check(m, []Threshold{parse("retrieval_hit@3=0.9", false), parse("latency_p95_ms=10", true), parse("mrr=0.1", false)})
	if err == nil {
		t.Fatal("unmet thresholds pass")
	}
	for _, want := range []string{"--min retrieval_hit@3=0.9", "is 0.800", "--max latency_p95_ms=10", "mrr is null (no eligible turns)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	for _, bad := range []string{"recall=0.5", "mrr", "mrr=high", "=1"} {
		if _, err := ParseThreshold(bad, false); err == nil {
			t.Errorf("ParseThreshold(%q) accepted", bad)
		}
	}
}

func TestReadReport(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	rep, _ := runMetricsSet(t)
	f, _ := os.Create(good)
	rep.WriteJSON(f)
	f.Close()
	back, err := ReadReport(good)
	if err != nil || back.Cases != rep.Cases {
		t.Fatalf("ReadReport = %+v, %v", back, err)
	}
	for name, content := range map[string]string{"broken.json": "{not json", "other.json": `{"foo": 1}`} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		if _, err := ReadReport(p); !IsParseError(err) {
			t.Errorf("%s: err = %v, want a ParseError", name, err)
		}
	}
}

// fakeServer speaks POST /api/ask as issue 5 describes, keeping
// conversations by id, and records what it was sent.
type fakeServer struct {
	mu       sync.Mutex
	requests []askRequest
	convs    map[string]int
	limited  int // rate-limit answers given so far
}

func (s *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/ask" || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, `{"type":"error","code":"bad_request","message":"wrong method, path or content type"}`, http.StatusBadRequest)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var req askRequest
	if err := json.Unmarshal(body, &req); err != nil || req.Question == "" {
		http.Error(w, `{"type":"error","code":"bad_request","message":"bad body"}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	if s.convs == nil {
		s.convs = map[string]int{}
	}
	conv := req.ConversationID
	if _, ok := s.convs[conv]; !ok || conv == "" {
		conv = "conv-" + string(rune('a'+len(s.convs)))
	}
	s.convs[conv]++
	turn := s.convs[conv]
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.Contains(req.Question, "overload"):
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"type":"error","id":"","code":"busy","message":"too many questions"}`))
	case strings.Contains(req.Question, "rate") && s.limited < 2:
		s.limited++
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"type":"error","id":"","code":"busy","message":"too many questions"}`))
	case strings.Contains(req.Question, "side effects") && turn == 1:
		// A follow-up asked without its conversation cannot be resolved.
		json.NewEncoder(w).Encode(map[string]any{"type": "answer", "id": "", "answer_id": "x", "conversation_id": conv, "kind": "no_answer", "text": "Which treatment do you mean?", "citations": []any{}, "disclaimer": disclaimer})
	case strings.Contains(req.Question, "side effects"):
		json.NewEncoder(w).Encode(map[string]any{"type": "answer", "id": "", "answer_id": "y", "conversation_id": conv, "kind": "answer",
			"text": "It can cause cytokine release syndrome [1].", "disclaimer": disclaimer,
			"citations": []map[string]any{{"n": 1, "doc_id": "curio-what-is-car-t", "title": "What is CAR-T", "url": "", "section": "", "passage": "including cytokine release syndrome (CRS)"}}})
	default:
		json.NewEncoder(w).Encode(map[string]any{"type": "answer", "id": "", "answer_id": "z", "conversation_id": conv, "kind": "answer",
			"text": "CAR-T is a therapy [1].", "disclaimer": disclaimer,
			"citations": []map[string]any{{"n": 1, "doc_id": "curio-what-is-car-t", "title": "What is CAR-T", "passage": "chimeric antigen receptor"}}})
	}
}

func TestRemote(t *testing.T) {
	fs := &fakeServer{}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	remote, err := NewRemote(srv.URL+"/", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	remote.MaxRetries = 2
	s, err := Parse("r.yaml", []byte(`cases:
  - id: follow-up
    turns:
      - ask: What is CAR-T therapy?
        expect: {kind: answer, evidence: ["chimeric antigen receptor"]}
      - ask: What are its side effects?
        expect: {kind: answer, evidence: ["cytokine release syndrome"], sources: [curio-what-is-car-t]}
  - id: fresh-conversation
    ask: What are its side effects?
    expect: {kind: no_answer}
  - id: server-error
    ask: overload please
    expect: {kind: answer}
  - id: rate-limited-twice
    ask: What is CAR-T? (rate limited at first)
    expect: {kind: answer}
`))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), remote, []*Set{s}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 3 + the busy question asked 3 times + the limited one 3 times.
	if len(fs.requests) != 9 {
		t.Fatalf("server got %d requests", len(fs.requests))
	}
	if fs.requests[0].ConversationID != "" || fs.requests[1].ConversationID != "conv-a" || fs.requests[2].ConversationID != "" {
		t.Errorf("conversation ids sent = %q, %q, %q; want follow-up in the first conversation, a new case in a new one",
			fs.requests[0].ConversationID, fs.requests[1].ConversationID, fs.requests[2].ConversationID)
	}
	if !rep.Results[0].Passed || !rep.Results[1].Passed || !rep.Results[3].Passed {
		t.Errorf("results = %+v", rep.Results)
	}
	if f := rep.Results[2].Turns[0].Failures; len(f) != 1 || !strings.Contains(f[0], "503") || !strings.Contains(f[0], "busy: too many questions") {
		t.Errorf("server error failures = %q", f)
	}
	// The answer object carries no retrieved passages: retrieval metrics
	// are unknown (null), citation metrics are measured.
	wantNull(t, rep.Metrics, "retrieval_hit@1")
	wantNull(t, rep.Metrics, "mrr")
	wantMetric(t, rep.Metrics, "citation_hit", 1)
	if rep.Results[0].Turns[0].Retrieved != nil {
		t.Error("retrieved passages invented for a remote answer")
	}

	for _, bad := range []string{"", "ftp://x", "localhost:8080", "http://"} {
		if _, err := NewRemote(bad, nil); err == nil {
			t.Errorf("NewRemote(%q) accepted", bad)
		}
	}
}
