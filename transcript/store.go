package transcript

import (
	"context"
	"errors"
)

// ErrNotFound is returned for an unknown conversation or answer, or one that
// belongs to another conversation.
var ErrNotFound = errors.New("not found")

// Options configure a Store.
type Options struct {
	Redact bool // redact e-mail addresses, phone numbers and similar identifiers in stored questions
}

// Store is the SQLite transcript log.
type Store struct{}

// Open opens (creating and migrating as needed) the log at path.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	return nil, errors.New("transcript.Open: not implemented yet")
}

// Record durably stores one turn: when it returns nil, the turn survives a
// crash. Concurrent calls are committed together (group commit).
func (s *Store) Record(ctx context.Context, r Record) error {
	return errors.New("transcript.Record: not implemented yet")
}

// History returns the turns of a conversation, oldest first, at most limit
// (the newest ones) when limit > 0. ErrNotFound when there is no such conversation.
func (s *Store) History(ctx context.Context, conversationID string, limit int) ([]Record, error) {
	return nil, errors.New("transcript.History: not implemented yet")
}

// RecordFeedback stores a patient's rating of an answer of the given
// conversation; ErrNotFound if the answer is not in that conversation.
func (s *Store) RecordFeedback(ctx context.Context, conversationID string, f Feedback) error {
	return errors.New("transcript.RecordFeedback: not implemented yet")
}

// Close flushes pending writes and closes the database.
func (s *Store) Close() error { return nil }
