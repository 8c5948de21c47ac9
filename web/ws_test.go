package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestHelloStartsNewConversation(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t, "")
	if !validID(c.hello.ConversationID) {
		t.Errorf("conversation_id %q is not 32 hex characters", c.hello.ConversationID)
	}
	if c.hello.Disclaimer != testDisclaimer {
		t.Errorf("disclaimer = %q", c.hello.Disclaimer)
	}
	if string(c.hello.raw["history"]) != "[]" {
		t.Errorf(`history = %s, want []`, c.hello.raw["history"])
	}
	if got := string(c.hello.raw["max_question_chars"]); got != "2000" {
		t.Errorf("max_question_chars = %s, want the server's 2000", got)
	}
	other := ts.dial(t, "")
	if other.hello.ConversationID == c.hello.ConversationID {
		t.Error("two sockets got the same conversation id")
	}
}

func TestAskStreamsDeltasThenOneLoggedAnswer(t *testing.T) {
	ts := newTestServer(t, nil)
	// An answer still being produced after StreamAfter streams.
	ts.answerer.deltaDelay = 2 * DefaultConfig().StreamAfter
	c := ts.dial(t, "")
	c.ask("c1", "What is CAR-T? echo: three sentences")
	deltas, a := c.answer("c1")
	if len(deltas) == 0 {
		t.Error("no delta frames before the answer")
	}
	if got := strings.Join(deltas, ""); got != a.Text {
		t.Errorf("deltas add up to %q, answer text is %q", got, a.Text)
	}
	if a.Kind != "answer" || a.Disclaimer != testDisclaimer || !validID(a.AnswerID) {
		t.Errorf("answer frame = %+v", a)
	}
	if len(a.Citations) != 2 || a.Citations[0].N != 1 || a.Citations[0].Passage == "" || a.Citations[0].URL == "" || a.Citations[0].Title == "" || a.Citations[0].Section == "" || a.Citations[0].DocID == "" {
		t.Errorf("citations = %+v", a.Citations)
	}
	for _, key := range []string{"type", "id", "answer_id", "kind", "text", "citations", "disclaimer"} {
		if _, ok := a.raw[key]; !ok {
			t.Errorf("answer frame lacks %q", key)
		}
	}
	if !ts.log.hasAnswer(a.AnswerID) {
		t.Error("answer sent but not in the log")
	}
	ts.answerer.deltaDelay = 0
	b := c.askOK("c2", "What is the weather tomorrow?")
	if b.AnswerID == a.AnswerID {
		t.Error("two answers share an answer_id")
	}
	if string(b.raw["citations"]) != "[]" {
		t.Errorf("no-answer citations = %s, want []", b.raw["citations"])
	}
}

// A fast answer is one frame: its text is not streamed ahead of it (nor
// shown before it is logged).
func TestFastAnswerIsOneFrame(t *testing.T) {
	ts := newTestServer(t, nil)
	// Each commit takes a while, as an fsync does: time enough for text
	// produced before it to reach the client, were it sent.
	ts.log.recordGate = make(chan struct{})
	c := ts.dial(t, "")
	for i := range 5 {
		id := fmt.Sprintf("c%d", i)
		c.ask(id, "What is CAR-T? echo: three sentences")
		time.AfterFunc(20*time.Millisecond, func() { ts.log.recordGate <- struct{}{} })
		if deltas, _ := c.answer(id); len(deltas) > 0 {
			t.Errorf("%s: %d delta frames before a fast answer: %q", id, len(deltas), deltas)
		}
	}
}

func TestAnswerIsNotSentBeforeItIsLogged(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.log.recordGate = make(chan struct{})
	c := ts.dial(t, "")
	c.ask("c1", "What is CAR-T?")
	// Deltas may come; the answer must not while the commit is held.
	got := make(chan frame, 16)
	go func() {
		for {
			c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			var f frame
			if err := c.ws.ReadJSON(&f); err != nil {
				close(got)
				return
			}
			got <- f
		}
	}()
	timeout := time.After(300 * time.Millisecond)
wait:
	for {
		select {
		case f := <-got:
			if f.Type == "answer" {
				t.Fatal("answer frame sent before the log committed it")
			}
		case <-timeout:
			break wait
		}
	}
	close(ts.log.recordGate)
	for f := range got {
		if f.Type == "answer" {
			if !ts.log.hasAnswer(f.AnswerID) {
				t.Error("answer not in the log")
			}
			return
		}
	}
	t.Fatal("no answer after the commit")
}

func TestResumeSendsHistoryAndFollowUpsUseIt(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t, "")
	id := c.hello.ConversationID
	first := c.askOK("c1", "What is CAR-T therapy?")
	c.ws.Close()

	r := ts.dial(t, "conversation="+id)
	if r.hello.ConversationID != id {
		t.Fatalf("resumed conversation id = %q, want %q", r.hello.ConversationID, id)
	}
	if len(r.hello.History) != 1 {
		t.Fatalf("history has %d turns, want 1", len(r.hello.History))
	}
	h := r.hello.History[0]
	if h.Question != "What is CAR-T therapy?" || h.Answer.AnswerID != first.AnswerID || h.Answer.Text != first.Text || len(h.Answer.Citations) != 2 || h.Answer.Disclaimer == "" {
		t.Errorf("history item = %+v", h)
	}
	r.askOK("c2", "What are its side effects?")
	hist := ts.answerer.lastHistory()
	if len(hist) != 1 || hist[0].Question != "What is CAR-T therapy?" {
		t.Errorf("follow-up got history %+v, want the first turn", hist)
	}
	r.askOK("c3", "How is that treated?")
	if n := len(ts.answerer.lastHistory()); n != 2 {
		t.Errorf("third question got %d earlier turns, want 2", n)
	}
}

func TestResumeUnknownOrMalformedStartsNew(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, id := range []string{
		"0123456789abcdef0123456789abcdef", // well formed, unknown
		"abc",
		"../../etc/passwd",
		"0123456789ABCDEF0123456789ABCDEF",
		strings.Repeat("a", 500),
		"'; DROP TABLE turns; --",
	} {
		c := ts.dial(t, "conversation="+strings.ReplaceAll(id, " ", "%20"))
		if c.hello.ConversationID == id || !validID(c.hello.ConversationID) || len(c.hello.History) != 0 {
			t.Errorf("resume %q: hello %+v, want a new conversation", id, c.hello)
		}
	}
}

func TestFeedbackIsAcked(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t, "")
	a := c.askOK("c1", "What is CAR-T?")
	c.sendJSON(map[string]string{"type": "feedback", "answer_id": a.AnswerID, "rating": "down", "comment": "Too short <b>really</b>"})
	ack := c.read()
	if ack.Type != "ack" || ack.AnswerID != a.AnswerID {
		t.Fatalf("got %+v, want ack", ack)
	}
	fb := ts.log.feedbackFor(a.AnswerID)
	if len(fb) != 1 || fb[0].Rating != "down" || fb[0].Comment != "Too short <b>really</b>" {
		t.Errorf("logged feedback = %+v", fb)
	}

	// Another conversation's answer is not this socket's to rate.
	other := ts.dial(t, "")
	other.sendJSON(map[string]string{"type": "feedback", "answer_id": a.AnswerID, "rating": "up"})
	other.expectError("", codeBadRequest)
	if n := len(ts.log.feedbackFor(a.AnswerID)); n != 1 {
		t.Errorf("feedback from another conversation was logged (%d)", n)
	}
}

// TestHelloCarriesRatings: a resumed conversation's hello says how each
// answer was rated, the last rating with the comment given, so the widget
// shows the rating instead of offering the thumbs again.
func TestHelloCarriesRatings(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t, "")
	a := c.askOK("c1", "What is CAR-T?")
	b := c.askOK("c2", "What is GVHD?")
	for _, f := range []map[string]string{
		{"type": "feedback", "answer_id": a.AnswerID, "rating": "down"},
		{"type": "feedback", "answer_id": a.AnswerID, "rating": "down", "comment": "say more"},
		{"type": "feedback", "answer_id": a.AnswerID, "rating": "up"},
	} {
		c.sendJSON(f)
		if ack := c.read(); ack.Type != "ack" {
			t.Fatalf("got %+v, want ack", ack)
		}
	}
	again := ts.dial(t, "conversation="+c.hello.ConversationID)
	h := again.hello.History
	if len(h) != 2 || h[0].Answer.AnswerID != a.AnswerID || h[1].Answer.AnswerID != b.AnswerID {
		t.Fatalf("history = %+v", h)
	}
	if f := h[0].Feedback; f == nil || f.Rating != "up" || f.Comment != "say more" {
		t.Errorf("rated answer's feedback in hello = %+v, want up with the comment", f)
	}
	if h[1].Feedback != nil {
		t.Errorf("unrated answer has feedback %+v", h[1].Feedback)
	}
	if !strings.Contains(string(again.hello.raw["history"]), `"feedback":{"rating":"up","comment":"say more"}`) {
		t.Errorf("hello history JSON = %s", again.hello.raw["history"])
	}
}

func TestProtocolErrorsKeepTheSocketUsable(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.MaxFrameBytes = 1024
		c.MaxQuestionChars = 100
		c.MaxCommentChars = 10
		c.ConnRate = 0
		c.IPRate = 0
	})
	c := ts.dial(t, "")
	a := c.askOK("c0", "What is CAR-T?")
	tests := []struct {
		name  string
		mt    int
		frame string
		code  string
		id    string
	}{
		{"invalid JSON", websocket.TextMessage, `{"type":"ask",`, codeBadRequest, ""},
		{"not an object", websocket.TextMessage, `["ask"]`, codeBadRequest, ""},
		{"wrong field type", websocket.TextMessage, `{"type":"ask","id":7,"text":"hi"}`, codeBadRequest, ""},
		{"no type", websocket.TextMessage, `{"id":"x","text":"hi"}`, codeBadRequest, ""},
		{"unknown type", websocket.TextMessage, `{"type":"subscribe","id":"x"}`, codeBadRequest, ""},
		{"ask without id", websocket.TextMessage, `{"type":"ask","text":"What is CAR-T?"}`, codeBadRequest, ""},
		{"id over 64 characters", websocket.TextMessage, `{"type":"ask","id":"` + strings.Repeat("x", 65) + `","text":"hi"}`, codeBadRequest, ""},
		{"empty question", websocket.TextMessage, `{"type":"ask","id":"e1","text":"   "}`, codeBadRequest, "e1"},
		{"question too long", websocket.TextMessage, `{"type":"ask","id":"e2","text":"` + strings.Repeat("é", 101) + `"}`, codeTooLarge, "e2"},
		{"invalid UTF-8", websocket.TextMessage, "{\"type\":\"ask\",\"id\":\"e3\",\"text\":\"\xff\xfe\"}", codeBadRequest, ""},
		{"binary frame", websocket.BinaryMessage, `{"type":"ask","id":"e4","text":"hi"}`, codeBadRequest, ""},
		{"frame over the limit", websocket.TextMessage, `{"type":"ask","id":"e5","text":"` + strings.Repeat("a", 2000) + `"}`, codeTooLarge, ""},
		{"feedback bad rating", websocket.TextMessage, `{"type":"feedback","answer_id":"` + a.AnswerID + `","rating":"meh"}`, codeBadRequest, ""},
		{"feedback bad answer id", websocket.TextMessage, `{"type":"feedback","answer_id":"x","rating":"up"}`, codeBadRequest, ""},
		{"feedback unknown answer", websocket.TextMessage, `{"type":"feedback","answer_id":"0123456789abcdef0123456789abcdef","rating":"up"}`, codeBadRequest, ""},
		{"feedback comment too long", websocket.TextMessage, `{"type":"feedback","answer_id":"` + a.AnswerID + `","rating":"up","comment":"` + strings.Repeat("b", 11) + `"}`, codeTooLarge, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.sendRaw(tt.mt, []byte(tt.frame))
			c.expectError(tt.id, tt.code)
			id := "ok" + string(rune('a'+i))
			c.askOK(id, "What is CAR-T?") // still usable
		})
	}
	c.t = t
	if v := metricValue(t, ts, `cellchat_errors_total{code="bad_request"}`); v < 10 {
		t.Errorf("bad_request errors counted = %v", v)
	}
}

func TestFrameOverHardLimitClosesWith1009(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MaxFrameBytes = 1024 })
	c := ts.dial(t, "")
	c.sendRaw(websocket.TextMessage, []byte(strings.Repeat("a", hardLimitFactor*1024+1)))
	c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _, err := c.ws.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Fatalf("got %v, want close 1009", err)
	}
	// The server keeps serving others.
	ts.dial(t, "").askOK("c1", "What is CAR-T?")
}

func TestRateLimitPerConnection(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.ConnRate = 1; c.ConnBurst = 2; c.IPRate = 0 })
	c := ts.dial(t, "")
	c.askOK("a1", "What is CAR-T?")
	c.askOK("a2", "What is CAR-T?")
	c.ask("a3", "What is CAR-T?")
	c.expectError("a3", codeRateLimited)
	// Another socket from the same address has its own budget.
	ts.dial(t, "").askOK("b1", "What is CAR-T?")
	time.Sleep(1100 * time.Millisecond) // one token back at 1/s
	c.askOK("a4", "What is CAR-T?")
}

func TestRateLimitPerIP(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.ConnRate = 0; c.IPRate = 0.01; c.IPBurst = 4 })
	a := ts.dial(t, "") // token 1
	b := ts.dial(t, "") // token 2
	a.askOK("a1", "What is CAR-T?")
	b.askOK("b1", "What is CAR-T?") // tokens 3, 4
	a.ask("a2", "What is CAR-T?")
	a.expectError("a2", codeRateLimited)
	b.ask("b2", "What is CAR-T?")
	b.expectError("b2", codeRateLimited)
	_, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(""), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("new socket over the IP rate: %v, %v; want HTTP 429", err, resp)
	}
	// /api/ask shares the budget.
	status, body := postAsk(t, ts, `{"question":"What is CAR-T?"}`, nil)
	if status != http.StatusTooManyRequests || !strings.Contains(body, codeRateLimited) {
		t.Errorf("/api/ask over the IP rate: %d %s", status, body)
	}
}

func TestBusyWhenTooManyAsksQueued(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MaxPendingAsks = 1 })
	c := ts.dial(t, "")
	c.ask("q1", "block one")
	ts.answerer.waitStarted()
	c.ask("q2", "What is CAR-T?") // queued behind q1
	c.ask("q3", "What is CAR-T?") // queue full
	c.expectError("q3", codeBusy)
	close(ts.answerer.release)
	c.answer("q1")
	c.answer("q2")
}

func TestSocketCapRefusesWith503(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MaxSockets = 2; c.IPRate = 0 })
	a := ts.dial(t, "")
	ts.dial(t, "")
	_, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(""), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third socket: %v, %v; want HTTP 503", err, resp)
	}
	a.ws.Close()
	eventually(t, "a freed socket slot", func() bool {
		ws, _, err := websocket.DefaultDialer.Dial(ts.wsURL(""), nil)
		if err == nil {
			ws.Close()
		}
		return err == nil
	})
}

func TestOriginCheck(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.AllowedOrigins = []string{"https://clinic.example"} })
	self := ts.URL // http://127.0.0.1:port
	tests := []struct {
		origin string
		want   int
	}{
		{"", http.StatusSwitchingProtocols},
		{self, http.StatusSwitchingProtocols},
		{"https://clinic.example", http.StatusSwitchingProtocols},
		{"https://CLINIC.example", http.StatusSwitchingProtocols},
		{"https://evil.example", http.StatusForbidden},
		{"https://clinic.example.evil.example", http.StatusForbidden},
		{"http://clinic.example", http.StatusForbidden},
		{"null", http.StatusForbidden},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.origin != "" {
			h.Set("Origin", tt.origin)
		}
		ws, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(""), h)
		if resp == nil {
			t.Fatalf("origin %q: no response: %v", tt.origin, err)
		}
		if resp.StatusCode != tt.want {
			t.Errorf("origin %q: HTTP %d, want %d", tt.origin, resp.StatusCode, tt.want)
		}
		if ws != nil {
			ws.Close()
		}
	}
}

func TestAnyOriginWhenStar(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.AllowedOrigins = []string{"*"} })
	h := http.Header{"Origin": {"https://anywhere.example"}}
	ws, _, err := websocket.DefaultDialer.Dial(ts.wsURL(""), h)
	if err != nil {
		t.Fatalf("origin with *: %v", err)
	}
	ws.Close()
}

func TestSlowReaderIsDroppedOthersServed(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.SendQueue = 4
		c.ConnRate = 0
		c.IPRate = 0
		c.MaxPendingAsks = 1000
		c.WriteTimeout = 2 * time.Second
	})
	slow := ts.dial(t, "")
	// Ask for many long answers and never read: the kernel buffers fill,
	// the writer blocks, the queue fills, and the server drops the socket.
	go func() {
		for i := 0; i < 400; i++ {
			if slow.ws.WriteJSON(map[string]string{"type": "ask", "id": "s", "text": "big answer please"}) != nil {
				return
			}
		}
	}()
	fast := ts.dial(t, "")
	for i := 0; i < 5; i++ {
		fast.askOK("f", "What is CAR-T?")
	}
	eventually(t, "the slow reader dropped", func() bool {
		return metricValue(t, ts, `cellchat_sockets_dropped_total{reason="slow_reader"}`) >= 1 ||
			metricValue(t, ts, `cellchat_sockets_dropped_total{reason="write_error"}`) >= 1
	})
	fast.askOK("f2", "What is CAR-T?")
}

func TestPanicInAnswerIsRecovered(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t, "")
	c.ask("p1", "please panic")
	c.expectError("p1", codeInternal)
	c.askOK("p2", "What is CAR-T?")
	if v := metricValue(t, ts, "cellchat_panics_recovered_total"); v != 1 {
		t.Errorf("panics counted = %v, want 1", v)
	}
}

func TestInternalErrors(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t, "")
	c.ask("f1", "please fail")
	c.expectError("f1", codeInternal)

	ts.log.mu.Lock()
	ts.log.failRecord = errors.New("disk full")
	ts.log.mu.Unlock()
	c.ask("f2", "What is CAR-T?")
	for {
		f := c.read()
		if f.Type == "delta" {
			continue
		}
		if f.Type != "error" || f.Code != codeInternal || f.ID != "f2" {
			t.Fatalf("got %+v, want internal error (an unlogged answer must not be sent)", f)
		}
		break
	}
}

func TestHistoryLoadFailureStillServes(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t, "")
	c.askOK("c1", "What is CAR-T?")
	id := c.hello.ConversationID
	ts.log.mu.Lock()
	ts.log.failHistory = errors.New("database locked")
	ts.log.mu.Unlock()
	r := ts.dial(t, "conversation="+id)
	if r.hello.ConversationID != id {
		t.Errorf("kept conversation %q, want %q", r.hello.ConversationID, id)
	}
	r.expectError("", codeInternal)
	r.askOK("c2", "What is CAR-T?")
}

func TestKeepaliveAndReadTimeout(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.PingInterval = 100 * time.Millisecond; c.ReadTimeout = time.Second })
	// A client that answers pings (gorilla does while reading) stays.
	alive := ts.dial(t, "")
	pings := make(chan struct{}, 100)
	alive.ws.SetPingHandler(func(data string) error {
		pings <- struct{}{}
		return alive.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	// A client that swallows pings is closed after the read timeout.
	mute := ts.dial(t, "")
	mute.ws.SetPingHandler(func(string) error { return nil })
	muteDone := make(chan error, 1)
	go func() {
		mute.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _, err := mute.ws.ReadMessage()
		muteDone <- err
	}()
	go func() {
		alive.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		alive.ws.ReadMessage()
	}()
	select {
	case err := <-muteDone:
		if err == nil {
			t.Fatal("mute client got a frame")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("mute client never dropped")
	}
	for i := 0; i < 3; i++ {
		select {
		case <-pings:
		case <-time.After(10 * time.Second):
			t.Fatal("no pings")
		}
	}
	// The mute client sees its socket closed a moment before the server
	// has counted it out.
	eventually(t, "open sockets = 1 (the live client)", func() bool { return metricValue(t, ts, "cellchat_open_sockets") == 1 })
}

func TestShutdownFinishesAnswersInFlight(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t, "")
	c.ask("q1", "block until shutdown")
	ts.answerer.waitStarted()
	c.ask("q2", "What is CAR-T?") // accepted before shutdown: answered too
	// The reader handles frames in order: once this error is back, q2 is queued.
	c.sendRaw(websocket.TextMessage, []byte("sync"))
	c.expectError("", codeBadRequest)

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- ts.srv.Shutdown(ctx)
	}()
	eventually(t, "draining", ts.srv.isDraining)
	if status, _, _ := httpGet(t, ts.URL+"/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("readyz while draining = %d, want 503", status)
	}
	c.ask("q3", "What is CAR-T?")
	c.expectError("q3", codeBusy)
	close(ts.answerer.release)
	c.answer("q1")
	c.answer("q2")
	c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _, err := c.ws.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("after the answers got %v, want close 1001", err)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	_, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(""), nil)
	if err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("new socket after shutdown: %v %v, want 503", err, resp)
	}
}

func TestConcurrentClients(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.IPRate = 0 })
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Go(func() {
			c := ts.dial(t, "")
			for j := 0; j < 10; j++ {
				a := c.askOK("x", "What is CAR-T?")
				if !ts.log.hasAnswer(a.AnswerID) {
					t.Error("answer not logged")
				}
			}
		})
	}
	wg.Wait()
	if v := metricValue(t, ts, `cellchat_answers_total{kind="answer"}`); v != 200 {
		t.Errorf("answers counted = %v, want 200", v)
	}
}

// TestFloodIsRateLimitedThenClosed: a client sending as fast as it can gets
// rate_limited errors, then (still flooding past them) a 1008 close; another
// socket from the same address is served throughout.
func TestFloodIsRateLimitedThenClosed(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.ConnRate = 5; c.ConnBurst = 4; c.IPRate = 0 })
	other := ts.dial(t, "")
	flood, _, err := websocket.DefaultDialer.Dial(ts.wsURL(""), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer flood.Close()
	var hello map[string]any
	if err := flood.ReadJSON(&hello); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if err := flood.WriteJSON(map[string]string{"type": "ask", "id": "f" + strconv.Itoa(i), "text": "What is CAR-T?"}); err != nil {
			break // closed by the server mid-flood
		}
	}
	limited := 0
	flood.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var f struct{ Type, Code string }
		err := flood.ReadJSON(&f)
		if err != nil {
			if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
				t.Fatalf("flooding socket ended with %v, want close 1008", err)
			}
			break
		}
		if f.Type == "error" && f.Code == codeRateLimited {
			limited++
		}
	}
	if limited == 0 {
		t.Error("the flooding client got no rate_limited errors before the close")
	}
	other.askOK("o1", "What is CAR-T?")
}
