package retrieval

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/cellchat/cellchat/corpus"
	"github.com/philippgille/chromem-go"
)

// Mode selects how Search ranks passages.
type Mode string

const (
	ModeHybrid  Mode = "hybrid"
	ModeLexical Mode = "lexical"
	ModeVector  Mode = "vector"
)

// DefaultMode is the mode Search uses when Options.Mode is empty: the one
// that scored best on the project's question sets (see quality_test.go).
const DefaultMode = ModeHybrid

// ParseMode checks a mode name ("" is the default mode).
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case "":
		return DefaultMode, nil
	case ModeHybrid, ModeLexical, ModeVector:
		return m, nil
	default:
		return "", fmt.Errorf("unknown search mode %q (want hybrid, lexical or vector)", s)
	}
}

// indexDirName is the index's directory inside the data directory.
const indexDirName = "index"

// MaxQueryLen is the longest query accepted, in characters.
const MaxQueryLen = 2000

// Errors Search returns for bad queries.
var (
	ErrEmptyQuery    = errors.New("empty query")
	ErrQueryTooLong  = fmt.Errorf("query longer than %d characters", MaxQueryLen)
	ErrInvalidQuery  = errors.New("query is not valid UTF-8")
	errClosed        = errors.New("index is closed")
	errNoEmbedFunc   = errors.New("retrieval: vectors are always computed by the index, not by the collection")
	noEmbedFuncError = func(context.Context, string) ([]float32, error) { return nil, errNoEmbedFunc }
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

// SyncStats says what a Sync did.
type SyncStats struct {
	Docs, Chunks            int  // in the corpus after the sync
	Embedded, Removed, Kept int  // chunks
	Reembedded              bool // the embedder changed, so everything was embedded again
}

// Index is the searchable index of a corpus, persisted in a data directory.
// Search is safe for concurrent use, also while a Sync runs (it sees the
// previous state until the Sync commits).
type Index struct {
	dir    string
	db     *chromem.DB
	emb    Embedder
	lex    *Lexicon
	mode   Mode
	fusion fusion

	syncMu sync.Mutex // one Sync at a time
	snap   atomic.Pointer[snapshot]
	closed atomic.Bool
}

// Open opens (or creates) the index in dataDir (in its "index" directory).
// The chunks of the last completed Sync are searchable at once.
func Open(ctx context.Context, dataDir string, opts Options) (*Index, error) {
	mode, err := ParseMode(string(opts.Mode))
	if err != nil {
		return nil, err
	}
	emb := opts.Embedder
	if emb == nil {
		emb = NewLocalEmbedder()
	}
	dir := filepath.Join(dataDir, indexDirName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	db, err := openChromem(filepath.Join(dir, chromemDir))
	if err != nil {
		return nil, err
	}
	ix := &Index{dir: dir, db: db, emb: emb, lex: opts.Lexicon, mode: mode, fusion: defaultFusion}
	st, err := readState(dir)
	if err != nil {
		return nil, err
	}
	ix.snap.Store(ix.loadSnapshot(ctx, st))
	return ix, nil
}

// loadSnapshot rebuilds the searchable state from the store. Vectors of
// another embedder are not used for queries (lexical search still works
// until the next Sync re-embeds).
func (ix *Index) loadSnapshot(ctx context.Context, st indexState) *snapshot {
	if st.Collection == "" {
		return newSnapshot("", nil, nil, nil)
	}
	col := ix.db.GetCollection(st.Collection, noEmbedFuncError)
	if col == nil {
		return newSnapshot("", nil, nil, nil)
	}
	chunks := make([]corpus.Chunk, 0, len(st.Live))
	vecs := make([][]float32, 0, len(st.Live))
	for _, id := range st.Live {
		doc, err := col.GetByID(ctx, id)
		if err != nil {
			continue // lost in a crash; the next Sync embeds it again
		}
		chunks = append(chunks, chunkFromDocument(doc))
		vecs = append(vecs, doc.Embedding)
	}
	if st.Embedder != ix.emb.Name() {
		return newSnapshot(st.Version, chunks, nil, nil)
	}
	return newSnapshot(st.Version, chunks, vecs, ix.emb)
}

// Sync brings the index up to date with c, embedding only what changed.
// progress, if not nil, is called as chunks are embedded.
func (ix *Index) Sync(ctx context.Context, c *corpus.Corpus, progress func(done, total int)) (SyncStats, error) {
	if ix.closed.Load() {
		return SyncStats{}, errClosed
	}
	ix.syncMu.Lock()
	defer ix.syncMu.Unlock()
	unlock, err := lockDir(ix.dir)
	if err != nil {
		return SyncStats{}, err
	}
	defer unlock()

	st, err := readState(ix.dir)
	if err != nil {
		return SyncStats{}, err
	}
	name := ix.emb.Name()
	colName := collectionName(name)
	switching := st.Collection != colName
	stats := SyncStats{Docs: len(c.Docs), Reembedded: switching && st.Collection != ""}
	if switching {
		// A collection not named by the state is left over from an
		// unfinished switch: its contents are unknown, start it afresh.
		if err := ix.db.DeleteCollection(colName); err != nil {
			return stats, fmt.Errorf("sync index: %w", err)
		}
	}
	col, err := ix.db.GetOrCreateCollection(colName, map[string]string{"embedder": name}, noEmbedFuncError)
	if err != nil {
		return stats, fmt.Errorf("sync index: %w", err)
	}

	// What the corpus needs, in order, without duplicate ids.
	chunks := make([]corpus.Chunk, 0, len(c.Chunks))
	seen := make(map[string]bool, len(c.Chunks))
	for _, ch := range c.Chunks {
		if !seen[ch.ID] {
			seen[ch.ID] = true
			chunks = append(chunks, ch)
		}
	}
	written := map[string]bool{}
	if !switching {
		for _, id := range st.Written {
			written[id] = true
		}
		for _, id := range st.Live {
			written[id] = true
		}
	}
	vecs := make([][]float32, len(chunks))
	var todo []int    // chunks to embed
	var relabel []int // chunks whose vector is kept but whose metadata changed
	for i, ch := range chunks {
		if written[ch.ID] {
			if doc, err := col.GetByID(ctx, ch.ID); err == nil && doc.Metadata["embed_key"] == embedKey(ch) {
				vecs[i] = doc.Embedding
				if !sameMetadata(doc, ch) {
					relabel = append(relabel, i)
				}
				continue
			}
		}
		todo = append(todo, i)
	}

	// Record the ids about to be written before writing them, so that if
	// this sync dies half-way the next one can still find and remove them.
	if len(todo) > 0 && !switching {
		for _, i := range todo {
			if !written[chunks[i].ID] {
				written[chunks[i].ID] = true
				st.Written = append(st.Written, chunks[i].ID)
			}
		}
		if err := writeState(ix.dir, st); err != nil {
			return stats, err
		}
	}

	if progress != nil {
		progress(0, len(todo))
	}
	const batch = 64
	var docs []chromem.Document
	flush := func() error {
		if len(docs) == 0 {
			return nil
		}
		if err := col.AddDocuments(ctx, docs, runtime.NumCPU()); err != nil {
			return fmt.Errorf("sync index: store vectors: %w", err)
		}
		docs = docs[:0]
		return nil
	}
	// fail keeps the vectors already computed (the next sync need not
	// embed them again; the state does not list them as live yet).
	fail := func(err error) (SyncStats, error) {
		if len(docs) > 0 {
			col.AddDocuments(context.WithoutCancel(ctx), docs, runtime.NumCPU())
		}
		return stats, err
	}
	for n, i := range todo {
		if err := ctx.Err(); err != nil {
			return fail(fmt.Errorf("sync index: %w", err))
		}
		ch := chunks[i]
		v, err := ix.emb.Embed(ctx, embedText(ch))
		if err != nil {
			return fail(fmt.Errorf("sync index: embed chunk %s: %w", ch.ID, err))
		}
		if len(v) == 0 {
			return fail(fmt.Errorf("sync index: embed chunk %s: empty vector from %s", ch.ID, name))
		}
		vecs[i] = v
		docs = append(docs, chromem.Document{ID: ch.ID, Metadata: chunkMetadata(ch), Embedding: v, Content: ch.Text})
		if len(docs) == batch {
			if err := flush(); err != nil {
				return stats, err
			}
		}
		stats.Embedded++
		if progress != nil {
			progress(n+1, len(todo))
		}
	}
	for _, i := range relabel {
		ch := chunks[i]
		docs = append(docs, chromem.Document{ID: ch.ID, Metadata: chunkMetadata(ch), Embedding: vecs[i], Content: ch.Text})
	}
	if err := flush(); err != nil {
		return stats, err
	}
	for i, v := range vecs {
		if len(v) != len(vecs[0]) {
			return stats, fmt.Errorf("sync index: chunk %s has a %d-dimensional vector, others %d", chunks[i].ID, len(v), len(vecs[0]))
		}
	}

	// Commit: from here on queries see the new chunks.
	live := make([]string, len(chunks))
	liveSet := make(map[string]bool, len(chunks))
	for i, ch := range chunks {
		live[i] = ch.ID
		liveSet[ch.ID] = true
	}
	var stale []string
	for id := range written {
		if !liveSet[id] {
			stale = append(stale, id)
		}
	}
	for _, id := range st.Live {
		if !liveSet[id] {
			stats.Removed++
		}
	}
	oldCollection := st.Collection
	newState := indexState{Embedder: name, Collection: colName, Version: c.Version, Live: live, Written: append(append([]string{}, live...), stale...)}
	if err := writeState(ix.dir, newState); err != nil {
		return stats, err
	}
	ix.snap.Store(newSnapshot(c.Version, chunks, vecs, ix.emb))
	stats.Chunks = len(chunks)
	stats.Kept = len(chunks) - stats.Embedded

	// Garbage-collect what no query can see any more. Failing here loses
	// nothing: the state still lists the stale ids for the next sync.
	if len(stale) > 0 {
		if err := col.Delete(ctx, nil, nil, stale...); err != nil {
			return stats, fmt.Errorf("sync index: remove stale chunks: %w", err)
		}
		newState.Written = live
		if err := writeState(ix.dir, newState); err != nil {
			return stats, err
		}
	}
	if switching && oldCollection != "" {
		if err := ix.db.DeleteCollection(oldCollection); err != nil {
			return stats, fmt.Errorf("sync index: remove vectors of the previous embedder: %w", err)
		}
	}
	return stats, nil
}

// Search returns up to k passages ranked for query, best first, in the
// index's mode.
func (ix *Index) Search(ctx context.Context, query string, k int) ([]Passage, error) {
	return ix.SearchMode(ctx, query, k, ix.mode)
}

// SearchMode is Search in the given mode.
func (ix *Index) SearchMode(ctx context.Context, query string, k int, mode Mode) ([]Passage, error) {
	return ix.View().SearchMode(ctx, query, k, mode)
}

// CheckQuery reports whether Search would accept the query: valid UTF-8,
// not empty, at most MaxQueryLen characters.
func CheckQuery(q string) error {
	if !utf8.ValidString(q) {
		return ErrInvalidQuery
	}
	if utf8.RuneCountInString(q) > MaxQueryLen {
		return ErrQueryTooLong
	}
	if len(analyze(q)) == 0 {
		return ErrEmptyQuery
	}
	return nil
}

// Version is the corpus version the index holds ("" when empty).
func (ix *Index) Version() string { return ix.snap.Load().version }

// Len is the number of searchable chunks.
func (ix *Index) Len() int { return len(ix.snap.Load().chunks) }

// TermStats are the statistics the index ranks by: the number of searchable
// chunks, and how many of them hold each stem (words.Stem of a word that is
// not a stop word, in a chunk's title, section or text). The map is the
// caller's own.
func (ix *Index) TermStats() (chunks int, df map[string]int) {
	return ix.View().TermStats()
}

// Embedder is the embedder the index embeds with.
func (ix *Index) Embedder() Embedder { return ix.emb }

// Close releases the index. chromem-go writes every change as it happens,
// so there is nothing to flush.
func (ix *Index) Close() error {
	ix.closed.Store(true)
	return nil
}
