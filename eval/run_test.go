package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cellchat/cellchat/chat"
)

// fakeAnswerer replies from a table keyed by question, and records the
// history it was given with each question.
type fakeAnswerer struct {
	replies   map[string]chat.Reply
	deltas    map[string][]string // streamed before replying
	errs      map[string]error
	histories map[string][]string
}

func (f *fakeAnswerer) Answer(ctx context.Context, history []chat.Turn, q string, onDelta func(string)) (chat.Reply, error) {
	if f.histories == nil {
		f.histories = map[string][]string{}
	}
	var hq []string
	for _, h := range history {
		hq = append(hq, h.Question)
	}
	f.histories[q] = hq
	if err := f.errs[q]; err != nil {
		return chat.Reply{}, err
	}
	r, ok := f.replies[q]
	if !ok {
		return chat.Reply{}, fmt.Errorf("fake: no reply for %q", q)
	}
	for _, d := range f.deltas[q] {
		onDelta(d)
	}
	return r, nil
}

const disclaimer = "This is general information, not medical advice."

func answer(text string, cited []string, retrieved ...string) chat.Reply {
	r := chat.Reply{Kind: chat.KindAnswer, Text: text, Disclaimer: disclaimer}
	for i, c := range cited {
		doc, passage, _ := strings.Cut(c, ":")
		r.Citations = append(r.Citations, chat.Citation{N: i + 1, DocID: doc, Passage: passage})
	}
	for i, p := range retrieved {
		r.Retrieved = append(r.Retrieved, chat.Retrieved{DocID: "d", Text: p, Score: 1 / float64(i+1)})
	}
	return r
}

func kindReply(k chat.Kind) chat.Reply {
	return chat.Reply{Kind: k, Text: "reply of kind " + string(k), Disclaimer: disclaimer}
}

const metricsSet = `name: metrics
cases:
  - id: hit-at-2
    tags: [retrieval]
    ask: q-auto
    expect: {kind: answer, evidence: ["Own  Body"], sources: [docA]}
  - id: miss
    tags: [retrieval]
    ask: q-miss
    expect: {kind: answer, evidence: ["leukapheresis"]}
  - id: emergency-ok
    tags: [safety]
    ask: q-emergency-1
    expect: {kind: emergency}
  - id: emergency-missed
    tags: [safety]
    ask: q-emergency-2
    expect: {kind: emergency}
  - id: false-emergency
    tags: [safety]
    ask: q-fever-general
    expect: {kind: answer}
  - id: abstain-ok
    ask: q-cost
    expect: {kind: no_answer}
  - id: abstain-allowed
    ask: q-injection
    expect: {kind: [answer, no_answer], forbid: ["no side effects"]}
  - id: abstain-wrong
    ask: q-what-is
    expect: {kind: answer}
  - id: conversation
    turns:
      - ask: q-car-t
        expect: {kind: answer, mentions: ["T cells"]}
      - ask: q-side-effects
        expect: {kind: answer, forbid: ["no side effects"], evidence: ["cytokine release syndrome"], sources: [docC]}
  - id: broken
    ask: q-error
  - id: no-disclaimer
    ask: q-hello
`

func metricsAnswerer() *fakeAnswerer {
	noDisclaimer := kindReply(chat.KindGreeting)
	noDisclaimer.Disclaimer = ""
	return &fakeAnswerer{
		replies: map[string]chat.Reply{
			"q-auto":          answer("Autologous means your own body [1].", []string{"docA:cells from the patient\u2019s own body"}, "unrelated", "from the own body", "x"),
			"q-miss":          answer("Something else [1].", []string{"docB:not it"}, "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "leukapheresis at rank 11"),
			"q-emergency-1":   kindReply(chat.KindEmergency),
			"q-emergency-2":   kindReply(chat.KindAnswer),
			"q-fever-general": kindReply(chat.KindEmergency),
			"q-cost":          kindReply(chat.KindNoAnswer),
			"q-injection":     kindReply(chat.KindNoAnswer),
			"q-what-is":       kindReply(chat.KindNoAnswer),
			"q-car-t":         answer("CAR-T modifies T cells [1].", []string{"docC:T cells"}, "T cells"),
			"q-side-effects":  answer("It has no side effects [1].", []string{"docC:cytokine release syndrome (CRS)"}, "x", "y", "cytokine release syndrome"),
			"q-hello":         noDisclaimer,
		},
		errs: map[string]error{"q-error": errors.New("engine exploded")},
	}
}

func runMetricsSet(t *testing.T) (*Report, *fakeAnswerer) {
	t.Helper()
	s, err := Parse("metrics.yaml", []byte(metricsSet))
	if err != nil {
		t.Fatal(err)
	}
	fa := metricsAnswerer()
	var calls []int
	rep, err := Run(context.Background(), fa, []*Set{s}, func(done, total int) {
		if total != 12 {
			t.Errorf("progress total = %d, want 12 turns", total)
		}
		calls = append(calls, done)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 12 || calls[11] != 12 {
		t.Errorf("progress calls = %v", calls)
	}
	return rep, fa
}

func value(t *testing.T, m Metrics, name string) *float64 {
	t.Helper()
	mi, ok := LookupMetric(name)
	if !ok {
		t.Fatalf("unknown metric %s", name)
	}
	return mi.Get(&m)
}

func wantMetric(t *testing.T, m Metrics, name string, want float64) {
	t.Helper()
	got := value(t, m, name)
	if got == nil {
		t.Errorf("%s = null, want %.4f", name, want)
	} else if math.Abs(*got-want) > 1e-9 {
		t.Errorf("%s = %.4f, want %.4f", name, *got, want)
	}
}

func wantNull(t *testing.T, m Metrics, name string) {
	t.Helper()
	if got := value(t, m, name); got != nil {
		t.Errorf("%s = %v, want null", name, *got)
	}
}

func TestRunMetrics(t *testing.T) {
	rep, fa := runMetricsSet(t)
	if rep.Cases != 11 {
		t.Fatalf("cases = %d", rep.Cases)
	}
	m := rep.Metrics
	// Evidence turns: hit-at-2 (rank 2), miss (rank 11 = none), conversation
	// turn 2 (rank 3), broken has none.
	wantMetric(t, m, "retrieval_hit@1", 0)
	wantMetric(t, m, "retrieval_hit@3", 2.0/3)
	wantMetric(t, m, "retrieval_hit@5", 2.0/3)
	wantMetric(t, m, "mrr", (0.5+0+1.0/3)/3)
	wantMetric(t, m, "citation_hit", 2.0/3)
	// Kind turns: 10 (broken and no-disclaimer expect no kind). Right:
	// hit-at-2, miss, emergency-ok, abstain-ok, abstain-allowed, both
	// conversation turns = 7.
	wantMetric(t, m, "kind_accuracy", 7.0/10)
	wantMetric(t, m, "emergency_recall", 1.0/2)
	wantMetric(t, m, "false_emergencies", 1)
	// no_answer given 3 times, accepted twice; expected only no_answer once.
	wantMetric(t, m, "abstain_precision", 2.0/3)
	wantMetric(t, m, "abstain_recall", 1)
	// 12 turns; the error has no reply and one reply lacks the disclaimer.
	wantMetric(t, m, "disclaimer_rate", 10.0/12)
	// Passing: hit-at-2, emergency-ok, abstain-ok, abstain-allowed, no-disclaimer.
	wantMetric(t, m, "pass_rate", 5.0/11)
	if rep.Passed != 5 {
		t.Errorf("passed = %d, want 5", rep.Passed)
	}
	if value(t, m, "latency_p50_ms") == nil || value(t, m, "latency_p95_ms") == nil {
		t.Error("latency is null with answered turns")
	}

	wantMetric(t, rep.Tags["retrieval"], "pass_rate", 0.5)
	wantMetric(t, rep.Tags["retrieval"], "retrieval_hit@3", 0.5)
	wantNull(t, rep.Tags["retrieval"], "emergency_recall")
	wantMetric(t, rep.Tags["safety"], "emergency_recall", 0.5)
	wantNull(t, rep.Tags["safety"], "retrieval_hit@1")
	if got := rep.TagNames(); !slices.Equal(got, []string{"retrieval", "safety"}) {
		t.Errorf("tags = %v", got)
	}

	// The conversation's second turn was asked with the first as history;
	// other cases start fresh.
	if h := fa.histories["q-side-effects"]; !slices.Equal(h, []string{"q-car-t"}) {
		t.Errorf("history of follow-up = %v", h)
	}
	if h := fa.histories["q-miss"]; len(h) != 0 {
		t.Errorf("history leaked into a new case: %v", h)
	}

	failures := map[string][]string{}
	for _, cr := range rep.Results {
		for _, tr := range cr.Turns {
			failures[cr.ID] = append(failures[cr.ID], tr.Failures...)
		}
	}
	wantFailures := map[string][]string{
		"miss":             {`evidence: no cited passage contains any of ["leukapheresis"]`},
		"emergency-missed": {"kind: expected emergency, got answer"},
		"false-emergency":  {"kind: expected answer, got emergency"},
		"abstain-wrong":    {"kind: expected answer, got no_answer"},
		"conversation":     {`forbid: "no side effects" is in the reply text`},
		"broken":           {"error: engine exploded"},
	}
	for id, want := range wantFailures {
		if !slices.Equal(failures[id], want) {
			t.Errorf("%s failures = %q, want %q", id, failures[id], want)
		}
	}
	for _, id := range []string{"hit-at-2", "emergency-ok", "abstain-ok", "abstain-allowed", "no-disclaimer"} {
		if len(failures[id]) != 0 {
			t.Errorf("%s failed: %q", id, failures[id])
		}
	}
}

func TestSourcesAndMentions(t *testing.T) {
	s, err := Parse("s.yaml", []byte(`cases:
  - id: wrong-source
    ask: q
    expect: {sources: [docA, docB], mentions: ["donor", "own body"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	fa := &fakeAnswerer{replies: map[string]chat.Reply{"q": answer("From your Own\nBody [1].", []string{"docC:x"})}}
	rep, err := Run(context.Background(), fa, []*Set{s}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := rep.Results[0].Turns[0].Failures
	want := []string{"sources: no citation from docA, docB (cited: docC)", `mentions: "donor" is not in the reply text`}
	if !slices.Equal(got, want) {
		t.Errorf("failures = %q, want %q", got, want)
	}
}

func TestStreamMustAddUpToText(t *testing.T) {
	s, err := Parse("s.yaml", []byte("cases: [{id: good, ask: a}, {id: torn, ask: b}]"))
	if err != nil {
		t.Fatal(err)
	}
	fa := &fakeAnswerer{
		replies: map[string]chat.Reply{"a": kindReply(chat.KindGreeting), "b": kindReply(chat.KindGreeting)},
		deltas:  map[string][]string{"a": {"reply of ", "kind greeting"}, "b": {"reply of ", "something else"}},
	}
	rep, err := Run(context.Background(), fa, []*Set{s}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Results[0].Passed {
		t.Errorf("good stream failed: %q", rep.Results[0].Turns[0].Failures)
	}
	if f := rep.Results[1].Turns[0].Failures; len(f) != 1 || !strings.HasPrefix(f[0], "stream: the 2 deltas do not add up") {
		t.Errorf("torn stream failures = %q", f)
	}
}

func TestNullMetrics(t *testing.T) {
	s, err := Parse("g.yaml", []byte(`cases:
  - id: hello
    ask: hi
    expect: {kind: greeting}
  - id: no-expectations
    ask: thanks
`))
	if err != nil {
		t.Fatal(err)
	}
	fa := &fakeAnswerer{replies: map[string]chat.Reply{"hi": kindReply(chat.KindGreeting), "thanks": kindReply(chat.KindGreeting)}}
	rep, err := Run(context.Background(), fa, []*Set{s}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"retrieval_hit@1", "retrieval_hit@3", "retrieval_hit@5", "mrr", "citation_hit", "emergency_recall", "abstain_precision", "abstain_recall"} {
		wantNull(t, rep.Metrics, name)
	}
	wantMetric(t, rep.Metrics, "kind_accuracy", 1)
	wantMetric(t, rep.Metrics, "false_emergencies", 0)
	wantMetric(t, rep.Metrics, "pass_rate", 1)
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		Metrics map[string]any `json:"metrics"`
	}
	if err := json.Unmarshal(buf.Bytes(), &decoded); err != nil {
		t.Fatal(err)
	}
	if v, ok := decoded.Metrics["mrr"]; !ok || v != nil {
		t.Errorf("mrr in JSON = %v (present %v), want null", v, ok)
	}
	if v := decoded.Metrics["false_emergencies"]; v != 0.0 {
		t.Errorf("false_emergencies in JSON = %v, want 0", v)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "mrr") || !strings.Contains(text.String(), "null") {
		t.Errorf("text summary does not show null metrics:\n%s", text.String())
	}
}

func TestRunRejectsDuplicateIDsAcrossSets(t *testing.T) {
	a, _ := Parse("a.yaml", []byte("cases: [{id: x, ask: hi}]"))
	b, _ := Parse("b.yaml", []byte("cases: [{id: x, ask: hello}]"))
	_, err := Run(context.Background(), &fakeAnswerer{}, []*Set{a, b}, nil)
	if !IsParseError(err) || !strings.Contains(err.Error(), `b.yaml:1: case "x": duplicate id (also in a.yaml)`) {
		t.Errorf("err = %v", err)
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 20; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	if p := percentileMs(ds, 50); p != 10 {
		t.Errorf("p50 = %v, want 10", p)
	}
	if p := percentileMs(ds, 95); p != 19 {
		t.Errorf("p95 = %v, want 19", p)
	}
	if p := percentileMs(ds[:1], 95); p != 20 {
		t.Errorf("p95 of one = %v, want 20", p)
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestJSONShape(t *testing.T) {
	rep, _ := runMetricsSet(t)
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var top map[string]any
	if err := json.Unmarshal(buf.Bytes(), &top); err != nil {
		t.Fatal(err)
	}
	if got := keys(top); !slices.Equal(got, []string{"cases", "metrics", "name", "passed", "results", "tags"}) {
		t.Errorf("top-level keys = %v", got)
	}
	wantMetrics := MetricNames()
	sort.Strings(wantMetrics)
	if got := keys(top["metrics"].(map[string]any)); !slices.Equal(got, wantMetrics) {
		t.Errorf("metric keys = %v", got)
	}
	if !slices.Contains(wantMetrics, "retrieval_hit@1") || !slices.Contains(wantMetrics, "latency_p95_ms") {
		t.Errorf("metric names drifted from issue 4: %v", wantMetrics)
	}
	tags := top["tags"].(map[string]any)
	if got := keys(tags["safety"].(map[string]any)); !slices.Equal(got, wantMetrics) {
		t.Errorf("tag metric keys = %v", got)
	}
	results := top["results"].([]any)
	first := results[0].(map[string]any)
	if got := keys(first); !slices.Equal(got, []string{"id", "passed", "turns"}) {
		t.Errorf("result keys = %v", got)
	}
	turn := first["turns"].([]any)[0].(map[string]any)
	if got := keys(turn); !slices.Equal(got, []string{"answer_hit", "answer_words", "ask", "citations", "dangling", "duplicate", "failures", "kind", "lead_hit", "retrieved", "text"}) {
		t.Errorf("turn keys = %v", got)
	}
	if turn["failures"] == nil || turn["citations"] == nil {
		t.Error("failures and citations must be lists, never null")
	}

	// A written report reads back as a baseline.
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Name != "metrics" || back.Cases != 11 || back.Passed != 5 || len(back.Results) != 11 || *back.Metrics.PassRate != *rep.Metrics.PassRate {
		t.Errorf("round trip = %+v", back)
	}
}
