package chat

import (
	"strings"

	"github.com/cellchat/cellchat/corpus"
	"github.com/cellchat/cellchat/internal/words"
)

// speller corrects a misspelt word to the corpus word it most likely means.
// It works on words as written, not stems ("autologus" is one letter from
// "autologous"), and never on a word of the language ("saying" is not a
// misspelt "saving", nor "liver" "live").
type speller struct {
	df    map[string]int   // corpus word -> passages holding it
	byLen map[int][]string // the corpus words by length
}

func newSpeller(chunks []corpus.Chunk) *speller {
	sp := &speller{df: map[string]int{}, byLen: map[int][]string{}}
	for _, c := range chunks {
		seen := map[string]bool{}
		for _, t := range words.Tokens(c.Section + " " + c.Text) {
			if !seen[t.Word] && !strings.ContainsAny(t.Word, "0123456789") {
				seen[t.Word] = true
				sp.df[t.Word]++
			}
		}
	}
	for w := range sp.df {
		sp.byLen[len(w)] = append(sp.byLen[len(w)], w)
	}
	return sp
}

// Word lengths for spelling correction: shorter words are left alone (an
// edit turns them into other words: "liver" is not a misspelt "live"); up
// to minOneEdit-1 letters only a doubled or swapped letter is corrected
// ("efect"); from minTwoEdits, two edits are ("leukaferesis").
const (
	minCorrected = 5
	// minDoubled: a four-letter word is corrected only by doubling a
	// letter ("cels"), which seldom makes another word.
	minDoubled = 4
	// minLeftOut: a word this short may still be a common word with a
	// letter left out ("kno", "ment"), which few other words are.
	minLeftOut  = 3
	minOneEdit  = 6
	minTwoEdits = 8
)

// correct returns the corpus word that word most likely misspells, or "":
// one edit away ("lukemia" -> "leukemia"), two for long words, or the
// start of a corpus word ("immunotherap" -> "immunotherapy"). First and
// last letters must agree: typos seldom change them, and other words do
// ("catch" is not "match", "multiply" is not "multiple"). The most
// frequent word wins.
func (sp *speller) correct(word string) string {
	if sp == nil || len(word) < minDoubled || sp.df[word] > 0 {
		return ""
	}
	for _, v := range words.AmericanSpellings(word) {
		if sp.df[v] > 0 {
			return v // "leukaemia" is the sources' "leukemia"
		}
	}
	if words.IsEnglish(word) {
		return "" // a word of the language is what the patient meant
	}
	best, bestDF := "", 0
	consider := func(cand string, ok bool) {
		if ok && cand[0] == word[0] && cand[len(cand)-1] == word[len(word)-1] && sp.df[cand] > bestDF {
			best, bestDF = cand, sp.df[cand]
		}
	}
	for l := len(word) - 1; l <= len(word)+1; l++ {
		for _, cand := range sp.byLen[l] {
			if len(word) < minCorrected {
				consider(cand, len(cand) == len(word)+1 && doublingOrSwap(word, cand)) // "cels"
			} else if len(word) < minOneEdit {
				consider(cand, doublingOrSwap(word, cand))
			} else {
				consider(cand, words.WithinOneEdit(word, cand))
			}
		}
	}
	if best != "" || len(word) < minOneEdit {
		return best
	}
	for l, cands := range sp.byLen {
		for _, cand := range cands {
			switch {
			case l > len(word) && strings.HasPrefix(cand, word):
				if sp.df[cand] > bestDF {
					best, bestDF = cand, sp.df[cand] // typed short
				}
			case len(word) >= minTwoEdits && abs(l-len(word)) <= 2:
				consider(cand, words.EditDistance(word, cand, 2) <= 2)
			}
		}
	}
	return best
}

// doublingOrSwap says whether a and b differ by one letter doubled (or
// undoubled) or by two neighbouring letters swapped.
func doublingOrSwap(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b) == len(a)+1 {
		for i := 1; i < len(b); i++ {
			if b[i] == b[i-1] && b[:i]+b[i+1:] == a {
				return true
			}
		}
		return false
	}
	if len(a) != len(b) || a == b {
		return false
	}
	for i := 0; i+1 < len(a); i++ {
		if a[i] != b[i] {
			return a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
		}
	}
	return false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// misspeltStop says whether a word that is no word of the language is one
// edit from a stop word ("evryone", "becuase"): the patient's typing, not a
// topic the sources lack.
func misspeltStop(word string) bool {
	if len(word) < minLeftOut || words.IsStop(word) || words.IsEnglish(word) {
		return false
	}
	const letters = "abcdefghijklmnopqrstuvwxyz"
	// Phone typing drops letters from the commonest words ("kno", "ment"):
	// stop words, question furniture and general words.
	try := func(w string) bool { return words.IsStop(w) || words.IsFurniture(w) || words.IsVague(w) }
	for i := 0; i <= len(word); i++ {
		for _, r := range letters {
			if try(word[:i] + string(r) + word[i:]) {
				return true // a letter left out
			}
		}
	}
	if len(word) < minCorrected {
		return false // a short word is one letter off too many words ("hiv", "his")
	}
	for i := 0; i <= len(word); i++ {
		for _, r := range letters {
			if i < len(word) && try(word[:i]+string(r)+word[i+1:]) {
				return true // a letter mistyped
			}
		}
		if i < len(word) && try(word[:i]+word[i+1:]) {
			return true // a letter too many
		}
		if i+1 < len(word) && try(word[:i]+string(word[i+1])+string(word[i])+word[i+2:]) {
			return true // two letters swapped
		}
	}
	return false
}
