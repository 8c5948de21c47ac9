package retrieval

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cellchat/cellchat/corpus"
)

var benchQueries = []string{
	"What is CAR-T therapy?",
	"What are the side effects of car t",
	"Can they use my own cells?",
	"what does allogenic mean",
	"Is a bone marrow transplant the same as HSCT?",
	"Why do I need chemo before the cells?",
	"What is graft-versus-host disease?",
	"How are the T cells collected?",
}

// BenchmarkSearchRealCorpus is one hybrid search over the project's corpus.
func BenchmarkSearchRealCorpus(b *testing.B) {
	ix, _ := openRealCorpus(b)
	ctx := context.Background()
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		if _, err := ix.Search(ctx, benchQueries[i%len(benchQueries)], 5); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportCPU(b, cpu, i)
}

// reportCPU adds the CPU time per operation since start as a metric.
func reportCPU(b *testing.B, start time.Duration, ops int) {
	if ops > 0 && start >= 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(ops), "cpu-ns/op")
	}
}

// syntheticChunks makes n chunks of 40-120 words drawn from the real
// corpus's vocabulary with a Zipf-like skew, like a much larger corpus on
// the same subject would have.
func syntheticChunks(tb testing.TB, n int) []corpus.Chunk {
	tb.Helper()
	c, err := corpus.Load("../corpus")
	if c == nil {
		tb.Fatalf("load corpus: %v", err)
	}
	counts := map[string]int{}
	for _, ch := range c.Chunks {
		for _, w := range strings.Fields(ch.Text) {
			counts[strings.Trim(w, ".,;:()!?\"'")]++
		}
	}
	var vocab []string
	for w := range counts {
		if w != "" {
			vocab = append(vocab, w)
		}
	}
	// sort by frequency, most frequent first, for the Zipf draw
	for i := 1; i < len(vocab); i++ {
		for j := i; j > 0 && (counts[vocab[j]] > counts[vocab[j-1]] || counts[vocab[j]] == counts[vocab[j-1]] && vocab[j] < vocab[j-1]); j-- {
			vocab[j], vocab[j-1] = vocab[j-1], vocab[j]
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rand.New(rand.NewPCG(3, 4)), 1.1, 2, uint64(len(vocab)-1))
	chunks := make([]corpus.Chunk, n)
	var sb strings.Builder
	for i := range chunks {
		sb.Reset()
		words := 40 + rng.IntN(80)
		for w := 0; w < words; w++ {
			if w > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(vocab[zipf.Uint64()])
		}
		chunks[i] = corpus.Chunk{ID: fmt.Sprintf("syn-%d", i), DocID: fmt.Sprintf("syn-doc-%d", i/20), Title: "Synthetic", Section: "Part " + fmt.Sprint(i%7), Text: sb.String(), Ord: i % 20}
	}
	return chunks
}

// syntheticSnapshot embeds the chunks with the default embedder, as Sync
// would, and builds the searchable snapshot.
func syntheticSnapshot(tb testing.TB, chunks []corpus.Chunk) *snapshot {
	emb := NewLocalEmbedder()
	vecs := make([][]float32, len(chunks))
	for i, ch := range chunks {
		vecs[i], _ = emb.Embed(context.Background(), embedText(ch))
	}
	return newSnapshot("synthetic", chunks, vecs, emb)
}

// BenchmarkSearch100k is one search over 100,000 synthetic chunks, per mode.
func BenchmarkSearch100k(b *testing.B) {
	s := syntheticSnapshot(b, syntheticChunks(b, 100_000))
	lex, err := LoadLexicon("../corpus/lexicon.yaml")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, mode := range []Mode{ModeHybrid, ModeLexical, ModeVector} {
		b.Run(string(mode), func(b *testing.B) {
			i := 0
			cpu := cpuTime()
			for b.Loop() {
				q := benchQueries[i%len(benchQueries)]
				if _, err := s.search(ctx, q, lex.expandGroups(q), 5, mode, defaultFusion); err != nil {
					b.Fatal(err)
				}
				i++
			}
			reportCPU(b, cpu, i)
		})
	}
}

// BenchmarkIngestScratch is a first Sync of the real corpus into an empty
// data directory (corpus already loaded: corpus.Load has its own benchmark).
func BenchmarkIngestScratch(b *testing.B) {
	c, err := corpus.Load("../corpus")
	if c == nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		b.StartTimer()
		ix, err := Open(ctx, dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if st, err := ix.Sync(ctx, c, nil); err != nil || st.Embedded != len(c.Chunks) {
			b.Fatalf("%+v %v", st, err)
		}
		ix.Close()
	}
}

// BenchmarkIngestUnchanged is opening an indexed data directory and syncing
// the same corpus again: nothing is embedded.
func BenchmarkIngestUnchanged(b *testing.B) {
	c, err := corpus.Load("../corpus")
	if c == nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	dir := b.TempDir()
	ix, _ := Open(ctx, dir, Options{})
	if _, err := ix.Sync(ctx, c, nil); err != nil {
		b.Fatal(err)
	}
	ix.Close()
	for b.Loop() {
		ix, err := Open(ctx, dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if st, err := ix.Sync(ctx, c, nil); err != nil || st.Embedded != 0 {
			b.Fatalf("%+v %v", st, err)
		}
		ix.Close()
	}
}
