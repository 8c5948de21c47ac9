package transcript

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellchat/cellchat/chat"
)

// randomLog records n turns spread over days days before end, with
// feedback and reviews, and returns what it recorded.
type loggedTurn struct {
	rec      Record
	up, down int
	comments int
	reviews  []string // statuses, oldest first
}

func randomLog(t *testing.T, s Backend, n, days int, end time.Time) []*loggedTurn {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"fever", "graft", "CAR-T", "donor", "cost", "Fatigue", "relapse"}
	kinds := chat.Kinds
	var out []*loggedTurn
	for i := range n {
		r := testRecord(fmt.Sprint("conv", i/3), i)
		// Times at any moment of the span, not in order of rowid.
		r.Time = end.Add(-time.Duration(rng.Int64N(int64(days) * int64(24*time.Hour))))
		r.Reply.Kind = kinds[rng.IntN(len(kinds))]
		r.Reply.Confidence = rng.Float64()
		r.Question = fmt.Sprintf("question %d about %s", i, words[rng.IntN(len(words))])
		r.Reply.Text = "reply about " + words[rng.IntN(len(words))]
		if i%50 == 0 {
			r.Question += " rareword"
		}
		if err := s.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
		lt := &loggedTurn{rec: r}
		for range rng.IntN(3) {
			if rng.IntN(4) > 0 {
				continue
			}
			// One rating per answer: the last one counts, and a comment
			// once given stays.
			f := Feedback{AnswerID: r.AnswerID, Rating: "up"}
			lt.up, lt.down = 1, 0
			if rng.IntN(2) == 0 {
				f.Rating = "down"
				lt.up, lt.down = 0, 1
			}
			if rng.IntN(3) == 0 {
				f.Comment = "a comment"
				lt.comments = 1
			}
			if err := s.RecordFeedback(ctx, r.ConversationID, f); err != nil {
				t.Fatal(err)
			}
		}
		if rng.IntN(10) == 0 {
			for range 1 + rng.IntN(2) {
				st := ReviewStatuses[rng.IntN(len(ReviewStatuses))]
				if _, err := s.AddReview(ctx, Review{AnswerID: r.AnswerID, Reviewer: "r@x.org", Status: st}); err != nil {
					t.Fatal(err)
				}
				lt.reviews = append(lt.reviews, st)
				time.Sleep(time.Microsecond) // reviews are ordered by time
			}
		}
		out = append(out, lt)
	}
	return out
}

// want is what f selects from turns, newest first, worked out in Go.
func (lt *loggedTurn) passes(f Filter) bool {
	r := lt.rec
	t := r.Time
	switch {
	case !f.From.IsZero() && t.Before(f.From), !f.To.IsZero() && !t.Before(f.To):
		return false
	case f.Kind != "" && string(r.Reply.Kind) != f.Kind, f.Emergency && r.Reply.Kind != chat.KindEmergency:
		return false
	case f.Feedback == "up" && lt.up == 0, f.Feedback == "down" && lt.down == 0, f.Feedback == "comment" && lt.comments == 0,
		f.Feedback == "any" && lt.up+lt.down == 0, f.Feedback == "none" && lt.up+lt.down > 0:
		return false
	case f.Review == "none" && len(lt.reviews) > 0:
		return false
	case f.Review != "" && f.Review != "none" && (len(lt.reviews) == 0 || lt.reviews[len(lt.reviews)-1] != f.Review):
		return false
	case f.Search != "" && !strings.Contains(strings.ToLower(r.Question), strings.ToLower(f.Search)) &&
		!strings.Contains(strings.ToLower(r.Reply.Text), strings.ToLower(f.Search)):
		return false
	case f.MaxConfidence > 0 && (r.Reply.Confidence >= f.MaxConfidence || r.Reply.Kind == chat.KindEmergency || r.Reply.Kind == chat.KindGreeting):
		return false
	}
	return true
}

func wantList(turns []*loggedTurn, f Filter) []string {
	var sel []*loggedTurn
	for _, lt := range turns {
		if lt.passes(f) {
			sel = append(sel, lt)
		}
	}
	// Recorded one at a time, so rowid order is recording order.
	slices.SortStableFunc(sel, func(a, b *loggedTurn) int { return b.rec.Time.Compare(a.rec.Time) })
	var ids []string
	for _, lt := range sel {
		ids = append(ids, lt.rec.AnswerID)
	}
	return ids
}

func listIDs(t *testing.T, s Backend, f Filter) []string {
	t.Helper()
	if f.Limit == 0 {
		f.Limit = 1_000_000
	}
	rows, err := s.ListReplies(context.Background(), f)
	if err != nil {
		t.Fatalf("%+v: %v", f, err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.AnswerID)
	}
	return ids
}

// TestListRepliesAgreesWithScan checks every filter, each found its own way
// (by the feedback or review tables, the text index, the kind or time
// index), against the same filter worked out over the recorded turns.
func TestListRepliesAgreesWithScan(t *testing.T) { eachBackend(t, testListRepliesAgreesWithScan) }

func testListRepliesAgreesWithScan(t *testing.T, open opener) {
	s := open(t, Options{})
	end := time.Date(2026, 11, 30, 15, 4, 5, 0, time.UTC)
	turns := randomLog(t, s, 600, 20, end)
	from, to := end.AddDate(0, 0, -12).Add(5*time.Hour), end.AddDate(0, 0, -3)
	filters := []Filter{
		{}, {From: from}, {To: to}, {From: from, To: to},
		{Kind: "emergency"}, {Emergency: true, From: from},
		{Feedback: "up"}, {Feedback: "down", From: from, To: to}, {Feedback: "comment"}, {Feedback: "any", Kind: "answer"}, {Feedback: "none"},
		{Review: "none"}, {Review: StatusApproved}, {Review: StatusWrong, From: from}, {Review: StatusNeedsCorrection, Feedback: "down"},
		{Search: "fever"}, {Search: "FEVER", Kind: "answer"}, {Search: "rareword"}, {Search: "rareword", From: from},
		{Search: "zzzznotfound"}, {Search: "t-"}, {Search: "car"}, {Search: "Fatigue", Feedback: "any"},
		{MaxConfidence: 0.3}, {MaxConfidence: 0.3, Feedback: "down", Search: "graft"},
	}
	for _, cands := range []int{10_000, 5} { // the search index answers, or the rows are read newest first
		maxSearchCandidates = cands
		for _, f := range filters {
			got, want := listIDs(t, s, f), wantList(turns, f)
			if !slices.Equal(got, want) {
				t.Errorf("candidates %d, filter %+v: got %d rows, want %d; first difference at %d",
					cands, f, len(got), len(want), firstDiff(got, want))
			}
		}
	}
	maxSearchCandidates = 10_000
	// Paging by cursor walks the same list as one long read; so does
	// paging by offset.
	for _, f := range []Filter{{}, {Feedback: "any"}, {Search: "graft"}, {Kind: "answer", From: from}} {
		want := wantList(turns, f)
		var byCursor, byOffset []string
		page := f
		page.Limit = 7
		for {
			rows, err := s.ListReplies(context.Background(), page)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				byCursor = append(byCursor, r.AnswerID)
			}
			if len(rows) < page.Limit {
				break
			}
			page.Before = rows[len(rows)-1].Cursor()
			if c, err := ParseCursor(page.Before.String()); err != nil || c != page.Before {
				t.Fatalf("cursor %q reads back as %v, %v", page.Before, c, err)
			}
		}
		for off := 0; off < len(want)+7; off += 7 {
			page := f
			page.Limit, page.Offset = 7, off
			byOffset = append(byOffset, listIDs(t, s, page)...)
		}
		if !slices.Equal(byCursor, want) || !slices.Equal(byOffset, want) {
			t.Errorf("paging %+v: by cursor %d rows, by offset %d, want %d; first differences at %d, %d",
				f, len(byCursor), len(byOffset), len(want), firstDiff(byCursor, want), firstDiff(byOffset, want))
		}
	}
	for _, bad := range []string{"", "x", "1-", "-5", "12-0", "a-b"} {
		if _, err := ParseCursor(bad); err == nil {
			t.Errorf("ParseCursor(%q): want an error", bad)
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// wantStats works out Stats over turns in [from, to).
func wantStats(turns []*loggedTurn, from, to time.Time) Stats {
	st := Stats{}
	byDay := map[string]*DayCount{}
	for _, lt := range turns {
		r := lt.rec
		if (!from.IsZero() && r.Time.Before(from)) || (!to.IsZero() && !r.Time.Before(to)) {
			continue
		}
		day := r.Time.UTC().Format("2006-01-02")
		d := byDay[day]
		if d == nil {
			d = &DayCount{Day: day, ByKind: map[string]int{}}
			byDay[day] = d
		}
		d.ByKind[string(r.Reply.Kind)]++
		d.Total++
		st.Replies++
		st.NoAnswers += b2i(r.Reply.Kind == chat.KindNoAnswer)
		st.Emergencies += b2i(r.Reply.Kind == chat.KindEmergency)
		st.FeedbackUp += lt.up
		st.FeedbackDown += lt.down
		st.Unreviewed += b2i(len(lt.reviews) == 0)
		st.DownNoReview += b2i(lt.down > 0 && len(lt.reviews) == 0)
		if n := len(lt.reviews); n > 0 && lt.reviews[n-1] != StatusApproved {
			st.NeedsFollowUp++
		}
	}
	for _, d := range byDay {
		st.Days = append(st.Days, *d)
	}
	slices.SortFunc(st.Days, func(a, b DayCount) int { return strings.Compare(a.Day, b.Day) })
	return st
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestStatsAgreeWithScan checks the dashboard figures, read from the daily
// roll-up and the turns of part-days, against the turns themselves, over
// whole days, part-days and open ends, also after retention deleted turns.
func TestStatsAgreeWithScan(t *testing.T) { eachBackend(t, testStatsAgreeWithScan) }

func testStatsAgreeWithScan(t *testing.T, open opener) {
	s := open(t, Options{})
	end := time.Now().UTC()
	turns := randomLog(t, s, 400, 12, end)
	check := func(turns []*loggedTurn) {
		t.Helper()
		midnight := end.Truncate(24 * time.Hour)
		for _, span := range [][2]time.Time{
			{},
			{midnight.AddDate(0, 0, -5), {}},
			{midnight.AddDate(0, 0, -5).Add(3 * time.Hour), midnight.AddDate(0, 0, -1).Add(7 * time.Hour)},
			{midnight.AddDate(0, 0, -4).Add(time.Hour), midnight.AddDate(0, 0, -4).Add(20 * time.Hour)},
			{{}, midnight.AddDate(0, 0, -2).Add(time.Minute)},
		} {
			got, err := s.Stats(context.Background(), span[0], span[1])
			if err != nil {
				t.Fatal(err)
			}
			if want := wantStats(turns, span[0], span[1]); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("stats %v:\n got %+v\nwant %+v", span, got, want)
			}
		}
	}
	check(turns)
	// Retention deletes whole conversations whose last turn is old enough;
	// the roll-up loses their turns too.
	if _, err := s.DeleteOlderThan(context.Background(), 6); err != nil {
		t.Fatal(err)
	}
	kept, err := s.ListReplies(context.Background(), Filter{Limit: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	var left []*loggedTurn
	for _, lt := range turns {
		if slices.ContainsFunc(kept, func(r ReplyRow) bool { return r.AnswerID == lt.rec.AnswerID }) {
			left = append(left, lt)
		}
	}
	if len(left) == len(turns) || len(left) == 0 {
		t.Fatalf("retention kept %d of %d turns: the test needs it to delete some", len(left), len(turns))
	}
	check(left)
}

// TestConsoleReadStopsAtLimit: a console read still running at the
// statement time limit is interrupted inside SQLite and says so.
func TestConsoleReadStopsAtLimit(t *testing.T) {
	s := openTest(t, Options{ReadTimeout: 50 * time.Millisecond})
	ctx, done := s.consoleRead(context.Background())
	var n int64
	// Counts for ever unless interrupted.
	err := s.rdb.QueryRowContext(ctx, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c`).Scan(&n)
	if err = done(err); !errors.Is(err, ErrTooSlow) {
		t.Fatalf("endless read: got %v, want ErrTooSlow", err)
	}
	// A read whose caller went away is not the filter's fault.
	cctx, cancel := context.WithCancel(context.Background())
	ctx, done = s.consoleRead(cctx)
	cancel()
	err = s.rdb.QueryRowContext(ctx, `SELECT 1`).Scan(&n)
	if err = done(err); err == nil || errors.Is(err, ErrTooSlow) {
		t.Errorf("cancelled read: got %v, want the cancellation", err)
	}
	// The console's connections cannot write.
	if _, err := s.rdb.Exec(`DELETE FROM turns`); err == nil {
		t.Error("a write through the console's connections succeeded")
	}
	// One console read at a time by default, as many as asked otherwise.
	if n := s.rdb.Stats().MaxOpenConnections; n != DefaultConsoleReads {
		t.Errorf("console connections: %d, want %d", n, DefaultConsoleReads)
	}
	if n := openTest(t, Options{ConsoleReads: 3}).rdb.Stats().MaxOpenConnections; n != 3 {
		t.Errorf("console connections with ConsoleReads 3: %d", n)
	}
}

// TestRestartWALDoesNotWaitForReaders: with a reader holding a snapshot,
// the writer's restart of the WAL gives up at once instead of waiting (up
// to the busy timeout, here ten minutes) with every answer behind it; once
// the reader is gone, the WAL starts over.
func TestRestartWALDoesNotWaitForReaders(t *testing.T) {
	s := openTest(t, Options{BusyTimeout: 10 * time.Minute})
	s.restartFrames = 1
	ctx := context.Background()
	for i := range 50 {
		if err := s.Record(ctx, testRecord("w", i)); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := s.rdb.BeginTx(ctx, nil) // a long console read
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM turns`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for i := 50; i < 100; i++ {
			if err := s.checkpoint(); err != nil {
				done <- err
				return
			}
			if err := s.Record(ctx, testRecord("w", i)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("answers waited for a reader to leave the WAL")
	}
	if s.WALBytes() == 0 {
		t.Error("WALBytes is 0 with a reader holding the WAL")
	}
	tx.Rollback()
	if err := s.checkpoint(); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, testRecord("w", 100)); err != nil { // the writer restarts the WAL after this commit
		t.Fatal(err)
	}
	var busy, frames, copied int
	if err := s.db.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
		t.Fatal(err)
	}
	if frames > 50 {
		t.Errorf("WAL of %d frames after the reader left: it did not start over", frames)
	}
}
