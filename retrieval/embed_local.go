package retrieval

import (
	"context"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/cellchat/cellchat/internal/words"
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
// The version counts changes to the features, including the word analysis
// of internal/words they are built from (v3: one-letter words dropped, the
// shared stop list; v4: every inflection of a listed word form; v5: "every"
// a stop word; v6: "medication" kept apart from "medical"), so an index
// built by an older version is re-embedded.
func (e *LocalEmbedder) Name() string {
	return fmt.Sprintf("local-hash-v6/d%d/g%d-%d/w%g-%g-%g", e.Dim, e.MinGram, e.MaxGram, e.WordWeight, e.PairWeight, e.GramsWeight)
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
	// feature hash -> occurrences and the weight of one occurrence; one
	// map, sized for a question, not two grown entry by entry.
	type feature struct{ n, base float64 }
	feats := make(map[uint64]feature, 64)
	// The features in the order first seen: summed in this order, not the
	// map's, the same text always gets bit for bit the same vector (float
	// sums depend on their order), so scores and rankings repeat exactly.
	order := make([]uint64, 0, 64)
	add := func(h uint64, w float64) {
		f, seen := feats[h]
		if !seen {
			order = append(order, h)
		}
		f.n++
		if w > f.base {
			f.base = w
		}
		feats[h] = f
	}
	var prev string
	var prevW float64
	var offs []int
	for _, t := range analyze(text) {
		if words.IsStop(t.Word) {
			continue
		}
		w := weight(t.Stem)
		add(hashFeature('w', t.Stem), e.WordWeight*w)
		if prev != "" {
			// hashFeature('p', prev+" "+t.Stem), without building the string
			add(fnvAdd(fnvAdd(fnvAdd(fnvAdd(fnvOffset, "p"), prev), " "), t.Stem), e.PairWeight*(w+prevW)/2)
		}
		prev, prevW = t.Stem, w
		if !utf8.ValidString(t.Word) {
			gs := charGrams(t.Word, e.MinGram, e.MaxGram)
			if len(gs) > 0 {
				gw := e.GramsWeight * w / math.Sqrt(float64(len(gs)))
				for _, g := range gs {
					add(hashFeature('c', g), gw)
				}
			}
			continue
		}
		// The grams of charGrams, as substrings of the marked word found
		// by rune offsets instead of allocated strings.
		marked := "<" + t.Word + ">"
		offs = offs[:0]
		for i := range marked {
			offs = append(offs, i)
		}
		runes := len(offs)
		offs = append(offs, len(marked))
		grams := 0
		for n := e.MinGram; n <= e.MaxGram; n++ {
			grams += max(runes-n+1, 0)
		}
		if grams == 0 {
			continue
		}
		gw := e.GramsWeight * w / math.Sqrt(float64(grams))
		for n := e.MinGram; n <= e.MaxGram; n++ {
			for i := 0; i+n <= runes; i++ {
				add(hashFeature('c', marked[offs[i]:offs[i+n]]), gw)
			}
		}
	}
	v := make([]float32, e.Dim)
	for _, h := range order {
		f := feats[h]
		val := f.base // most features occur once: 1 + log(1) is 1
		if f.n != 1 {
			val = (1 + math.Log(f.n)) * f.base
		}
		i := int(h % uint64(e.Dim))
		if h>>63 == 1 {
			val = -val
		}
		v[i] += float32(val)
	}
	normalizeInPlace(v)
	return v
}

// hashFeature is the 64-bit FNV-1a hash of kind followed by s (as
// hash/fnv computes it, without its allocations).
func hashFeature(kind byte, s string) uint64 {
	h := (fnvOffset ^ uint64(kind)) * fnvPrime
	return fnvAdd(h, s)
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnvAdd continues an FNV-1a hash h with the bytes of s.
func fnvAdd(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
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
