package words

import (
	"slices"
	"testing"

	"github.com/kljensen/snowball/english"
)

func TestIsStop(t *testing.T) {
	for _, w := range []string{"the", "what", "is", "tell", "please", "someone", "don't", "isn't", "can", "would", "my"} {
		if !IsStop(w) {
			t.Errorf("IsStop(%q) = false", w)
		}
	}
	for _, w := range keptWords {
		if IsStop(w) || IsFurniture(w) {
			t.Errorf("IsStop(%q) or IsFurniture = true: it carries meaning here", w)
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

func TestIsFurniture(t *testing.T) {
	for _, w := range []string{"type", "types", "best", "example", "new", "describe", "specifically"} {
		if !IsFurniture(w) || IsStop(w) {
			t.Errorf("IsFurniture(%q) = %v, IsStop = %v: want furniture only", w, IsFurniture(w), IsStop(w))
		}
	}
	for w := range furnitureWords {
		if stopWords[w] {
			t.Errorf("%q is both a stop word and furniture", w)
		}
	}
	for _, w := range []string{"cell", "the", "own", "fever"} {
		if IsFurniture(w) {
			t.Errorf("IsFurniture(%q) = true", w)
		}
	}
}

func TestSnowballStopsCopied(t *testing.T) {
	for _, w := range snowballStops {
		if !english.IsStopWord(w) {
			t.Errorf("%q is not a Snowball stop word", w)
		}
	}
}
