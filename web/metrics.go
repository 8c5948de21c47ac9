package web

import (
	"bufio"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus series, in a registry of its own so
// that several servers (tests) never collide.
type metrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.CounterVec   // route, code
	answers       *prometheus.CounterVec   // kind
	answerLatency *prometheus.HistogramVec // transport: ws | http
	openSockets   prometheus.Gauge
	errors        *prometheus.CounterVec // code (protocol error codes)
	dropped       *prometheus.CounterVec // reason: slow_reader | write_error | read_limit
	feedback      *prometheus.CounterVec // rating
	panics        prometheus.Counter
	refused       *prometheus.CounterVec // reason: conn_cap | ip_socket_cap | body_timeout
	// Generated (LLM) answers: those not shown, by reason, and the
	// sentences the support check refused.
	llmRejected    *prometheus.CounterVec // reason
	llmUnsupported prometheus.Counter
}

// llmRejectReasons are the reasons a generated answer is not shown (the
// part of chat.Reply.Fallback before any colon); others count as "other",
// so a model's error text never becomes a label.
var llmRejectReasons = []string{"unsupported", "invalid_citation", "no_citation", "llm_no_answer", "llm_error", "llm_timeout", "llm_stalled", "no_passages"}

// rejectReason is the label for a reply's Fallback.
func rejectReason(fallback string) string {
	head, _, _ := strings.Cut(fallback, ":")
	if slices.Contains(llmRejectReasons, head) {
		return head
	}
	return "other"
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellchat_http_requests_total", Help: "HTTP requests by route and status code (101: websocket upgrades).",
		}, []string{"route", "code"}),
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellchat_answers_total", Help: "Replies sent, by kind.",
		}, []string{"kind"}),
		answerLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cellchat_answer_duration_seconds",
			Help:    "Time from a question's arrival to its reply being logged, by transport.",
			Buckets: prometheus.ExponentialBuckets(0.00025, 2, 16), // 0.25 ms .. 8 s
		}, []string{"transport"}),
		openSockets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cellchat_open_sockets", Help: "Websocket connections open now.",
		}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellchat_errors_total", Help: "Protocol errors sent to clients (websocket and /api/ask), by code.",
		}, []string{"code"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellchat_sockets_dropped_total", Help: "Websockets the server closed on a client, by reason.",
		}, []string{"reason"}),
		feedback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellchat_feedback_total", Help: "Patient feedback frames recorded (a rating, a changed rating or a comment), by rating; the log keeps one rating per answer.",
		}, []string{"rating"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellchat_refused_total", Help: "Connections, sockets and requests refused to protect other clients, by reason: conn_cap (over --max-conns-per-ip, closed unanswered), ip_socket_cap (over --max-sockets-per-ip), body_timeout (body slower than --body-timeout).",
		}, []string{"reason"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cellchat_panics_recovered_total", Help: "Panics recovered in handlers.",
		}),
		llmRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellchat_llm_rejected_total",
			Help: "Generated (LLM) answers not shown, the extractive answer sent instead, by reason: unsupported (a sentence its cited passages do not support), invalid_citation, no_citation, llm_no_answer, llm_error, llm_timeout, llm_stalled, no_passages, other.",
		}, []string{"reason"}),
		llmUnsupported: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cellchat_llm_unsupported_sentences_total",
			Help: "Generated sentences their cited passages do not support, whether their answer was replaced or they were left out of it.",
		}),
	}
	m.reg.MustRegister(m.requests, m.answers, m.answerLatency, m.openSockets, m.errors, m.dropped, m.feedback, m.panics, m.refused,
		m.llmRejected, m.llmUnsupported,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
	)
	for _, code := range []string{codeBadRequest, codeTooLarge, codeRateLimited, codeBusy, codeInternal} {
		m.errors.WithLabelValues(code) // every series exists from the start
	}
	for _, reason := range []string{"conn_cap", "ip_socket_cap", "body_timeout"} {
		m.refused.WithLabelValues(reason)
	}
	for _, reason := range append(llmRejectReasons, "other") {
		m.llmRejected.WithLabelValues(reason)
	}
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// instrument counts a route's requests by status code.
func (m *metrics) instrument(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		code := rec.status
		if code == 0 {
			code = http.StatusOK
		}
		m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	})
}

// statusRecorder remembers the status code; it passes Hijack through so
// websocket upgrades work, and counts them as 101.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	if err == nil {
		r.status = http.StatusSwitchingProtocols
	}
	return c, rw, err
}

func (r *statusRecorder) Flush() { http.NewResponseController(r.ResponseWriter).Flush() }

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func seconds(d time.Duration) float64 { return d.Seconds() }

// registerPair exposes two counters that one call reads, such as a cache's
// hits and misses.
func (m *metrics) registerPair(read func() (uint64, uint64), firstName, firstHelp, secondName, secondHelp string) {
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: firstName, Help: firstHelp},
			func() float64 { a, _ := read(); return float64(a) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: secondName, Help: secondHelp},
			func() float64 { _, b := read(); return float64(b) }),
	)
}

// registerGauge exposes a value read when /metrics is scraped.
func (m *metrics) registerGauge(read func() float64, name, help string) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, read))
}

// corpusInfoDesc is the served corpus version as a label of a constant 1,
// Prometheus's way to export a string.
var corpusInfoDesc = prometheus.NewDesc("cellchat_corpus_info",
	"The corpus version this server answers from (label version), always 1; it changes when the server reloads its corpus.", []string{"version"}, nil)

// corpusInfo exports the version served when /metrics is scraped.
type corpusInfo struct{ v corpusVersioner }

func (c corpusInfo) Describe(ch chan<- *prometheus.Desc) { ch <- corpusInfoDesc }

func (c corpusInfo) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(corpusInfoDesc, prometheus.GaugeValue, 1, c.v.Version())
}
