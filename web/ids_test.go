package web

import (
	"testing"
	"time"
)

// Answer ids have the shape of every id, differ, and sort by time (the
// transcript log appends them at the end of its indexes).
func TestNewAnswerID(t *testing.T) {
	seen := map[string]bool{}
	prev := newAnswerID()
	for i := range 50 {
		if i%10 == 0 {
			time.Sleep(2 * time.Millisecond) // a later millisecond
		}
		id := newAnswerID()
		if !validID(id) || seen[id] {
			t.Fatalf("answer id %q: valid %v, seen before %v", id, validID(id), seen[id])
		}
		seen[id] = true
		if i%10 == 0 && id <= prev {
			t.Errorf("answer id %q of a later millisecond sorts before %q", id, prev)
		}
		prev = id
	}
}
