package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cellchat/cellchat/chat"
)

func TestLLMMetrics(t *testing.T) {
	s, err := Parse("llm.yaml", []byte(`cases:
  - {id: shown, ask: a}
  - {id: refused, ask: b}
  - {id: trimmed, ask: c}
  - {id: failed, ask: d}
  - {id: triage, ask: e}
`))
	if err != nil {
		t.Fatal(err)
	}
	shown := answer("Generated [1].", nil)
	shown.Mode = "llm:m"
	refused := answer("Quoted [1].", nil)
	refused.Mode, refused.Fallback, refused.Unsupported = "extractive", `unsupported: "x" (absolute "cures" not in [1])`, 2
	trimmed := answer("Generated [1].", nil)
	trimmed.Mode, trimmed.Unsupported = "llm:m", 1
	failed := answer("Quoted [1].", nil)
	failed.Mode, failed.Fallback = "extractive", "llm_timeout"
	triage := chat.Reply{Kind: chat.KindEmergency, Mode: "extractive", Text: "Call 911.", Disclaimer: disclaimer}
	a := &fakeAnswerer{replies: map[string]chat.Reply{"a": shown, "b": refused, "c": trimmed, "d": failed, "e": triage}}
	rep, err := Run(context.Background(), a, []*Set{s}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantMetric(t, rep.Metrics, "llm_rejected_rate", 0.5) // b and d of a, b, c, d
	wantMetric(t, rep.Metrics, "unsupported_sentences", 3)

	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		Metrics map[string]*float64 `json:"metrics"`
		Results []struct {
			Turns []map[string]any `json:"turns"`
		} `json:"results"`
	}
	if err := json.Unmarshal(js.Bytes(), &decoded); err != nil {
		t.Fatal(err)
	}
	if v := decoded.Metrics["llm_rejected_rate"]; v == nil || *v != 0.5 {
		t.Errorf("JSON llm_rejected_rate %v", v)
	}
	if turn := decoded.Results[1].Turns[0]; turn["fallback"] != refused.Fallback || turn["unsupported_sentences"] != 2.0 || turn["mode"] != "extractive" {
		t.Errorf("refused turn in JSON: %v", turn)
	}
	if turn := decoded.Results[4].Turns[0]; turn["mode"] != nil || turn["fallback"] != nil {
		t.Errorf("a turn without the model carries LLM fields: %v", turn)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	for _, want := range []string{"llm_rejected_rate      0.500", "unsupported_sentences  3 "} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text summary lacks %q:\n%s", want, text.String())
		}
	}
	if err := Check(rep.Metrics, []Threshold{threshold(t, "llm_rejected_rate=0.4", true)}); err == nil {
		t.Error("--max llm_rejected_rate=0.4 met at 0.5")
	}

	// Without a model, the figures are null and no threshold is met.
	a = &fakeAnswerer{replies: map[string]chat.Reply{"a": answer("Quoted [1].", nil), "b": triage, "c": triage, "d": triage, "e": triage}}
	rep, _ = Run(context.Background(), a, []*Set{s}, nil)
	wantNull(t, rep.Metrics, "llm_rejected_rate")
	wantNull(t, rep.Metrics, "unsupported_sentences")
	if err := Check(rep.Metrics, []Threshold{threshold(t, "unsupported_sentences=0", true)}); err == nil {
		t.Error("a null unsupported_sentences met a threshold")
	}
}

func threshold(t *testing.T, s string, max bool) Threshold {
	t.Helper()
	th, err := ParseThreshold(s, max)
	if err != nil {
		t.Fatal(err)
	}
	return th
}
