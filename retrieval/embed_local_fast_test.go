package retrieval

import (
	"hash/fnv"
	"math"
	"slices"
	"testing"

	"github.com/cellchat/cellchat/internal/words"
)

func TestHashFeatureIsFNV1a(t *testing.T) {
	for _, s := range []string{"", "cell", "car-t", "allogeneic", "ü≥\xff", "p q"} {
		h := fnv.New64a()
		h.Write([]byte{'c'})
		h.Write([]byte(s))
		if got, want := hashFeature('c', s), h.Sum64(); got != want {
			t.Errorf("hashFeature(%q) = %x, want %x", s, got, want)
		}
	}
}

// referenceVector is LocalEmbedder.vector written plainly (hash/fnv,
// charGrams, strings built for every feature): the fast one must agree.
func referenceVector(e *LocalEmbedder, text string, idf func(string) float64) []float32 {
	hash := func(kind byte, s string) uint64 {
		h := fnv.New64a()
		h.Write([]byte{kind})
		h.Write([]byte(s))
		return h.Sum64()
	}
	counts, base := map[uint64]float64{}, map[uint64]float64{}
	add := func(h uint64, w float64) {
		counts[h]++
		base[h] = max(base[h], w)
	}
	var prev string
	var prevW float64
	for _, t := range words.Tokens(text) {
		if words.IsStop(t.Word) {
			continue
		}
		w := idf(t.Stem)
		add(hash('w', t.Stem), e.WordWeight*w)
		if prev != "" {
			add(hash('p', prev+" "+t.Stem), e.PairWeight*(w+prevW)/2)
		}
		prev, prevW = t.Stem, w
		gs := charGrams(t.Word, e.MinGram, e.MaxGram)
		for _, g := range gs {
			add(hash('c', g), e.GramsWeight*w/math.Sqrt(float64(len(gs))))
		}
	}
	v := make([]float32, e.Dim)
	for h, n := range counts {
		val := (1 + math.Log(n)) * base[h]
		if h>>63 == 1 {
			val = -val
		}
		v[int(h%uint64(e.Dim))] += float32(val)
	}
	normalizeInPlace(v)
	return v
}

func TestVectorMatchesReference(t *testing.T) {
	e := NewLocalEmbedder()
	idf := func(stem string) float64 { return 1 + float64(len(stem))/10 }
	for _, text := range []string{
		"What is CAR-T cell therapy?",
		"Allogenic stem-cell transplants: the donor’s cells, naïve T cells, GVHD!",
		"a b c 1 22 333 ü",
		"broken \xff\xfe bytes inside wörds",
		"",
	} {
		got, want := e.vector(text, idf), referenceVector(e, text, idf)
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-6 {
				t.Fatalf("%q: component %d = %v, want %v", text, i, got[i], want[i])
			}
		}
	}
}

// TestExpandIndexAgreesWithScan checks that the first-stem index of the
// lexicon finds exactly the groups a scan of every group finds.
func TestExpandIndexAgreesWithScan(t *testing.T) {
	lex, err := LoadLexicon("../corpus/lexicon.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if lex.Len() == 0 {
		t.Skip("no lexicon in ../corpus")
	}
	scan := &Lexicon{groups: lex.groups}
	var queries []string
	for _, g := range lex.groups {
		for _, p := range g {
			queries = append(queries, "What is "+p.text+"?", "my "+p.text+" and side effects of "+g[0].text)
		}
	}
	expanded := 0
	for _, q := range append(queries, "", "What is CAR-T?", "nothing relevant here") {
		got, want := lex.Expand(q), scan.Expand(q)
		if !slices.Equal(got, want) {
			t.Errorf("Expand(%q) = %q, scanning gives %q", q, got, want)
		}
		if len(want) > 0 {
			expanded++
		}
	}
	if expanded == 0 {
		t.Error("no query was expanded")
	}
}
