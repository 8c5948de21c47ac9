package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/transcript"
)

// seedConversation puts a one-turn conversation whose turn is age old in
// the test server's log.
func seedConversation(ts *testServer, id string, age time.Duration) {
	ts.log.mu.Lock()
	defer ts.log.mu.Unlock()
	ts.log.convs[id] = append(ts.log.convs[id], transcript.Record{
		AnswerID: newID(), ConversationID: id, Time: time.Now().Add(-age).UTC(),
		Question: "What is GVHD?", Reply: chat.Reply{Kind: chat.KindAnswer, Text: "GVHD is graft-versus-host disease."},
	})
}

func TestResumeIdleStartsNewConversation(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.ResumeIdle = time.Hour })
	stale, fresh := newID(), newID()
	seedConversation(ts, stale, 2*time.Hour)
	seedConversation(ts, fresh, 10*time.Minute)

	c := ts.dial(t, "conversation="+stale)
	if c.hello.ConversationID == stale || !validID(c.hello.ConversationID) || len(c.hello.History) != 0 {
		t.Errorf("resume of an idle conversation: hello id %q with %d turns, want a new id and no history", c.hello.ConversationID, len(c.hello.History))
	}
	if _, ok := c.hello.raw["history"]; !ok {
		t.Errorf("hello without a history field: %v", c.hello.raw)
	}
	c.askOK("c1", "What is CAR-T therapy?")
	if h := ts.answerer.lastHistory(); len(h) != 0 {
		t.Errorf("a question after an idle resume got %d earlier turns, want 0", len(h))
	}

	r := ts.dial(t, "conversation="+fresh)
	if r.hello.ConversationID != fresh || len(r.hello.History) != 1 {
		t.Errorf("resume within the idle time: hello id %q with %d turns, want %q with 1", r.hello.ConversationID, len(r.hello.History), fresh)
	}

	body := `{"question":"What is CAR-T therapy?","conversation_id":"` + stale + `"}`
	resp, err := http.Post(ts.URL+"/api/ask", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		ConversationID string `json:"conversation_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/api/ask: HTTP %d, %v", resp.StatusCode, err)
	}
	if got.ConversationID == stale || !validID(got.ConversationID) {
		t.Errorf("/api/ask with an idle conversation id answered in %q, want a new conversation", got.ConversationID)
	}
	if h := ts.answerer.lastHistory(); len(h) != 0 {
		t.Errorf("/api/ask after an idle resume got %d earlier turns, want 0", len(h))
	}
}

func TestResumeIdleZeroNeverExpires(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.ResumeIdle = 0 })
	old := newID()
	seedConversation(ts, old, 400*24*time.Hour)
	c := ts.dial(t, "conversation="+old)
	if c.hello.ConversationID != old || len(c.hello.History) != 1 {
		t.Errorf("resume with --resume-idle 0: hello id %q with %d turns, want %q with 1", c.hello.ConversationID, len(c.hello.History), old)
	}
}

func TestDefaultResumeIdle(t *testing.T) {
	d := DefaultConfig()
	if d.ResumeIdle != 24*time.Hour {
		t.Errorf("default resume idle = %v, want 24h", d.ResumeIdle)
	}
	d.ResumeIdle = -time.Second
	if d.Validate() == nil {
		t.Error("a negative resume idle validated")
	}
}
