package chat

import (
	"math"

	"github.com/cellchat/cellchat/corpus"
	"github.com/cellchat/cellchat/internal/words"
)

// termStats holds document frequencies of stems over the corpus's chunks.
// They weigh query terms: a word the corpus never uses ("insurance",
// "diabetes") weighs most, so a question built around it is found
// unanswerable; a word in every passage ("cell") weighs little.
type termStats struct {
	n  int
	df map[string]int
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
	return &termStats{n: n, df: df}
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

// rare says whether the stem occurs in at most a quarter of the passages.
func (ts *termStats) rare(stem string) bool {
	if ts == nil || ts.n == 0 {
		return true
	}
	df := ts.df[stem]
	return df > 0 && df*4 <= ts.n
}
