package chat

import (
	"reflect"
	"testing"
)

func TestSplitSentences(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"Cells divide. They grow.", []string{"Cells divide.", "They grow."}},
		{"Dr. Smith uses CAR-T, e.g. for leukemia. It works.", []string{"Dr. Smith uses CAR-T, e.g. for leukemia.", "It works."}},
		{"A dose of 2.5 mg is given. Then rest.", []string{"A dose of 2.5 mg is given.", "Then rest."}},
		{"HSCs (from a donor. Or not) are used. Next.", []string{"HSCs (from a donor. Or not) are used.", "Next."}},
		{"Here's how it works: Collection: First, T cells are collected.", []string{"Here's how it works:", "Collection:", "First, T cells are collected."}},
		{"Cell therapy can be autologous or allogeneic:\n• In autologous treatment, you use the patient’s own cells.\n\nIn allogeneic treatment, the cells come from a donor.",
			[]string{"Cell therapy can be autologous or allogeneic:", "In autologous treatment, you use the patient’s own cells.", "In allogeneic treatment, the cells come from a donor."}},
		{"It is “matched.” Many never find one!", []string{"It is “matched.”", "Many never find one!"}},
		{"Immune suppression . Chemotherapy is hard.", []string{"Immune suppression .", "Chemotherapy is hard."}},
		{"the U.S. approved it. Good.", []string{"the U.S. approved it.", "Good."}},
	}
	for _, tt := range tests {
		var got []string
		for _, sp := range splitSentences(tt.text) {
			got = append(got, tt.text[sp.start:sp.end])
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitSentences(%q)\n got %q\nwant %q", tt.text, got, tt.want)
		}
	}
}

func TestTokenize(t *testing.T) {
	var got []string
	for _, tk := range tokenize("CAR-T, CAR T and CART-cell therapies; HSCs and HSC’s; a T cell") {
		got = append(got, tk.stem)
	}
	want := []string{"cart", "cart", "and", "cart", "cell", "therapi", "hsc", "and", "hsc", "cell"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tokenize: %q, want %q", got, want)
	}
}

func TestQuotable(t *testing.T) {
	e, _ := newFakeEngine(t, Config{})
	for s, want := range map[string]bool{
		"Autologous cell therapy means the cells are collected from the individual's own body.": true,
		"Matched donors.":                         false, // a heading
		"Here's how CAR-T therapy works:":         false, // a list stub
		"Learn more about gene therapy basics.":   false, // a call to action
		"and then the cells are returned to you.": false, // a fragment
		"Is CAR-T therapy safe for most people?":  false, // a question
	} {
		if got := e.quotable(s); got != want {
			t.Errorf("quotable(%q) = %v, want %v", s, got, want)
		}
	}
}
