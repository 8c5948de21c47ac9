package transcript

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/library"
)

// A copy of a SQLite log to PostgreSQL reads back the same through every
// method, run again adds nothing, and leaves a log that takes new writes.
func TestCopyToPostgreSQL(t *testing.T) {
	ctx := context.Background()
	src := openTest(t, Options{})
	dst := openPGTest(t, Options{})

	// Everything a log holds: turns (one served from the library),
	// feedback, reviews, staff with a session, audit rows merged and not,
	// and library entries with their versions.
	base := time.Now().Add(-72 * time.Hour).Truncate(time.Second)
	for c := range 3 {
		for i := range 4 {
			r := benchRecord(fmt.Sprint("conv", c), c*10+i)
			r.Time = base.Add(time.Duration(c*10+i) * 7 * time.Hour)
			if i == 2 {
				r.Reply.Kind = chat.KindNoAnswer
			}
			if c == 1 && i == 1 {
				r.Reply.Reviewed = &chat.Reviewed{By: library.ReviewedBy, Date: "2026-11-30", Entry: 1}
			}
			if err := src.Record(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(src.RecordFeedback(ctx, "conv0", Feedback{AnswerID: "conv0-a1", Rating: "down", Comment: "too vague"}))
	must(src.RecordFeedback(ctx, "conv1", Feedback{AnswerID: "conv1-a11", Rating: "up"}))
	_, err := src.AddReview(ctx, Review{AnswerID: "conv0-a1", Reviewer: "doc@clinic.org", Status: StatusNeedsCorrection, Note: "cite the FAQ"})
	must(err)
	_, err = src.AddReview(ctx, Review{AnswerID: "conv0-a1", Reviewer: "doc@clinic.org", Status: StatusApproved})
	must(err)
	must(src.AddStaffRole(ctx, "doc@clinic.org", "correct horse battery", RoleClinician))
	sess, err := src.CreateSession(ctx, "doc@clinic.org", time.Hour)
	must(err)
	must(src.AuditMerged(ctx, "x@y.org", "sign_in_failed", "ip 10.0.0.1", 3))
	e, err := src.SaveEntry(ctx, testEntry(), "doc@clinic.org")
	must(err)
	_, err = src.SetStatus(ctx, e.ID, e.Version, library.StatusPublished, "doc@clinic.org", "v1")
	must(err)

	counts, err := src.CopyTo(ctx, dst)
	if err != nil {
		t.Fatalf("copy: %v (%+v)", err, counts)
	}
	t.Logf("copied: %+v", counts)
	same := func(what string, a, b any) {
		t.Helper()
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s differs:\nsqlite   %+v\npostgres %+v", what, a, b)
		}
	}
	check := func() {
		t.Helper()
		for c := range 3 {
			conv := fmt.Sprint("conv", c)
			a, err1 := src.Conversation(ctx, conv)
			b, err2 := dst.Conversation(ctx, conv)
			must(err1)
			must(err2)
			same(conv, a, b)
		}
		a, _ := src.ListReplies(ctx, Filter{})
		b, _ := dst.ListReplies(ctx, Filter{})
		for i := range a { // the cursors are each log's own row ids
			a[i].cursor = Cursor{}
		}
		for i := range b {
			b[i].cursor = Cursor{}
		}
		same("replies", a, b)
		sa, _ := src.Stats(ctx, time.Time{}, time.Time{})
		sb, _ := dst.Stats(ctx, time.Time{}, time.Time{})
		same("stats", sa, sb)
		la, _ := src.AuditQuery(ctx, AuditFilter{})
		lb, _ := dst.AuditQuery(ctx, AuditFilter{})
		same("audit", la, lb)
		ea, _ := src.Versions(ctx, e.ID)
		eb, _ := dst.Versions(ctx, e.ID)
		same("library versions", ea, eb)
		ua, _ := src.LibraryUse(ctx)
		ub, _ := dst.LibraryUse(ctx)
		same("library use", ua, ub)
		sta, _ := src.ListStaff(ctx)
		stb, _ := dst.ListStaff(ctx)
		same("staff", sta, stb)
	}
	check()
	// The staff member's password and session carry over.
	if err := dst.Authenticate(ctx, "doc@clinic.org", "correct horse battery"); err != nil {
		t.Errorf("password after the copy: %v", err)
	}
	if got, err := dst.LookupSession(ctx, sess.Token); err != nil || !got.ValidCSRF(sess.CSRF) || got.Role != RoleClinician {
		t.Errorf("session after the copy: %+v, %v", got, err)
	}

	// Again: nothing added twice, the same counts.
	again, err := src.CopyTo(ctx, dst)
	if err != nil {
		t.Fatalf("second copy: %v", err)
	}
	same("counts of the second copy", counts, again)
	check()

	// The copy takes new writes: ids carry on after the copied ones.
	rv, err := dst.AddReview(ctx, Review{AnswerID: "conv2-a21", Reviewer: "doc@clinic.org", Status: StatusWrong})
	must(err)
	if old, _ := src.Reviews(ctx, "conv0-a1"); rv.ID <= old[len(old)-1].ID {
		t.Errorf("new review id %d not after the copied ones (%d)", rv.ID, old[len(old)-1].ID)
	}
	if _, err := dst.SaveEntry(ctx, testEntry(), "doc@clinic.org"); err != nil {
		t.Errorf("a new library entry after the copy: %v", err)
	}
	must(dst.Audit(ctx, "doc@clinic.org", "sign_in", ""))
	must(dst.Record(ctx, testRecord("conv9", 1)))
}
