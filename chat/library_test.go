package chat

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeLibrary answers every question whose context holds want, and
// records the contexts it was asked with.
type fakeLibrary struct {
	want     string
	answer   LibraryAnswer
	gen      atomic.Uint64
	contexts []string
}

func (f *fakeLibrary) Lookup(question, context string) (LibraryAnswer, bool) {
	f.contexts = append(f.contexts, context)
	if f.want == "" || !strings.Contains(strings.ToLower(context), f.want) {
		return LibraryAnswer{}, false
	}
	return f.answer, true
}

func (f *fakeLibrary) Generation() uint64 { return f.gen.Load() }

func newFakeLibrary(want string) *fakeLibrary {
	return &fakeLibrary{want: want, answer: LibraryAnswer{
		Text:      "CAR-T uses your own T cells, changed in a laboratory [1].",
		Citations: []Citation{{N: 1, DocID: "curio-what-is-car-t", ChunkID: "curio-what-is-car-t#x", Passage: "..."}},
		Reviewed:  Reviewed{By: "care team", Date: "2026-12-01", Entry: 7},
		Score:     0.9,
	}}
}

func TestLibraryAnswersAfterTriage(t *testing.T) {
	lib := newFakeLibrary("car")
	e := realEngine(t, Config{Library: lib})
	r := ask(t, e, nil, "What is CAR-T therapy?")
	if r.Kind != KindAnswer || r.Reason != ReasonLibrary || r.Mode != "library" || r.Reviewed == nil || *r.Reviewed != lib.answer.Reviewed ||
		r.Text != lib.answer.Text || len(r.Citations) != 1 || r.Confidence != 0.9 || len(r.Retrieved) != 0 || r.Disclaimer == "" {
		t.Fatalf("library reply: %+v", r)
	}
	// Emergencies, referrals and greetings come first, whatever the library holds.
	for q, kind := range map[string]Kind{
		"I had CAR-T last week and now I can't breathe": KindEmergency,
		"Should I choose CAR-T or a transplant?":        KindReferral,
		"Hello":                                         KindGreeting,
	} {
		if r := ask(t, e, nil, q); r.Kind != kind || r.Reviewed != nil {
			t.Errorf("%q: %s (reviewed %v), want %s from triage", q, r.Kind, r.Reviewed, kind)
		}
	}
	// A question the library does not know is the engine's.
	if r := ask(t, e, nil, "What is GVHD?"); r.Reviewed != nil || r.Reason == ReasonLibrary || len(r.Retrieved) == 0 {
		t.Fatalf("engine reply: %+v", r)
	}
}

func TestLibraryFollowUpGetsTheConversationTopic(t *testing.T) {
	lib := newFakeLibrary("")
	e := realEngine(t, Config{Library: lib})
	first := ask(t, e, nil, "What is GVHD?")
	ask(t, e, []Turn{{Question: "What is GVHD?", Reply: first}}, "How is it treated?")
	last := lib.contexts[len(lib.contexts)-1]
	if !strings.Contains(strings.ToLower(last), "gvhd") {
		t.Fatalf("the follow-up was looked up as %q, without the conversation's topic", last)
	}
}

func TestLibraryChangesAreNotHiddenByTheReplyCache(t *testing.T) {
	lib := newFakeLibrary("car")
	e := realEngine(t, Config{Library: lib, ReplyCache: 100})
	if r := ask(t, e, nil, "What is CAR-T therapy?"); r.Reviewed == nil {
		t.Fatal("not answered from the library")
	}
	lib.want = "" // the entry is retired
	lib.gen.Add(1)
	if r := ask(t, e, nil, "What is CAR-T therapy?"); r.Reviewed != nil {
		t.Fatal("a retired entry was served again from the reply cache")
	}
	lib.want = "car" // published again
	lib.gen.Add(1)
	if r := ask(t, e, nil, "What is CAR-T therapy?"); r.Reviewed == nil {
		t.Fatal("the engine's cached reply hid a published entry")
	}
}

// ask answers q; a library reply is not a quote of its passages, so the
// checks of answer (checkReply) do not apply to it, but its deltas must
// still add up to its text.
func ask(t *testing.T, e *Engine, history []Turn, q string) Reply {
	t.Helper()
	var streamed strings.Builder
	r, err := e.Answer(context.Background(), history, q, func(d string) { streamed.WriteString(d) })
	if err != nil {
		t.Fatalf("Answer(%q): %v", q, err)
	}
	if streamed.String() != r.Text || r.Disclaimer == "" || r.Citations == nil {
		t.Fatalf("Answer(%q): deltas %q, reply %+v", q, streamed.String(), r)
	}
	return r
}
