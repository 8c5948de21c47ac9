package retrieval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cellchat/cellchat/corpus"
)

// testCorpus builds a corpus from documents given as id -> paragraphs, with
// chunk ids made the way the corpus package makes them (doc id + content hash).
func testCorpus(docs map[string][]string) *corpus.Corpus {
	c := &corpus.Corpus{}
	ids := make([]string, 0, len(docs))
	for id := range docs {
		ids = append(ids, id)
	}
	// deterministic order
	for i := range ids {
		for j := i + 1; j < len(ids); j++ {
			if ids[j] < ids[i] {
				ids[i], ids[j] = ids[j], ids[i]
			}
		}
	}
	h := sha256.New()
	for _, id := range ids {
		c.Docs = append(c.Docs, corpus.Document{ID: id, Title: "Title of " + id})
		for ord, text := range docs[id] {
			sum := sha256.Sum256([]byte(text))
			ch := corpus.Chunk{
				ID: id + "-" + hex.EncodeToString(sum[:6]), DocID: id, Title: "Title of " + id,
				URL: "https://example.org/" + id, Section: "Section", Text: text, Ord: ord,
			}
			c.Chunks = append(c.Chunks, ch)
			h.Write([]byte(ch.ID))
		}
	}
	c.Version = hex.EncodeToString(h.Sum(nil))[:12]
	return c
}

var baseDocs = map[string][]string{
	"cart": {
		"CAR-T therapy modifies a patient's own T cells to recognize and attack cancer cells.",
		"Side effects include cytokine release syndrome and neurologic toxicities.",
	},
	"hct": {
		"A hematopoietic stem cell transplantation, sometimes known as a bone marrow transplant, treats blood cancers.",
		"Graft-versus-host disease arises when donor immune cells attack the recipient's tissues.",
	},
	"basics": {
		"Autologous cell therapy means the cells are collected from the individual's own body.",
		"Allogeneic cell therapy means the cells come from someone other than the patient, a donor.",
		"Conditioning is often a chemotherapy given before the cell therapy.",
	},
}

// countingEmbedder counts calls and can fail after a number of them.
type countingEmbedder struct {
	inner   Embedder
	name    string
	calls   atomic.Int64
	failAt  int64 // fail on this call (1-based); 0: never
	failErr error
}

func (e *countingEmbedder) Name() string {
	if e.name != "" {
		return e.name
	}
	return e.inner.Name()
}

func (e *countingEmbedder) Embed(ctx context.Context, text string) ([]float32, error) {
	n := e.calls.Add(1)
	if e.failAt > 0 && n >= e.failAt {
		return nil, e.failErr
	}
	return e.inner.Embed(ctx, text)
}

func openTest(t *testing.T, dir string, emb Embedder) *Index {
	t.Helper()
	ix, err := Open(context.Background(), dir, Options{Embedder: emb})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func docIDs(ps []Passage) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.DocID)
	}
	return out
}

func TestSyncIsIncremental(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	emb := &countingEmbedder{inner: NewLocalEmbedder()}
	ix := openTest(t, dir, emb)
	c := testCorpus(baseDocs)

	st, err := ix.Sync(ctx, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Embedded != 7 || st.Kept != 0 || st.Chunks != 7 || st.Docs != 3 || st.Removed != 0 {
		t.Fatalf("first sync stats = %+v", st)
	}
	if got := emb.calls.Load(); got != 7 {
		t.Fatalf("first sync embedded %d times, want 7", got)
	}

	// Nothing changed: nothing embedded, in this process and in a new one.
	emb.calls.Store(0)
	st, err = ix.Sync(ctx, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Embedded != 0 || st.Kept != 7 || emb.calls.Load() != 0 {
		t.Fatalf("unchanged sync: stats %+v, %d embed calls", st, emb.calls.Load())
	}
	ix.Close()
	ix2 := openTest(t, dir, emb)
	if ix2.Version() != c.Version || ix2.Len() != 7 {
		t.Fatalf("reopened index: version %q len %d, want %q 7", ix2.Version(), ix2.Len(), c.Version)
	}
	if st, err = ix2.Sync(ctx, c, nil); err != nil || st.Embedded != 0 || emb.calls.Load() != 0 {
		t.Fatalf("unchanged sync after reopen: %+v %v, %d calls", st, err, emb.calls.Load())
	}

	// One chunk changed: only it is embedded.
	docs := cloneDocs(baseDocs)
	docs["hct"][1] = "Graft-versus-host disease (GVHD) arises when donor immune cells attack the host."
	c2 := testCorpus(docs)
	st, err = ix2.Sync(ctx, c2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Embedded != 1 || st.Kept != 6 || st.Removed != 1 || emb.calls.Load() != 1 {
		t.Fatalf("one changed chunk: stats %+v, %d calls", st, emb.calls.Load())
	}
	if ix2.Version() != c2.Version || c2.Version == c.Version {
		t.Fatalf("version %q, want %q", ix2.Version(), c2.Version)
	}
}

func cloneDocs(m map[string][]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range m {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func TestRemovedDocumentDisappears(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix := openTest(t, dir, nil)
	if _, err := ix.Sync(ctx, testCorpus(baseDocs), nil); err != nil {
		t.Fatal(err)
	}
	ps, err := ix.Search(ctx, "graft-versus-host disease", 3)
	if err != nil || len(ps) == 0 || ps[0].DocID != "hct" {
		t.Fatalf("before removal: %v %v", docIDs(ps), err)
	}
	docs := cloneDocs(baseDocs)
	delete(docs, "hct")
	st, err := ix.Sync(ctx, testCorpus(docs), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Removed != 2 || st.Embedded != 0 || st.Chunks != 5 {
		t.Fatalf("stats after removal: %+v", st)
	}
	for _, mode := range []Mode{ModeHybrid, ModeLexical, ModeVector} {
		ps, err = ix.SearchMode(ctx, "graft-versus-host disease bone marrow transplant", 10, mode)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if p.DocID == "hct" {
				t.Fatalf("%s: removed document still found: %+v", mode, p)
			}
		}
	}
	// Also after reopening, and the stale vectors are gone from the store.
	ix.Close()
	ix2 := openTest(t, dir, nil)
	ps, _ = ix2.SearchMode(ctx, "graft-versus-host disease", 10, ModeVector)
	for _, p := range ps {
		if p.DocID == "hct" {
			t.Fatalf("removed document found after reopen")
		}
	}
	col := ix2.db.GetCollection(collectionName(ix2.emb.Name()), nil)
	if col.Count() != 5 {
		t.Fatalf("collection holds %d vectors, want 5 (stale ones collected)", col.Count())
	}
	st2, _ := readState(ix2.dir)
	if len(st2.Written) != 5 {
		t.Fatalf("state still lists %d written ids, want 5", len(st2.Written))
	}
}

func TestCrashMidSyncKeepsPreviousIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix := openTest(t, dir, nil)
	c := testCorpus(baseDocs)
	if _, err := ix.Sync(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	ix.Close()

	// A new corpus version whose sync dies on the third new chunk.
	docs := cloneDocs(baseDocs)
	docs["extra"] = []string{"Mesenchymal stem cells are found in fat.", "Cord blood holds stem cells.", "Leukapheresis collects T cells.", "Fourth new paragraph about infusion."}
	docs["cart"][0] = "CAR-T therapy changes T cells so they attack cancer."
	c2 := testCorpus(docs)
	boom := errors.New("embedding server went away")
	failing := &countingEmbedder{inner: NewLocalEmbedder(), failAt: 3, failErr: boom}
	ix2 := openTest(t, dir, failing)
	if _, err := ix2.Sync(ctx, c2, nil); !errors.Is(err, boom) {
		t.Fatalf("Sync error = %v, want %v", err, boom)
	}
	// The process that failed and a fresh one both answer from the old index.
	for _, x := range []*Index{ix2, openTest(t, dir, nil)} {
		if x.Version() != c.Version || x.Len() != 7 {
			t.Fatalf("after failed sync: version %q len %d, want %q 7", x.Version(), x.Len(), c.Version)
		}
		ps, err := x.Search(ctx, "what is CAR-T therapy", 1)
		if err != nil || len(ps) != 1 || ps[0].Text != baseDocs["cart"][0] {
			t.Fatalf("old index does not answer: %+v %v", ps, err)
		}
		ps, _ = x.Search(ctx, "mesenchymal stem cells fat", 10)
		for _, p := range ps {
			if p.DocID == "extra" {
				t.Fatalf("half-synced chunk visible: %+v", p)
			}
		}
	}

	// Cancelling the context mid-sync also keeps the old index.
	cctx, cancel := context.WithCancel(ctx)
	cancelling := &cancelAfter{inner: NewLocalEmbedder(), n: 2, cancel: cancel}
	ix3 := openTest(t, dir, cancelling)
	if _, err := ix3.Sync(cctx, c2, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Sync error = %v", err)
	}
	if ix3.Version() != c.Version {
		t.Fatalf("cancelled sync changed the version")
	}

	// The next sync finishes the job, re-using the vectors already written,
	// and collects the chunk the new version replaced.
	counting := &countingEmbedder{inner: NewLocalEmbedder()}
	ix4 := openTest(t, dir, counting)
	st, err := ix4.Sync(ctx, c2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Embedded >= 5 || st.Embedded+st.Kept != 11 || st.Removed != 1 {
		t.Fatalf("resumed sync stats %+v: want fewer than 5 embedded (some kept from the failed runs)", st)
	}
	if col := ix4.db.GetCollection(collectionName(ix4.emb.Name()), nil); col.Count() != 11 {
		t.Fatalf("collection holds %d vectors, want 11", col.Count())
	}
	ps, _ := ix4.Search(ctx, "mesenchymal stem cells fat", 1)
	if len(ps) == 0 || ps[0].DocID != "extra" {
		t.Fatalf("new chunks not searchable after the resumed sync: %v", docIDs(ps))
	}
}

type cancelAfter struct {
	inner  Embedder
	n      int
	calls  int
	cancel context.CancelFunc
}

func (e *cancelAfter) Name() string { return e.inner.Name() }
func (e *cancelAfter) Embed(ctx context.Context, text string) ([]float32, error) {
	e.calls++
	if e.calls == e.n {
		e.cancel()
	}
	return e.inner.Embed(ctx, text)
}

func TestTornVectorFileIsRepaired(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix := openTest(t, dir, nil)
	c := testCorpus(baseDocs)
	if _, err := ix.Sync(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	// Tear one document file, as a crash in the middle of a write would.
	var victim string
	filepath.WalkDir(filepath.Join(dir, "index", chromemDir), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".gob") && filepath.Base(p) != "00000000.gob" && victim == "" {
			victim = p
		}
		return nil
	})
	data, _ := os.ReadFile(victim)
	if err := os.WriteFile(victim, data[:len(data)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	emb := &countingEmbedder{inner: NewLocalEmbedder()}
	ix2 := openTest(t, dir, emb)
	if ix2.Len() != 6 {
		t.Fatalf("after repair %d chunks searchable, want the 6 intact ones", ix2.Len())
	}
	st, err := ix2.Sync(ctx, c, nil)
	if err != nil || st.Embedded != 1 || ix2.Len() != 7 {
		t.Fatalf("sync after repair: %+v %v len %d, want the torn chunk embedded again", st, err, ix2.Len())
	}
}

func TestSwitchingEmbedderReembeds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := testCorpus(baseDocs)
	a := &countingEmbedder{inner: NewLocalEmbedder()}
	ix := openTest(t, dir, a)
	if _, err := ix.Sync(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	ix.Close()

	small := NewLocalEmbedder()
	small.Dim = 64
	b := &countingEmbedder{inner: small}
	ix2 := openTest(t, dir, b)
	// Before the sync, the other embedder's vectors are not used: searches
	// are lexical, and never compare a 64-dimensional query to 256 dimensions.
	ps, err := ix2.SearchMode(ctx, "donor cells", 3, ModeVector)
	if err != nil || len(ps) == 0 || ps[0].Vector != 0 {
		t.Fatalf("search before re-embedding: %+v %v", ps, err)
	}
	st, err := ix2.Sync(ctx, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Reembedded || st.Embedded != 7 || b.calls.Load() != 7 {
		t.Fatalf("switch stats %+v, %d calls", st, b.calls.Load())
	}
	if cols := ix2.db.ListCollections(); len(cols) != 1 {
		t.Fatalf("%d collections after the switch, want only the new embedder's", len(cols))
	}
	ps, err = ix2.SearchMode(ctx, "donor cells", 3, ModeVector)
	if err != nil || len(ps) == 0 || ps[0].Vector == 0 {
		t.Fatalf("vector search after re-embedding: %+v %v", ps, err)
	}
	for _, p := range ps {
		if p.Vector > 1.0001 {
			t.Fatalf("cosine above 1: %v", p.Vector)
		}
	}
}

func TestSearchBadQueries(t *testing.T) {
	ctx := context.Background()
	ix := openTest(t, t.TempDir(), nil)
	if _, err := ix.Sync(ctx, testCorpus(baseDocs), nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		query string
		want  error
	}{
		{"empty", "", ErrEmptyQuery},
		{"blank", "  \n\t ", ErrEmptyQuery},
		{"punctuation only", "?!", ErrEmptyQuery},
		{"too long", strings.Repeat("a", MaxQueryLen+1), ErrQueryTooLong},
		{"invalid utf-8", "car\xff", ErrInvalidQuery},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ix.Search(ctx, tt.query, 5)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	// The longest allowed query and stop words only are fine.
	if _, err := ix.Search(ctx, strings.Repeat("é", MaxQueryLen), 5); err != nil {
		t.Fatalf("query of exactly %d characters: %v", MaxQueryLen, err)
	}
	if _, err := ix.Search(ctx, "what is it", 5); err != nil {
		t.Fatalf("stop words only: %v", err)
	}
	for _, k := range []int{-1, 0, 1 << 40} {
		ps, err := ix.Search(ctx, "cells", k)
		if err != nil || len(ps) == 0 || len(ps) > 7 {
			t.Fatalf("k=%d: %d passages, %v", k, len(ps), err)
		}
	}
	if _, err := ix.SearchMode(ctx, "cells", 5, "fancy"); err == nil {
		t.Fatal("unknown mode accepted")
	}
}

func TestSearchEmptyIndex(t *testing.T) {
	ix := openTest(t, t.TempDir(), nil)
	ps, err := ix.Search(context.Background(), "what is CAR-T", 5)
	if err != nil || len(ps) != 0 {
		t.Fatalf("empty index: %v %v", ps, err)
	}
	if ix.Version() != "" {
		t.Fatalf("empty index version %q", ix.Version())
	}
}

func TestSearchRanksAndScores(t *testing.T) {
	ctx := context.Background()
	ix := openTest(t, t.TempDir(), nil)
	lex, err := LoadLexicon("../corpus/lexicon.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ix.lex = lex
	if _, err := ix.Sync(ctx, testCorpus(baseDocs), nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		want  string // start of the best passage
	}{
		{"treatment with my own cells", "Autologous"},
		{"cells from donors", "Allogeneic"},
		{"allogenic", "Allogeneic"},
		{"car t side effects", "Side effects include cytokine"},
		{"what is CRS", "Side effects include cytokine"},
		{"bone marrow transplant", "A hematopoietic"},
		{"GVHD", "Graft-versus-host"},
		{"chemo before treatment", "Conditioning"},
	}
	for _, tt := range tests {
		for _, mode := range []Mode{ModeHybrid, ModeLexical, ModeVector} {
			ps, err := ix.SearchMode(ctx, tt.query, 3, mode)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) == 0 || !strings.HasPrefix(ps[0].Text, tt.want) {
				t.Errorf("%s %q: got %v, want a passage starting %q first", mode, tt.query, texts(ps), tt.want)
				continue
			}
			for i := 1; i < len(ps); i++ {
				if ps[i].Score > ps[i-1].Score {
					t.Errorf("%s %q: not sorted by score", mode, tt.query)
				}
			}
		}
	}
}

func texts(ps []Passage) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Text)
	}
	return out
}

// TestSearchDuringSync searches from several goroutines while syncs swap the
// index between two corpus versions: every search sees one whole version.
func TestSearchDuringSync(t *testing.T) {
	ctx := context.Background()
	ix := openTest(t, t.TempDir(), nil)
	a := testCorpus(baseDocs)
	docs := cloneDocs(baseDocs)
	docs["extra"] = []string{"Leukapheresis collects T cells from the blood."}
	b := testCorpus(docs)
	if _, err := ix.Sync(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				ps, err := ix.Search(ctx, "leukapheresis T cells", 10)
				if err != nil {
					errs <- err
					return
				}
				if n := len(ps); n == 0 {
					errs <- errors.New("no passages")
					return
				}
			}
		}()
	}
	var calls []int
	for i := 0; i < 10; i++ {
		c := a
		if i%2 == 0 {
			c = b
		}
		if _, err := ix.Sync(ctx, c, func(done, total int) { calls = append(calls, done) }); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for g := 0; g < 4; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if len(calls) == 0 || calls[0] != 0 {
		t.Fatalf("progress calls %v: want a first call with 0 done", calls)
	}
}

// TestConcurrentSyncsShareADirectory runs syncs of two corpus versions from
// two Index values on one directory (as two processes would): the index
// they leave lists only chunks whose vectors exist.
func TestConcurrentSyncsShareADirectory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := testCorpus(baseDocs)
	docs := cloneDocs(baseDocs)
	delete(docs, "hct")
	docs["extra"] = []string{"Leukapheresis collects T cells from the blood.", "Cord blood holds stem cells."}
	b := testCorpus(docs)
	x, y := openTest(t, dir, nil), openTest(t, dir, nil)
	errs := make(chan error, 2)
	for _, job := range []struct {
		ix *Index
		c  *corpus.Corpus
	}{{x, a}, {y, b}} {
		go func() {
			for i := 0; i < 5; i++ {
				if _, err := job.ix.Sync(ctx, job.c, nil); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	z := openTest(t, dir, nil)
	st, err := readState(z.dir)
	if err != nil {
		t.Fatal(err)
	}
	if z.Len() != len(st.Live) || (st.Version != a.Version && st.Version != b.Version) {
		t.Fatalf("after concurrent syncs: %d of %d live chunks loadable, version %q", z.Len(), len(st.Live), st.Version)
	}
}

// A View keeps searching the corpus version it was made on after a Sync
// commits another, and StoredVersion tells the committed one.
func TestViewKeepsItsVersion(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	ix, err := Open(ctx, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	one := &corpus.Corpus{Chunks: []corpus.Chunk{{ID: "a#1", DocID: "a", Title: "Fever", Text: "Call the unit when your temperature is 38 degrees or higher."}}, Version: "v1"}
	two := &corpus.Corpus{Chunks: []corpus.Chunk{{ID: "b#1", DocID: "b", Title: "Driving", Text: "Do not drive for eight weeks after the infusion."}}, Version: "v2"}
	if _, err := ix.Sync(ctx, one, nil); err != nil {
		t.Fatal(err)
	}
	old := ix.View()
	if _, err := ix.Sync(ctx, two, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		s       interface{ Version() string }
		search  func(context.Context, string, int) ([]Passage, error)
		version string
		doc     string
	}{{old, old.Search, "v1", "a"}, {ix, ix.Search, "v2", "b"}, {ix.View(), ix.View().Search, "v2", "b"}} {
		ps, err := tc.search(ctx, "temperature driving infusion degrees", 5)
		if err != nil {
			t.Fatal(err)
		}
		if tc.s.Version() != tc.version || len(ps) != 1 || ps[0].DocID != tc.doc {
			t.Errorf("version %s: passages %+v", tc.s.Version(), ps)
		}
	}
	if v, err := StoredVersion(data); err != nil || v != "v2" {
		t.Errorf("stored version %q, %v", v, err)
	}
}

// A View gives the term statistics of its own version, as the index does
// of the current one (the answer engine weighs words by them).
func TestViewTermStats(t *testing.T) {
	ctx := context.Background()
	ix, err := Open(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	one := &corpus.Corpus{Chunks: []corpus.Chunk{{ID: "a#1", DocID: "a", Text: "Fever after the infusion."}}, Version: "v1"}
	two := &corpus.Corpus{Chunks: []corpus.Chunk{{ID: "b#1", DocID: "b", Text: "Driving after the infusion."}, {ID: "b#2", DocID: "b", Text: "Driving rules."}}, Version: "v2"}
	ix.Sync(ctx, one, nil)
	old := ix.View()
	ix.Sync(ctx, two, nil)
	n1, df1 := old.TermStats()
	n2, df2 := ix.TermStats()
	if n1 != 1 || n2 != 2 || df1["fever"] != 1 || df2["fever"] != 0 || df2["drive"] != 2 {
		t.Errorf("old view %d %v; index %d %v", n1, df1, n2, df2)
	}
}

// A chunk's heading path is stored with it and comes back with it, from
// the index as from a reopened one; a path added later is written without
// embedding the chunk again.
func TestPathStored(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := testCorpus(baseDocs)
	ix := openTest(t, dir, NewLocalEmbedder())
	if _, err := ix.Sync(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	for i := range c.Chunks {
		c.Chunks[i].Path = "Parent > " + c.Chunks[i].Section
	}
	st, err := ix.Sync(ctx, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Embedded != 0 {
		t.Errorf("a new path re-embedded %d chunks", st.Embedded)
	}
	ix.Close()
	ix2 := openTest(t, dir, NewLocalEmbedder())
	ps, err := ix2.Search(ctx, "cytokine release syndrome", 3)
	if err != nil || len(ps) == 0 {
		t.Fatalf("search: %v %v", ps, err)
	}
	if ps[0].Path != "Parent > Section" || ps[0].Place() != "Parent > Section" {
		t.Errorf("path %q, place %q after reopening", ps[0].Path, ps[0].Place())
	}
}
