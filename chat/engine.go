package chat

import (
	"context"
	"errors"

	"github.com/cellchat/cellchat/retrieval"
)

// Searcher ranks corpus passages for a query; *retrieval.Index is one.
type Searcher interface {
	Search(ctx context.Context, query string, k int) ([]retrieval.Passage, error)
}

// Config configures an Engine. Zero values mean the built-in defaults.
type Config struct {
	Disclaimer    string // consult-your-clinician text on every reply
	CorpusVersion string
}

// Engine answers questions in the context of a conversation.
type Engine struct{}

// New returns an Engine answering from s.
func New(s Searcher, cfg Config) (*Engine, error) {
	return nil, errors.New("chat.New: not implemented yet")
}

// Answer replies to question given the conversation so far (oldest first).
// onDelta, if not nil, receives the reply text as it is produced; the
// concatenation of the deltas is the reply's Text.
func (e *Engine) Answer(ctx context.Context, history []Turn, question string, onDelta func(string)) (Reply, error) {
	return Reply{}, errors.New("chat.Answer: not implemented yet")
}
