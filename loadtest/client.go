package loadtest

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// reconnectPause is how long a client waits after every server refused
// its reconnect before it tries them again: long enough not to spin on a
// replica that is down, short beside the seconds a run lasts.
const reconnectPause = 100 * time.Millisecond

// Replicas are the figures of a run across several URLs (omitted with
// one): how clients fared when a server went away, and what each URL
// answered.
type Replicas struct {
	// Reconnects are sockets that dropped mid-run and were opened again
	// on the next URL.
	Reconnects int `json:"reconnects,omitempty"`
	// Resumed are reconnects whose hello brought back the conversation the
	// client had been answered in; NotResumed got a new one instead.
	Resumed    int `json:"resumed,omitempty"`
	NotResumed int `json:"not_resumed,omitempty"`
	// Interrupted are questions in flight when their socket dropped; each
	// is asked again once the client has reconnected.
	Interrupted int `json:"interrupted,omitempty"`
	// ReconnectFailures are dials refused while reconnecting (a replica
	// that is down); the client goes on to the next URL.
	ReconnectFailures int         `json:"reconnect_failures,omitempty"`
	URLs              []URLResult `json:"urls,omitempty"`
}

// URLResult is what one URL answered.
type URLResult struct {
	URL     string         `json:"url"`
	Clients int            `json:"clients"` // clients that started on it
	Answers int            `json:"answers"`
	P50     time.Duration  `json:"p50_ns"`
	P99     time.Duration  `json:"p99_ns"`
	Errors  map[string]int `json:"errors"`
}

// urls are the servers the clients are spread over.
func (cfg Config) urls() []string {
	if len(cfg.URLs) > 0 {
		return cfg.URLs
	}
	return []string{cfg.URL}
}

// tally collects what the asking clients measured, by URL.
type tally struct {
	urls []string

	mu        sync.Mutex
	latencies [][]time.Duration
	errs      []map[string]int
	ids       []string
	connFails int
	rep       Replicas
}

func newTally(urls []string) *tally {
	t := &tally{urls: urls, latencies: make([][]time.Duration, len(urls)), errs: make([]map[string]int, len(urls))}
	for i := range urls {
		t.errs[i] = map[string]int{}
	}
	return t
}

func (t *tally) countErr(u int, code string) {
	t.mu.Lock()
	t.errs[u][code]++
	t.mu.Unlock()
}

func (t *tally) answered(u int, d time.Duration, answerID string) {
	t.mu.Lock()
	t.latencies[u] = append(t.latencies[u], d)
	t.ids = append(t.ids, answerID)
	t.mu.Unlock()
}

func (t *tally) count(f func(r *Replicas)) {
	t.mu.Lock()
	f(&t.rep)
	t.mu.Unlock()
}

// result sums the tally up; the per-URL figures only when there are
// several URLs, so that a run against one server reports as it always has.
func (t *tally) result(clients int, elapsed time.Duration) Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	res := Result{Clients: clients, Duration: elapsed, Errors: map[string]int{}, AnswerIDs: t.ids, ConnectFails: t.connFails, Replicas: t.rep}
	var all []time.Duration
	for u, ls := range t.latencies {
		all = append(all, ls...)
		for code, n := range t.errs[u] {
			res.Errors[code] += n
		}
		if len(t.urls) > 1 {
			r := URLResult{URL: t.urls[u], Clients: clients / len(t.urls), Answers: len(ls), Errors: t.errs[u]}
			if u < clients%len(t.urls) {
				r.Clients++
			}
			r.P50, _, r.P99, _ = percentiles(ls)
			res.URLs = append(res.URLs, r)
		}
	}
	res.Answers = len(all)
	res.PerSecond = float64(len(all)) / elapsed.Seconds()
	res.P50, res.P95, res.P99, res.Max = percentiles(all)
	return res
}

// session is one client's conversation as it moves between URLs.
type session struct {
	u        int    // index of the URL it is on
	conv     string // the conversation to resume after a drop
	answered bool   // conv has an answer, so the server logged it and must resume it
	n        int    // the question to ask next
}

// client asks questions until the run ends. With one URL a dropped socket
// ends the client, counted as an error; with several it reconnects to the
// next URL, resumes its conversation and asks the interrupted question
// again. ready is called once it is connected (or has given up).
func (t *tally) client(ctx context.Context, cfg Config, i int, ready func()) {
	s := session{u: i % len(t.urls), n: i}
	refused := 0 // dials refused in a row while reconnecting
	for reconnecting := false; ctx.Err() == nil; reconnecting = true {
		conn, closeConn, hello, err := t.open(ctx, cfg, s)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !reconnecting {
				t.mu.Lock()
				if err == errConnect {
					t.connFails++
				}
				t.errs[s.u][err.Error()]++
				t.mu.Unlock()
				return
			}
			t.count(func(r *Replicas) { r.ReconnectFailures++ })
			s.u = (s.u + 1) % len(t.urls)
			if refused++; refused%len(t.urls) == 0 {
				sleepCtx(ctx, reconnectPause)
			}
			continue
		}
		refused = 0
		ready()
		if reconnecting && s.answered {
			resumed := hello.ConversationID == s.conv
			t.count(func(r *Replicas) {
				if resumed {
					r.Resumed++
				} else {
					r.NotResumed++
				}
			})
		}
		if hello.ConversationID != s.conv {
			s.conv, s.answered = hello.ConversationID, false
		}
		dropped := t.ask(ctx, cfg, conn, &s)
		closeConn()
		if !dropped || len(t.urls) == 1 {
			return
		}
		t.count(func(r *Replicas) { r.Reconnects++ })
		s.u = (s.u + 1) % len(t.urls)
	}
}

// errConnect and errHello name why a client could not start: the error
// codes a run reports.
var (
	errConnect = errors.New("connect")
	errHello   = errors.New("read")
)

// open dials the session's URL, resuming its conversation if it has one,
// and reads the hello frame. closeConn closes the socket, which the end of
// the run also does, so that a blocked read returns.
func (t *tally) open(ctx context.Context, cfg Config, s session) (conn *websocket.Conn, closeConn func(), hello frame, err error) {
	u := t.urls[s.u]
	if s.conv != "" {
		u = withConversation(u, s.conv)
	}
	conn, err = dial(ctx, u, cfg.Origin, askerReadBuffer)
	if err != nil {
		return nil, nil, frame{}, errConnect
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	closeConn = func() {
		stop()
		conn.Close()
	}
	if hello, err = readFrame(conn, "hello", ""); err != nil {
		closeConn()
		return nil, nil, frame{}, errHello
	}
	return conn, closeConn, hello, nil
}

// ask asks questions on conn until the run ends (false) or the socket
// drops (true). A question the socket dropped under is asked again after
// a reconnect, when there are URLs to reconnect to.
func (t *tally) ask(ctx context.Context, cfg Config, conn *websocket.Conn, s *session) (dropped bool) {
	several := len(t.urls) > 1
	dropOr := func(code string) bool {
		if ctx.Err() != nil {
			return false // the run ended mid-answer: neither a success nor an error
		}
		if several {
			t.count(func(r *Replicas) { r.Interrupted++ })
			return true
		}
		t.countErr(s.u, code)
		return false
	}
	for ctx.Err() == nil {
		q := cfg.Questions[s.n%len(cfg.Questions)]
		id := "q" + strconv.Itoa(s.n)
		t0 := time.Now()
		conn.SetWriteDeadline(t0.Add(cfg.Timeout))
		if err := conn.WriteJSON(map[string]string{"type": "ask", "id": id, "text": q}); err != nil {
			return dropOr("write")
		}
		conn.SetReadDeadline(t0.Add(cfg.Timeout))
		f, err := readFrame(conn, "answer", id)
		if ctx.Err() != nil {
			return false
		}
		if err != nil {
			var pe *protocolError
			if errors.As(err, &pe) {
				t.countErr(s.u, pe.code)
				if pe.code == "rate_limited" || pe.code == "busy" {
					time.Sleep(50 * time.Millisecond)
				}
				s.n++
				continue
			}
			return dropOr("read")
		}
		t.answered(s.u, time.Since(t0), f.AnswerID)
		s.n++
		s.answered = true
		if cfg.Think > 0 {
			sleepCtx(ctx, cfg.Think)
		}
	}
	return false
}

// withConversation is a websocket URL that resumes conversation id.
func withConversation(wsURL, id string) string {
	u, err := url.Parse(wsURL)
	if err != nil {
		return wsURL
	}
	q := u.Query()
	q.Set("conversation", id)
	u.RawQuery = q.Encode()
	return u.String()
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
