package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/gorilla/websocket"
)

// testServer is a Server on a loopback httptest server with fakes.
type testServer struct {
	*httptest.Server
	srv      *Server
	log      *memLog
	answerer *fakeAnswerer
	cfg      Config
	// serving is the Server the listener hands requests to; restart
	// replaces it, as a redeploy behind the same address would.
	serving atomic.Pointer[Server]
}

func newTestServer(t testing.TB, modify func(*Config)) *testServer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Disclaimer = testDisclaimer
	if modify != nil {
		modify(&cfg)
	}
	ts := &testServer{log: newMemLog(), answerer: newFakeAnswerer(), cfg: cfg}
	ts.restart(t)
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.serving.Load().ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ts.serving.Load().Shutdown(ctx)
		ts.Close()
	})
	return ts
}

// restart puts a new Server, with the same configuration, log and
// answerer, behind the test server's address.
func (ts *testServer) restart(t testing.TB) {
	t.Helper()
	srv, err := NewServer(ts.cfg, ts.answerer, ts.log)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	ts.srv = srv
	ts.serving.Store(srv)
}

func (ts *testServer) wsURL(query string) string {
	u := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
	if query != "" {
		u += "?" + query
	}
	return u
}

// frame is any server frame.
type frame struct {
	Type           string          `json:"type"`
	ID             string          `json:"id"`
	ConversationID string          `json:"conversation_id"`
	Disclaimer     string          `json:"disclaimer"`
	History        []historyItem   `json:"history"`
	Text           string          `json:"text"`
	AnswerID       string          `json:"answer_id"`
	Kind           chat.Kind       `json:"kind"`
	Citations      []chat.Citation `json:"citations"`
	Code           string          `json:"code"`
	Message        string          `json:"message"`
	raw            map[string]json.RawMessage
}

type wsClient struct {
	t     testing.TB
	ws    *websocket.Conn
	hello frame
}

// dial opens a socket and reads the hello frame.
func (ts *testServer) dial(t testing.TB, query string) *wsClient {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(query), nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	c := &wsClient{t: t, ws: ws}
	t.Cleanup(func() { ws.Close() })
	c.hello = c.read()
	if c.hello.Type != "hello" {
		t.Fatalf("first frame is %q, want hello", c.hello.Type)
	}
	return c
}

func (c *wsClient) read() frame {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	mt, data, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	if mt != websocket.TextMessage {
		c.t.Fatalf("server sent frame type %d, want text", mt)
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		c.t.Fatalf("server frame is not JSON: %v: %s", err, data)
	}
	json.Unmarshal(data, &f.raw)
	return f
}

func (c *wsClient) sendJSON(v any) {
	c.t.Helper()
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *wsClient) sendRaw(mt int, data []byte) {
	c.t.Helper()
	if err := c.ws.WriteMessage(mt, data); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *wsClient) ask(id, text string) {
	c.t.Helper()
	c.sendJSON(map[string]string{"type": "ask", "id": id, "text": text})
}

// answer reads the deltas and the answer of ask id (failing on anything
// else) and returns them.
func (c *wsClient) answer(id string) ([]string, frame) {
	c.t.Helper()
	var deltas []string
	for {
		f := c.read()
		switch {
		case f.Type == "delta" && f.ID == id:
			deltas = append(deltas, f.Text)
		case f.Type == "answer" && f.ID == id:
			if got := strings.Join(deltas, ""); len(deltas) > 0 && got != f.Text {
				c.t.Errorf("deltas add up to %q, the answer text is %q", got, f.Text)
			}
			return deltas, f
		default:
			c.t.Fatalf("waiting for the answer to %q, got %+v", id, f)
		}
	}
}

// askOK asks and returns the answer frame.
func (c *wsClient) askOK(id, text string) frame {
	c.t.Helper()
	c.ask(id, text)
	_, a := c.answer(id)
	return a
}

// expectError reads the next frame and checks it is the error wanted.
func (c *wsClient) expectError(id, code string) frame {
	c.t.Helper()
	f := c.read()
	if f.Type != "error" || f.Code != code || f.ID != id {
		c.t.Fatalf("got %+v, want error code %q id %q", f, code, id)
	}
	if f.Message == "" {
		c.t.Errorf("error %q has no message", code)
	}
	return f
}

func httpGet(t testing.TB, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// metricValue returns the value of one series line in /metrics, or -1.
func metricValue(t testing.TB, ts *testServer, series string) float64 {
	t.Helper()
	_, body, _ := httpGet(t, ts.URL+"/metrics")
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var v float64
			json.Unmarshal([]byte(rest), &v)
			return v
		}
	}
	return -1
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
