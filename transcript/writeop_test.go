package transcript

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestStaffWritesShareTheWriter: audit rows, reviews, ratings and sessions
// written while patients' replies are committed back to back never wait
// for the write lock: with a busy timeout of one millisecond, any write
// that competed with the writer for the lock would fail with SQLITE_BUSY.
func TestStaffWritesShareTheWriter(t *testing.T) {
	s := openTest(t, Options{BusyTimeout: time.Millisecond})
	ctx := context.Background()
	const patients, turns, staff, actions = 8, 60, 4, 40
	for w := range staff {
		if err := s.AddStaff(ctx, fmt.Sprintf("staff%d@clinic.example", w), "a long enough test password 1"); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, patients*turns+staff*actions*5)
	for p := range patients {
		wg.Go(func() {
			for i := range turns {
				errs <- s.Record(ctx, testRecord(fmt.Sprintf("conv-%d", p), i))
			}
		})
	}
	for w := range staff {
		wg.Go(func() {
			email := fmt.Sprintf("staff%d@clinic.example", w)
			for i := range actions {
				errs <- s.Audit(ctx, email, "list_replies", fmt.Sprint(i))
				errs <- s.AuditMerged(ctx, email, "sign_in_failed", "ip 10.0.0.1", 1)
				_, err := s.CreateSession(ctx, email, time.Hour)
				errs <- err
				// The patients' turns may not be logged yet: not found is
				// an answer here, not a failure.
				conv := fmt.Sprintf("conv-%d", i%patients)
				answer := testRecord(conv, i%turns).AnswerID
				if err := s.RecordFeedback(ctx, conv, Feedback{AnswerID: answer, Rating: "down"}); !errors.Is(err, ErrNotFound) {
					errs <- err
				}
				if _, err := s.AddReview(ctx, Review{AnswerID: answer, Reviewer: email, Status: StatusWrong}); !errors.Is(err, ErrNotFound) {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var audits, merged int
	if err := s.db.QueryRow(`SELECT COUNT(*), COALESCE(SUM(count), 0) FROM audit WHERE action = 'sign_in_failed'`).Scan(&merged, &merged); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM audit WHERE action = 'list_replies'`).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if audits != staff*actions || merged != staff*actions {
		t.Errorf("audit rows %d, merged sign-in failures %d; want %d of each", audits, merged, staff*actions)
	}
	if _, records := s.CommitStats(); records != patients*turns {
		t.Errorf("CommitStats counts %d records, want the %d replies alone", records, patients*turns)
	}
	if err := s.CommitErr(); err != nil {
		t.Errorf("CommitErr after staff writes that found nothing: %v", err)
	}
}

// TestWriteOpFailureIsItsOwn: a write that fails (a review of an unknown
// reply) is undone alone; the replies committed with it are logged.
func TestWriteOpFailureIsItsOwn(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := s.Record(ctx, testRecord("conv", i)); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if _, err := s.AddReview(ctx, Review{AnswerID: "no-such-answer", Reviewer: "a@b.example", Status: StatusApproved}); !errors.Is(err, ErrNotFound) {
				t.Errorf("review of an unknown answer: %v, want ErrNotFound", err)
			}
		})
	}
	wg.Wait()
	recs, err := s.History(ctx, "conv", 0)
	if err != nil || len(recs) != 20 {
		t.Fatalf("history: %d turns, %v; want 20", len(recs), err)
	}
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM reviews`).Scan(&n); err != nil || n != 0 {
		t.Errorf("reviews: %d, %v; want none", n, err)
	}
}
