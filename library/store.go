package library

import "context"

// Store keeps the library's entries and every earlier version of each;
// the transcript log (transcript.Store) is one. Every change writes an
// audit row naming its actor.
type Store interface {
	// SaveEntry creates an entry (e.ID 0: version 1, status draft unless
	// set) or saves a new version of one. e.Version is the version the
	// edit started from: when the stored entry is newer, the save is
	// refused with CodeConflict and the newer version, and nothing changes.
	SaveEntry(ctx context.Context, e Entry, actor string) (Entry, error)
	// SetStatus publishes, retires or re-drafts version of entry id, as
	// SaveEntry does for conflicts. Publishing records the approver, the
	// time and corpusVersion.
	SetStatus(ctx context.Context, id int64, version int, status, actor, corpusVersion string) (Entry, error)
	// Entry returns the current version of an entry (CodeNotFound if none).
	Entry(ctx context.Context, id int64) (Entry, error)
	// Entries returns the current version of every entry, by id.
	Entries(ctx context.Context) ([]Entry, error)
	// Versions returns every version of an entry, oldest first.
	Versions(ctx context.Context, id int64) ([]Entry, error)
	// Import saves entries as one transaction: all or none. An entry with
	// the id of a stored one is a new version of it; one without an id
	// (or an id not stored) is added.
	Import(ctx context.Context, entries []Entry, actor string) ([]Entry, error)
}
