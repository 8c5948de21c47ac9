package retrieval

import (
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cellchat/cellchat/corpus"
	"github.com/philippgille/chromem-go"
)

// The index directory holds the chromem-go database (the vector store of
// record: one collection per embedder, one document per chunk) and a small
// state file. Queries only ever see the chunks the state file lists, and the
// state file is replaced atomically after all new vectors are written, so a
// crash mid-ingest leaves the previous index answering.
const (
	stateFile   = "state.json"
	chromemDir  = "chromem"
	stateFormat = 1
)

// indexState is the content of state.json.
type indexState struct {
	Format     int      `json:"format"`
	Embedder   string   `json:"embedder"`   // Name() of the embedder of every live vector
	Collection string   `json:"collection"` // chromem collection holding them
	Version    string   `json:"version"`    // corpus version of the live chunks
	Live       []string `json:"live"`       // chunk ids queries may see, in corpus order
	// Written lists every id that may be in the collection, live or not (new
	// vectors of an unfinished sync, chunks of removed documents), so stale
	// entries can be garbage-collected later.
	Written []string `json:"written"`
}

func readState(dir string) (indexState, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return indexState{}, nil
	}
	if err != nil {
		return indexState{}, fmt.Errorf("read index state: %w", err)
	}
	var st indexState
	if err := json.Unmarshal(data, &st); err != nil {
		return indexState{}, fmt.Errorf("index state %s is corrupt: %w", filepath.Join(dir, stateFile), err)
	}
	if st.Format != stateFormat {
		return indexState{}, nil // an older layout: rebuild
	}
	return st, nil
}

// writeState replaces state.json atomically: a reader sees the old or the
// new file, never a torn one.
func writeState(dir string, st indexState) error {
	st.Format = stateFormat
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode index state: %w", err)
	}
	tmp, err := os.CreateTemp(dir, stateFile+".*.tmp")
	if err != nil {
		return fmt.Errorf("write index state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write index state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write index state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write index state: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, stateFile)); err != nil {
		return fmt.Errorf("write index state: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the rename durable; not all filesystems support it
		d.Close()
	}
	return nil
}

// collectionName is the chromem collection for an embedder: vectors of two
// embedders never share a collection.
func collectionName(embedder string) string {
	sum := sha256.Sum256([]byte(embedder))
	return "chunks-" + hex.EncodeToString(sum[:8])
}

// embedText is what a chunk's vector and lexical entry are computed from:
// its title and section heading give the words of the text their context.
func embedText(ch corpus.Chunk) string {
	return ch.Title + "\n" + ch.Section + "\n" + ch.Text
}

// embedKey identifies the embedded text, so a chunk whose heading or title
// changed (same id, same text) is embedded again.
func embedKey(ch corpus.Chunk) string {
	sum := sha256.Sum256([]byte(embedText(ch)))
	return hex.EncodeToString(sum[:8])
}

func chunkMetadata(ch corpus.Chunk) map[string]string {
	return map[string]string{
		"doc_id":    ch.DocID,
		"title":     ch.Title,
		"url":       ch.URL,
		"section":   ch.Section,
		"path":      ch.Path,
		"ord":       strconv.Itoa(ch.Ord),
		"embed_key": embedKey(ch),
	}
}

// sameMetadata reports whether a stored document describes ch exactly.
func sameMetadata(doc chromem.Document, ch corpus.Chunk) bool {
	want := chunkMetadata(ch)
	if len(doc.Metadata) != len(want) || doc.Content != ch.Text {
		return false
	}
	for k, v := range want {
		if doc.Metadata[k] != v {
			return false
		}
	}
	return true
}

func chunkFromDocument(doc chromem.Document) corpus.Chunk {
	ord, _ := strconv.Atoi(doc.Metadata["ord"])
	return corpus.Chunk{
		ID:      doc.ID,
		DocID:   doc.Metadata["doc_id"],
		Title:   doc.Metadata["title"],
		URL:     doc.Metadata["url"],
		Section: doc.Metadata["section"],
		Path:    doc.Metadata["path"],
		Text:    doc.Content,
		Ord:     ord,
	}
}

// openChromem opens the persistent chromem database. chromem writes each
// document file in place, so a crash can leave a torn file that stops the
// whole database from loading: such files are removed (their chunks are
// simply embedded again by the next sync), and if the database still cannot
// load it is moved aside and rebuilt.
func openChromem(path string) (*chromem.DB, error) {
	db, err := chromem.NewPersistentDB(path, false)
	if err == nil {
		return db, nil
	}
	removeTornFiles(path)
	if db, err = chromem.NewPersistentDB(path, false); err == nil {
		return db, nil
	}
	aside := fmt.Sprintf("%s.broken-%d", path, time.Now().UnixNano())
	if rerr := os.Rename(path, aside); rerr != nil {
		return nil, fmt.Errorf("open vector store %s: %w", path, err)
	}
	return chromem.NewPersistentDB(path, false)
}

// removeTornFiles deletes the .gob files under path that do not decode.
func removeTornFiles(path string) {
	filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".gob") {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return nil
		}
		defer f.Close()
		var derr error
		if filepath.Base(p) == "00000000.gob" { // collection metadata
			var meta struct {
				Name     string
				Metadata map[string]string
			}
			derr = gob.NewDecoder(f).Decode(&meta)
		} else {
			var doc chromem.Document
			derr = gob.NewDecoder(f).Decode(&doc)
		}
		if derr != nil {
			os.Remove(p)
		}
		return nil
	})
}
