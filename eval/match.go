package eval

import (
	"strings"

	"github.com/cellchat/cellchat/internal/words"
)

// Normalize puts text in the form evidence phrases are matched in:
// words.Normalize (NFKC, lower case, straight quotes, dashes as hyphens,
// single spaces), the form the rest of cellchat compares text in, so a phrase
// copied from a passage matches whichever dash or quote the passage uses.
func Normalize(s string) string { return words.Normalize(s) }

// containsPhrase reports whether text contains phrase after normalizing both.
func containsPhrase(text, phrase string) bool {
	p := Normalize(phrase)
	return p != "" && strings.Contains(Normalize(text), p)
}

// containsAny reports whether text contains any of the phrases.
func containsAny(text string, phrases []string) bool {
	t := Normalize(text)
	for _, ph := range phrases {
		if p := Normalize(ph); p != "" && strings.Contains(t, p) {
			return true
		}
	}
	return false
}
