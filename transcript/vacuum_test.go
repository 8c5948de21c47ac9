package transcript

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"
)

// TestVacuumKeepsTurnRowids: the text index, the feedback and review rows
// and each conversation's chain point at turns by rowid, and turns has no
// INTEGER PRIMARY KEY, for which SQLite's documentation says VACUUM may
// change rowids. SQLite's VACUUM renumbers only a table without any index
// (it copies a table with indexes rowid for rowid, so that the copied
// indexes stay right), and turns has indexes: after retention has left
// gaps in the rowids and VACUUM has run, every reference still holds. If
// a future SQLite renumbers, this fails, and the README's VACUUM advice
// must go.
func TestVacuumKeepsTurnRowids(t *testing.T) {
	setIndexLag(t, 10*time.Millisecond)
	s := openTest(t, Options{})
	ctx := context.Background()
	old := time.Now().AddDate(0, 0, -100)
	for c := range 30 {
		at := time.Now()
		if c%3 == 0 { // deleted by retention below, leaving gaps
			at = old
		}
		for i := range 4 {
			r := testRecord(fmt.Sprintf("v%d", c), i)
			r.Time, r.Question = at.Add(time.Duration(i)*time.Second), fmt.Sprintf("conversation %d asks question %d about vacuums", c, i)
			if err := s.Record(ctx, r); err != nil {
				t.Fatal(err)
			}
			if i == 1 {
				if err := s.RecordFeedback(ctx, r.ConversationID, Feedback{AnswerID: r.AnswerID, Rating: "down", Comment: "unclear"}); err != nil {
					t.Fatal(err)
				}
				if _, err := s.AddReview(ctx, Review{AnswerID: r.AnswerID, Reviewer: "a@b.example", Status: StatusWrong}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if n, err := s.DeleteOlderThan(ctx, 30); err != nil || n != 10 {
		t.Fatalf("retention: %d, %v; want 10 conversations", n, err)
	}
	for deadline := time.Now().Add(time.Minute); s.waitingForIndex(t) > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("turns still wait for the text index after a minute")
		}
	}
	rowids := func() map[string]int64 {
		rows, err := s.db.Query(`SELECT answer_id, rowid FROM turns`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]int64{}
		for rows.Next() {
			var id string
			var rowid int64
			if err := rows.Scan(&id, &rowid); err != nil {
				t.Fatal(err)
			}
			out[id] = rowid
		}
		return out
	}
	before := rowids()
	if _, err := s.db.Exec(`VACUUM`); err != nil {
		t.Fatal(err)
	}
	if after := rowids(); !maps.Equal(before, after) {
		t.Fatalf("VACUUM renumbered the turns")
	}
	if _, err := s.db.Exec(`INSERT INTO turns_fts(turns_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Fatal("text index after VACUUM:", err)
	}
	var stray int
	if err := s.db.QueryRow(`SELECT
		(SELECT COUNT(*) FROM feedback f LEFT JOIN turns t ON t.rowid = f.turn WHERE t.answer_id IS NOT f.answer_id) +
		(SELECT COUNT(*) FROM reviews r LEFT JOIN turns t ON t.rowid = r.turn WHERE t.answer_id IS NOT r.answer_id)`).Scan(&stray); err != nil || stray != 0 {
		t.Fatalf("feedback and reviews pointing at the wrong turn after VACUUM: %d, %v", stray, err)
	}
	rows, err := s.ListReplies(ctx, Filter{Search: "about vacuums", Feedback: "down"})
	if err != nil || len(rows) != 20 {
		t.Fatalf("search of thumbs-down replies after VACUUM: %d, %v; want 20", len(rows), err)
	}
	for c := 1; c < 30; c += 3 {
		recs, err := s.History(ctx, fmt.Sprintf("v%d", c), 0)
		if err != nil || len(recs) != 4 {
			t.Fatalf("conversation v%d after VACUUM: %d turns, %v; want 4", c, len(recs), err)
		}
	}
}

// waitingForIndex is how many turns wait for the text index.
func (s *Store) waitingForIndex(t *testing.T) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM turns_fts_pending`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
