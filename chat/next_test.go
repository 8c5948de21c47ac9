package chat

import (
	"strings"
	"testing"
)

// A question naming a step and asking what follows it is answered with the
// sentences after that step in its source, not with a sentence that merely
// shares "after" with it.
func TestAfterNamedStep(t *testing.T) {
	e := realEngine(t, Config{})
	for _, c := range []struct {
		q, want string
	}{
		{"what do they do with my cells after collection?", "genetically modified"},
		{"what happens after the infusion?", "recognize and bind to the cancer cells"},
	} {
		r := answer(t, e, nil, c.q)
		if r.Reason != "answer.after_step" || !strings.Contains(r.Text, c.want) {
			t.Errorf("%q: %s (%s) %q, want the step after it (%q)", c.q, r.Kind, r.Reason, r.Text, c.want)
		}
	}
	// A follow-up naming the step in the patient's own word for it.
	first := "They take my cells out from the body first?"
	h := []Turn{{Question: first, Reply: answer(t, e, nil, first)}}
	q := "After the lab is finish, what happen to the cells?"
	if r := answer(t, e, h, q); r.Reason != "answer.after_step" || !strings.Contains(r.Text, "returned to the patient") {
		t.Errorf("%q: %s %q, want the cells returned to the patient", q, r.Reason, r.Text)
	}
	// What follows a step only when the next sentence goes on with the
	// sequence: after "conditioning" the source says more about
	// conditioning itself, which is no next step.
	for _, q := range []string{"what happens after conditioning?", "In simple words, what do the cells do once they are inside me?"} {
		if r := answer(t, e, nil, q); r.Reason == "answer.after_step" {
			t.Errorf("%q: answered as the step after another: %q", q, r.Text)
		}
	}
}

// "What happens after that?" goes on where the last answer stopped; a next
// sentence that leans on the last one ("These procedures ...") comes with
// it, said again, so the reply does not open on a pronoun.
func TestContinuationBringsWhatItLeansOn(t *testing.T) {
	e := realEngine(t, Config{})
	first := "In a stem cell transplant, what do they do about the patient's own poorly bone marrow before the new cells go in?"
	h := []Turn{{Question: first, Reply: answer(t, e, nil, first)}}
	r := answer(t, e, h, "ok so what happens after that?")
	if strings.HasPrefix(r.Text, "These ") || strings.HasPrefix(r.Text, "It ") || strings.HasPrefix(r.Text, "They ") {
		t.Errorf("continuation opens on what it leans on: %q (after %q)", r.Text, h[0].Reply.Text)
	}
}
