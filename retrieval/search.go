package retrieval

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"

	"github.com/cellchat/cellchat/corpus"
)

// expansionWeight is how much a lexicon expansion counts against the words
// the patient typed.
const expansionWeight = 0.5

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
	vecs    []float32 // len(chunks)*dim, row i is chunk i's unit vector
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
		s.vecs = make([]float32, 0, len(vecs)*s.dim)
		for _, v := range vecs {
			s.vecs = append(s.vecs, v...)
		}
	}
	return s
}

func (s *snapshot) search(ctx context.Context, query string, expansions []string, k int, mode Mode, fu fusion) ([]Passage, error) {
	n := len(s.chunks)
	if n == 0 {
		return []Passage{}, nil
	}
	if s.vecs == nil {
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
func (s *snapshot) lexicalQuery(query string, expansions []string) []weightedTerm {
	weights := map[string]float64{}
	var order []string
	add := func(text string, w float64) {
		for _, t := range terms(text) {
			if _, ok := weights[t]; !ok {
				order = append(order, t)
			}
			if w > weights[t] {
				weights[t] = w
			}
		}
	}
	add(query, 1)
	for _, e := range expansions {
		add(e, expansionWeight)
	}
	out := make([]weightedTerm, len(order))
	for i, t := range order {
		out[i] = weightedTerm{stem: t, weight: weights[t]}
	}
	return out
}

// queryVector embeds the query (and its expansions, at a lower weight). The
// local embedder weights query words by their rarity in the index.
func (s *snapshot) queryVector(ctx context.Context, query string, expansions []string) ([]float32, error) {
	if local, ok := s.emb.(*LocalEmbedder); ok {
		qv := local.embedQuery(query, s.lex.idf)
		if len(expansions) > 0 {
			ev := local.embedQuery(strings.Join(expansions, "\n"), s.lex.idf)
			for i := range qv {
				qv[i] += float32(expansionWeight) * ev[i]
			}
			normalizeInPlace(qv)
		}
		return qv, nil
	}
	text := query
	if len(expansions) > 0 {
		text += "\n" + strings.Join(expansions, "; ")
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

// parallelMin is the number of vector components above which cosines are
// computed on all cores.
const parallelMin = 1 << 20

// cosines is the dot product of the unit query vector with every chunk vector.
func (s *snapshot) cosines(q []float32) []float64 {
	n := len(s.chunks)
	out := make([]float64, n)
	workers := runtime.GOMAXPROCS(0)
	if n*s.dim < parallelMin || workers < 2 {
		dotRows(s.vecs, q, out, 0, n)
		return out
	}
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			dotRows(s.vecs, q, out, lo, hi)
		}()
	}
	wg.Wait()
	return out
}

func dotRows(vecs, q []float32, out []float64, lo, hi int) {
	dim := len(q)
	for r := lo; r < hi; r++ {
		row := vecs[r*dim : r*dim+dim]
		var s0, s1, s2, s3 float32
		i := 0
		for ; i+4 <= dim; i += 4 {
			s0 += row[i] * q[i]
			s1 += row[i+1] * q[i+1]
			s2 += row[i+2] * q[i+2]
			s3 += row[i+3] * q[i+3]
		}
		for ; i < dim; i++ {
			s0 += row[i] * q[i]
		}
		out[r] = float64(s0 + s1 + s2 + s3)
	}
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
				f += lex[d] / maxLex
			}
			if maxVec > 0 && vec[d] > 0 {
				f += vec[d] / maxVec
			}
			fused[d] = f / 2
		}
	}
	return topK(fused, k, true), fused
}

// topK returns the indexes of the k highest scores, best first (ties: lower
// index first, i.e. corpus order). positive keeps only scores above zero.
func topK(scores []float64, k int, positive bool) []int {
	h := make(minHeap, 0, k+1)
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
