package chat

import (
	"github.com/cellchat/cellchat/internal/words"

	"math"
	"strings"

	"github.com/cellchat/cellchat/corpus"
)

// termStats holds document frequencies of stems over the corpus's chunks.
// They weigh query terms: a word the corpus never uses ("insurance",
// "diabetes") weighs most, so a question built around it is found
// unanswerable; a word in every passage ("cell") weighs little.
type termStats struct {
	n     int
	df    map[string]int
	byLen map[int][]string // vocabulary by length, for spelling correction
}

// TermCounter gives the document frequencies the searcher ranks by;
// *retrieval.Index is one. An engine whose searcher is one weighs words by
// the index's statistics rather than counting the chunks again.
type TermCounter interface {
	TermStats() (chunks int, df map[string]int)
}

// newTermStats counts stems over the chunks' sections and texts.
func newTermStats(chunks []corpus.Chunk) *termStats {
	df := map[string]int{}
	for _, c := range chunks {
		seen := map[string]bool{}
		for _, t := range words.Tokens(c.Section + " " + c.Text) {
			if !seen[t.Stem] {
				seen[t.Stem] = true
				df[t.Stem]++
			}
		}
	}
	return termStatsOf(len(chunks), df)
}

func termStatsOf(n int, df map[string]int) *termStats {
	ts := &termStats{n: n, df: df, byLen: map[int][]string{}}
	for s := range ts.df {
		ts.byLen[len(s)] = append(ts.byLen[len(s)], s)
	}
	return ts
}

// idf is the BM25 inverse document frequency; 1 for every term when there
// are no statistics.
func (ts *termStats) idf(stem string) float64 {
	if ts == nil || ts.n == 0 {
		return 1
	}
	df := float64(ts.df[stem])
	n := float64(ts.n)
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// known says whether the corpus uses the stem (true without statistics).
func (ts *termStats) known(stem string) bool {
	return ts == nil || ts.n == 0 || ts.df[stem] > 0
}

// correct returns the corpus stem an unknown stem most likely means, or ""
// if none: one edit away ("lukemia" -> "leukemia"), two for long words
// ("leukaferesis" -> "leukapheresis"), or a shortening of it ("autologus"
// -> "autolog"). The most frequent wins. A stem of five letters is only
// corrected for a doubled or swapped letter ("efects" -> "effect"): other
// edits change short words into other words ("liver" is not a misspelt
// "live"); shorter stems are left alone, and lay shortenings such as
// "chemo" are in the lexicon.
func (ts *termStats) correct(s string) string {
	if ts == nil || len(s) < 5 {
		return ""
	}
	if len(s) < 6 {
		return ts.correctTypo(s)
	}
	best, bestDF := "", 0
	consider := func(cand string) {
		// Typos seldom change the first letter; "catch" is not "match".
		if cand[0] == s[0] && ts.df[cand] > bestDF {
			best, bestDF = cand, ts.df[cand]
		}
	}
	for l := len(s) - 1; l <= len(s)+1; l++ {
		for _, cand := range ts.byLen[l] {
			if words.WithinOneEdit(s, cand) {
				consider(cand)
			}
		}
	}
	if best != "" {
		return best
	}
	for l, cands := range ts.byLen {
		if l < 5 {
			continue
		}
		for _, cand := range cands {
			switch {
			case strings.HasPrefix(cand, s), strings.HasPrefix(s, cand) && len(s)-len(cand) <= 3:
				consider(cand)
			case len(s) >= 8 && abs(l-len(s)) <= 2 && words.EditDistance(s, cand, 2) <= 2:
				consider(cand)
			}
		}
	}
	return best
}

// correctTypo finds the corpus stem a short stem is a doubled, undoubled
// or swapped letter away from.
func (ts *termStats) correctTypo(s string) string {
	best, bestDF := "", 0
	for l := len(s) - 1; l <= len(s)+1; l++ {
		for _, cand := range ts.byLen[l] {
			if ts.df[cand] > bestDF && doublingOrSwap(s, cand) {
				best, bestDF = cand, ts.df[cand]
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

// rare says whether the stem occurs in at most a quarter of the passages.
func (ts *termStats) rare(stem string) bool {
	if ts == nil || ts.n == 0 {
		return true
	}
	df := ts.df[stem]
	return df > 0 && df*4 <= ts.n
}
