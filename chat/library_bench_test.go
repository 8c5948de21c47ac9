package chat_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/corpus"
	"github.com/cellchat/cellchat/library"
)

// BenchmarkAnswerLibrary is BenchmarkAnswer's questions answered with no
// library and with a library of 1,000 published entries (3 wordings
// each, made of corpus words, so they share the questions' vocabulary):
// the difference is what library matching adds to an answer.
func BenchmarkAnswerLibrary(b *testing.B) {
	corp, err := corpus.Load("../corpus")
	if err != nil {
		b.Fatal(err)
	}
	lib := library.NewLive()
	entries := syntheticEntries(corp.Chunks, 1000)
	// A threshold no score reaches: every question is matched against every
	// entry sharing a word with it, then answered by the engine, so the
	// engine's work is the same with and without the library.
	if stale := lib.Set(entries, library.PassagesOf(corp.Chunks), 2); len(stale) > 0 {
		b.Fatalf("%d synthetic entries stale", len(stale))
	}
	qs := chat.BenchQuestions
	for _, c := range []struct {
		name string
		lib  chat.Library
	}{{"none", nil}, {"1000-entries", lib}} {
		b.Run(c.name, func(b *testing.B) {
			e := chat.RealEngine(b, chat.Config{Library: c.lib})
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := e.Answer(ctx, nil, qs[i%len(qs)], nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("lookup-1000-entries", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			q := qs[i%len(qs)]
			lib.Lookup(q, q)
		}
	})
}

// syntheticEntries makes n published entries whose questions are runs of
// corpus words, each citing the chunk its words came from.
func syntheticEntries(chunks []corpus.Chunk, n int) []library.Entry {
	rng := rand.New(rand.NewPCG(1, 2))
	forms := []string{"What is", "How does", "Why do", "When can", "Is"}
	out := make([]library.Entry, n)
	for i := range out {
		c := chunks[rng.IntN(len(chunks))]
		words := strings.Fields(c.Text)
		text := func() string {
			start := rng.IntN(max(1, len(words)-6))
			return forms[rng.IntN(len(forms))] + " " + strings.Join(words[start:min(len(words), start+4+rng.IntN(4))], " ") + "?"
		}
		out[i] = library.Entry{ID: int64(i + 1), Status: library.StatusPublished, Question: text(), Variants: []string{text(), text()},
			Answer: fmt.Sprintf("Entry %d [1].", i+1), Citations: []chat.Citation{{N: 1, ChunkID: c.ID, Passage: c.Text}}}
	}
	return out
}
