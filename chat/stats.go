package chat

import (
	"math"

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

func newTermStats(chunks []corpus.Chunk) *termStats {
	ts := &termStats{n: len(chunks), df: map[string]int{}, byLen: map[int][]string{}}
	for _, c := range chunks {
		seen := map[string]bool{}
		for _, t := range tokenize(c.Section + " " + c.Text) {
			if !seen[t.stem] {
				seen[t.stem] = true
				ts.df[t.stem]++
			}
		}
	}
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

// correct returns the corpus stem one edit away from an unknown stem
// ("lukemia" -> "leukemia"), preferring the most frequent, or "" if none.
// Short words are left alone: one edit changes them into other words.
func (ts *termStats) correct(s string) string {
	if ts == nil || len(s) < 5 {
		return ""
	}
	best, bestDF := "", 0
	for l := len(s) - 1; l <= len(s)+1; l++ {
		for _, cand := range ts.byLen[l] {
			if ts.df[cand] > bestDF && withinOneEdit(s, cand) {
				best, bestDF = cand, ts.df[cand]
			}
		}
	}
	return best
}

// withinOneEdit reports whether a and b differ by at most one insertion,
// deletion, substitution or swap of neighbouring letters.
func withinOneEdit(a, b string) bool {
	if a == b {
		return true
	}
	la, lb := len(a), len(b)
	if la > lb {
		a, b, la, lb = b, a, lb, la
	}
	if lb-la > 1 {
		return false
	}
	i := 0
	for i < la && a[i] == b[i] {
		i++
	}
	if la == lb {
		if a[i+1:] == b[i+1:] {
			return true // substitution
		}
		return i+1 < la && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:] // swap
	}
	return a[i:] == b[i+1:] // insertion
}

// rare says whether the stem occurs in at most a quarter of the passages.
func (ts *termStats) rare(stem string) bool {
	if ts == nil || ts.n == 0 {
		return true
	}
	df := ts.df[stem]
	return df > 0 && df*4 <= ts.n
}
