package retrieval

import (
	"context"
	"errors"

	"github.com/cellchat/cellchat/corpus"
)

// Mode selects how Search ranks passages.
type Mode string

const (
	ModeHybrid  Mode = "hybrid"
	ModeLexical Mode = "lexical"
	ModeVector  Mode = "vector"
)

// Embedder turns text into a vector. Name identifies the model (and its
// settings): vectors from embedders with different names are never mixed.
type Embedder interface {
	Name() string
	Embed(ctx context.Context, text string) ([]float32, error)
}

// Options configure an Index.
type Options struct {
	Embedder Embedder // nil: the local default embedder
	Lexicon  *Lexicon // nil: no query expansion
	Mode     Mode     // "": the default mode
}

// Lexicon maps lay terms to the corpus's terms for query expansion.
type Lexicon struct{}

// LoadLexicon reads a lexicon file (corpus/lexicon.yaml).
func LoadLexicon(path string) (*Lexicon, error) {
	return nil, errors.New("retrieval.LoadLexicon: not implemented yet")
}

// SyncStats says what a Sync did.
type SyncStats struct {
	Docs, Chunks            int  // in the corpus after the sync
	Embedded, Removed, Kept int  // chunks
	Reembedded              bool // the embedder changed, so everything was embedded again
}

// Index is the searchable index of a corpus, persisted in a data directory.
type Index struct{}

// Open opens (or creates) the index in dataDir.
func Open(ctx context.Context, dataDir string, opts Options) (*Index, error) {
	return nil, errors.New("retrieval.Open: not implemented yet")
}

// Sync brings the index up to date with c, embedding only what changed.
// progress, if not nil, is called as chunks are embedded.
func (ix *Index) Sync(ctx context.Context, c *corpus.Corpus, progress func(done, total int)) (SyncStats, error) {
	return SyncStats{}, errors.New("retrieval.Sync: not implemented yet")
}

// Search returns up to k passages ranked for query, best first.
func (ix *Index) Search(ctx context.Context, query string, k int) ([]Passage, error) {
	return nil, errors.New("retrieval.Search: not implemented yet")
}

// Version is the corpus version the index holds ("" when empty).
func (ix *Index) Version() string { return "" }

// Close releases the index.
func (ix *Index) Close() error { return nil }

// EmbedderFromEnv returns the embedder configured by environment
// (CELLCHAT_EMBEDDER=local|ollama|openai, CELLCHAT_EMBED_URL,
// CELLCHAT_EMBED_MODEL, CELLCHAT_EMBED_API_KEY); the local one by default.
func EmbedderFromEnv(getenv func(string) string) (Embedder, error) {
	return nil, errors.New("retrieval.EmbedderFromEnv: not implemented yet")
}
