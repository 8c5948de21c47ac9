package transcript

import (
	"context"
	"log/slog"
	"time"

	"github.com/cellchat/cellchat/library"
)

// Backend is the transcript log as the server, the staff console and the
// commands use it. *Store keeps it in a SQLite file (the default);
// *PGStore on a PostgreSQL server that several replicas share. Both keep
// the same promises: Record returning nil means the turn survives a crash,
// and every method means the same on either.
type Backend interface {
	// Patients' side.
	Record(ctx context.Context, r Record) error
	History(ctx context.Context, conversationID string, limit int) ([]Record, error)
	RecordFeedback(ctx context.Context, conversationID string, f Feedback) error

	// Health: readiness and metrics.
	Ping(ctx context.Context) error
	CommitErr() error
	ProbeCommit(ctx context.Context) error
	CommitStats() (commits, records uint64)

	// The staff console's reads, reviews and exports.
	ListReplies(ctx context.Context, f Filter) ([]ReplyRow, error)
	ExportDetails(ctx context.Context, rows []ReplyRow) ([]ExportRow, error)
	Conversation(ctx context.Context, conversationID string) ([]TurnDetail, error)
	ConversationPage(ctx context.Context, conversationID string, q TurnQuery) (TurnPage, error)
	Stats(ctx context.Context, from, to time.Time) (Stats, error)
	ShortSearchWindow(ctx context.Context, search string) (SearchWindow, bool, error)
	AddReview(ctx context.Context, rv Review) (Review, error)
	Reviews(ctx context.Context, answerID string) ([]Review, error)

	// Staff accounts and their sessions.
	AddStaff(ctx context.Context, email, password string) error
	AddStaffRole(ctx context.Context, email, password, role string) error
	SetRole(ctx context.Context, email, role string) error
	RemoveStaff(ctx context.Context, email string) error
	ListStaff(ctx context.Context) ([]Staff, error)
	Authenticate(ctx context.Context, email, password string) error
	CreateSession(ctx context.Context, email string, ttl time.Duration) (Session, error)
	LookupSession(ctx context.Context, token string) (Session, error)
	DeleteSession(ctx context.Context, token string) error

	// The audit log of staff actions.
	Audit(ctx context.Context, actor, action, detail string) error
	AuditLog(ctx context.Context, limit int) ([]AuditEntry, error)
	AuditMerged(ctx context.Context, actor, action, detail string, n int) error
	AuditQuery(ctx context.Context, f AuditFilter) ([]AuditEntry, error)

	// The answer library.
	library.Store
	LibraryUse(ctx context.Context) (map[int64]EntryUse, error)
	SimilarQuestions(ctx context.Context, chunkIDs []string, scan, limit int) ([]string, error)

	// Retention and checks.
	DeleteOlderThan(ctx context.Context, days int) (int64, error)
	DeleteAuditOlderThan(ctx context.Context, days int) (int64, error)
	RunRetention(ctx context.Context, days int, every time.Duration, log *slog.Logger)
	RunAuditRetention(ctx context.Context, days int, every time.Duration, log *slog.Logger)
	MissingAnswers(ctx context.Context, ids []string) ([]string, error)

	Close() error
}

var _ Backend = (*Store)(nil)
