package words

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Token is one word of a text.
type Token struct {
	// Word is the folded surface form: NFKC, lower case, straight
	// apostrophes, without a possessive "'s" ("Patient’s" -> "patient").
	// Spelling variants of one term are one word ("CAR-T" -> "cart").
	Word string
	// Stem is Stem(Word).
	Stem string
	// Start and End are the byte offsets of the word in the text given to
	// Tokens (for a joined word, from the first part to the last).
	Start, End int
}

// Tokens splits text into words: runs of letters and digits, with an
// apostrophe between letters kept inside ("don't"). Words are folded and
// stemmed (see Token). Offsets refer to text as given, so callers can cut
// the original words out; text need not be normalised first.
//
// Two rules make the variants patients and sources use for one term match:
//
//   - joinedTerms: "CAR-T", "CAR T" and "CART" are all "cart"; "T cells"
//     and "T-cell" are "tcell" (likewise "B cell", "NK cell"); "ex vivo" is
//     "exvivo". The two parts must be separated by white space or one dash
//     only, so "car. T" is not joined.
//   - An acronym's plural is the acronym: "HSCs" is "hsc", as "HSC’s" is.
//     Lower-case "cars" and "carts" are "cart" (a patient typing "CAR-Ts"):
//     a cell therapy bot is never asked about vehicles.
//
// One-letter words other than digits are dropped once the joins are done:
// alone, "a", "I", "s" (from "CAR-T’s") and stray initials say nothing.
func Tokens(text string) []Token {
	toks := make([]Token, 0, len(text)/6+1)
	i := 0
	for i < len(text) {
		r, w := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			i += w
			continue
		}
		j := i + w
		for j < len(text) {
			r2, w2 := utf8.DecodeRuneInString(text[j:])
			if isWordRune(r2) {
				j += w2
				continue
			}
			if isApostrophe(r2) && j+w2 < len(text) {
				if r3, _ := utf8.DecodeRuneInString(text[j+w2:]); unicode.IsLetter(r3) {
					j += w2
					continue
				}
			}
			break
		}
		if word := foldWord(text[i:j]); word != "" {
			toks = append(toks, Token{Word: word, Start: i, End: j})
		}
		i = j
	}
	// Join, drop one-letter words and stem, in place: the output never
	// outruns the input.
	out := toks[:0]
	for k := 0; k < len(toks); k++ {
		t := toks[k]
		if k+1 < len(toks) {
			next := toks[k+1]
			if joined, ok := joinedTerms[[2]string{t.Word, next.Word}]; ok && joinable(text[t.End:next.Start]) {
				t.Word, t.End = joined, next.End
				k++
			}
		}
		if first, n := utf8.DecodeRuneInString(t.Word); n == len(t.Word) && !unicode.IsDigit(first) {
			continue
		}
		t.Stem = Stem(t.Word)
		out = append(out, t)
	}
	return out
}

// joinedTerms are two-word spellings of one term, folded into one word.
var joinedTerms = map[[2]string]string{
	{"car", "t"}:    "cart",
	{"car", "ts"}:   "cart",
	{"t", "cell"}:   "tcell",
	{"t", "cells"}:  "tcell",
	{"b", "cell"}:   "bcell",
	{"b", "cells"}:  "bcell",
	{"nk", "cell"}:  "nkcell",
	{"nk", "cells"}: "nkcell",
	{"ex", "vivo"}:  "exvivo",
}

// wordVariants are one-word spellings of another word.
var wordVariants = map[string]string{
	"cars":  "cart",
	"carts": "cart",
}

// joinable reports whether the text between two words lets them be read as
// one term: white space and at most one dash ("CAR-T", "CAR T", "CAR – T").
func joinable(gap string) bool {
	if gap == "" {
		return false
	}
	dashes := 0
	for _, r := range gap {
		switch {
		case unicode.IsSpace(r):
		case isDash(r):
			dashes++
		default:
			return false
		}
	}
	return dashes <= 1
}

// foldWord folds one word's surface form: see Token.Word.
func foldWord(surface string) string {
	var w string
	if isASCII(surface) {
		w = strings.ToLower(surface)
	} else {
		w = Normalize(surface)
	}
	w = strings.TrimSuffix(w, "'s")
	if isAcronymPlural(surface) {
		w = w[:len(w)-1]
	} else if v, ok := wordVariants[w]; ok {
		w = v
	}
	return w
}

// isAcronymPlural says whether a word is an acronym with a plural s: a
// capital, then capitals or digits, and a final lower-case s ("HSCs",
// "CARs", "CD34s").
func isAcronymPlural(w string) bool {
	if len(w) < 3 || w[len(w)-1] != 's' || w[0] < 'A' || w[0] > 'Z' {
		return false
	}
	for i := 1; i < len(w)-1; i++ {
		if (w[i] < 'A' || w[i] > 'Z') && (w[i] < '0' || w[i] > '9') {
			return false
		}
	}
	return true
}

// isWordRune: letters, digits and the combining marks of decomposed
// letters ("e" + U+0301 is "é").
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc)
}

func isApostrophe(r rune) bool { return r == '\'' || r == '\u2019' || r == '\u02BC' }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// ContentStems returns the stems of the words of text that are not stop
// words, each once, in order of first appearance.
func ContentStems(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range Tokens(text) {
		if IsStop(t.Word) || seen[t.Stem] {
			continue
		}
		seen[t.Stem] = true
		out = append(out, t.Stem)
	}
	return out
}
