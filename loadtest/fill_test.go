package loadtest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/transcript"
)

// TestFill: the turns, feedback and reviews Fill reports are in the log,
// spread over the days asked for.
func TestFill(t *testing.T) {
	ctx := context.Background()
	s, err := transcript.Open(ctx, filepath.Join(t.TempDir(), transcript.FileName), transcript.Options{Bulk: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	from := []FillTurn{
		{"What is CAR-T?", chat.Reply{Kind: chat.KindAnswer, Text: "CAR-T changes your T cells [1].", Confidence: 0.7,
			Citations: []chat.Citation{{N: 1, DocID: "d", ChunkID: "d-1", Passage: "CAR-T cell therapy..."}}}},
		{"I have a fever of 40", chat.Reply{Kind: chat.KindEmergency, Text: "Call 911 now."}},
	}
	const turns, days = 3000, 30
	res, err := Fill(ctx, s, FillConfig{Turns: turns, Days: days, From: from, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Turns != turns || st.Replies != turns {
		t.Errorf("reported %d turns, the log has %d, want %d", res.Turns, st.Replies, turns)
	}
	if res.Feedback == 0 || st.FeedbackUp+st.FeedbackDown != res.Feedback {
		t.Errorf("reported %d feedback, the log has %d", res.Feedback, st.FeedbackUp+st.FeedbackDown)
	}
	if res.Reviews == 0 || st.Replies-st.Unreviewed == 0 {
		t.Errorf("reported %d reviews, the log has %d reviewed replies", res.Reviews, st.Replies-st.Unreviewed)
	}
	if res.Conversations < turns/6 || res.Conversations > turns {
		t.Errorf("%d conversations for %d turns of 1 to 6 each", res.Conversations, turns)
	}
	// Spread over the span: the first and last few days both have turns.
	if n := len(st.Days); n < days-2 || st.Days[0].Day > time.Now().UTC().AddDate(0, 0, -days+2).Format("2006-01-02") {
		t.Errorf("turns on %d days from %s, want about %d up to today", n, st.Days[0].Day, days)
	}
	if st.Emergencies == 0 || st.Emergencies == turns {
		t.Errorf("%d emergencies of %d: want both kinds drawn", st.Emergencies, turns)
	}
}
