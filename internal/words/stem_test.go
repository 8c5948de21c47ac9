package words

import (
	"slices"
	"testing"

	"github.com/kljensen/snowball/english"
)

func TestStem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"therapies", "therapi"},
		{"therapy", "therapi"},
		{"cells", "cell"},
		{"conditioning", "conditioning"}, // the treatment, not an illness
		{"conditioned", "conditioning"},
		{"conditions", "condit"},
		{"grown", "grow"}, // wordforms.yaml
		{"growth", "grow"},
		{"storage", "store"},
		{"stored", "store"},
		{"children", "child"},
		{"men", "man"},
		{"donation", "donor"},
		{"cd19", "cd19"}, // digits: left alone
		{"1990s", "1990s"},
		{"cart", "cart"},
		{"don't", "don't"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Stem(tt.in); got != tt.want {
			t.Errorf("Stem(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Stem(tt.in); got != tt.want { // from the cache
			t.Errorf("Stem(%q) again = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Every word form maps to a different word, and its base is not itself a
// form (a chain would make the result depend on the order of lookups).
func TestWordForms(t *testing.T) {
	if len(wordForms) < 20 {
		t.Fatalf("only %d word forms loaded", len(wordForms))
	}
	for form, base := range wordForms {
		if form == base || base == "" {
			t.Errorf("word form %q -> %q", form, base)
		}
		if _, ok := wordForms[base]; ok {
			t.Errorf("word form %q -> %q, which is itself a form", form, base)
		}
	}
}

func TestIsStop(t *testing.T) {
	for _, w := range []string{"the", "what", "is", "tell", "please", "kind", "don't", "isn't", "can", "would", "my"} {
		if !IsStop(w) {
			t.Errorf("IsStop(%q) = false", w)
		}
	}
	for _, w := range keptWords {
		if IsStop(w) {
			t.Errorf("IsStop(%q) = true: it carries meaning here", w)
		}
		if !english.IsStopWord(w) {
			t.Errorf("kept word %q is not a Snowball stop word: keeping it needs no rule", w)
		}
	}
	for _, w := range []string{"cell", "cells", "donor", "fever", "cart", "risk", "cost", "autologous", "another"} {
		if IsStop(w) {
			t.Errorf("IsStop(%q) = true", w)
		}
	}
	// The Snowball list is covered, so nothing is lost by not asking it
	// (one-letter words never reach IsStop: Tokens drops them).
	for _, w := range snowballStops {
		if !IsStop(w) && !slices.Contains(keptWords, w) && len(w) > 1 {
			t.Errorf("Snowball stop word %q is not a stop word", w)
		}
	}
}

// snowballStops is english.IsStopWord's list, which the package cannot
// enumerate.
var snowballStops = []string{"a", "about", "above", "after", "again", "against", "all", "am", "an",
	"and", "any", "are", "as", "at", "be", "because", "been", "before",
	"being", "below", "between", "both", "but", "by", "can", "did", "do",
	"does", "doing", "don", "down", "during", "each", "few", "for", "from",
	"further", "had", "has", "have", "having", "he", "her", "here", "hers",
	"herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is",
	"it", "its", "itself", "just", "me", "more", "most", "my", "myself",
	"no", "nor", "not", "now", "of", "off", "on", "once", "only", "or",
	"other", "our", "ours", "ourselves", "out", "over", "own", "s", "same",
	"she", "should", "so", "some", "such", "t", "than", "that", "the", "their",
	"theirs", "them", "themselves", "then", "there", "these", "they",
	"this", "those", "through", "to", "too", "under", "until", "up",
	"very", "was", "we", "were", "what", "when", "where", "which", "while",
	"who", "whom", "why", "will", "with", "you", "your", "yours", "yourself",
	"yourselves"}

func TestSnowballStopsCopied(t *testing.T) {
	for _, w := range snowballStops {
		if !english.IsStopWord(w) {
			t.Errorf("%q is not a Snowball stop word", w)
		}
	}
}
