package words

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds text to the form comparisons use: Unicode NFKC (full-width
// letters and ligatures become plain ones), lower case, typographic quotes
// and primes as ASCII quotes, every hyphen, dash and minus sign as "-", and
// each run of white space as one space, none at either end. Normalize is a
// fixed point: Normalize(Normalize(s)) == Normalize(s) for valid UTF-8.
func Normalize(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := true // drops leading space
	for _, r := range s {
		r = foldPunct(r)
		if unicode.IsSpace(r) {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	// Lower case can compose where upper case did not ("Y̊" has no
	// precomposed form, "ẙ" has): normalising again makes the result a
	// fixed point (found by FuzzNormalize).
	return norm.NFKC.String(strings.TrimRight(b.String(), " "))
}

// foldPunct maps typographic quotes, apostrophes, primes and dashes to their
// ASCII forms, so "patient’s" matches "patient's" and "CAR–T" "CAR-T".
func foldPunct(r rune) rune {
	switch r {
	case '\u2018', '\u2019', '\u201A', '\u201B', '\u2032', '`':
		return '\''
	case '\u201C', '\u201D', '\u201E', '\u201F', '\u2033':
		return '"'
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\uFE58', '\uFE63', '\uFF0D':
		return '-'
	}
	return r
}

// isDash reports whether r is a hyphen, dash or minus sign.
func isDash(r rune) bool { return r == '-' || foldPunct(r) == '-' }

// Fold is Normalize for text that is kept, not only compared: NFKC
// (full-width digits and letters become ASCII, a non-breaking space a
// space), format characters dropped (zero-width spaces and joiners, soft
// hyphens, direction marks: invisible, but they split a number or address
// in two for a pattern), quotes and dashes as in Normalize. Case and spacing
// are kept.
func Fold(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.Is(unicode.Cf, r) {
			continue
		}
		b.WriteRune(foldPunct(r))
	}
	return norm.NFKC.String(b.String())
}
