package transcript

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/library"
)

func testEntry() library.Entry {
	return library.Entry{
		Question: "What is CAR-T cell therapy?",
		Variants: []string{"what is car t"},
		Answer:   "CAR-T uses your own T cells [1].",
		Citations: []chat.Citation{{N: 1, DocID: "asgct", ChunkID: "asgct-1",
			Passage: "CAR-T cell therapy uses the patient's own T cells."}},
	}
}

func TestLibraryVersionsStatusesAndAudit(t *testing.T) {
	eachBackend(t, testLibraryVersionsStatusesAndAudit)
}

func testLibraryVersionsStatusesAndAudit(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	e, err := s.SaveEntry(ctx, testEntry(), "ann@clinic.org")
	if err != nil {
		t.Fatal(err)
	}
	if e.ID == 0 || e.Version != 1 || e.Status != library.StatusDraft || e.Author != "ann@clinic.org" {
		t.Fatalf("created %+v", e)
	}
	e.Answer = "CAR-T cell therapy uses your own T cells [1]."
	e2, err := s.SaveEntry(ctx, e, "bob@clinic.org")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := s.SetStatus(ctx, e2.ID, e2.Version, library.StatusPublished, "carl@clinic.org", "corpus-7")
	if err != nil {
		t.Fatal(err)
	}
	if pub.Version != 3 || pub.Approver != "carl@clinic.org" || pub.CorpusVersion != "corpus-7" || pub.Approved.IsZero() {
		t.Fatalf("published %+v", pub)
	}
	got, err := s.Entry(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != library.StatusPublished || got.Answer != e.Answer || got.Citations[0].Passage != testEntry().Citations[0].Passage ||
		len(got.Variants) != 1 {
		t.Fatalf("read back %+v", got)
	}
	if _, err := s.SetStatus(ctx, e.ID, pub.Version, library.StatusRetired, "carl@clinic.org", ""); err != nil {
		t.Fatal(err)
	}
	vs, err := s.Versions(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, v := range vs {
		statuses = append(statuses, v.Status)
	}
	if want := "[draft draft published retired]"; fmtList(statuses) != want {
		t.Fatalf("versions %v, want %s", statuses, want)
	}
	if vs[0].Answer != testEntry().Answer {
		t.Fatalf("the first version was changed: %q", vs[0].Answer)
	}
	rows, err := s.AuditQuery(ctx, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range rows {
		actions = append(actions, r.Action+" "+r.Actor)
	}
	want := "[library_retire carl@clinic.org library_publish carl@clinic.org library_edit bob@clinic.org library_create ann@clinic.org]"
	if fmtList(actions) != want {
		t.Fatalf("audit %v, want %s", actions, want)
	}
}

func TestLibraryConcurrentSaveConflicts(t *testing.T) {
	eachBackend(t, testLibraryConcurrentSaveConflicts)
}

func testLibraryConcurrentSaveConflicts(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	e, err := s.SaveEntry(ctx, testEntry(), "ann@clinic.org")
	if err != nil {
		t.Fatal(err)
	}
	// Two clinicians open version 1; the first saves, then the second.
	first, second := e, e
	first.Answer = "First edit [1]."
	second.Answer = "Second edit [1]."
	if _, err := s.SaveEntry(ctx, first, "ann@clinic.org"); err != nil {
		t.Fatal(err)
	}
	_, err = s.SaveEntry(ctx, second, "bob@clinic.org")
	var le *library.Error
	if !errors.As(err, &le) || le.Code != library.CodeConflict || le.Current == nil || le.Current.Answer != "First edit [1]." {
		t.Fatalf("second save: %v", err)
	}
	if _, err := s.SetStatus(ctx, e.ID, 1, library.StatusPublished, "bob@clinic.org", ""); library.CodeOf(err) != library.CodeConflict {
		t.Fatalf("publishing an old version: %v", err)
	}
	got, _ := s.Entry(ctx, e.ID)
	if got.Version != 2 || got.Answer != "First edit [1]." {
		t.Fatalf("after the conflict: %+v", got)
	}
	if _, err := s.Entry(ctx, 999); library.CodeOf(err) != library.CodeNotFound {
		t.Fatalf("missing entry: %v", err)
	}
}

func TestLibraryImportAllOrNothing(t *testing.T) { eachBackend(t, testLibraryImportAllOrNothing) }

func testLibraryImportAllOrNothing(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	a := testEntry()
	a.ID, a.Status, a.Approver = 40, library.StatusPublished, "carl@clinic.org"
	b := testEntry()
	b.Question = "Is CAR-T a cure?"
	got, err := s.Import(ctx, []library.Entry{a, b}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	if got[0].ID != 40 || got[0].Status != library.StatusPublished || got[1].ID == 0 {
		t.Fatalf("imported %+v", got)
	}
	// The same file again: new versions of the same entries.
	a.Answer = "Changed [1]."
	bad := testEntry()
	bad.ID, bad.Status = 99, "nonsense" // refused by the schema: nothing of this import stays
	if _, err := s.Import(ctx, []library.Entry{a, bad}, "cli"); err == nil {
		t.Fatal("an import with a bad status was accepted")
	}
	cur, _ := s.Entry(ctx, 40)
	if cur.Version != 1 || cur.Answer == "Changed [1]." {
		t.Fatalf("a refused import changed entry 40: %+v", cur)
	}
	if _, err := s.Entry(ctx, 99); library.CodeOf(err) != library.CodeNotFound {
		t.Fatalf("a refused import added entry 99: %v", err)
	}
}

func TestLibraryTurnsRecordTheirEntry(t *testing.T) { eachBackend(t, testLibraryTurnsRecordTheirEntry) }

func testLibraryTurnsRecordTheirEntry(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	r := testRecord("lib", 0)
	r.Reply.Reason = chat.ReasonLibrary
	r.Reply.Reviewed = &chat.Reviewed{By: library.ReviewedBy, Date: "2026-12-01", Entry: 7}
	if err := s.Record(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, testRecord("lib", 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFeedback(ctx, "lib", Feedback{AnswerID: r.AnswerID, Rating: "up"}); err != nil {
		t.Fatal(err)
	}
	h, err := s.History(ctx, "lib", 0)
	if err != nil {
		t.Fatal(err)
	}
	if rv := h[0].Reply.Reviewed; rv == nil || rv.Entry != 7 || rv.Date != "2026-12-01" {
		t.Fatalf("history of a library turn: %+v", rv)
	}
	if h[1].Reply.Reviewed != nil {
		t.Fatalf("an engine turn reads back as reviewed: %+v", h[1].Reply.Reviewed)
	}
	use, err := s.LibraryUse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if u := use[7]; u.Served != 1 || u.Up != 1 || u.Down != 0 || len(use) != 1 {
		t.Fatalf("library use %+v", use)
	}
}

func TestRolesAndOldAccountsStayAdmins(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	db, err := openDB(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, db, 8); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO staff(email, password_hash, created) VALUES ('old@clinic.org', 'x', 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const pw = "a long enough staff passphrase"
	if err := s.AddStaffRole(ctx, "rev@clinic.org", pw, RoleReviewer); err != nil {
		t.Fatal(err)
	}
	if err := s.AddStaffRole(ctx, "x@clinic.org", pw, "boss"); err == nil {
		t.Fatal("an unknown role was accepted")
	}
	list, err := s.ListStaff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]string{}
	for _, st := range list {
		roles[st.Email] = st.Role
	}
	if roles["old@clinic.org"] != RoleAdmin || roles["rev@clinic.org"] != RoleReviewer || len(roles) != 2 {
		t.Fatalf("roles %v", roles)
	}
	sess, err := s.CreateSession(ctx, "rev@clinic.org", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.LookupSession(ctx, sess.Token)
	if err != nil || got.Role != RoleReviewer {
		t.Fatalf("session role %q, %v", got.Role, err)
	}
	if RoleAllows(RoleReviewer, RoleClinician) || !RoleAllows(RoleAdmin, RoleClinician) || !RoleAllows(RoleClinician, RoleClinician) {
		t.Fatal("RoleAllows does not order the roles")
	}
}

func fmtList(s []string) string { return fmt.Sprint(s) }

func TestSimilarQuestions(t *testing.T) { eachBackend(t, testSimilarQuestions) }

func testSimilarQuestions(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	for i, q := range []string{"What is CAR-T?", "car t what is it", "What is CAR-T?", "How much does parking cost?"} {
		r := testRecord("sim", i)
		r.Question = q
		if i == 3 {
			r.Reply.Retrieved = r.Reply.Retrieved[1:] // only nmdp-3
		}
		if err := s.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.SimilarQuestions(ctx, []string{"asgct-1"}, 100, 10)
	if err != nil || fmtList(got) != "[What is CAR-T? car t what is it]" {
		t.Fatalf("similar: %v, %v", got, err)
	}
	if got, _ := s.SimilarQuestions(ctx, []string{"asgct-1"}, 1, 10); len(got) != 0 {
		t.Fatalf("scanning the newest turn only: %v", got)
	}
	if got, _ := s.SimilarQuestions(ctx, []string{"nmdp-3"}, 100, 1); fmtList(got) != "[How much does parking cost?]" {
		t.Fatalf("limit 1: %v", got)
	}
}
