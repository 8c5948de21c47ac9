package retrieval

import (
	"math"
	"strings"

	"github.com/cellchat/cellchat/internal/words"
)

// BM25 parameters: the usual defaults.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// posting is one document's count of a term.
type posting struct {
	doc int32
	tf  float32
}

// bm25 is an in-memory inverted index over analysed chunk text. It is built
// from the chunks on every load (fast: the corpus is small, and 100,000
// chunks take well under a second), so it never needs persisting.
type bm25 struct {
	postings map[string][]posting
	docLen   []float32
	avgLen   float64
	// vocab are the indexed single-word stems, for finding the word a
	// misspelled query word meant (nearWords).
	vocab *words.Vocabulary
}

// pairKey is the index key of two adjacent content words (stop words
// between them skipped): a query's "tissue therapy" or "bone marrow" then
// ranks the passages with that phrase above those with the words apart.
// Stems hold no space, so a pair never collides with a word.
func pairKey(a, b string) string { return a + " " + b }

// weightedTerm is a query term and how much it counts (expansions count less).
type weightedTerm struct {
	stem   string
	weight float64
}

func newBM25(texts []string) *bm25 {
	ix := &bm25{postings: map[string][]posting{}, docLen: make([]float32, len(texts))}
	var total float64
	counts := map[string]int{}
	for d, text := range texts {
		clear(counts)
		n := 0
		ts := terms(text)
		for i, t := range ts {
			counts[t]++
			n++
			if i > 0 {
				counts[pairKey(ts[i-1], t)]++
			}
		}
		for t, c := range counts {
			ix.postings[t] = append(ix.postings[t], posting{doc: int32(d), tf: float32(c)})
		}
		ix.docLen[d] = float32(n)
		total += float64(n)
	}
	if len(texts) > 0 {
		ix.avgLen = total / float64(len(texts))
	}
	if ix.avgLen == 0 {
		ix.avgLen = 1
	}
	stems := make([]string, 0, len(ix.postings))
	for t := range ix.postings {
		if !strings.Contains(t, " ") {
			stems = append(stems, t)
		}
	}
	ix.vocab = words.NewVocabulary(stems)
	return ix
}

// Misspelling fallback: a query word no chunk has is looked up among the
// indexed words within a small edit distance ("leukaferesis" finds
// "leukapheresis"). Short words are left alone: up to five letters one edit
// turns many words into another real word ("watch", "match"). The first
// letter must agree (words.Vocabulary.Near).
const (
	fuzzyMinLen     = 6 // shortest stem looked up
	fuzzyLongLen    = 8 // stems this long may be two edits away, shorter ones one
	fuzzyMaxMatches = 3 // more near words than this: the word is too ambiguous to guess
)

// nearWords returns the indexed stems closest to stem within the allowed
// edit distance (none if stem is indexed itself, short, or ambiguous).
func (ix *bm25) nearWords(stem string) []string {
	n := len(stem)
	if n < fuzzyMinLen || len(ix.postings[stem]) > 0 {
		return nil
	}
	maxD := 1
	if n >= fuzzyLongLen {
		maxD = 2
	}
	best, _ := ix.vocab.Near(stem, maxD)
	if len(best) > fuzzyMaxMatches {
		return nil
	}
	return best
}

// docFreqs is how many chunks hold each single-word stem (pairs left out).
func (ix *bm25) docFreqs() map[string]int {
	m := make(map[string]int, len(ix.postings))
	for k, ps := range ix.postings {
		if !strings.Contains(k, " ") {
			m[k] = len(ps)
		}
	}
	return m
}

// idf is the BM25 inverse document frequency of a stem (never negative). A
// stem no chunk has gets the highest idf: a rare or misspelled word should
// count for a lot in the vector query, where its character n-grams may match.
func (ix *bm25) idf(stem string) float64 {
	n := float64(len(ix.docLen))
	df := float64(len(ix.postings[stem]))
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// score adds each document's BM25 score for the query terms into scores
// (len = number of documents).
func (ix *bm25) score(query []weightedTerm, scores []float64) {
	for _, q := range query {
		ps := ix.postings[q.stem]
		if len(ps) == 0 {
			continue
		}
		w := q.weight * ix.idf(q.stem)
		for _, p := range ps {
			tf := float64(p.tf)
			norm := bm25K1 * (1 - bm25B + bm25B*float64(ix.docLen[p.doc])/ix.avgLen)
			scores[p.doc] += w * tf * (bm25K1 + 1) / (tf + norm)
		}
	}
}
