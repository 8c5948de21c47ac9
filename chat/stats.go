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
// -> "autolog"). The most frequent wins. Words under six letters are left
// alone: an edit changes them into other words ("liver" is not a misspelt
// "live"); lay shortenings such as "chemo" are in the lexicon.
func (ts *termStats) correct(s string) string {
	if ts == nil || len(s) < 6 {
		return ""
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
