package chat

import (
	"strings"
	"testing"

	"github.com/cellchat/cellchat/internal/words"
)

// A word of the sentence counts once: "conditioning" matches the question's
// "conditioning", and is not counted again as the lexicon's synonym of its
// "chemo". The sentence that also says chemotherapy answers first.
func TestLeadCountsASentenceWordOnce(t *testing.T) {
	e := realEngine(t, Config{})
	r := answer(t, e, nil, "is the conditioning always chemo?")
	if lead := splitAnswer(t, r.Text)[0].text; !strings.Contains(lead, "chemotherapy") {
		t.Errorf("lead %q does not say what conditioning is made of", lead)
	}
}

func TestOtherSynonymIn(t *testing.T) {
	q := &query{
		base:     map[string]float64{"chemo": 1, "conditioning": 1},
		synonyms: map[string][][]string{"chemo": {{"conditioning"}, {"chemotherapi"}}},
	}
	if q.otherSynonymIn("chemo", map[string]bool{"conditioning": true}) {
		t.Error("a synonym that is itself a word of the question counted")
	}
	if !q.otherSynonymIn("chemo", map[string]bool{"chemotherapi": true}) {
		t.Error("a synonym that is not a word of the question did not count")
	}
}

// A follow-up asking why repeats the last answer's sentence when that
// sentence is the one saying how it arises, rather than answering from
// passages that only share a word with it.
func TestWhyFollowUpRepeatsTheCause(t *testing.T) {
	e := realEngine(t, Config{})
	first := answer(t, e, nil, "What is graft-versus-host disease?")
	r := answer(t, e, []Turn{{Question: "What is graft-versus-host disease?", Reply: first}}, "Why does it happen?")
	if !strings.Contains(r.Text, "recognize the recipient") {
		t.Errorf("why follow-up does not say why: %q", r.Text)
	}
}

func TestUnprefixed(t *testing.T) {
	e := realEngine(t, Config{})
	if st, ok := e.unprefixed("overreacting"); !ok || st != words.Stem("reacts") {
		t.Errorf("unprefixed(overreacting) = %q, %v; want the stem of react", st, ok)
	}
	for _, w := range []string{"overall", "unwell", "nonsense", "sushi"} {
		if st, ok := e.unprefixed(w); ok {
			t.Errorf("unprefixed(%q) = %q, want none", w, st)
		}
	}
}

// A question that points at its scene ("is that a problem?") asks about
// what the scene names: answered when the sources cover it, declined when
// they do not.
func TestQuestionPointingAtScene(t *testing.T) {
	e := realEngine(t, Config{})
	for q, want := range map[string]Kind{
		"We keep two rabbits in the garden. Is that a problem after CAR-T?": KindNoAnswer,
		"My son has Hurler syndrome. Is that treated with a transplant?":    KindAnswer,
		// "these" goes with "cell therapies" here: it points at nothing.
		"I am 70 and have myeloma. Are these cell therapies ever used for that?": KindAnswer,
	} {
		if r := answer(t, e, nil, q); r.Kind != want {
			t.Errorf("%q: %s (%s), want %s", q, r.Kind, r.Reason, want)
		}
	}
}

// The reply to a question the sources do not answer names what they cover:
// what the operator says, else the documents' titles.
func TestNoAnswerNamesWhatTheSourcesCover(t *testing.T) {
	e := realEngine(t, Config{Covers: "mouth care and tiredness"})
	r := answer(t, e, nil, "How do I bake sourdough bread?")
	if r.Kind != KindNoAnswer || !strings.Contains(r.Text, "questions about mouth care and tiredness.") {
		t.Errorf("%s: %q", r.Kind, r.Text)
	}
	e = realEngine(t, Config{})
	r = answer(t, e, nil, "How do I bake sourdough bread?")
	if !strings.Contains(r.Text, "Cell Therapy Basics") || strings.Contains(r.Text, "{covers}") {
		t.Errorf("without covers the titles should be named: %q", r.Text)
	}
}
