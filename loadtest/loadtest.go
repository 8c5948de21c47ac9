// Package loadtest drives a running cellchat server through its public
// websocket protocol (v1): many clients asking questions one after another,
// or many idle sockets held open, and reports what it measured.
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Config is one load run.
type Config struct {
	URL string // ws://host:port/ws
	// URLs, when set, are several servers (replicas) in place of URL:
	// clients are spread over them in turn, and a client whose socket
	// drops reconnects to the next one and resumes its conversation.
	URLs      []string
	Origin    string        // Origin header to send; "" sends none
	Clients   int           // concurrent websocket clients
	Duration  time.Duration // how long clients keep asking
	Questions []string      // asked in turn, each client starting at its own offset
	// Timeout bounds one ask (from send to answer frame).
	Timeout time.Duration
	// Flooders are extra clients that send asks as fast as they can
	// without waiting for answers; they are not counted in the figures
	// above, so those show what everyone else got meanwhile.
	Flooders int
	// Think is how long a client pauses after each answer, as a patient
	// reading it would (0: ask again at once).
	Think time.Duration
	// Attack, when set, runs beside the clients from the moment they are
	// all connected (so its caps do not take their places) until the run
	// ends; the server must be on loopback.
	Attack *Attack
	// Console, when set, is a staff member looping over console pages
	// beside the clients from the moment they are all connected.
	Console *Console
}

// Result is what a load run measured.
type Result struct {
	Clients      int            `json:"clients"`
	Duration     time.Duration  `json:"duration_ns"`
	Answers      int            `json:"answers"`
	PerSecond    float64        `json:"answers_per_second"`
	P50          time.Duration  `json:"p50_ns"`
	P95          time.Duration  `json:"p95_ns"`
	P99          time.Duration  `json:"p99_ns"`
	Max          time.Duration  `json:"max_ns"`
	Errors       map[string]int `json:"errors"` // by protocol error code, or "connect", "read", "timeout"
	AnswerIDs    []string       `json:"-"`
	ConnectFails int            `json:"connect_failures"`
	Flood        *FloodResult   `json:"flood,omitempty"`
	Attack       *AttackResult  `json:"attack,omitempty"`
	Console      *ConsoleResult `json:"console,omitempty"`
	Replicas
}

// ErrorCount is the number of errors of every kind.
func (r Result) ErrorCount() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// askerReadBuffer is larger than an answer frame (some 6 KB), so that each
// is read with one system call rather than two or three: the load tool's
// CPU is taken from the server it measures when both share a machine.
const askerReadBuffer = 32 << 10

// frame is the union of the server frames a client reads.
type frame struct {
	Type           string `json:"type"`
	ID             string `json:"id"`
	AnswerID       string `json:"answer_id"`
	Code           string `json:"code"`
	Message        string `json:"message"`
	ConversationID string `json:"conversation_id"` // hello
}

// Run starts cfg.Clients clients that ask questions back to back until
// cfg.Duration has passed or ctx is done.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Clients <= 0 {
		return Result{}, errors.New("loadtest: clients must be at least 1")
	}
	if len(cfg.Questions) == 0 {
		return Result{}, errors.New("loadtest: no questions")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.URL == "" && len(cfg.URLs) > 0 {
		cfg.URL = cfg.URLs[0] // the attack, the console user and flooders go there
	}
	var attack Attack
	if cfg.Attack != nil {
		attack = *cfg.Attack
		if err := attack.validate(); err != nil {
			return Result{}, err
		}
		if err := CheckLoopback(ctx, cfg.URL); err != nil {
			return Result{}, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()

	t := newTally(cfg.urls())
	var wg sync.WaitGroup
	var floodRes FloodResult
	if cfg.Flooders > 0 {
		wg.Go(func() { floodRes = flood(ctx, cfg, cfg.Flooders) })
	}
	var (
		connected sync.WaitGroup
		attackRes AttackResult
	)
	connected.Add(cfg.Clients)
	if cfg.Attack != nil {
		wg.Go(func() {
			connected.Wait()
			attackRes = runAttack(ctx, attack, cfg.URL, cfg.Origin)
		})
	}
	var console consoleLoop
	if cfg.Console != nil {
		console.run(ctx, &wg, &connected, *cfg.Console, cfg.URL)
	}
	start := time.Now()
	for i := range cfg.Clients {
		wg.Go(func() {
			var once sync.Once
			ready := func() { once.Do(connected.Done) }
			defer ready()
			t.client(ctx, cfg, i, ready)
		})
	}
	wg.Wait()
	res := t.result(cfg.Clients, time.Since(start))
	if cfg.Flooders > 0 {
		res.Flood = &floodRes
	}
	if cfg.Attack != nil {
		res.Attack = &attackRes
	}
	if cfg.Console != nil {
		if console.err != nil {
			return res, fmt.Errorf("loadtest: console user: %w", console.err)
		}
		res.Console = &console.res
	}
	return res, nil
}

// protocolError is an error frame the server sent for an ask.
type protocolError struct{ code, message string }

func (e *protocolError) Error() string { return e.code + ": " + e.message }

// dial opens a socket; readBuf is its read buffer size (0: the library's 4 KB).
func dial(ctx context.Context, url, origin string, readBuf int) (*websocket.Conn, error) {
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: readBuf}
	conn, resp, err := d.DialContext(ctx, url, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: %w (HTTP %d)", url, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	return conn, nil
}

// readFrame reads frames until one of type want (for ask id, when id is
// set) arrives; deltas are skipped, an error frame for id is returned as a
// *protocolError.
func readFrame(conn *websocket.Conn, want, id string) (frame, error) {
	for {
		_, r, err := conn.NextReader()
		if err != nil {
			return frame{}, err
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return frame{}, err
		}
		f, err := decodeFrame(data)
		if err != nil {
			return f, err
		}
		switch {
		case f.Type == want && (id == "" || f.ID == id):
			return f, nil
		case f.Type == "error" && (f.ID == id || f.ID == ""):
			return f, &protocolError{code: f.Code, message: f.Message}
		}
	}
}

// decodeFrame reads a frame's fields only until it has those a client
// needs: an answer's citations carry whole passages (some 6 KB a frame),
// and decoding them all took a third of the load tool's CPU, which the
// server under test shares on a small machine. Fields may come in any
// order; the frame is read to its end when they come late.
func decodeFrame(data []byte) (frame, error) {
	// The server writes an answer's type, id and answer_id first: read
	// those two strings straight off the bytes.
	if rest, ok := bytes.CutPrefix(data, []byte(`{"type":"answer","id":`)); ok {
		if id, rest, ok := cutJSONString(rest); ok {
			if rest, ok := bytes.CutPrefix(rest, []byte(`,"answer_id":`)); ok {
				if aid, _, ok := cutJSONString(rest); ok {
					return frame{Type: "answer", ID: id, AnswerID: aid}, nil
				}
			}
		}
	}
	var f frame
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return f, fmt.Errorf("loadtest: a frame is not a JSON object: %.80q", data)
	}
	var hasID, hasAnswerID bool
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return f, fmt.Errorf("loadtest: a frame is not valid JSON: %w", err)
		}
		var dst *string
		switch t {
		case "type":
			dst = &f.Type
		case "id":
			dst, hasID = &f.ID, true
		case "answer_id":
			dst, hasAnswerID = &f.AnswerID, true
		case "code":
			dst = &f.Code
		case "message":
			dst = &f.Message
		case "conversation_id":
			dst = &f.ConversationID
		}
		if dst != nil {
			err = dec.Decode(dst)
		} else {
			err = dec.Decode(&json.RawMessage{})
		}
		if err != nil {
			return f, fmt.Errorf("loadtest: a frame's %v is not what the protocol says: %w", t, err)
		}
		if hasID && (f.Type == "answer" && hasAnswerID || f.Type == "delta") {
			return f, nil
		}
	}
	return f, nil
}

// cutJSONString decodes the JSON string data starts with and returns the
// bytes after it.
func cutJSONString(data []byte) (s string, rest []byte, ok bool) {
	if len(data) == 0 || data[0] != '"' {
		return "", nil, false
	}
	escaped := false
	for i := 1; i < len(data); i++ {
		switch data[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			if !escaped {
				return string(data[1:i]), data[i+1:], true
			}
			if json.Unmarshal(data[:i+1], &s) != nil {
				return "", nil, false
			}
			return s, data[i+1:], true
		}
	}
	return "", nil, false
}

func percentiles(ds []time.Duration) (p50, p95, p99, worst time.Duration) {
	if len(ds) == 0 {
		return
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.5) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return at(0.50), at(0.95), at(0.99), s[len(s)-1]
}

// Ask sends one question on a fresh socket and returns the time to its
// answer frame: the "does a new client still get answered promptly" probe.
func Ask(ctx context.Context, url, origin, question string) (time.Duration, error) {
	conn, err := dial(ctx, url, origin, 0)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if _, err := readFrame(conn, "hello", ""); err != nil {
		return 0, fmt.Errorf("hello: %w", err)
	}
	t0 := time.Now()
	if err := conn.WriteJSON(map[string]string{"type": "ask", "id": "probe", "text": question}); err != nil {
		return 0, err
	}
	if _, err := readFrame(conn, "answer", "probe"); err != nil {
		return 0, err
	}
	return time.Since(t0), nil
}
