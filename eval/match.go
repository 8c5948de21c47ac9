package eval

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// quoteStraightener maps typographic quotes to their ASCII forms.
var quoteStraightener = strings.NewReplacer(
	"\u2018", "'", "\u2019", "'", "\u201a", "'", "\u201b", "'", "\u2032", "'",
	"\u201c", `"`, "\u201d", `"`, "\u201e", `"`, "\u201f", `"`, "\u2033", `"`,
)

// Normalize puts text in the form phrases are matched in: Unicode NFKC,
// curly quotes straightened, every run of white space one space, lower case.
func Normalize(s string) string {
	s = norm.NFKC.String(s)
	s = quoteStraightener.Replace(s)
	s = strings.Join(strings.Fields(s), " ")
	return strings.ToLower(s)
}

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
