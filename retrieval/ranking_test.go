package retrieval

import (
	"slices"
	"testing"

	"github.com/cellchat/cellchat/internal/words"
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
		if sa, sb := words.Stem(tt.a), words.Stem(tt.b); sa != sb {
			t.Errorf("Stem(%q) = %q, Stem(%q) = %q: want the same", tt.a, sa, tt.b, sb)
		}
	}
	// A word form maps to its base, never to a synonym: unrelated words
	// stay apart.
	if words.Stem("grown") == words.Stem("expansion") {
		t.Errorf("grown and expansion share a stem")
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
		{"leukaferesis", []string{words.Stem("leukapheresis")}},
		{"autologus", []string{words.Stem("autologous")}},
		{"leukaemia", []string{words.Stem("leukemia")}}, // British spelling
		{"leukapheresis", nil},                          // indexed: nothing to guess
		{"catch", nil},                                  // short: too many real words one edit apart
		{"mutologous", nil},                             // first letter differs
		{"xylophone", nil},                              // nothing near
	}
	for _, tt := range tests {
		got := ix.nearWords(words.Tokens(tt.query)[0].Stem)
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

// A word of the language is never read as a misspelling of an indexed word
// ("multiply" is not "multiple");
// a British spelling finds the American one.
func TestQueryKeepsEnglishWords(t *testing.T) {
	ix := newBM25([]string{"Multiple myeloma is treated.", "Patients with leukemia."})
	s := &snapshot{lex: ix}
	has := func(q []weightedTerm, stem string) bool {
		for _, w := range q {
			if w.stem == stem {
				return true
			}
		}
		return false
	}
	if q := s.lexicalQuery("do the cells multiply", nil); has(q, words.Stem("multiple")) {
		t.Errorf("'multiply' searched as 'multiple': %v", q)
	}
	if q := s.lexicalQuery("does it treat leukaemia", nil); !has(q, words.Stem("leukemia")) {
		t.Errorf("'leukaemia' does not search 'leukemia': %v", q)
	}
}
