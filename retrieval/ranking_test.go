package retrieval

import (
	"slices"
	"testing"
)

func TestWordFormsShareStem(t *testing.T) {
	tests := []struct{ a, b string }{
		{"grown", "grow"},
		{"growth", "growing"},
		{"storage", "stored"},
		{"given", "give"},
		{"came", "come"},
		{"children", "child"},
	}
	for _, tt := range tests {
		if sa, sb := stem(tt.a), stem(tt.b); sa != sb {
			t.Errorf("stem(%q) = %q, stem(%q) = %q: want the same", tt.a, sa, tt.b, sb)
		}
	}
	// A word form maps to its base, never to a synonym: unrelated words
	// stay apart.
	if stem("grown") == stem("expansion") {
		t.Errorf("grown and expansion share a stem")
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"leukapheresi", "leukapheresi", 2, 0},
		{"leukaferesi", "leukapheresi", 2, 2}, // f -> ph
		{"autologus", "autolog", 2, 2},
		{"hematopoet", "hematopoiet", 2, 1},
		{"recieve", "receive", 2, 1}, // transposition
		{"cytokin", "lymphoma", 2, 3},
		{"abc", "abcdef", 1, 2}, // lengths too far apart: limit+1
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
}

func TestNearWords(t *testing.T) {
	ix := newBM25([]string{
		"T cells are collected through leukapheresis, to treat leukemia.",
		"Autologous cells come from your own body.",
		"A matching donor is needed. Watch for fever.",
	})
	tests := []struct {
		query string
		want  []string
	}{
		{"leukaferesis", []string{stem("leukapheresis")}},
		{"autologus", []string{stem("autologous")}},
		{"leukaemia", []string{stem("leukemia")}}, // British spelling
		{"leukapheresis", nil},                    // indexed: nothing to guess
		{"catch", nil},                            // short: too many real words one edit apart
		{"mutologous", nil},                       // first letter differs
		{"xylophone", nil},                        // nothing near
	}
	for _, tt := range tests {
		got := ix.nearWords(stem(normalize(tt.query)))
		if !slices.Equal(got, tt.want) {
			t.Errorf("nearWords(%q) = %q, want %q", tt.query, got, tt.want)
		}
	}
}

// TestPairsRankPhraseFirst: two passages with the same words, one with the
// query's words side by side; only the word pairs can tell them apart.
func TestPairsRankPhraseFirst(t *testing.T) {
	ix := newBM25([]string{
		"Therapy rebuilds tissue.",
		"Tissue therapy rebuilds.",
	})
	s := &snapshot{lex: ix}
	scores := make([]float64, 2)
	ix.score(s.lexicalQuery("What is tissue therapy?", nil), scores)
	if scores[1] <= scores[0] {
		t.Errorf("scores %v: want the passage with the phrase first", scores)
	}
}

// TestWordFormsData: every form maps to another word, which is a base
// form itself (no chains, so the result does not depend on map order).
func TestWordFormsData(t *testing.T) {
	if len(wordForms) == 0 {
		t.Fatal("wordforms.yaml has no forms")
	}
	for form, base := range wordForms {
		if form == base || base == "" {
			t.Errorf("form %q maps to %q", form, base)
		}
		if next, ok := wordForms[base]; ok {
			t.Errorf("form %q maps to %q, itself a form of %q", form, base, next)
		}
		if normalize(form) != form || len(words(form)) != 1 {
			t.Errorf("form %q is not one lower-case word", form)
		}
	}
}
