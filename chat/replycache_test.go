package chat

import (
	"context"
	"errors"
	"math"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/tmc/langchaingo/llms"
	"gopkg.in/yaml.v3"
)

// conversations are the question sets' cases as lists of questions.
func conversations(t *testing.T, paths ...string) [][]string {
	t.Helper()
	var out [][]string
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var set questionSet
		if err := yaml.Unmarshal(data, &set); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, c := range set.Cases {
			if c.Ask != "" {
				out = append(out, []string{c.Ask})
				continue
			}
			var asks []string
			for _, tt := range c.Turns {
				asks = append(asks, tt.Ask)
			}
			out = append(out, asks)
		}
	}
	return out
}

// TestReplyCacheGivesTheSameReplies asks every conversation of the question
// sets of an engine without the cache and, twice over, of one with it, in
// an order that puts each conversation's questions after other
// conversations' turns too: every reply must be the one worked out afresh.
func TestReplyCacheGivesTheSameReplies(t *testing.T) {
	plain := realEngine(t, Config{})
	cached := realEngine(t, Config{ReplyCache: 1000})
	convs := conversations(t, "../eval/questions.yaml", "../eval/tuning-extra.yaml", "testdata/questions.yaml")
	// Equal but for the time taken and the last bits of sums of floats
	// (some are summed over maps, in no fixed order).
	same := func(a, b Reply) bool {
		round := func(r Reply) Reply {
			r.Latency = 0
			r.Confidence = math.Round(r.Confidence*1e9) / 1e9
			r.Retrieved = slices.Clone(r.Retrieved)
			for i, p := range r.Retrieved {
				p.Score, p.Lexical, p.Vector = math.Round(p.Score*1e9)/1e9, math.Round(p.Lexical*1e9)/1e9, math.Round(p.Vector*1e9)/1e9
				r.Retrieved[i] = p
			}
			return r
		}
		return reflect.DeepEqual(round(a), round(b))
	}
	var asked int
	for pass := range 2 {
		// The second pass runs each conversation after the one before it
		// in the same history, so a question meets other last turns.
		var carried []Turn
		for _, conv := range convs {
			history := []Turn(nil)
			if pass == 1 {
				history = carried
			}
			for _, q := range conv {
				want, err := plain.Answer(context.Background(), history, q, nil)
				if err != nil {
					t.Fatal(err)
				}
				var deltas string
				got, err := cached.Answer(context.Background(), history, q, func(d string) { deltas += d })
				if err != nil {
					t.Fatal(err)
				}
				asked++
				if !same(got, want) {
					t.Fatalf("pass %d, %q after %d turns: the cached engine replied\n%+v\nwant\n%+v", pass, q, len(history), got, want)
				}
				if deltas != got.Text {
					t.Fatalf("%q: deltas %q do not add up to the text %q", q, deltas, got.Text)
				}
				history = append(history, Turn{Question: q, Reply: got})
			}
			carried = history
		}
	}
	hits, misses := cached.ReplyCacheStats()
	if hits+misses != uint64(asked) || hits == 0 || misses == 0 {
		t.Errorf("hits %d + misses %d, want %d questions, some of each", hits, misses, asked)
	}
	if h, m := plain.ReplyCacheStats(); h != 0 || m != 0 {
		t.Errorf("an engine without a cache reports %d hits, %d misses", h, m)
	}
	t.Logf("%d questions: %d hits, %d misses", asked, hits, misses)
}

func TestReplyCacheFollowUpsKeepTheirContext(t *testing.T) {
	e := realEngine(t, Config{ReplyCache: 100})
	ask := func(history []Turn, q string) Reply {
		t.Helper()
		r, err := e.Answer(context.Background(), history, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	cart := ask(nil, "What is CAR-T therapy?")
	gvhd := ask(nil, "What is graft-versus-host disease?")
	afterCART := ask([]Turn{{Question: "What is CAR-T therapy?", Reply: cart}}, "What are its side effects?")
	afterGVHD := ask([]Turn{{Question: "What is graft-versus-host disease?", Reply: gvhd}}, "What are its side effects?")
	if afterCART.Text == afterGVHD.Text {
		t.Fatalf("the same follow-up after two topics got one reply: %q", afterCART.Text)
	}
	// A question that follows nothing answered is the same question
	// whatever came before: greetings and emergencies do not count.
	hello := ask(nil, "Hello")
	before, _ := e.ReplyCacheStats()
	ask([]Turn{{Question: "Hello", Reply: hello}}, "What is CAR-T therapy?")
	if after, _ := e.ReplyCacheStats(); after != before+1 {
		t.Errorf("a question after a greeting was not answered from the cache (hits %d -> %d)", before, after)
	}
}

func TestReplyCacheForgetsTheLeastRecentlyUsed(t *testing.T) {
	e := realEngine(t, Config{ReplyCache: 2})
	ask := func(q string) {
		t.Helper()
		if _, err := e.Answer(context.Background(), nil, q, nil); err != nil {
			t.Fatal(err)
		}
	}
	hits := func() uint64 { h, _ := e.ReplyCacheStats(); return h }
	ask("What is CAR-T therapy?")
	ask("What is GVHD?")
	ask("What is CAR-T therapy?") // hit; GVHD is now the least recent
	ask("What is an autologous transplant?")
	if hits() != 1 {
		t.Fatalf("hits = %d, want 1", hits())
	}
	ask("What is CAR-T therapy?") // kept
	if hits() != 2 {
		t.Errorf("the most recently used reply was forgotten")
	}
	ask("What is GVHD?") // forgotten
	if hits() != 2 {
		t.Errorf("a cache of 2 kept a third reply")
	}
	if n := e.replies.order.Len(); n != 2 || len(e.replies.items) != 2 {
		t.Errorf("cache holds %d (%d), want 2", n, len(e.replies.items))
	}
}

func TestReplyCacheOffForLLM(t *testing.T) {
	ix, corp := realIndex(t)
	e, err := New(ix, Config{Chunks: corp.Chunks, ReplyCache: 10, LLM: failingLLM{}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := e.Answer(context.Background(), nil, "What is CAR-T therapy?", nil); err != nil {
			t.Fatal(err)
		}
	}
	if h, m := e.ReplyCacheStats(); h != 0 || m != 0 {
		t.Errorf("generated replies were cached: %d hits, %d misses", h, m)
	}
}

// failingLLM fails every generation, so the engine falls back to its
// extractive answer: a fallback that must not be kept for later askers.
type failingLLM struct{}

func (failingLLM) GenerateContent(context.Context, []llms.MessageContent, ...llms.CallOption) (*llms.ContentResponse, error) {
	return nil, errors.New("model unavailable")
}

func (failingLLM) Call(context.Context, string, ...llms.CallOption) (string, error) {
	return "", errors.New("model unavailable")
}
