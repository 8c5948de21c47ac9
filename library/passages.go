package library

import (
	"fmt"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/corpus"
)

// Passages are the corpus's passages by chunk id, as citations name them:
// what an entry may cite, and what its citations are checked against.
type Passages map[string]chat.Citation

// PassagesOf indexes a corpus's chunks.
func PassagesOf(chunks []corpus.Chunk) Passages {
	p := make(Passages, len(chunks))
	for _, c := range chunks {
		p[c.ID] = chat.Citation{DocID: c.DocID, Title: c.Title, URL: c.URL, Section: c.Place(), ChunkID: c.ID, Passage: c.Text}
	}
	return p
}

// Known says whether a chunk id names a passage.
func (p Passages) Known(chunkID string) bool {
	_, ok := p[chunkID]
	return ok
}

// Cite fills an entry's citations from the passages they name, as the
// corpus has them now: a new or re-approved entry cites today's text.
// Citations to unknown chunks are left as they are (Problems reports them).
func (p Passages) Cite(e Entry) Entry {
	out := make([]chat.Citation, len(e.Citations))
	for i, c := range e.Citations {
		out[i] = c
		if cur, ok := p[c.ChunkID]; ok {
			cur.N = c.N
			out[i] = cur
		}
	}
	e.Citations = out
	return e
}

// Stale says why an entry no longer rests on the corpus: a passage it
// cites was changed or removed since it was approved (nil: not stale).
func (p Passages) Stale(e Entry) []string {
	var out []string
	for _, c := range e.Citations {
		cur, ok := p[c.ChunkID]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("[%d] %s was removed from the sources", c.N, c.ChunkID))
		case cur.Passage != c.Passage:
			out = append(out, fmt.Sprintf("[%d] %s was changed in the sources", c.N, c.ChunkID))
		}
	}
	return out
}
