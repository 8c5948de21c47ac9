package transcript

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestTextIndexCatchesUp: a search finds every logged turn whether the
// writer has indexed it yet or not; the waiting turns are all indexed
// soon; turns deleted before or after indexing leave both the index and
// the queue; and a rowid used again after the newest turns were deleted
// is indexed afresh.
func TestTextIndexCatchesUp(t *testing.T) {
	setIndexLag(t, 50*time.Millisecond)
	s := openTest(t, Options{})
	ctx := context.Background()
	record := func(conv string, n int, at time.Time, question string) []string {
		var ids []string
		for i := range n {
			r := testRecord(conv, i)
			r.Time, r.Question = at.Add(time.Duration(i)*time.Millisecond), fmt.Sprintf(question, i)
			if err := s.Record(ctx, r); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.AnswerID)
		}
		slices.Reverse(ids) // the list runs newest first
		return ids
	}
	search := func(q string) []string { return listIDs(t, s, Filter{Search: q}) }
	caughtUp := func() {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); s.waitingForIndex(t) > 0; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d turns still wait for the text index after a minute", s.waitingForIndex(t))
			}
		}
		// Every indexed turn is in the index as the turns table holds it.
		if _, err := s.db.Exec(`INSERT INTO turns_fts(turns_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
			t.Fatal("text index integrity:", err)
		}
	}

	now := time.Now()
	old := now.AddDate(0, 0, -100)
	xylo := record("x", 3*indexChunk/2, now, "is the xylophone test %d safe?")
	if got := search("xylophone"); !slices.Equal(got, xylo) {
		t.Fatalf("search as logged: %d turns, want %d", len(got), len(xylo))
	}
	caughtUp()
	if got := search("xylophone"); !slices.Equal(got, xylo) {
		t.Fatalf("search once indexed: %d turns, want %d", len(got), len(xylo))
	}

	// Old turns, some indexed and some still waiting, go with retention.
	record("old1", 40, old, "an old marimba question %d")
	caughtUp()
	record("old2", 40, old, "an old marimba question %d")
	if n, err := s.DeleteOlderThan(ctx, 30); err != nil || n != 2 {
		t.Fatalf("retention: %d conversations, %v; want 2", n, err)
	}
	if got := search("marimba"); len(got) != 0 {
		t.Fatalf("deleted turns still found: %v", got)
	}
	caughtUp()

	// With every turn deleted, the next turn may take a rowid the index
	// had: it is indexed all the same.
	if _, err := s.db.Exec(`UPDATE turns SET time = ?`, old.UnixNano()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`UPDATE conversations SET last = ?`, old.UnixNano()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteOlderThan(ctx, 30); err != nil {
		t.Fatal(err)
	}
	caughtUp()
	again := record("again", 5, now, "a glockenspiel question %d")
	caughtUp()
	if got := search("glockenspiel"); !slices.Equal(got, again) {
		t.Fatalf("search after rowids were used again: %v, want %v", got, again)
	}
	var indexed int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM turns_fts WHERE turns_fts MATCH '"glo" AND "ock"'`).Scan(&indexed); err != nil || indexed != len(again) {
		t.Fatalf("index holds %d of the new turns (%v), want %d", indexed, err, len(again))
	}
}

// setIndexLag makes the writer index waiting turns after lag, for the
// rest of the test.
func setIndexLag(t *testing.T, lag time.Duration) {
	old := indexLag
	indexLag = lag
	t.Cleanup(func() { indexLag = old })
}

// TestShortSearchReadsNewestReplies: a search of one or two characters,
// which the text index cannot serve, reads the newest replies only, with
// any other filter, and says how far back; a longer search reads them all.
func TestShortSearchReadsNewestReplies(t *testing.T) {
	ctx := context.Background()
	const n, window = 30, 10
	for _, opt := range []int{window, -1} {
		s := openTest(t, Options{ShortSearchReplies: opt})
		start := time.Now().Add(-time.Hour)
		var ids []string
		for i := range n {
			r := testRecord("c", i)
			r.Time, r.Question = start.Add(time.Duration(i)*time.Second), fmt.Sprintf("is IV iron (%d) safe?", i)
			if err := s.Record(ctx, r); err != nil {
				t.Fatal(err)
			}
			if i%2 == 0 {
				if err := s.RecordFeedback(ctx, "c", Feedback{AnswerID: r.AnswerID, Rating: "down"}); err != nil {
					t.Fatal(err)
				}
			}
			ids = append([]string{r.AnswerID}, ids...)
		}
		list := func(f Filter) []string { return listIDs(t, s, f) }
		want, wantDown := ids, []string{}
		if opt > 0 {
			want = ids[:window]
		}
		for i, id := range want {
			if (n-1-i)%2 == 0 {
				wantDown = append(wantDown, id)
			}
		}
		if got := list(Filter{Search: "iv"}); !slices.Equal(got, want) {
			t.Errorf("window %d: short search: %v, want %v", opt, got, want)
		}
		if got := list(Filter{Search: "Iv", Feedback: "down"}); !slices.Equal(got, wantDown) {
			t.Errorf("window %d: short search of thumbs-down replies: %v, want %v", opt, got, wantDown)
		}
		if got := list(Filter{Search: "iv iron"}); !slices.Equal(got, ids) {
			t.Errorf("window %d: a longer search reads every reply: %d of %d", opt, len(got), len(ids))
		}
		w, ok, err := s.ShortSearchWindow(ctx, " iv ")
		switch {
		case err != nil:
			t.Fatal(err)
		case opt < 0 && ok:
			t.Errorf("no window asked for, got %+v", w)
		case opt > 0 && (!ok || w.Replies != window || !w.Since.Equal(start.Add((n-window)*time.Second).UTC().Truncate(0))):
			t.Errorf("window: %+v %v, want %d replies since %v", w, ok, window, start.Add((n-window)*time.Second))
		}
		if _, ok, _ := s.ShortSearchWindow(ctx, "iv iron"); ok {
			t.Error("a search the index serves has a window")
		}
	}
}
