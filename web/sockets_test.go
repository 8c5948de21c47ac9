package web

import (
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestSocketCapPerIP(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MaxSocketsPerIP = 2; c.IPRate = 0 })
	a := ts.dial(t, "")
	ts.dial(t, "")
	_, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(""), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third socket from one IP: %v, %v; want HTTP 429", err, resp)
	}
	if n := metricValue(t, ts, `cellchat_refused_total{reason="ip_socket_cap"}`); n != 1 {
		t.Errorf("sockets refused by the per-IP cap counted %v, want 1", n)
	}
	a.ws.Close()
	eventually(t, "a freed per-IP socket slot", func() bool {
		ws, _, err := websocket.DefaultDialer.Dial(ts.wsURL(""), nil)
		if err == nil {
			ws.Close()
		}
		return err == nil
	})
}

func TestSocketCapPerIPFollowsClientIPHeader(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MaxSocketsPerIP = 1; c.IPRate = 0; c.ClientIPHeader = "X-Forwarded-For" })
	dial := func(ip string) (*http.Response, error) {
		ws, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(""), http.Header{"X-Forwarded-For": {ip}})
		if err == nil {
			t.Cleanup(func() { ws.Close() })
		}
		return resp, err
	}
	if _, err := dial("203.0.113.1"); err != nil {
		t.Fatalf("first client: %v", err)
	}
	if _, err := dial("203.0.113.2"); err != nil {
		t.Fatalf("another client behind the same proxy: %v", err)
	}
	if resp, err := dial("203.0.113.1"); err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second socket of one client: %v; want HTTP 429", err)
	}
}

func TestSocketLifetimeClosesWith1001(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MaxSocketLifetime = 300 * time.Millisecond })
	c := ts.dial(t, "")
	// An ask in flight when the lifetime ends is still answered.
	c.ask("q1", "block me")
	ts.answerer.waitStarted()
	time.Sleep(500 * time.Millisecond)
	close(ts.answerer.release)
	c.answer("q1")
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ws.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("after its lifetime the socket got %v, want a 1001 close", err)
	}
	// The client reconnects to the same conversation.
	again := ts.dial(t, "conversation="+c.hello.ConversationID)
	if again.hello.ConversationID != c.hello.ConversationID || len(again.hello.History) != 1 {
		t.Fatalf("reconnect resumed %q with %d turns", again.hello.ConversationID, len(again.hello.History))
	}
}

func TestNoSocketLifetimeByDefault(t *testing.T) {
	if d := DefaultConfig(); d.MaxSocketLifetime != 0 {
		t.Fatalf("default socket lifetime %v, want off", d.MaxSocketLifetime)
	}
}
