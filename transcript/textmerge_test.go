package transcript

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestTextIndexMergesWhenIdle: FTS5 does not merge within the writer's
// commits, yet after many index chunks the index holds few segments, because
// the writer merged them while idle, and every turn is still found.
func TestTextIndexMergesWhenIdle(t *testing.T) {
	s := openTest(t, Options{Bulk: true})
	ctx := context.Background()
	var automerge int
	if err := s.db.QueryRow(`SELECT v FROM turns_fts_config WHERE k = 'automerge'`).Scan(&automerge); err != nil || automerge != 0 {
		t.Fatalf("automerge %d (%v), want 0", automerge, err)
	}

	// One segment per chunk, and one more for the turns left over: fewer
	// than crisisMerge, so that only idle merges can bring the count down.
	const chunks = crisisMerge - 4
	for i := range chunks * indexChunk {
		r := testRecord(fmt.Sprintf("c%d", i/8), i%8)
		r.Question = fmt.Sprintf("question %d about the ocarina", i)
		if err := s.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// Merges use FTS5's usermerge (4): a level keeps at most 3 segments.
	const most = 6
	for deadline := time.Now().Add(time.Minute); s.waitingForIndex(t) > 0 || s.textSegments(t) > most; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after a minute: %d turns wait for the index, which has %d segments (want at most %d)",
				s.waitingForIndex(t), s.textSegments(t), most)
		}
	}
	if _, err := s.db.Exec(`INSERT INTO turns_fts(turns_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Fatal("text index integrity:", err)
	}
	if got := listIDs(t, s, Filter{Search: "ocarina"}); len(got) != chunks*indexChunk {
		t.Fatalf("search found %d turns, want %d", len(got), chunks*indexChunk)
	}
}

// textSegments counts the segments of the text index: FTS5 numbers each
// page of turns_fts_data with its segment's id above bit 37 (rowids below
// hold the structure and averages records).
func (s *Store) textSegments(t *testing.T) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(DISTINCT id >> 37) FROM turns_fts_data WHERE id >= 1 << 37`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
