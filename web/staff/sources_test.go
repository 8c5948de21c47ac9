package staff

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fakeSources serves two documents, one past its review date, and
// reloads by the given outcome.
type fakeSources struct {
	reloads int
	err     error
}

func (f *fakeSources) Documents() []SourceDocument {
	return []SourceDocument{
		{ID: "after-car-t", Title: "Going home after CAR-T", Publisher: "Riverside Unit", URL: "https://clinic.example/cart", File: "after-car-t.md",
			Reviewed: "2024-01-10", ReviewDue: time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC), Passages: 5,
			Warnings: []string{"review due since 2025-01-10"}},
		{ID: "nutrition/eating-well", Title: "Eating well <b>", File: "nutrition/eating-well.md", Passages: 3, Warnings: []string{"no url"}},
	}
}

func (f *fakeSources) Reload(context.Context) (string, error) {
	f.reloads++
	if f.err != nil {
		return "", f.err
	}
	return "Reloaded: 2 documents.", nil
}

// The Sources page lists the documents and flags those past their review
// date; "Reload sources" needs the session's token, reloads, says what
// happened or why not, and is audited.
func TestSourcesPageAndReload(t *testing.T) {
	src := &fakeSources{}
	f := newFixture(t, Config{Sources: src})
	c := f.signedIn(t)
	resp, page := f.get(t, c, "/staff/sources")
	for _, want := range []string{"Going home after CAR-T", "nutrition/eating-well.md", "1 past their review date", "next review 2025-01-10", "Eating well &lt;b&gt;", `href="https://clinic.example/cart"`, "Reload sources"} {
		if !strings.Contains(page, want) {
			t.Errorf("sources page (%d) lacks %q", resp.StatusCode, want)
		}
	}
	if r, _ := f.post(t, c, "/staff/sources/reload", url.Values{"csrf": {"forged"}}); r.StatusCode != http.StatusForbidden || src.reloads != 0 {
		t.Errorf("reload with a forged token: %d, %d reloads", r.StatusCode, src.reloads)
	}
	token := f.csrf(t, c)
	r, page := f.post(t, c, "/staff/sources/reload", url.Values{"csrf": {token}})
	if r.StatusCode != http.StatusOK || src.reloads != 1 || !strings.Contains(page, "Reloaded: 2 documents.") {
		t.Errorf("reload: %d, %d reloads", r.StatusCode, src.reloads)
	}
	src.err = errors.New("broken.txt: binary file")
	r, page = f.post(t, c, "/staff/sources/reload", url.Values{"csrf": {token}})
	if r.StatusCode != http.StatusConflict || !strings.Contains(page, "Not reloaded: broken.txt: binary file") {
		t.Errorf("failed reload: %d", r.StatusCode)
	}
	log, _ := f.store.AuditLog(context.Background(), 10)
	var ok, failed bool
	for _, e := range log {
		ok = ok || e.Action == "reload_sources" && e.Detail == "Reloaded: 2 documents."
		failed = failed || e.Action == "reload_sources" && strings.HasPrefix(e.Detail, "failed: broken.txt")
	}
	if !ok || !failed {
		t.Errorf("audit log: %+v", log)
	}
}
