package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/corpus"
	"github.com/cellchat/cellchat/library"
	"github.com/cellchat/cellchat/transcript"
)

// An ingest that changes or removes a passage a published entry cites
// makes the entry stale: it is not served until re-approved, and says why.
func TestServedLibraryStaleAfterIngest(t *testing.T) {
	ctx := context.Background()
	store, err := transcript.Open(ctx, filepath.Join(t.TempDir(), transcript.FileName), transcript.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	v1 := &corpus.Corpus{Version: "v1", Chunks: []corpus.Chunk{
		{ID: "doc#1", DocID: "doc", Text: "GVHD is when donor cells attack the body."},
		{ID: "doc#2", DocID: "doc", Text: "CRS is cytokine release syndrome."},
		{ID: "doc#3", DocID: "doc", Text: "ICANS affects the nervous system."},
	}}
	p := library.PassagesOf(v1.Chunks)
	entry := func(q, chunk string) library.Entry {
		return p.Cite(library.Entry{Status: library.StatusPublished, Question: q, Answer: "See [1].",
			Citations: []chat.Citation{{N: 1, ChunkID: chunk}}})
	}
	if _, err := store.Import(ctx, []library.Entry{entry("What is GVHD?", "doc#1"), entry("What is CRS?", "doc#2"), entry("What is ICANS?", "doc#3")}, "cli"); err != nil {
		t.Fatal(err)
	}
	live := library.NewLive()
	s := &servedLibrary{live: live, store: store, log: slog.New(slog.DiscardHandler)}
	if err := s.setCorpus(ctx, v1); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"What is GVHD?", "What is CRS?", "What is ICANS?"} {
		if _, ok := live.Lookup(q, ""); !ok {
			t.Fatalf("%q not served from the library before the ingest", q)
		}
	}
	gen := live.Generation()
	if err := s.Refresh(ctx); err != nil || live.Generation() != gen {
		t.Fatalf("a refresh with nothing changed rebuilt the library (%v)", err)
	}
	// v2 changes doc#2's text and drops doc#3.
	v2 := &corpus.Corpus{Version: "v2", Chunks: []corpus.Chunk{v1.Chunks[0], {ID: "doc#2", DocID: "doc", Text: "CRS can cause a high fever."}}}
	if err := s.setCorpus(ctx, v2); err != nil {
		t.Fatal(err)
	}
	if _, ok := live.Lookup("What is GVHD?", ""); !ok {
		t.Error("an entry whose passage did not change is no longer served")
	}
	for id, q := range map[int64]string{2: "What is CRS?", 3: "What is ICANS?"} {
		if _, ok := live.Lookup(q, ""); ok {
			t.Errorf("stale entry %d served", id)
		}
		if len(s.Stale(id)) != 1 {
			t.Errorf("entry %d: stale reasons %v", id, s.Stale(id))
		}
	}
	if s.Stale(1) != nil || s.CorpusVersion() != "v2" || len(s.Passages()) != 2 {
		t.Errorf("after the ingest: stale(1) %v, corpus %s, %d passages", s.Stale(1), s.CorpusVersion(), len(s.Passages()))
	}
}
