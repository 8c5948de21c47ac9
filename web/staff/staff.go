// Package staff is the clinic staff's review console, served at /staff:
// sign-in, the list of replies with filters, each conversation with what
// was cited and retrieved, reviews, exports and a dashboard. Pages are
// rendered on the server with html/template (all patient text escaped);
// there is no JavaScript.
package staff

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/library"
	"github.com/cellchat/cellchat/transcript"
)

// Accounts checks staff passwords and keeps their sessions.
type Accounts interface {
	Authenticate(ctx context.Context, email, password string) error
	CreateSession(ctx context.Context, email string, ttl time.Duration) (transcript.Session, error)
	LookupSession(ctx context.Context, token string) (transcript.Session, error)
	DeleteSession(ctx context.Context, token string) error
}

// Replies is the read side of the transcript log, plus reviews.
type Replies interface {
	ListReplies(ctx context.Context, f transcript.Filter) ([]transcript.ReplyRow, error)
	ExportDetails(ctx context.Context, rows []transcript.ReplyRow) ([]transcript.ExportRow, error)
	// ConversationPage is a page of a conversation: the console never
	// reads a long one whole.
	ConversationPage(ctx context.Context, conversationID string, q transcript.TurnQuery) (transcript.TurnPage, error)
	AddReview(ctx context.Context, rv transcript.Review) (transcript.Review, error)
	Stats(ctx context.Context, from, to time.Time) (transcript.Stats, error)
	// ShortSearchWindow says which replies a search too short for the
	// text index reads (false: all of them).
	ShortSearchWindow(ctx context.Context, search string) (transcript.SearchWindow, bool, error)
}

// AuditLog records and lists staff actions.
type AuditLog interface {
	Audit(ctx context.Context, actor, action, detail string) error
	AuditLog(ctx context.Context, limit int) ([]transcript.AuditEntry, error)
	// AuditMerged records n repeats of an event anyone can cause (failed
	// sign-ins), merging repeats into one row with a count.
	AuditMerged(ctx context.Context, actor, action, detail string, n int) error
	AuditQuery(ctx context.Context, f transcript.AuditFilter) ([]transcript.AuditEntry, error)
}

// LibraryStore keeps the answer library's entries and counts their use.
type LibraryStore interface {
	library.Store
	LibraryUse(ctx context.Context) (map[int64]transcript.EntryUse, error)
	SimilarQuestions(ctx context.Context, chunkIDs []string, scan, limit int) ([]string, error)
}

// Store is everything the console needs; *transcript.Store is one, and a
// server database for several replicas would be another.
type Store interface {
	Accounts
	Replies
	AuditLog
	LibraryStore
}

// Config configures the console. Zero values mean the defaults.
type Config struct {
	SessionTTL time.Duration // how long a sign-in lasts; default 8h
	// Sign-in failures: after MaxFailures failed attempts for one e-mail
	// from one client address (or MaxFailuresPerIP from one address), each
	// within Lockout of the last, that pair (or address) is refused for
	// Lockout; each further lock of it lasts twice as long, up to a day.
	// The same e-mail from another address is not locked.
	MaxFailures      int           // default 5
	MaxFailuresPerIP int           // default 20
	Lockout          time.Duration // default 15m
	// Sign-ins being handled at once, in total, per client address and
	// per e-mail; more are refused with 429 rather than queued, so a burst
	// cannot pile up password checks.
	MaxConcurrentSignIns         int // default 16
	MaxConcurrentSignInsPerIP    int // default 4
	MaxConcurrentSignInsPerEmail int // default 2
	// HashWorkers is how many password checks (bcrypt, about a quarter of a
	// second of one CPU each) run at once; kept below GOMAXPROCS so patients'
	// questions keep CPU during a sign-in flood. Default: half of
	// GOMAXPROCS, at least 1.
	HashWorkers int
	// LowConfidence is the confidence (0..1) under which a reply counts as
	// low-confidence in the filter. Default: the running engine's no-answer
	// threshold (MinConfidence) plus lowConfidenceMargin, so the filter shows
	// every no-answer and the answers that only just cleared the threshold.
	LowConfidence float64
	// MinConfidence is the no-answer threshold the running engine applies
	// to a reply's confidence (chat.Config.MinConfidence: 0 is the engine's
	// default, below 0 answers whatever is found).
	MinConfidence float64
	ExportLimit   int // most rows one export returns; default 100,000
	// ClientIPHeader names a header set by a trusted reverse proxy holding
	// the client's IP (e.g. X-Forwarded-For; its last entry is used), for
	// the per-address sign-in lockout; empty: the peer address.
	ClientIPHeader string
	// SecureCookies marks the cookies Secure even when the request did not
	// arrive over TLS: set it behind a TLS-terminating reverse proxy.
	// Without it, cookies are Secure exactly when r.TLS is set.
	SecureCookies bool
	Logger        *slog.Logger
	// Warnings are problems of the server's set-up that staff should get
	// fixed (say, the emergency message has no local numbers): the
	// dashboard shows each until the server runs without it.
	Warnings []string
	// Sources lists the documents the bot answers from and reloads them
	// (the Sources page); nil: the page lists none and cannot reload.
	Sources Sources
	// Library is the answer library being served (the Library pages);
	// nil: entries can be written and published but are not served.
	Library Library
	// LibraryLimits bound an entry's size (zero fields: the defaults).
	LibraryLimits library.Limits
	// LibraryTwoPerson: an entry is published only by a clinician other
	// than the one who last saved it.
	LibraryTwoPerson bool
	// LibrarySimilarScan is how many of the newest logged replies the
	// editor looks through for similar questions; default
	// DefaultLibrarySimilarScan.
	LibrarySimilarScan int
}

// DefaultLibrarySimilarScan keeps the editor's look for similar questions
// to a few tens of milliseconds on a large log.
const DefaultLibrarySimilarScan = 20_000

func (c Config) withDefaults() Config {
	if c.SessionTTL <= 0 {
		c.SessionTTL = 8 * time.Hour
	}
	if c.MaxFailures <= 0 {
		c.MaxFailures = 5
	}
	if c.MaxFailuresPerIP <= 0 {
		c.MaxFailuresPerIP = 20
	}
	if c.Lockout <= 0 {
		c.Lockout = 15 * time.Minute
	}
	if c.MaxConcurrentSignIns <= 0 {
		c.MaxConcurrentSignIns = 16
	}
	if c.MaxConcurrentSignInsPerIP <= 0 {
		c.MaxConcurrentSignInsPerIP = 4
	}
	if c.MaxConcurrentSignInsPerEmail <= 0 {
		c.MaxConcurrentSignInsPerEmail = 2
	}
	if c.HashWorkers <= 0 {
		c.HashWorkers = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if c.LowConfidence <= 0 {
		c.LowConfidence = lowConfidenceDefault(c.MinConfidence)
	}
	if c.LibrarySimilarScan <= 0 {
		c.LibrarySimilarScan = DefaultLibrarySimilarScan
	}
	if c.ExportLimit <= 0 {
		c.ExportLimit = 100_000
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// lowConfidenceMargin is how far above the no-answer threshold an answer
// still counts as low-confidence: it cleared the threshold, but only just.
const lowConfidenceMargin = 0.15

// lowConfidenceDefault is the filter's threshold for an engine whose
// no-answer threshold is minConfidence (as chat.Config takes it).
func lowConfidenceDefault(minConfidence float64) float64 {
	switch {
	case minConfidence == 0:
		minConfidence = chat.DefaultMinConfidence
	case minConfidence < 0:
		minConfidence = 0 // the engine answers whatever is found
	}
	return minConfidence + lowConfidenceMargin
}

// console holds what the handlers share.
type console struct {
	store   Store
	cfg     Config
	limiter *failureLimiter
	signins *inflight
	hashing chan struct{} // a slot per password check allowed at once
	repeats auditRepeats
	log     *slog.Logger
}

// NewHandler returns the console, to be mounted at /staff and /staff/
// without stripping the prefix.
func NewHandler(store Store, cfg Config) http.Handler {
	cfg = cfg.withDefaults()
	c := &console{
		store:   store,
		cfg:     cfg,
		limiter: newFailureLimiter(cfg.MaxFailures, cfg.MaxFailuresPerIP, cfg.Lockout),
		signins: newInflight(),
		hashing: make(chan struct{}, cfg.HashWorkers),
		repeats: auditRepeats{pending: map[auditKey]int{}},
		log:     cfg.Logger,
	}
	if sf, ok := store.(SharedFailures); ok {
		c.limiter.state = sharedFailures{sf}
	}
	return c.routes()
}
