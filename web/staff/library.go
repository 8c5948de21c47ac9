package staff

import (
	"context"

	"github.com/cellchat/cellchat/library"
)

// Library is the answer library as the server serves it.
type Library interface {
	// Passages are the served corpus's passages: what an entry may cite.
	Passages() library.Passages
	// CorpusVersion is the served corpus's version, recorded on approval.
	CorpusVersion() string
	// Refresh serves the store's entries as they are now.
	Refresh(ctx context.Context) error
	// Stale says why a published entry is not served: the passages it
	// cites changed or were removed (nil: it is served).
	Stale(id int64) []string
}
