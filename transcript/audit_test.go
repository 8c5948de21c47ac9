package transcript

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Repeats of one event from one address within a minute are one row with
// a count, so a flood of unauthenticated attempts cannot bury the log.
func TestAuditMergesRepeats(t *testing.T) { eachBackend(t, testAuditMergesRepeats) }

func testAuditMergesRepeats(t *testing.T, open opener) {
	s := open(t, Options{})
	ctx := context.Background()
	for range 50 {
		if err := s.AuditMerged(ctx, "nurse@clinic.org", "sign_in_locked", "ip 6.6.6.6", 1); err != nil {
			t.Fatal(err)
		}
	}
	s.AuditMerged(ctx, "nurse@clinic.org", "sign_in_locked", "ip 7.7.7.7", 1)
	s.Audit(ctx, "nurse@clinic.org", "sign_in", "ip 7.7.7.7")
	s.Audit(ctx, "nurse@clinic.org", "sign_in", "ip 7.7.7.7")
	log, err := s.AuditLog(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 4 {
		t.Fatalf("%d rows, want 4: %+v", len(log), log)
	}
	last := log[len(log)-1]
	if last.Detail != "ip 6.6.6.6" || last.Count != 50 || last.Last.Before(last.Time) {
		t.Errorf("merged row %+v, want count 50", last)
	}
	if log[0].Count != 1 {
		t.Errorf("plain row count %d, want 1", log[0].Count)
	}
}

func TestAuditQueryFiltersAndPages(t *testing.T) { eachBackend(t, testAuditQueryFiltersAndPages) }

func testAuditQueryFiltersAndPages(t *testing.T, open opener) {
	s := open(t, Options{})
	ctx := context.Background()
	for i := range 25 {
		s.Audit(ctx, fmt.Sprintf("u%d@clinic.org", i%5), "review", fmt.Sprintf("answer a%d", i))
		s.Audit(ctx, "nurse@clinic.org", "export", fmt.Sprintf("csv, %d rows", i))
	}
	page, err := s.AuditQuery(ctx, AuditFilter{Action: "review", Limit: 10, Offset: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 10 || page[0].Detail != "answer a14" || page[9].Detail != "answer a5" {
		t.Errorf("second page of reviews: %d rows, first %+v", len(page), page)
	}
	byActor, _ := s.AuditQuery(ctx, AuditFilter{Actor: "u1@clinic.org"})
	if len(byActor) != 5 {
		t.Errorf("by actor: %d rows, want 5", len(byActor))
	}
	byText, _ := s.AuditQuery(ctx, AuditFilter{Text: "a2"})
	if len(byText) != 6 { // a2, a20..a24
		t.Errorf("by text: %d rows, want 6", len(byText))
	}
	future, _ := s.AuditQuery(ctx, AuditFilter{From: time.Now().Add(time.Hour)})
	if len(future) != 0 {
		t.Errorf("from the future: %d rows", len(future))
	}
}

func TestAuditRetention(t *testing.T) { eachBackend(t, testAuditRetention) }

func testAuditRetention(t *testing.T, open opener) {
	s := open(t, Options{})
	ctx := context.Background()
	old := time.Now().Add(-40 * 24 * time.Hour).UnixNano()
	for range 3 {
		if err := rawExec(s, `INSERT INTO audit(time, actor, action, detail, last) VALUES (?, 'x', 'sign_in', '', 0)`, old); err != nil {
			t.Fatal(err)
		}
	}
	s.Audit(ctx, "y", "sign_in", "")
	n, err := s.DeleteAuditOlderThan(ctx, 30)
	if err != nil || n != 3 {
		t.Fatalf("deleted %d (%v), want 3", n, err)
	}
	log, _ := s.AuditLog(ctx, 10)
	if len(log) != 1 || log[0].Actor != "y" {
		t.Errorf("left %+v", log)
	}
	if n, _ := s.DeleteAuditOlderThan(ctx, 0); n != 0 {
		t.Errorf("days 0 deleted %d rows, want none (keep everything)", n)
	}
}
