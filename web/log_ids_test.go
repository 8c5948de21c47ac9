package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// Conversation ids open their history, so no log line may carry one; a
// digest that follows a conversation through the lines is enough.
func TestLogsCarryNoConversationIDs(t *testing.T) {
	logs := &logCapture{}
	ts := newTestServer(t, func(c *Config) { c.Logger = logs.logger(slog.LevelDebug) })
	c := ts.dial(t, "")
	id := c.hello.ConversationID
	c.askOK("c1", "What is CAR-T therapy?")
	c.askOK("c2", "hostile model: does it cure cancer?")
	c.askOK("c3", "careless model: what about side effects?")
	c.ask("c4", "fail please")
	c.expectError("c4", codeInternal)
	c.ws.Close()

	ts.log.mu.Lock()
	ts.log.failHistory = errors.New("disk on fire")
	ts.log.mu.Unlock()
	r := ts.dial(t, "conversation="+id)
	r.expectError("", codeInternal)
	resp, err := http.Post(ts.URL+"/api/ask", "application/json", strings.NewReader(`{"question":"What is CAR-T?","conversation_id":"`+id+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r.ws.Close()

	ref := convRef(id).Value.String()
	var out string
	eventually(t, "the socket-closed lines", func() bool {
		out = logs.String()
		return strings.Count(out, "socket closed") >= 2
	})
	for _, want := range []string{"answered", "generated answer not shown", "answer failed", "loading conversation history failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q line in the logs; the test no longer covers it:\n%s", want, out)
		}
	}
	if strings.Contains(out, id) {
		t.Errorf("the conversation id %s is in the logs:\n%s", id, out)
	}
	if !strings.Contains(out, "conversation_ref="+ref) {
		t.Errorf("no conversation_ref=%s in the logs:\n%s", ref, out)
	}
}
