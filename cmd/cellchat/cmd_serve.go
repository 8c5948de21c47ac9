package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/internal/fdlimit"
	"github.com/cellchat/cellchat/library"
	"github.com/cellchat/cellchat/transcript"
	"github.com/cellchat/cellchat/web"
	"github.com/cellchat/cellchat/web/staff"
)

// serveFlags are serve's own flags beside the web.Config limits.
type serveFlags struct {
	addr            string
	origins         string
	redact          bool
	retentionDays   int
	auditRetention  int
	logLevel        string
	logFormat       string
	shutdownTimeout time.Duration
	gcPercent       int
	debugAddr       string
	metricsAddr     string
	replyCache      int
	hstsMaxAge      time.Duration
	reloadCheck     time.Duration
	queryTimeout    time.Duration
	shortSearch     int
	consoleReads    int
	staff           staff.Config
}

// addServeFlags registers every limit of web.Config as a flag (and so as a
// CELLCHAT_<NAME> variable), defaulting to web.DefaultConfig.
func addServeFlags(fs interface {
	StringVar(*string, string, string, string)
	IntVar(*int, string, int, string)
	Int64Var(*int64, string, int64, string)
	Float64Var(*float64, string, float64, string)
	BoolVar(*bool, string, bool, string)
	DurationVar(*time.Duration, string, time.Duration, string)
}, cfg *web.Config, sf *serveFlags) {
	d := web.DefaultConfig()
	*cfg = d
	fs.StringVar(&sf.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&sf.origins, "allowed-origins", "", "comma-separated origins (scheme://host[:port]) of sites that embed the widget, beside the server's own; * allows any")
	fs.IntVar(&cfg.MaxQuestionChars, "max-question-chars", d.MaxQuestionChars, "longest question, in characters")
	fs.IntVar(&cfg.MaxCommentChars, "max-comment-chars", d.MaxCommentChars, "longest feedback comment, in characters")
	fs.IntVar(&cfg.MaxFrameBytes, "max-frame-bytes", d.MaxFrameBytes, "largest websocket frame from a client; larger gets too_large, over 4x the socket is closed with 1009")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", d.MaxBodyBytes, "largest POST /api/ask body")
	fs.DurationVar(&cfg.BodyTimeout, "body-timeout", d.BodyTimeout, "longest time a request body may take to arrive once its headers are in; slower gets 408 (0: no limit)")
	fs.IntVar(&cfg.MaxConnsPerIP, "max-conns-per-ip", d.MaxConnsPerIP, "TCP connections open at once from one peer address; more are closed unanswered (0: no limit; off with --client-ip-header, where the proxy is the peer: cap connections there)")
	fs.Float64Var(&cfg.ConnRate, "conn-rate", d.ConnRate, "frames per second one websocket may send (0: no limit)")
	fs.IntVar(&cfg.ConnBurst, "conn-burst", d.ConnBurst, "burst of frames one websocket may send")
	fs.Float64Var(&cfg.IPRate, "ip-rate", d.IPRate, "frames, /api/ask requests and new sockets per second per client IP (0: no limit)")
	fs.IntVar(&cfg.IPBurst, "ip-burst", d.IPBurst, "burst per client IP")
	fs.IntVar(&cfg.MaxSockets, "max-sockets", d.MaxSockets, "open websockets; more are refused with HTTP 503 (0: no limit)")
	fs.IntVar(&cfg.MaxSocketsPerIP, "max-sockets-per-ip", d.MaxSocketsPerIP, "open websockets from one client IP (by --client-ip-header when set); more are refused with HTTP 429 (0: no limit)")
	fs.DurationVar(&cfg.MaxSocketLifetime, "max-socket-lifetime", d.MaxSocketLifetime, "close a websocket this long after it opened, as shutdown does (answers in flight sent, then 1001); the widget reconnects to its conversation (0: no limit)")
	fs.IntVar(&cfg.MaxPendingAsks, "max-pending-asks", d.MaxPendingAsks, "questions one socket may queue behind the one being answered; more get busy")
	fs.IntVar(&cfg.SendQueue, "send-queue", d.SendQueue, "frames queued for one socket; a client that lets it fill is dropped")
	fs.DurationVar(&cfg.PingInterval, "ping-interval", d.PingInterval, "how often idle sockets are pinged")
	fs.DurationVar(&cfg.ReadTimeout, "read-timeout", d.ReadTimeout, "a socket silent this long (no frame, no pong) is closed")
	fs.DurationVar(&cfg.WriteTimeout, "write-timeout", d.WriteTimeout, "a frame not written within this drops the client")
	fs.DurationVar(&cfg.AnswerTimeout, "answer-timeout", d.AnswerTimeout, "longest time one answer may take")
	fs.DurationVar(&cfg.StreamAfter, "stream-after", d.StreamAfter, "how long an answer may be in the making before its text is streamed in delta frames; a faster answer is sent whole, once logged (0: stream at once)")
	fs.IntVar(&cfg.HistoryLimit, "history-limit", d.HistoryLimit, "earlier turns sent on resume and used for follow-up questions")
	fs.DurationVar(&cfg.ResumeIdle, "resume-idle", d.ResumeIdle, "a conversation whose last turn is older than this cannot be resumed: its id starts a new conversation (0: never expires)")
	fs.StringVar(&cfg.ClientIPHeader, "client-ip-header", "", "header a trusted reverse proxy puts the client IP in (e.g. X-Forwarded-For); empty: the peer address")
	fs.BoolVar(&sf.redact, "redact", false, "redact e-mail addresses, phone numbers and similar identifiers in logged questions and feedback comments")
	fs.IntVar(&sf.retentionDays, "retention-days", 0, "delete conversations older than this many days, at start and every hour (0: keep)")
	fs.IntVar(&sf.auditRetention, "audit-retention-days", 0, "delete staff audit rows older than this many days, at start and every hour (0: keep)")
	fs.StringVar(&sf.logLevel, "log-level", "info", "debug, info, warn or error (start and stop lines are always written)")
	fs.StringVar(&sf.logFormat, "log-format", "json", "json or text")
	fs.DurationVar(&sf.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long shutdown waits for answers in flight")
	fs.IntVar(&sf.gcPercent, "gc-percent", defaultGCPercent, "Go garbage collector target, as GOGC: heap growth in percent before a collection; higher spends less CPU on collection and more memory (0: the runtime's setting, GOGC or 100)")
	fs.IntVar(&sf.replyCache, "reply-cache", 1000, "recent replies kept to answer the same question in the same conversation context again without recomputing it (0: off; generated LLM replies are never kept)")
	fs.StringVar(&sf.debugAddr, "debug-addr", "", "address for Go's profiler (/debug/pprof/) on its own listener, e.g. 127.0.0.1:6060; empty: off. Never expose it publicly")
	fs.StringVar(&sf.metricsAddr, "metrics-addr", "", "address for /metrics (Prometheus) on its own listener, e.g. 127.0.0.1:9090; when set, the main address no longer serves /metrics (empty: /metrics on the main address)")
	fs.DurationVar(&sf.staff.SessionTTL, "staff-session-ttl", 8*time.Hour, "how long a staff sign-in lasts")
	fs.IntVar(&sf.staff.MaxFailures, "staff-max-failures", 5, "failed sign-ins for one e-mail from one client IP before that pair is locked out (other addresses still may sign in)")
	fs.IntVar(&sf.staff.MaxFailuresPerIP, "staff-max-failures-per-ip", 20, "failed sign-ins from one client IP before it is locked out")
	fs.DurationVar(&sf.staff.Lockout, "staff-lockout", 15*time.Minute, "how long a staff sign-in lockout lasts; each further lock of the same e-mail and IP, or IP, lasts twice as long, up to 24h")
	fs.IntVar(&sf.staff.MaxConcurrentSignIns, "staff-signin-concurrency", 16, "staff sign-ins handled at once; more are refused with 429")
	fs.IntVar(&sf.staff.MaxConcurrentSignInsPerIP, "staff-signin-concurrency-per-ip", 4, "staff sign-ins handled at once from one client IP")
	fs.IntVar(&sf.staff.MaxConcurrentSignInsPerEmail, "staff-signin-concurrency-per-email", 2, "staff sign-ins handled at once for one e-mail")
	fs.IntVar(&sf.staff.HashWorkers, "staff-hash-workers", 0, "staff password checks (bcrypt) run at once (0: half of GOMAXPROCS, at least 1), so sign-ins cannot take patients' CPU")
	fs.Float64Var(&sf.staff.LowConfidence, "staff-low-confidence", 0, "confidence (0..1) under which the console's filter counts a reply as low-confidence (0: the engine's no-answer threshold, CELLCHAT_MIN_CONFIDENCE, + 0.15)")
	fs.IntVar(&sf.staff.ExportLimit, "staff-export-limit", 100000, "most rows one staff export returns")
	fs.DurationVar(&sf.queryTimeout, "staff-query-timeout", transcript.DefaultReadTimeout, "longest a staff console read of the log (a list, search, export, dashboard or conversation) may run; one still running is stopped and the staff member asked to narrow the filter (0: no limit)")
	fs.IntVar(&sf.consoleReads, "staff-reads", transcript.DefaultConsoleReads, "staff console reads of the log (lists, searches, exports, dashboards) run at once; more wait their turn. Each keeps a CPU busy while it runs, so keep it below the server's cores: the rest are patients'")
	fs.IntVar(&sf.shortSearch, "staff-short-search-replies", transcript.DefaultShortSearchReplies, "how many of the newest replies a console search of one or two characters reads (three or more use the text index and read the whole log); the page says so (0: every reply, up to --staff-query-timeout)")
	fs.BoolVar(&sf.staff.SecureCookies, "secure-cookies", false, "mark staff cookies Secure even without TLS (behind a TLS-terminating proxy), and send HSTS")
	fs.DurationVar(&sf.reloadCheck, "reload-check", defaultReloadCheck, "how often to check whether cellchat ingest committed a new corpus version to the index, and then serve it without a restart (0: only on SIGHUP)")
	fs.DurationVar(&sf.hstsMaxAge, "hsts-max-age", 365*24*time.Hour, "with --secure-cookies, the max-age of the Strict-Transport-Security header on every response (0: no header)")
}

func runServe(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "serve", "")
	p := addPathFlags(fs)
	addDBFlag(fs, p)
	var cfg web.Config
	var sf serveFlags
	addServeFlags(fs, &cfg, &sf)
	lf := addLLMFlags(fs)
	libf := addLibraryFlags(fs, true)
	fs.BoolVar(&sf.staff.LibraryTwoPerson, "library-two-person", false, "a library entry is published only by a clinician other than the one who last saved it")
	fs.IntVar(&sf.staff.LibrarySimilarScan, "library-similar-scan", staff.DefaultLibrarySimilarScan, "newest logged replies the library editor looks through for similar questions to offer as variants")
	rest, err := parseFlags(fs, c, args)
	if err != nil {
		return err
	}
	if err := lf.check(); err != nil {
		return err
	}
	if err := libf.check(fs); err != nil {
		return err
	}
	if len(rest) > 0 {
		return &exitError{code: 2, err: fmt.Errorf("serve takes no arguments, got %q", rest)}
	}
	for _, o := range strings.Split(sf.origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.AllowedOrigins = append(cfg.AllowedOrigins, o)
		}
	}
	if sf.staff.SecureCookies {
		// Secure cookies say the site is HTTPS only; HSTS makes browsers
		// hold to that, so a later plain-HTTP link cannot expose a cookie.
		cfg.HSTSMaxAge = sf.hstsMaxAge
	}
	if sf.queryTimeout < 0 {
		return &exitError{code: 2, err: fmt.Errorf("--staff-query-timeout %v: want 0 (no limit) or more", sf.queryTimeout)}
	}
	if sf.consoleReads < 1 {
		return &exitError{code: 2, err: fmt.Errorf("--staff-reads %d: want 1 or more", sf.consoleReads)}
	}
	if sf.shortSearch < 0 {
		return &exitError{code: 2, err: fmt.Errorf("--staff-short-search-replies %d: want 0 (every reply) or more", sf.shortSearch)}
	}
	if sf.hstsMaxAge < 0 || (sf.hstsMaxAge > 0 && sf.hstsMaxAge < time.Second) {
		return &exitError{code: 2, err: fmt.Errorf("--hsts-max-age %v: want 0 (no header) or at least 1s", sf.hstsMaxAge)}
	}
	if err := cfg.Validate(); err != nil {
		return &exitError{code: 2, err: err}
	}
	if err := setGCPercent(sf.gcPercent); err != nil {
		return &exitError{code: 2, err: err}
	}
	defer runtime.GOMAXPROCS(reserveConsoleProcs(sf.consoleReads))
	logger, err := newLogger(c, sf.logLevel, sf.logFormat)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	cfg.Logger = logger
	// Start and stop lines (with the address listened on) are written at
	// any --log-level: operators and scripts wait for "serving".
	lifecycle, _ := newLogger(c, "info", sf.logFormat)

	lifecycle.Info("loading corpus and index", "corpus", p.corpus, "data", p.data)
	start := time.Now()
	// The engine accepts every question the server lets through.
	if sf.replyCache < 0 {
		return &exitError{code: 2, err: fmt.Errorf("--reply-cache %d: want 0 (off) or more", sf.replyCache)}
	}
	if sf.reloadCheck < 0 {
		return &exitError{code: 2, err: fmt.Errorf("--reload-check %v: want 0 (only on SIGHUP) or more", sf.reloadCheck)}
	}
	lib := library.NewLive()
	tune := []func(*chat.Config){lf.tune, func(ec *chat.Config) {
		ec.MaxQuestionLen = cfg.MaxQuestionChars
		ec.ReplyCache = sf.replyCache
		ec.Library = lib
	}}
	// The console's low-confidence filter counts from the threshold the
	// engine applies (CELLCHAT_MIN_CONFIDENCE), not the package default.
	engineCfg, err := chat.ConfigFromEnv(c.getenv)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	sf.staff.MinConfidence = engineCfg.MinConfidence
	first, ix, corp, err := openServed(ctx, c, p, tune...)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer ix.Close()
	eng := newLiveEngine(c, p, ix, first, corp, tune)
	lifecycle.Info("index ready", "corpus_version", ix.Version(), "took", time.Since(start))
	readTimeout := sf.queryTimeout
	if readTimeout == 0 {
		readTimeout = -1 // transcript.Options: negative is no limit
	}
	shortSearch := sf.shortSearch
	if shortSearch == 0 {
		shortSearch = -1 // transcript.Options: negative is every reply
	}
	store, err := p.openLog(ctx, transcript.Options{Redact: sf.redact, ReadTimeout: readTimeout,
		ShortSearchReplies: shortSearch, ConsoleReads: sf.consoleReads})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer store.Close()
	answers := &servedLibrary{live: lib, store: store, threshold: libf.threshold, log: lifecycle}
	if err := answers.setCorpus(ctx, corp); err != nil {
		return fmt.Errorf("serve: the answer library: %w", err)
	}
	eng.library = answers
	sf.staff.Library, sf.staff.LibraryLimits = answers, libf.lim
	// Replicas sharing a PostgreSQL log tell each other of reloads and
	// library changes (nothing happens on SQLite).
	if err := startReplicaNotices(ctx, p.db, eng, &sf.staff, lifecycle); err != nil {
		return fmt.Errorf("serve: %w", err)
	}

	// Every reply carries the engine's disclaimer; the hello frame shows the
	// same text before the first question. A greeting also proves the
	// engine answers before the server takes patients.
	probe, err := eng.Answer(ctx, nil, "Hello", nil)
	if err != nil {
		return fmt.Errorf("serve: the engine does not answer: %w", err)
	}
	cfg.Disclaimer = probe.Disclaimer
	// The widget tells a patient how to get urgent help while it cannot
	// reach the server: the engine's own emergency message, as configured.
	if urgent, err := eng.Answer(ctx, nil, urgentProbe, nil); err == nil && urgent.Kind == chat.KindEmergency {
		cfg.UrgentHelp = urgent.Text
	}
	if unset := unsetSafetyNumbers(c.getenv); len(unset) > 0 {
		warning := "the emergency message has no local numbers: it tells patients to call " + chat.DefaultEmergencyNumber +
			" and " + chat.DefaultCareTeam + "; set " + strings.Join(unset, " and ") + " (or the whole text, CELLCHAT_EMERGENCY_TEXT)"
		lifecycle.Warn(warning, "unset", unset)
		// Staff see it too: they, not whoever reads the server's log, hear
		// from a patient who was told to call a number that was not given.
		sf.staff.Warnings = append(sf.staff.Warnings, strings.ToUpper(warning[:1])+warning[1:])
	}
	sf.staff.ClientIPHeader = cfg.ClientIPHeader
	sf.staff.Logger = logger
	sf.staff.Sources = consoleSources{live: eng, logger: lifecycle}
	cfg.Staff = staff.NewHandler(store, sf.staff)
	cfg.Ready = func(ctx context.Context) error {
		if eng.Version() == "" {
			return errors.New("the index is empty")
		}
		if err := store.Ping(ctx); err != nil {
			return fmt.Errorf("the transcript log is not usable: %w", err)
		}
		return nil
	}
	cfg.SourceDetails = eng.SourceDetails
	cfg.MetricsOwnListener = sf.metricsAddr != ""
	srv, err := web.NewServer(cfg, eng, store)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	eng.startWatch(ctx, sf.reloadCheck, lifecycle)
	go store.RunRetention(ctx, sf.retentionDays, time.Hour, logger)
	go store.RunAuditRetention(ctx, sf.auditRetention, time.Hour, logger)
	if cfg.MaxSockets > 0 {
		// Each socket is a file; the log, the index and staff pages need
		// some more. Short of that, sockets fail before the cap refuses them.
		need := uint64(cfg.MaxSockets) + fdReserve
		if got, err := fdlimit.Ensure(need); err != nil || got < need {
			lifecycle.Warn("the open-file limit is under --max-sockets: sockets will fail before the cap refuses them (raise it: ulimit -n)",
				"limit", got, "needed", need, "err", err)
		}
	}

	ln, err := net.Listen("tcp", sf.addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if cfg.ClientIPHeader != "" && !sf.staff.SecureCookies {
		// A proxy usually terminates TLS, and then r.TLS is nil here: staff
		// session cookies would be sent without Secure, so a browser could
		// send them over plain HTTP.
		lifecycle.Warn("--client-ip-header is set without --secure-cookies: if the proxy terminates TLS, staff cookies lack Secure and no HSTS is sent; add --secure-cookies (CELLCHAT_SECURE_COOKIES=true)")
	}
	if cfg.ClientIPHeader != "" && cfg.MaxConnsPerIP > 0 {
		lifecycle.Info("--max-conns-per-ip is off behind a proxy (every peer is the proxy): cap connections per client there")
	}
	ln = srv.Listener(ln)
	if sf.debugAddr != "" {
		dl, err := net.Listen("tcp", sf.debugAddr)
		if err != nil {
			return fmt.Errorf("serve: --debug-addr: %w", err)
		}
		defer dl.Close()
		lifecycle.Info("profiler", "addr", dl.Addr().String(), "url", "http://"+dl.Addr().String()+"/debug/pprof/")
		go (&http.Server{Handler: debugHandler(), ReadHeaderTimeout: 10 * time.Second}).Serve(dl)
	}
	if sf.metricsAddr != "" {
		ml, err := net.Listen("tcp", sf.metricsAddr)
		if err != nil {
			return fmt.Errorf("serve: --metrics-addr: %w", err)
		}
		defer ml.Close()
		lifecycle.Info("metrics", "addr", ml.Addr().String(), "url", "http://"+ml.Addr().String()+"/metrics")
		go (&http.Server{Handler: srv.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second}).Serve(ml)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	lifecycle.Info("serving", "addr", ln.Addr().String(), "url", "http://"+ln.Addr().String()+"/", "stop", "press Ctrl+C to stop")
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	// Stop accepting, finish the answers in flight (HTTP and websocket),
	// then close the store (deferred) so every sent answer is on disk.
	lifecycle.Info("shutting down", "timeout", sf.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), sf.shutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	var wsErr error
	wg.Go(func() { wsErr = srv.Shutdown(sctx) })
	httpErr := hs.Shutdown(sctx)
	wg.Wait()
	if err := errors.Join(httpErr, wsErr); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	lifecycle.Info("stopped")
	return nil
}

// debugHandler serves Go's profiler apart from the public routes, so
// operators can profile a live server under load without exposing it.
func debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// defaultReloadCheck is how often serve looks for a corpus version that
// cellchat ingest committed: reading one small file, cheap enough to do
// often, and soon enough for an operator waiting to see the change.
const defaultReloadCheck = 5 * time.Second

// defaultGCPercent is serve's garbage collector target. Under load the
// server allocates a few tens of KB per answer and holds little, so Go's
// default (100) collects very often: at 400, 200 clients cost about 16%
// less server CPU per answer (260 -> 218 µs), and 10,000 idle sockets
// still cost 23.9 KB each, as at 100 (what they hold is live, not garbage).
const defaultGCPercent = 400

// setGCPercent applies --gc-percent: n > 0 sets the collector's target,
// 0 leaves the runtime's setting (GOGC, or 100).
func setGCPercent(n int) error {
	if n < 0 {
		return fmt.Errorf("--gc-percent %d: want 0 (the runtime's setting) or more", n)
	}
	if n > 0 {
		debug.SetGCPercent(n)
	}
	return nil
}

// reserveConsoleProcs gives the staff console's reads Go processors of
// their own, one per read that may run at once (--staff-reads), beside the
// ones patients' answers use, and returns the setting before. SQLite
// computes in the goroutine that reads, so without this a long console read
// holds one of the server's few processors (one of two on a two-core
// machine) and patients' answers queue for the rest; with it the operating
// system shares the cores among all of them. GOMAXPROCS set in the
// environment is left as it is.
func reserveConsoleProcs(reads int) (before int) {
	before = runtime.GOMAXPROCS(0)
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(before + reads)
	}
	return before
}

func newLogger(c *cli, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(c.stderr, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(c.stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want json or text", format)
}

// urgentProbe is a message every emergency rule set should treat as one;
// its reply is the emergency text the widget shows while offline.
const urgentProbe = "I have chest pain and trouble breathing right now"

// unsetSafetyNumbers names the environment variables of the emergency
// message's numbers that are unset, so the message falls back to generic
// ones; none when the whole text is configured.
func unsetSafetyNumbers(getenv func(string) string) []string {
	if getenv("CELLCHAT_EMERGENCY_TEXT") != "" {
		return nil
	}
	var unset []string
	for _, k := range []string{"CELLCHAT_EMERGENCY_NUMBER", "CELLCHAT_CARE_TEAM_PHONE"} {
		if getenv(k) == "" {
			unset = append(unset, k)
		}
	}
	return unset
}
