package retrieval

import (
	"context"
	"path/filepath"
)

// View is an index fixed at one corpus version: its searches see the
// chunks of that version even after a later Sync commits another, so an
// answer started on it finishes on it. An answer engine is built on a View
// and replaced, with a new View, when the corpus changes.
type View struct {
	ix   *Index
	snap *snapshot
}

// View fixes the index's current corpus version.
func (ix *Index) View() *View {
	return &View{ix: ix, snap: ix.snap.Load()}
}

// Search is Index.Search on the view's version.
func (v *View) Search(ctx context.Context, query string, k int) ([]Passage, error) {
	return v.SearchMode(ctx, query, k, v.ix.mode)
}

// SearchMode is Search in the given mode.
func (v *View) SearchMode(ctx context.Context, query string, k int, mode Mode) ([]Passage, error) {
	if v.ix.closed.Load() {
		return nil, errClosed
	}
	if err := CheckQuery(query); err != nil {
		return nil, err
	}
	mode, err := ParseMode(string(mode))
	if err != nil {
		return nil, err
	}
	if k <= 0 {
		k = 5
	}
	return v.snap.search(ctx, query, v.ix.lex.expandGroups(query), k, mode, v.ix.fusion)
}

// Version is the corpus version the view holds ("" when empty).
func (v *View) Version() string { return v.snap.version }

// Len is the number of searchable chunks in the view.
func (v *View) Len() int { return len(v.snap.chunks) }

// TermStats is Index.TermStats for the view's version: an engine built on
// the view weighs words by the corpus it answers from.
func (v *View) TermStats() (chunks int, df map[string]int) {
	return len(v.snap.chunks), v.snap.lex.docFreqs()
}

// StoredVersion is the corpus version of the last Sync committed to the
// index in dataDir, by any process ("" when there is none): a server
// compares it with the version it serves to notice an ingest.
func StoredVersion(dataDir string) (string, error) {
	st, err := readState(filepath.Join(dataDir, indexDirName))
	return st.Version, err
}
