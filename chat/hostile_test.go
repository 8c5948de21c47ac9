package chat

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/cellchat/cellchat/internal/llmtest"
	"gopkg.in/yaml.v3"
)

// hostileCase is one reply of testdata/hostile.yaml.
type hostileCase struct {
	ID    string `yaml:"id"`
	What  string `yaml:"what"`
	Ask   string `yaml:"ask"`
	Reply string `yaml:"reply"`
}

type hostileCatalog struct {
	Unfaithful []hostileCase `yaml:"unfaithful"`
	Faithful   []hostileCase `yaml:"faithful"`
}

func loadHostileCatalog(t *testing.T) hostileCatalog {
	t.Helper()
	data, err := os.ReadFile("testdata/hostile.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c hostileCatalog
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("testdata/hostile.yaml: %v", err)
	}
	seen := map[string]bool{}
	for _, hc := range append(append([]hostileCase(nil), c.Unfaithful...), c.Faithful...) {
		if hc.ID == "" || hc.Ask == "" || hc.Reply == "" || seen[hc.ID] {
			t.Fatalf("testdata/hostile.yaml: case %q lacks an id, ask or reply, or repeats an id", hc.ID)
		}
		seen[hc.ID] = true
	}
	if len(c.Unfaithful) < 30 || len(c.Faithful) < 30 {
		t.Fatalf("the catalog has %d unfaithful and %d faithful replies, want at least 30 of each", len(c.Unfaithful), len(c.Faithful))
	}
	return c
}

// scriptedModel answers every prompt with the reply of the case being run,
// its "[@phrase]" citations numbered as the prompt numbered the passages.
type scriptedModel struct {
	mu      sync.Mutex
	reply   string
	missing []string
}

func (m *scriptedModel) answer(p llmtest.Prompt) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	text, missing := p.Cite(m.reply)
	m.missing = missing
	return text
}

func (m *scriptedModel) set(reply string) {
	m.mu.Lock()
	m.reply, m.missing = reply, nil
	m.mu.Unlock()
}

// TestHostileModel answers the catalog's questions through a fake model
// server of each wire format saying the catalog's replies: every
// unfaithful reply must be refused, and at least 90% of the faithful ones
// shown.
func TestHostileModel(t *testing.T) {
	catalog := loadHostileCatalog(t)
	for _, kind := range []string{"openai", "ollama"} {
		t.Run(kind, func(t *testing.T) {
			model := &scriptedModel{}
			var srv *llmtest.Server
			if kind == "openai" {
				srv = llmtest.NewOpenAI(t, model.answer)
			} else {
				srv = llmtest.NewOllama(t, model.answer)
			}
			env := srv.Env()
			m, name, err := LLMFromEnv(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			e := realEngine(t, Config{LLM: m, LLMName: name})
			run := func(hc hostileCase) (Reply, string) {
				t.Helper()
				model.set(hc.Reply)
				before := len(srv.Prompts())
				var streamed strings.Builder
				r, err := e.Answer(context.Background(), nil, hc.Ask, func(d string) { streamed.WriteString(d) })
				if err != nil {
					t.Fatalf("%s: %v", hc.ID, err)
				}
				if len(srv.Prompts()) != before+1 {
					t.Errorf("catalog: %s: the model was not asked %q (kind %s, reason %s): the case tests nothing", hc.ID, hc.Ask, r.Kind, r.Reason)
				}
				if model.missing != nil {
					t.Errorf("catalog: %s: no passage shown for %q holds %q", hc.ID, hc.Ask, model.missing)
				}
				return r, streamed.String()
			}

			rejected := 0
			for _, hc := range catalog.Unfaithful {
				r, streamed := run(hc)
				if r.Mode != "extractive" || r.Fallback == "" {
					t.Errorf("unfaithful %s (%s) shown: mode %q: %q", hc.ID, hc.What, r.Mode, r.Text)
					continue
				}
				// Nothing of the refused reply reaches the patient, not
				// even in the stream.
				if streamed != r.Text || strings.Contains(streamed, "[@") {
					t.Errorf("unfaithful %s: streamed %q, reply %q", hc.ID, streamed, r.Text)
				}
				rejected++
				t.Logf("refused %-28s %s", hc.ID, r.Fallback)
			}
			accepted := 0
			for _, hc := range catalog.Faithful {
				r, _ := run(hc)
				if strings.HasPrefix(r.Mode, "llm:") && r.Fallback == "" {
					accepted++
					continue
				}
				t.Logf("faithful %s refused: %s", hc.ID, r.Fallback)
			}
			rejectRate := float64(rejected) / float64(len(catalog.Unfaithful))
			acceptRate := float64(accepted) / float64(len(catalog.Faithful))
			t.Logf("unfaithful replies refused: %d of %d (%.3f); faithful replies shown: %d of %d (%.3f)",
				rejected, len(catalog.Unfaithful), rejectRate, accepted, len(catalog.Faithful), acceptRate)
			if rejectRate < 1 {
				t.Errorf("refused %.3f of the unfaithful replies, want all", rejectRate)
			}
			if acceptRate < 0.9 {
				t.Errorf("showed %.3f of the faithful replies, want at least 0.9", acceptRate)
			}
		})
	}
}
