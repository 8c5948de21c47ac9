// Package web serves what package chat answers: the websocket protocol v1 at
// /ws, POST /api/ask, the embeddable patient widget (embedded, no build
// step), the demo page, health, readiness and Prometheus metrics. It mounts
// the staff console handler it is given at /staff/.
package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/transcript"
)

// Answerer replies to a question in the context of a conversation;
// *chat.Engine is one. onDelta receives the reply text as it is produced.
type Answerer interface {
	Answer(ctx context.Context, history []chat.Turn, question string, onDelta func(string)) (chat.Reply, error)
}

// replyCacher is an Answerer that keeps recent replies (*chat.Engine):
// its hits and misses are exported as metrics.
type replyCacher interface {
	ReplyCacheStats() (hits, misses uint64)
}

// Log is the durable transcript; *transcript.Store is one.
type Log interface {
	// Record stores a turn; the turn is durable when it returns nil.
	Record(ctx context.Context, r transcript.Record) error
	// History returns a conversation's turns, oldest first, at most limit
	// (the newest); transcript.ErrNotFound for an unknown conversation.
	History(ctx context.Context, conversationID string, limit int) ([]transcript.Record, error)
	// RecordFeedback stores a rating; transcript.ErrNotFound if the answer
	// is not in that conversation.
	RecordFeedback(ctx context.Context, conversationID string, f transcript.Feedback) error
}

// Config holds every limit of the server. Each is a flag and an environment
// variable of `cellchat serve`; DefaultConfig has the defaults.
type Config struct {
	// Disclaimer is sent in the hello frame (each answer carries its own).
	Disclaimer string
	// UrgentHelp, the engine's emergency message, is sent in the hello
	// frame: the widget shows it when it cannot reach the server.
	UrgentHelp string
	// AllowedOrigins are the web origins (scheme://host[:port]) whose pages
	// may open /ws and call /api/ask, beside the server's own origin; "*"
	// allows any origin.
	AllowedOrigins []string

	MaxQuestionChars int   // characters in a question
	MaxCommentChars  int   // characters in a feedback comment
	MaxFrameBytes    int   // bytes in a client websocket frame; larger gets too_large
	MaxBodyBytes     int64 // bytes in a POST /api/ask body; larger gets 413 too_large
	// BodyTimeout is how long any request body may take to arrive once
	// its headers are in (0: no limit); slower gets 408.
	BodyTimeout time.Duration
	// MaxConnsPerIP caps the TCP connections open at once from one peer
	// address, on the listener Server.Listener wraps (0: no limit; off
	// behind a proxy, see Listener).
	MaxConnsPerIP int

	ConnRate  float64 // client frames per second per websocket (0: no limit)
	ConnBurst int
	IPRate    float64 // client frames, /api/ask requests and new sockets per second per client IP (0: no limit)
	IPBurst   int

	MaxSockets int // open websockets; more get HTTP 503 before the upgrade (0: no limit)
	// MaxSocketsPerIP caps one client IP's open websockets (by the same
	// client-IP rule as the rate limits), so one address cannot hold every
	// MaxSockets slot; more get HTTP 429 (0: no limit).
	MaxSocketsPerIP int
	// MaxSocketLifetime, if set, closes a socket this long after it opened
	// as shutdown does (asks in flight answered, then 1001), so no client
	// holds a slot for ever; the widget reconnects to its conversation.
	MaxSocketLifetime time.Duration
	MaxPendingAsks    int // asks and feedback queued on one socket behind the one being answered; more get busy
	SendQueue         int // frames queued for one socket's writer; a client that lets it fill is dropped

	PingInterval  time.Duration // how often the server pings an idle socket
	ReadTimeout   time.Duration // a socket silent (no frame, no pong) this long is closed
	WriteTimeout  time.Duration // a frame not written within this is a dead or slow client: dropped
	AnswerTimeout time.Duration // longest time an answer (engine + log) may take
	// StreamAfter is how long an answer may be in the making before its
	// text goes out in delta frames as it is produced. A faster answer is
	// sent whole in its answer frame, after it is logged: one frame, not
	// two or more, and no text shown before it is in the log.
	StreamAfter time.Duration

	HistoryLimit int // earlier turns sent in hello and given to the answerer

	// ResumeIdle bounds how long a conversation id opens its history: a
	// resume whose last turn is older starts a new conversation, so an id
	// left in a shared browser or a log does not reveal the turns for ever
	// (0: never expires).
	ResumeIdle time.Duration

	// ClientIPHeader names a header set by a trusted reverse proxy holding
	// the client's IP (e.g. X-Forwarded-For); empty: the peer address.
	ClientIPHeader string

	// HSTSMaxAge, when positive, sends Strict-Transport-Security with this
	// max-age on every response. Set it only when clients reach the server
	// over HTTPS alone (a TLS-terminating proxy): a browser that sees it
	// refuses plain HTTP to the host for that long. Zero sends none.
	HSTSMaxAge time.Duration

	// MetricsOwnListener takes /metrics off the patient-facing routes:
	// the caller serves MetricsHandler on an address of its own.
	MetricsOwnListener bool

	// Staff, if set, is mounted at /staff/ (and /staff).
	Staff http.Handler
	// Ready, if set, is part of GET /readyz (e.g. "the index is loaded").
	Ready func(ctx context.Context) error
	// SourceDetails, if set, gives a cited document's publisher and review
	// date, which every citation then carries.
	SourceDetails func(docID string) SourceDetails
	// Logger for structured logs; nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns the defaults of every limit.
func DefaultConfig() Config {
	return Config{
		MaxQuestionChars: 2000,
		MaxCommentChars:  2000,
		MaxFrameBytes:    16 << 10,
		MaxBodyBytes:     16 << 10,
		BodyTimeout:      10 * time.Second,
		// Enough for a household or a small clinic behind one NAT address
		// with every tab holding a socket, far from the open-file limit.
		MaxConnsPerIP: 256,
		ConnRate:      5,
		ConnBurst:     20,
		IPRate:        20,
		IPBurst:       60,
		// Under a common hard open-file limit of 20,000 (serve warns when
		// the limit is under this plus what the log and index need).
		MaxSockets: 16000,
		// A clinic behind one NAT address may have many patients, each
		// with a tab or two open.
		MaxSocketsPerIP: 200,
		MaxPendingAsks:  8,
		SendQueue:       256,
		PingInterval:    25 * time.Second,
		ReadTimeout:     60 * time.Second,
		WriteTimeout:    10 * time.Second,
		AnswerTimeout:   60 * time.Second,
		StreamAfter:     100 * time.Millisecond,
		HistoryLimit:    50,
		// A day lets a patient come back to a question the same day or the
		// next morning without the history lingering on a shared computer.
		ResumeIdle: 24 * time.Hour,
	}
}

// Validate reports the first limit that makes no sense.
func (c Config) Validate() error {
	switch {
	case c.MaxQuestionChars < 1:
		return errors.New("max question chars must be at least 1")
	case c.MaxCommentChars < 0:
		return errors.New("max comment chars must not be negative")
	case c.MaxFrameBytes < 256:
		return errors.New("max frame bytes must be at least 256")
	case c.MaxBodyBytes < 256:
		return errors.New("max body bytes must be at least 256")
	case c.ConnRate < 0 || c.IPRate < 0:
		return errors.New("rates must not be negative (0 means no limit)")
	case c.ConnRate > 0 && c.ConnBurst < 1, c.IPRate > 0 && c.IPBurst < 1:
		return errors.New("a rate limit needs a burst of at least 1")
	case c.BodyTimeout < 0:
		return errors.New("body timeout must not be negative (0 means no limit)")
	case c.MaxConnsPerIP < 0:
		return errors.New("max conns per IP must not be negative (0 means no limit)")
	case c.MaxSockets < 0:
		return errors.New("max sockets must not be negative (0 means no limit)")
	case c.MaxSocketsPerIP < 0:
		return errors.New("max sockets per IP must not be negative (0 means no limit)")
	case c.HSTSMaxAge < 0 || (c.HSTSMaxAge > 0 && c.HSTSMaxAge < time.Second):
		return errors.New("HSTS max-age must be 0 (off) or at least 1s")
	case c.MaxSocketLifetime < 0:
		return errors.New("max socket lifetime must not be negative (0 means no limit)")
	case c.MaxPendingAsks < 1:
		return errors.New("max pending asks must be at least 1")
	case c.SendQueue < 4:
		return errors.New("send queue must be at least 4")
	case c.PingInterval <= 0 || c.ReadTimeout <= 0 || c.WriteTimeout <= 0 || c.AnswerTimeout <= 0:
		return errors.New("ping interval and timeouts must be positive")
	case c.PingInterval >= c.ReadTimeout:
		return fmt.Errorf("ping interval (%v) must be shorter than the read timeout (%v)", c.PingInterval, c.ReadTimeout)
	case c.HistoryLimit < 0:
		return errors.New("history limit must not be negative")
	case c.ResumeIdle < 0:
		return errors.New("resume idle must not be negative (0 means never)")
	case c.StreamAfter < 0:
		return errors.New("stream-after must not be negative (0 streams at once)")
	}
	for _, o := range c.AllowedOrigins {
		if o != "*" && !strings.Contains(o, "://") {
			return fmt.Errorf("allowed origin %q: want scheme://host[:port] or *", o)
		}
	}
	return nil
}

// Server is the patient-facing HTTP handler. Shutdown drains its websockets.
type Server struct {
	cfg       Config
	answerer  Answerer
	log       Log
	logger    *slog.Logger
	metrics   *metrics
	ipLimits  *ipLimiters
	origins   map[string]bool
	anyOrigin bool
	handler   http.Handler

	sockets atomic.Int64 // open websockets

	mu        sync.Mutex
	ipSockets map[string]int // open websockets by client IP
	draining  bool
	conns     map[*wsConn]struct{}
	handlers  sync.WaitGroup // websocket handlers still running
}

// NewServer returns the server answering with answerer and logging every
// reply to log before the patient sees it.
func NewServer(cfg Config, answerer Answerer, log Log) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if answerer == nil || log == nil {
		return nil, errors.New("web.NewServer: an answerer and a log are required")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		cfg:       cfg,
		answerer:  answerer,
		log:       log,
		logger:    logger,
		metrics:   newMetrics(),
		ipLimits:  newIPLimiters(cfg.IPRate, cfg.IPBurst),
		origins:   map[string]bool{},
		conns:     map[*wsConn]struct{}{},
		ipSockets: map[string]int{},
	}
	for _, o := range cfg.AllowedOrigins {
		if o == "*" {
			s.anyOrigin = true
		}
		s.origins[strings.ToLower(strings.TrimRight(o, "/"))] = true
	}
	if c, ok := answerer.(replyCacher); ok {
		s.metrics.registerPair(c.ReplyCacheStats,
			"cellchat_reply_cache_hits_total", "Questions answered from the engine's cache of recent replies.",
			"cellchat_reply_cache_misses_total", "Questions the engine worked out because its reply cache did not have them.")
	}
	if v, ok := answerer.(corpusVersioner); ok {
		s.metrics.reg.MustRegister(corpusInfo{v})
	}
	if st, ok := log.(commitStater); ok {
		s.metrics.registerPair(st.CommitStats,
			"cellchat_transcript_commits_total", "Transactions the transcript log committed (each one fsync).",
			"cellchat_transcript_records_total", "Replies committed to the transcript log; over commits, the group-commit batch size.")
	}
	if st, ok := log.(walSizer); ok {
		s.metrics.registerGauge(func() float64 { return float64(st.WALBytes()) },
			"cellchat_transcript_wal_bytes", "Length of the transcript log's write-ahead log at its last checkpoint: it grows while a long read (a staff console query, a backup) keeps it from starting over.")
	}
	s.handler = s.routes()
	if c := s.cfg.HSTSMaxAge; c > 0 {
		s.handler = strictTransport(s.handler, c)
	}
	return s, nil
}

// corpusVersioner is an Answerer that knows the version of the corpus it
// answers from, which changes when the server reloads it: /readyz and
// /metrics report it, so an operator sees which version each replica
// serves.
type corpusVersioner interface {
	Version() string
}

// commitStater is a Log that counts its commits (transcript.Store).
type commitStater interface {
	CommitStats() (commits, records uint64)
}

// walSizer is a Log that knows the length of its write-ahead log (transcript.Store).
type walSizer interface {
	WALBytes() int64
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// strictTransport adds HSTS before any route writes, so 404s, errors and
// the websocket upgrade carry it too.
func strictTransport(h http.Handler, maxAge time.Duration) http.Handler {
	v := "max-age=" + strconv.FormatInt(int64(maxAge/time.Second), 10)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", v)
		h.ServeHTTP(w, r)
	})
}

// Shutdown stops taking new sockets and questions, lets every socket finish
// the asks it already accepted (their answers are logged and sent), closes
// the sockets with 1001 "going away" and waits for them, or until ctx ends,
// when the rest are closed abruptly. Call it beside http.Server.Shutdown,
// which does not track hijacked (websocket) connections.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		go c.drain()
	}
	done := make(chan struct{})
	go func() { s.handlers.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.conns {
			c.kill("shutdown")
		}
		s.mu.Unlock()
		<-done
		return fmt.Errorf("web: shutdown: %w", ctx.Err())
	}
}

func (s *Server) isDraining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

// answered is a reply as the patient receives it, after it was logged.
type answered struct {
	body  answerBody
	reply chat.Reply
}

// answer runs the answerer and commits the reply to the log before
// returning it: an answer a patient sees is never missing from the log.
func (s *Server) answer(ctx context.Context, transport, convID string, history []chat.Turn, question string, onDelta func(string)) (answered, *protocolError) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.AnswerTimeout)
	defer cancel()
	reply, err := s.answerer.Answer(ctx, history, question, onDelta)
	if err != nil {
		s.logger.ErrorContext(ctx, "answer failed", convRef(convID), "err", err)
		return answered{}, &protocolError{code: codeInternal, message: "Sorry, something went wrong while answering. Please try again."}
	}
	id := newAnswerID()
	rec := transcript.Record{
		AnswerID:       id,
		ConversationID: convID,
		Time:           start.UTC(),
		Question:       question,
		Reply:          reply,
		Latency:        time.Since(start),
	}
	if err := s.log.Record(ctx, rec); err != nil {
		s.logger.ErrorContext(ctx, "logging the reply failed; not sent", convRef(convID), "err", err)
		return answered{}, &protocolError{code: codeInternal, message: "Sorry, the answer could not be saved. Please try again."}
	}
	elapsed := time.Since(start)
	s.metrics.answers.WithLabelValues(string(reply.Kind)).Inc()
	s.metrics.answerLatency.WithLabelValues(transport).Observe(seconds(elapsed))
	s.logger.DebugContext(ctx, "answered", "transport", transport, convRef(convID), "answer_id", id,
		"kind", reply.Kind, "citations", len(reply.Citations), "latency", elapsed)
	s.noteGenerated(ctx, convID, id, reply)
	return answered{body: newAnswerBody(id, reply, s.cfg.SourceDetails), reply: reply}, nil
}

// noteGenerated logs and counts a generated answer that was not shown as
// the model wrote it: operators must see when their model says what its
// sources do not, or fails.
func (s *Server) noteGenerated(ctx context.Context, convID, answerID string, reply chat.Reply) {
	if reply.Unsupported > 0 {
		s.metrics.llmUnsupported.Add(float64(reply.Unsupported))
	}
	switch {
	case reply.Fallback != "":
		s.metrics.llmRejected.WithLabelValues(rejectReason(reply.Fallback)).Inc()
		s.logger.WarnContext(ctx, "generated answer not shown; extractive answer sent", convRef(convID), "answer_id", answerID,
			"fallback", reply.Fallback, "unsupported_sentences", reply.Unsupported)
	case reply.Unsupported > 0:
		s.logger.InfoContext(ctx, "generated answer shown without its unsupported sentences", convRef(convID), "answer_id", answerID,
			"mode", reply.Mode, "unsupported_sentences", reply.Unsupported)
	}
}

// recordFeedback stores a patient's rating of one of their answers.
func (s *Server) recordFeedback(ctx context.Context, convID string, m clientMsg) *protocolError {
	err := s.log.RecordFeedback(ctx, convID, transcript.Feedback{
		AnswerID: m.AnswerID, Rating: m.Rating, Comment: m.Comment, Time: time.Now().UTC(),
	})
	switch {
	case errors.Is(err, transcript.ErrNotFound):
		return &protocolError{code: codeBadRequest, message: "That answer is not part of this conversation."}
	case err != nil:
		s.logger.ErrorContext(ctx, "recording feedback failed", convRef(convID), "err", err)
		return &protocolError{code: codeInternal, message: "Sorry, your feedback could not be saved. Please try again."}
	}
	s.metrics.feedback.WithLabelValues(m.Rating).Inc()
	return nil
}

// loadHistory returns a conversation's earlier turns, or ok=false when the
// id is malformed, unknown or idle past ResumeIdle (the caller starts a new
// conversation).
func (s *Server) loadHistory(ctx context.Context, convID string) (recs []transcript.Record, ok bool, err error) {
	if !validID(convID) {
		return nil, false, nil
	}
	recs, err = s.log.History(ctx, convID, s.cfg.HistoryLimit)
	switch {
	case errors.Is(err, transcript.ErrNotFound):
		return nil, false, nil
	case err != nil:
		return nil, true, err
	}
	if idle := s.cfg.ResumeIdle; idle > 0 && len(recs) > 0 && time.Since(recs[len(recs)-1].Time) > idle {
		return nil, false, nil
	}
	return recs, true, nil
}

func turnsOf(recs []transcript.Record) []chat.Turn {
	turns := make([]chat.Turn, len(recs))
	for i, r := range recs {
		turns[i] = chat.Turn{Question: r.Question, Reply: r.Reply}
	}
	return turns
}

// originAllowed: no Origin (not a browser), the server's own origin, or
// one in the allowed list.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || s.anyOrigin {
		return true
	}
	o := strings.ToLower(origin)
	if s.origins[o] {
		return true
	}
	host := o
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	return host == strings.ToLower(r.Host)
}

// recoverPanic logs a recovered panic with its stack; call it deferred.
func (s *Server) recovered(ctx context.Context, where string, p any) {
	s.metrics.panics.Inc()
	s.logger.ErrorContext(ctx, "panic recovered", "where", where, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
}
