package web

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cellchat/cellchat/chat"
)

// A reply from the care team's answer library carries "reviewed" on the
// answer frame, in /api/ask and in a resumed conversation's history
// (protocol v1 extension); other replies carry no "reviewed" at all.
func TestReviewedFieldOnTheWire(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.dial(t, "")
	want := chat.Reviewed{By: "care team", Date: "2026-11-30", Entry: 12}
	f := c.askOK("q1", "a reviewed answer please")
	var got chat.Reviewed
	if err := json.Unmarshal(f.raw["reviewed"], &got); err != nil || got != want {
		t.Fatalf("answer frame reviewed = %s (%v), want %+v", f.raw["reviewed"], err, want)
	}
	if f.Kind != chat.KindAnswer || !strings.Contains(f.Text, "<b>to attack cancer</b>") {
		t.Fatalf("answer frame: %+v", f)
	}
	if f := c.askOK("q2", "What is CAR-T?"); f.raw["reviewed"] != nil {
		t.Fatalf("an engine answer carries reviewed: %s", f.raw["reviewed"])
	}
	// The log records which entry answered.
	recs, err := ts.log.History(t.Context(), c.hello.ConversationID, 0)
	if err != nil || len(recs) != 2 || recs[0].Reply.Reviewed == nil || *recs[0].Reply.Reviewed != want || recs[1].Reply.Reviewed != nil {
		t.Fatalf("logged: %+v, %v", recs, err)
	}
	// A resumed conversation shows the mark again.
	again := ts.dial(t, "conversation="+c.hello.ConversationID)
	if h := again.hello.History; len(h) != 2 || h[0].Answer.Reviewed == nil || *h[0].Answer.Reviewed != want || h[1].Answer.Reviewed != nil {
		t.Fatalf("resumed history: %+v", h)
	}

	status, body := postAsk(t, ts, `{"question":"a reviewed answer please"}`, nil)
	var api struct {
		Reviewed *chat.Reviewed `json:"reviewed"`
	}
	if err := json.Unmarshal([]byte(body), &api); status != 200 || err != nil || api.Reviewed == nil || *api.Reviewed != want {
		t.Fatalf("/api/ask: %d %s", status, body)
	}
	if _, body := postAsk(t, ts, `{"question":"What is CAR-T?"}`, nil); strings.Contains(body, `"reviewed"`) {
		t.Fatalf("/api/ask engine answer carries reviewed: %s", body)
	}
}

// TestWidgetShowsReviewedLine: the widget marks a library answer with
// "Reviewed by your care team on DATE", shows markup in it as text, and
// marks no other answer.
func TestWidgetShowsReviewedLine(t *testing.T) {
	ctx := newBrowser(t)
	ts := newTestServer(t, nil)
	openWidget(t, ctx, ts.URL+"/")
	askAndWait(t, ctx, "A reviewed answer, please", 1)
	last := `[...` + shadow + `.querySelectorAll('.msg.bot')].pop()`
	if got := eval[string](t, ctx, last+`.querySelector('.reviewed')?.textContent || ''`); !strings.Contains(got, "Reviewed by your care team on 2026-11-30") {
		t.Fatalf("reviewed line %q", got)
	}
	if n := eval[int](t, ctx, last+`.querySelectorAll('b').length`); n != 0 {
		t.Errorf("markup in a library answer became %d element(s)", n)
	}
	if got := eval[string](t, ctx, last+`.querySelector('.text').textContent`); !strings.Contains(got, "<b>to attack cancer</b>") {
		t.Errorf("text shown %q, want the markup as text", got)
	}
	askAndWait(t, ctx, "What is CAR-T therapy?", 2)
	if n := eval[int](t, ctx, last+`.querySelectorAll('.reviewed').length`); n != 0 {
		t.Errorf("an engine answer shows %d reviewed line(s)", n)
	}
}
