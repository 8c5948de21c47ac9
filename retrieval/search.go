package retrieval

import (
	"github.com/cellchat/cellchat/internal/words"

	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"sync"

	"github.com/cellchat/cellchat/corpus"
)

// Ranking settings, chosen on eval/questions.yaml (the dev set; the scores
// barely move around these values, see quality_test.go):
const (
	// expansionWeight is how much a lexicon expansion counts against the
	// words the patient typed.
	expansionWeight = 0.5
	// groupShare: a synonym group's expansion weight is divided by the
	// number of its terms to this power, so big groups do not drown the query.
	groupShare = 0.5
	// pairWeight is how much two adjacent query words found adjacent in a
	// passage count, on top of the words themselves.
	pairWeight = 0.75
	// fuzzyWeight is how much an indexed word counts that a query word no
	// chunk has is a likely misspelling of (bm25.nearWords).
	fuzzyWeight = 0.7
	// lexicalShare is the lexical ranking's share of the fused score.
	lexicalShare = 0.5
)

// fusion says how hybrid mode combines the lexical and vector rankings.
type fusion int

const (
	// fusionRRF is reciprocal rank fusion: sum of 1/(60+rank) over both lists.
	fusionRRF fusion = iota
	// fusionScores sums the scores, each divided by the best of its list.
	fusionScores
)

// defaultFusion is the fusion that scored best on the question sets
// (quality_test.go measures both).
const defaultFusion = fusionScores

// rrfK is the usual reciprocal-rank-fusion constant.
const rrfK = 60

// snapshot is an immutable searchable state: a Sync builds a new one and
// swaps it in, so searches never see a half-updated index.
type snapshot struct {
	version string
	chunks  []corpus.Chunk
	lex     *bm25
	emb     Embedder  // embedder of vecs; nil: no vectors usable
	dim     int       // length of each vector
	cols    []float32 // dim*len(chunks): component d of chunk i's unit vector is cols[d*len(chunks)+i]
}

func newSnapshot(version string, chunks []corpus.Chunk, vecs [][]float32, emb Embedder) *snapshot {
	texts := make([]string, len(chunks))
	for i, ch := range chunks {
		texts[i] = embedText(ch)
	}
	s := &snapshot{version: version, chunks: chunks, lex: newBM25(texts)}
	if emb != nil && len(vecs) == len(chunks) && len(vecs) > 0 {
		s.emb = emb
		s.dim = len(vecs[0])
		n := len(vecs)
		s.cols = make([]float32, n*s.dim)
		for i, v := range vecs {
			for d, x := range v {
				s.cols[d*n+i] = x
			}
		}
	}
	return s
}

func (s *snapshot) search(ctx context.Context, query string, expansions [][]string, k int, mode Mode, fu fusion) ([]Passage, error) {
	n := len(s.chunks)
	if n == 0 {
		return []Passage{}, nil
	}
	if s.cols == nil {
		mode = ModeLexical // no vectors of this embedder yet: lexical until the next Sync
	}
	var lex, vec []float64
	if mode == ModeLexical || mode == ModeHybrid {
		lex = make([]float64, n)
		s.lex.score(s.lexicalQuery(query, expansions), lex)
	}
	if mode == ModeVector || mode == ModeHybrid {
		qv, err := s.queryVector(ctx, query, expansions)
		switch {
		case err == nil:
			vec = s.cosines(qv)
		case mode == ModeHybrid && ctx.Err() == nil:
			// The embedding server failed: answer from the lexical index
			// rather than not at all.
			slog.Warn("retrieval: query embedding failed, searching lexically", "err", err)
			mode = ModeLexical
		default:
			return nil, err
		}
	}
	var order []int
	var fused []float64
	switch mode {
	case ModeLexical:
		order, fused = topK(lex, k, true), lex
	case ModeVector:
		order, fused = topK(vec, k, false), vec
	default:
		order, fused = fuse(lex, vec, k, fu)
	}
	out := make([]Passage, len(order))
	for i, d := range order {
		p := Passage{Chunk: s.chunks[d], Score: fused[d]}
		if lex != nil {
			p.Lexical = lex[d]
		}
		if vec != nil {
			p.Vector = vec[d]
		}
		out[i] = p
	}
	return out, nil
}

// lexicalQuery is the query's stems, then the expansions' at a lower weight.
// A group's weight is shared among its terms, so a group of many synonyms
// does not outweigh the patient's own words.
func (s *snapshot) lexicalQuery(query string, expansions [][]string) []weightedTerm {
	weights := map[string]float64{}
	var order []string
	put := func(t string, w float64) {
		if _, ok := weights[t]; !ok {
			order = append(order, t)
		}
		if w > weights[t] {
			weights[t] = w
		}
	}
	// Word pairs count for the patient's own words only: an expansion's
	// pairs ("CAR T-cell therapy") would favour the few passages that
	// spell out that one synonym.
	add := func(text string, w float64, pairs bool) {
		ts := terms(text)
		for i, t := range ts {
			put(t, w)
			if pairs && i > 0 {
				put(pairKey(ts[i-1], t), w*pairWeight)
			}
		}
	}
	add(query, 1, true)
	for _, t := range words.Tokens(query) {
		if words.IsStop(t.Word) || len(s.lex.postings[t.Stem]) > 0 {
			continue
		}
		for _, v := range words.AmericanSpellings(t.Word) {
			if st := words.Stem(v); len(s.lex.postings[st]) > 0 {
				put(st, 1) // "leukaemia" is the sources' "leukemia"
			}
		}
		if words.IsEnglish(t.Word) {
			continue // a word of the language is no misspelling ("saying" is not "saving")
		}
		for _, near := range s.lex.nearWords(t.Stem) {
			put(near, fuzzyWeight)
		}
	}
	for _, g := range expansions {
		w := expansionWeight / math.Pow(float64(len(g)), groupShare)
		for _, e := range g {
			add(e, w, false)
		}
	}
	out := make([]weightedTerm, len(order))
	for i, t := range order {
		out[i] = weightedTerm{stem: t, weight: weights[t]}
	}
	return out
}

// queryVector embeds the query (and its expansions, at a lower weight). The
// local embedder weights query words by their rarity in the index.
func (s *snapshot) queryVector(ctx context.Context, query string, expansions [][]string) ([]float32, error) {
	if local, ok := s.emb.(*LocalEmbedder); ok {
		qv := local.embedQuery(query, s.lex.idf)
		for _, g := range expansions {
			ev := local.embedQuery(strings.Join(g, "\n"), s.lex.idf)
			for i := range qv {
				qv[i] += float32(expansionWeight) * ev[i]
			}
		}
		normalizeInPlace(qv)
		return qv, nil
	}
	text := query
	for _, g := range expansions {
		text += "\n" + strings.Join(g, "; ")
	}
	qv, err := s.emb.Embed(ctx, text)
	if err != nil {
		return nil, err
	}
	if len(qv) != s.dim {
		return nil, fmt.Errorf("query vector from %s has %d dimensions, the index %d", s.emb.Name(), len(qv), s.dim)
	}
	return qv, nil
}

// Vectors are stored by dimension (column-major), and a query is scored
// dimension by dimension, skipping its zero components. The local
// embedder's query vectors are sparse (a short question has features in a
// fraction of the dimensions), so over 100,000 chunks this does several
// times less work than a dot product per chunk, and it is exact. Dense
// query vectors (remote embedders) cost the same as row by row.
const (
	blockRows   = 4096    // rows scored together, so the accumulators stay in cache
	parallelMin = 1 << 20 // multiply-adds above which all cores work
)

// cosines is the cosine of the unit query vector with every chunk vector.
func (s *snapshot) cosines(q []float32) []float64 {
	n := len(s.chunks)
	var nz []int
	for i, x := range q {
		if x != 0 {
			nz = append(nz, i)
		}
	}
	out := make([]float64, n)
	parallelRows(n, len(nz), func(lo, hi int) {
		acc := make([]float32, min(blockRows, hi-lo))
		for b := lo; b < hi; b += blockRows {
			e := min(b+blockRows, hi)
			a := acc[:e-b]
			clear(a)
			for _, i := range nz {
				axpy(a, s.cols[i*n+b:i*n+e], q[i])
			}
			for j, x := range a {
				out[b+j] = float64(x)
			}
		}
	})
	return out
}

// axpy adds w*x to a, element by element (len(x) >= len(a)). Unrolled by
// four with the bounds checks hoisted: about twice as fast as the plain loop.
func axpy(a, x []float32, w float32) {
	x = x[:len(a)]
	j := 0
	for ; j+4 <= len(a); j += 4 {
		aa := a[j : j+4 : j+4]
		xx := x[j : j+4 : j+4]
		aa[0] += w * xx[0]
		aa[1] += w * xx[1]
		aa[2] += w * xx[2]
		aa[3] += w * xx[3]
	}
	for ; j < len(a); j++ {
		a[j] += w * x[j]
	}
}

// parallelRows runs f over row ranges, on all cores when the work is large.
func parallelRows(n, dim int, f func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if n*dim < parallelMin || workers < 2 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}

// fuse ranks by the fusion of the lexical and vector scores and returns the
// top k and every chunk's fused score.
func fuse(lex, vec []float64, k int, fu fusion) ([]int, []float64) {
	n := len(lex)
	fused := make([]float64, n)
	switch fu {
	case fusionRRF:
		depth := max(50, 10*k)
		for rank, d := range topK(lex, depth, true) {
			fused[d] += 1 / float64(rrfK+rank+1)
		}
		for rank, d := range topK(vec, depth, false) {
			fused[d] += 1 / float64(rrfK+rank+1)
		}
	default:
		maxLex, maxVec := 0.0, 0.0
		for d := 0; d < n; d++ {
			maxLex = max(maxLex, lex[d])
			maxVec = max(maxVec, vec[d])
		}
		for d := 0; d < n; d++ {
			var f float64
			if maxLex > 0 {
				f += lexicalShare * lex[d] / maxLex
			}
			if maxVec > 0 && vec[d] > 0 {
				f += (1 - lexicalShare) * vec[d] / maxVec
			}
			fused[d] = f
		}
	}
	return topK(fused, k, true), fused
}

// topK returns the indexes of the k highest scores, best first (ties: lower
// index first, i.e. corpus order). positive keeps only scores above zero.
func topK(scores []float64, k int, positive bool) []int {
	k = min(k, len(scores))
	if k <= 0 {
		return nil
	}
	h := make(minHeap, 0, k)
	for d, s := range scores {
		if positive && s <= 0 {
			continue
		}
		if len(h) < k {
			heap.Push(&h, scored{d, s})
		} else if s > h[0].score {
			h[0] = scored{d, s}
			heap.Fix(&h, 0)
		}
	}
	out := make([]int, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&h).(scored).doc
	}
	return out
}

type scored struct {
	doc   int
	score float64
}

// minHeap keeps the k best so far with the worst at the top; among equal
// scores the later chunk counts as worse.
type minHeap []scored

func (h minHeap) Len() int { return len(h) }
func (h minHeap) Less(i, j int) bool {
	if h[i].score != h[j].score {
		return h[i].score < h[j].score
	}
	return h[i].doc > h[j].doc
}
func (h minHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)   { *h = append(*h, x.(scored)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
