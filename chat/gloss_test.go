package chat

import (
	"strings"
	"testing"
)

func TestGlossExplainsFirstUse(t *testing.T) {
	g := newGlossary(map[string]string{"HCT": "hematopoietic cell transplantation", "CAR": "chimeric antigen receptor", "CAR-T": "chimeric antigen receptor T-cell", "HSC": "hematopoietic stem cell"})
	tests := []struct {
		in, want []string
		terms    []string
	}{
		{[]string{"HCT is used to treat leukemia. [1]", "HCT is also used for SCID. [1]"},
			[]string{"HCT (hematopoietic cell transplantation) is used to treat leukemia. [1]", "HCT is also used for SCID. [1]"}, []string{"HCT"}},
		// The sources spell it out already: nothing added.
		{[]string{"Hematopoietic cell transplantation (HCT) involves cells. [1]", "HCT is used widely. [2]"},
			[]string{"Hematopoietic cell transplantation (HCT) involves cells. [1]", "HCT is used widely. [2]"}, nil},
		// "CAR" inside "CAR-T" is CAR-T, a plural takes the singular's long form.
		{[]string{"CAR-T cells attack cancer. [1]", "HSCs come from marrow. [2]"},
			[]string{"CAR-T (chimeric antigen receptor T-cell) cells attack cancer. [1]", "HSCs (hematopoietic stem cells) come from marrow. [2]"}, []string{"CAR-T", "HSC"}},
		// Named as the other name of what the sentence spelled out, or
		// with a possessive: left as written.
		{[]string{"Hematopoietic (blood forming) stem cells also known as HSC’s are versatile. [1]"},
			[]string{"Hematopoietic (blood forming) stem cells also known as HSC’s are versatile. [1]"}, nil},
		// Lower-case words are not abbreviations.
		{[]string{"The car is parked. [1]"}, []string{"The car is parked. [1]"}, nil},
	}
	for _, tc := range tests {
		got, glosses := g.explain(tc.in)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("explain(%q) = %q, want %q", tc.in, got, tc.want)
		}
		var terms []string
		for _, gl := range glosses {
			terms = append(terms, gl.Term)
		}
		if strings.Join(terms, ",") != strings.Join(tc.terms, ",") {
			t.Errorf("explain(%q) glossed %v, want %v", tc.in, terms, tc.terms)
		}
		if back := WithoutGlosses(strings.Join(got, " "), glosses); back != strings.Join(tc.in, " ") {
			t.Errorf("WithoutGlosses gave %q, want %q", back, strings.Join(tc.in, " "))
		}
		if back := g.strip(strings.Join(got, " ")); back != strings.Join(tc.in, " ") {
			t.Errorf("strip gave %q, want %q", back, strings.Join(tc.in, " "))
		}
	}
}

func TestGlossOnRealAnswer(t *testing.T) {
	e := realEngine(t, Config{})
	r := answer(t, e, nil, "Which diseases is HCT used to treat?")
	if len(r.Glosses) == 0 || r.Glosses[0].Term != "HCT" || !strings.Contains(r.Text, "HCT (hematopoietic cell transplantation)") {
		t.Errorf("HCT not spelled out on first use: %q %+v", r.Text, r.Glosses)
	}
	off := realEngine(t, Config{Glossary: map[string]string{}})
	if r := answer(t, off, nil, "Which diseases is HCT used to treat?"); len(r.Glosses) != 0 || strings.Contains(r.Text, "(hematopoietic cell transplantation)") {
		t.Errorf("an empty glossary still glossed: %q", r.Text)
	}
}
