package retrieval

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
)

// LocalEmbedder is the default embedder: fully local, nothing downloaded.
// A text becomes hashed features (stemmed words, word bigrams, and character
// n-grams of each word, which make misspellings such as "allogenic" land near
// "allogeneic"), weighted by sublinear term frequency, folded into a fixed
// number of dimensions with signed feature hashing, and L2-normalised.
//
// Document vectors use no corpus statistics, so re-ingesting never changes the
// vector of an unchanged chunk. Rarity (IDF) is applied on the query side
// instead (see embedQuery), from the live index's statistics.
type LocalEmbedder struct {
	Dim         int     // dimensions of the vector
	MinGram     int     // shortest character n-gram
	MaxGram     int     // longest character n-gram
	WordWeight  float64 // weight of a stemmed word
	PairWeight  float64 // weight of a word bigram
	GramsWeight float64 // total weight of one word's character n-grams
}

// NewLocalEmbedder returns the local embedder with its default settings.
func NewLocalEmbedder() *LocalEmbedder {
	return &LocalEmbedder{Dim: 256, MinGram: 3, MaxGram: 4, WordWeight: 1, PairWeight: 0.5, GramsWeight: 1}
}

// Name identifies the embedder and every setting that changes its vectors.
func (e *LocalEmbedder) Name() string {
	return fmt.Sprintf("local-hash-v1/d%d/g%d-%d/w%g-%g-%g", e.Dim, e.MinGram, e.MaxGram, e.WordWeight, e.PairWeight, e.GramsWeight)
}

// Embed returns the document vector of text.
func (e *LocalEmbedder) Embed(ctx context.Context, text string) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return e.vector(text, nil), nil
}

// embedQuery returns the query vector of text, each word's features scaled
// by idf(stem) so rare words count more than common ones.
func (e *LocalEmbedder) embedQuery(text string, idf func(stem string) float64) []float32 {
	return e.vector(text, idf)
}

func (e *LocalEmbedder) vector(text string, idf func(string) float64) []float32 {
	weight := func(stem string) float64 {
		if idf == nil {
			return 1
		}
		return idf(stem)
	}
	counts := map[uint64]float64{} // feature hash -> occurrences
	base := map[uint64]float64{}   // feature hash -> weight of one occurrence
	add := func(h uint64, w float64) {
		counts[h]++
		if w > base[h] {
			base[h] = w
		}
	}
	var prev string
	var prevW float64
	for _, t := range analyze(text) {
		if t.stop {
			continue
		}
		w := weight(t.stem)
		add(hashFeature('w', t.stem), e.WordWeight*w)
		if prev != "" {
			add(hashFeature('p', prev+" "+t.stem), e.PairWeight*(w+prevW)/2)
		}
		prev, prevW = t.stem, w
		gs := charGrams(t.word, e.MinGram, e.MaxGram)
		if len(gs) > 0 {
			gw := e.GramsWeight * w / math.Sqrt(float64(len(gs)))
			for _, g := range gs {
				add(hashFeature('c', g), gw)
			}
		}
	}
	v := make([]float32, e.Dim)
	for h, n := range counts {
		val := (1 + math.Log(n)) * base[h]
		i := int(h % uint64(e.Dim))
		if h>>63 == 1 {
			val = -val
		}
		v[i] += float32(val)
	}
	normalizeInPlace(v)
	return v
}

func hashFeature(kind byte, s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte{kind})
	h.Write([]byte(s))
	return h.Sum64()
}

// charGrams returns the character n-grams of a word marked at both ends
// ("<cell>"), so prefixes and suffixes are features of their own.
func charGrams(word string, minN, maxN int) []string {
	r := []rune("<" + word + ">")
	var out []string
	for n := minN; n <= maxN; n++ {
		for i := 0; i+n <= len(r); i++ {
			out = append(out, string(r[i:i+n]))
		}
	}
	return out
}

func normalizeInPlace(v []float32) {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
}
