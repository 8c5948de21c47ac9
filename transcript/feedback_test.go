package transcript

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestFeedbackOneRatingPerAnswer: a patient's thumbs-down and then its
// comment is one thumbs-down with a comment in every count, a changed
// rating replaces the earlier one and keeps the comment, and History gives
// the rating back so the widget can show it on resume.
func TestFeedbackOneRatingPerAnswer(t *testing.T) { eachBackend(t, testFeedbackOneRatingPerAnswer) }

func testFeedbackOneRatingPerAnswer(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	for i := 1; i <= 2; i++ {
		if err := s.Record(ctx, testRecord("c", i)); err != nil {
			t.Fatal(err)
		}
	}
	counts := func() (up, down, comments int) {
		t.Helper()
		rows, err := s.ListReplies(ctx, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			up, down, comments = up+r.FeedbackUp, down+r.FeedbackDown, comments+r.Comments
		}
		st, err := s.Stats(ctx, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if st.FeedbackUp != up || st.FeedbackDown != down {
			t.Errorf("dashboard %d up, %d down; list %d up, %d down", st.FeedbackUp, st.FeedbackDown, up, down)
		}
		return up, down, comments
	}
	rate := func(answerID, rating, comment string) {
		t.Helper()
		if err := s.RecordFeedback(ctx, "c", Feedback{AnswerID: answerID, Rating: rating, Comment: comment}); err != nil {
			t.Fatal(err)
		}
	}

	rate("c-a1", "up", "")
	rate("c-a2", "down", "")
	rate("c-a2", "down", "say more about fever")
	if up, down, comments := counts(); up != 1 || down != 1 || comments != 1 {
		t.Errorf("one up, one down with its comment counted as %d up, %d down, %d comments", up, down, comments)
	}
	recs, err := s.History(ctx, "c", 0)
	if err != nil {
		t.Fatal(err)
	}
	if f := recs[0].Rating; f == nil || f.Rating != "up" || f.Comment != "" {
		t.Errorf("history rating of the first answer = %+v, want up", f)
	}
	if f := recs[1].Rating; f == nil || f.Rating != "down" || f.Comment != "say more about fever" {
		t.Errorf("history rating of the second answer = %+v, want down with the comment", f)
	}

	// Changed mind: the last rating counts, the comment stays attached.
	rate("c-a2", "up", "")
	if up, down, comments := counts(); up != 2 || down != 0 || comments != 1 {
		t.Errorf("after changing the rating: %d up, %d down, %d comments; want 2, 0, 1", up, down, comments)
	}
	recs, _ = s.History(ctx, "c", 0)
	if f := recs[1].Rating; f == nil || f.Rating != "up" || f.Comment != "say more about fever" {
		t.Errorf("changed rating = %+v, want up keeping the comment", f)
	}

	// A log written before one rating per answer may hold several rows for
	// an answer: the next rating leaves one, keeping the last comment.
	// (PostgreSQL logs never held such rows.)
	sq, ok := s.(*Store)
	if !ok {
		return
	}
	sq.db.Exec(`INSERT INTO feedback(answer_id, rating, comment, time) VALUES ('c-a1', 'down', 'old comment', 1), ('c-a1', 'down', '', 2)`)
	rate("c-a1", "down", "")
	var n int
	var comment string
	sq.db.QueryRow(`SELECT COUNT(*), MAX(comment) FROM feedback WHERE answer_id = 'c-a1'`).Scan(&n, &comment)
	if n != 1 || comment != "old comment" {
		t.Errorf("legacy rows left %d rows with comment %q, want 1 with %q", n, comment, "old comment")
	}
}

// TestHistoryRatingsOfALongConversation: History and Conversation give
// every rated turn its rating, in a conversation longer than one lookup
// batch, and no rating of another conversation.
func TestHistoryRatingsOfALongConversation(t *testing.T) {
	eachBackend(t, testHistoryRatingsOfALongConversation)
}

func testHistoryRatingsOfALongConversation(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	const n = exportBatch + 123
	for i := range n {
		if err := s.Record(ctx, testRecord("long", i)); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if err := s.RecordFeedback(ctx, "long", Feedback{AnswerID: testRecord("long", i).AnswerID, Rating: "down", Comment: fmt.Sprint("c", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Record(ctx, testRecord("other", 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFeedback(ctx, "other", Feedback{AnswerID: testRecord("other", 0).AnswerID, Rating: "up"}); err != nil {
		t.Fatal(err)
	}
	recs, err := s.History(ctx, "long", 0)
	if err != nil || len(recs) != n {
		t.Fatalf("history: %d turns, %v; want %d", len(recs), err, n)
	}
	for i, r := range recs {
		rated := i%3 == 0
		if (r.Rating != nil) != rated || (rated && (r.Rating.Rating != "down" || r.Rating.Comment != fmt.Sprint("c", i))) {
			t.Fatalf("turn %d rating %+v, want rated %v", i, r.Rating, rated)
		}
	}
}
