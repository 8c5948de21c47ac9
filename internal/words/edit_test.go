package words

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"", "", 2, 0},
		{"cell", "cell", 2, 0},
		{"leukemia", "lukemia", 2, 1},      // deletion
		{"allogenic", "allogeneic", 2, 1},  // insertion
		{"cell", "call", 2, 1},             // substitution
		{"allogeneic", "allogeneci", 2, 1}, // swap
		{"leukaferesis", "leukapheresis", 2, 2},
		{"kitten", "sitting", 5, 3},
		{"kitten", "sitting", 2, 3}, // above the limit: limit+1
		{"a", "abcdef", 1, 2},       // lengths alone exceed the limit
		{"ca", "abc", 3, 3},         // optimal string alignment, not full Damerau
	}
	for _, tt := range tests {
		if got := EditDistance(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("EditDistance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
		if got := EditDistance(tt.b, tt.a, tt.limit); got != tt.want {
			t.Errorf("EditDistance(%q, %q, %d) = %d, want %d (not symmetric)", tt.b, tt.a, tt.limit, got, tt.want)
		}
	}
}

// WithinOneEdit is the fast form of EditDistance(a, b, 1) <= 1.
func TestWithinOneEditAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]byte, rng.IntN(6))
		for i := range b {
			b[i] = "abc"[rng.IntN(3)]
		}
		return string(b)
	}
	for range 20000 {
		a := word()
		b := []byte(a)
		switch rng.IntN(4) { // a near word, often one edit away
		case 0:
			if len(b) > 0 {
				b[rng.IntN(len(b))] = "abc"[rng.IntN(3)]
			}
		case 1:
			i := rng.IntN(len(b) + 1)
			b = slices.Insert(b, i, "abc"[rng.IntN(3)])
		case 2:
			if len(b) > 1 {
				i := rng.IntN(len(b) - 1)
				b[i], b[i+1] = b[i+1], b[i]
			}
		default:
			b = []byte(word())
		}
		if got, want := WithinOneEdit(a, string(b)), EditDistance(a, string(b), 1) <= 1; got != want {
			t.Fatalf("WithinOneEdit(%q, %q) = %v, EditDistance says %v", a, b, got, want)
		}
	}
}

func TestVocabularyNear(t *testing.T) {
	v := NewVocabulary([]string{"leukapheresi", "leukemia", "lymphoma", "allogen", "autolog", "cell", "call", "cull", "cell", ""})
	if v.Len() != 8 || !v.Has("cell") || v.Has("") || v.Has("cel") {
		t.Fatalf("Len %d, Has(cell) %v, Has(\"\") %v", v.Len(), v.Has("cell"), v.Has(""))
	}
	tests := []struct {
		w     string
		max   int
		want  []string
		wantD int
	}{
		{"lukemia", 1, []string{"leukemia"}, 1},
		{"leukaferesi", 2, []string{"leukapheresi"}, 2},
		{"leukaferesi", 1, nil, 0},
		{"cell", 1, []string{"cell"}, 0},
		{"cill", 1, []string{"call", "cell", "cull"}, 1}, // ties, in order
		{"kell", 1, nil, 0},                              // the first letter must agree
		{"", 1, nil, 0},
	}
	for _, tt := range tests {
		got, d := v.Near(tt.w, tt.max)
		if !slices.Equal(got, tt.want) || d != tt.wantD {
			t.Errorf("Near(%q, %d) = %q, %d, want %q, %d", tt.w, tt.max, got, d, tt.want, tt.wantD)
		}
	}
	var nilVocab *Vocabulary
	if got, _ := nilVocab.Near("cell", 1); got != nil || nilVocab.Has("cell") || nilVocab.Len() != 0 {
		t.Error("nil vocabulary found something")
	}
}
