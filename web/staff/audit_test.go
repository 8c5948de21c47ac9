package staff

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellchat/cellchat/transcript"
)

// A flood of attempts on a locked account adds a row or two, not one per
// request.
func TestAuditFloodIsMerged(t *testing.T) {
	prev := auditFlushDelay
	auditFlushDelay = 100 * time.Millisecond
	defer func() { auditFlushDelay = prev }()
	f := newFixture(t, Config{MaxFailures: 2, MaxFailuresPerIP: 1000, Lockout: time.Hour})
	for range 2 {
		f.signIn(t, newClient(), testEmail, "wrong guess")
	}
	for range 30 {
		if r := f.signIn(t, newClient(), testEmail, "wrong guess"); r.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("locked: %d", r.StatusCode)
		}
	}
	time.Sleep(4 * auditFlushDelay)
	log, _ := f.store.AuditLog(context.Background(), 1000)
	rows, total := 0, 0
	for _, e := range log {
		if e.Action == "sign_in_locked" {
			rows++
			total += e.Count
		}
	}
	if rows > 2 || total != 30 {
		t.Errorf("30 refused attempts: %d sign_in_locked rows counting %d, want 1 or 2 rows counting 30", rows, total)
	}
}

// The audit view pages through everything and filters by who, what,
// text and dates; the API gives the same rows as JSON.
func TestAuditViewFiltersAndPages(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	for i := range 130 {
		f.store.Audit(ctx, "doc@clinic.org", "review", fmt.Sprintf("answer n%03d", i))
	}
	f.store.Audit(ctx, "old@clinic.org", "export", "csv, 3 rows")
	c := f.signedIn(t)

	r, page := f.get(t, c, "/staff/audit?action=review")
	if r.StatusCode != http.StatusOK || !strings.Contains(page, "answer n129") || strings.Contains(page, "answer n029") {
		t.Errorf("first page of reviews: %d", r.StatusCode)
	}
	if !strings.Contains(page, "page=1") {
		t.Error("first page has no link to the next")
	}
	_, page = f.get(t, c, "/staff/audit?action=review&page=1")
	if !strings.Contains(page, "answer n029") || strings.Contains(page, "answer n129") {
		t.Error("second page of reviews does not hold the older rows")
	}
	_, page = f.get(t, c, "/staff/audit?actor=old@clinic.org")
	if !strings.Contains(page, "csv, 3 rows") || strings.Contains(page, "answer n") {
		t.Error("filter by actor")
	}
	_, page = f.get(t, c, "/staff/audit?q=n12")
	if n := strings.Count(page, "answer n12"); n != 10 {
		t.Errorf("filter by text: %d rows, want 10", n)
	}
	if r, _ := f.get(t, c, "/staff/audit?from=nonsense"); r.StatusCode != http.StatusBadRequest {
		t.Errorf("bad date: %d, want 400", r.StatusCode)
	}

	r, js := f.get(t, c, "/staff/api/audit?action=export")
	var got struct{ Entries []transcript.AuditEntry }
	if err := json.Unmarshal([]byte(js), &got); err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("api: %d %v %s", r.StatusCode, err, js)
	}
	if len(got.Entries) != 1 || got.Entries[0].Actor != "old@clinic.org" || got.Entries[0].Count != 1 {
		t.Errorf("api entries %+v", got.Entries)
	}
	if r, _ := f.get(t, newClient(), "/staff/api/audit"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("api without a session: %d", r.StatusCode)
	}
}

// Reading patients' words through the list, its search or its API is in
// the audit log, one row per request with the filter, as opening a
// conversation and exporting are.
func TestListReadsAreAudited(t *testing.T) {
	f := newFixture(t, Config{})
	c := f.signedIn(t)
	ctx := context.Background()
	before, _ := f.store.AuditQuery(ctx, transcript.AuditFilter{Action: "list_replies"})
	f.get(t, c, "/staff/?q=fever&kind=emergency")
	f.get(t, c, "/staff/?q=fever&kind=emergency")
	f.get(t, c, "/staff/api/replies?feedback=down&page=0")
	f.get(t, c, "/staff/export.csv?q=car")
	log, _ := f.store.AuditQuery(ctx, transcript.AuditFilter{Action: "list_replies"})
	if len(log)-len(before) != 3 {
		t.Fatalf("%d list_replies rows for 3 list reads, want 3: %+v", len(log)-len(before), log)
	}
	if e := log[0]; e.Actor != testEmail || !strings.Contains(e.Detail, "feedback=down") || !strings.Contains(e.Detail, "api") {
		t.Errorf("api read audited as %+v", e)
	}
	if e := log[1]; !strings.Contains(e.Detail, "q=fever") || !strings.Contains(e.Detail, "kind=emergency") || !strings.Contains(e.Detail, "1 rows") {
		t.Errorf("search audited as %+v", e)
	}
	exp, _ := f.store.AuditQuery(ctx, transcript.AuditFilter{Action: "export"})
	if len(exp) != 1 || !strings.Contains(exp[0].Detail, "q=car") {
		t.Errorf("export audit %+v", exp)
	}
}

// countingAudit counts the audit writes that reach the store.
type countingAudit struct {
	Store
	merged atomic.Int64
}

func (s *countingAudit) AuditMerged(ctx context.Context, actor, action, detail string, n int) error {
	s.merged.Add(1)
	return s.Store.AuditMerged(ctx, actor, action, detail, n)
}

// A flood of refused sign-ins costs the log a write now and then, not a
// write per request, and no attempt goes uncounted.
func TestAuditFloodWritesRarely(t *testing.T) {
	prev := auditFlushDelay
	auditFlushDelay = 300 * time.Millisecond
	defer func() { auditFlushDelay = prev }()
	cfg := Config{MaxFailures: 2, MaxFailuresPerIP: 1000, Lockout: time.Hour}
	f := newFixture(t, cfg)
	ca := &countingAudit{Store: f.store}
	f.withStore(t, ca, cfg)
	for range 2 {
		f.signIn(t, newClient(), testEmail, "wrong guess")
	}
	for range 100 {
		f.signIn(t, newClient(), testEmail, "wrong guess")
	}
	if n := ca.merged.Load(); n > 20 {
		t.Errorf("%d audit writes for 102 attempts, want a few", n)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		total := 0
		log, _ := f.store.AuditQuery(context.Background(), transcript.AuditFilter{Action: "sign_in_locked"})
		for _, e := range log {
			total += e.Count
		}
		if total == 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sign_in_locked counts add up to %d, want 100", total)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
