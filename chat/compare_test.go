package chat

import (
	"strings"
	"testing"
)

func TestComparisonSides(t *testing.T) {
	for q, want := range map[string][2]string{
		"whats the diffrence between a stem cell transplant and car-t? arent they both just putting cells back in": {"stem cell transplant", "car-t"},
		"I keep getting CRS and GVHD mixed up. Are they the same thing?":                                           {"CRS", "GVHD"},
		"Are CRS and GVHD the same thing?":                                                                         {"CRS", "GVHD"},
		"autologous vs allogeneic":                                                                                 {"autologous", "allogeneic"},
	} {
		a, b, ok := comparisonSides(q)
		if !ok || a != want[0] || b != want[1] {
			t.Errorf("comparisonSides(%q) = %q, %q, %v; want %q", q, a, b, ok, want)
		}
	}
	for _, q := range []string{"What is CRS?", "Does CAR-T make a difference to survival?", "What difference can these treatments make to my everyday life?"} {
		if a, b, ok := comparisonSides(q); ok {
			t.Errorf("comparisonSides(%q) = %q, %q: no comparison", q, a, b)
		}
	}
}

// Two things no passage compares are each said for what they are, side by
// side, each cited to its own passage.
func TestComparisonAnswersBothSides(t *testing.T) {
	e := realEngine(t, Config{})
	q := "I keep getting CRS and GVHD mixed up. Are they the same thing or two different problems?"
	r := answer(t, e, nil, q)
	if r.Kind != KindAnswer || r.Reason != "answer.comparison" {
		t.Fatalf("%q: %s (%s) %q", q, r.Kind, r.Reason, r.Text)
	}
	for _, w := range []string{"cytokines", "Graft-versus-host disease"} {
		if !strings.Contains(r.Text, w) {
			t.Errorf("%q: answer lacks %q: %q", q, w, r.Text)
		}
	}
	if len(r.Citations) < 2 {
		t.Errorf("%q: %d citations, want one per side", q, len(r.Citations))
	}
	// A side the sources cannot say anything about leaves the question to
	// the usual answer.
	if r := answer(t, e, nil, "whats the difference between a stem cell and an ordinary cell"); r.Reason == "answer.comparison" {
		t.Errorf("an ordinary cell compared: %q", r.Text)
	}
}
