package staff

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/library"
	"github.com/cellchat/cellchat/transcript"
)

// fakeLibrary serves two passages and counts refreshes.
type fakeLibrary struct {
	refreshes atomic.Int32
	stale     map[int64][]string
}

var fakePassages = library.Passages{
	"asgct-basics-3f2a": {DocID: "asgct-basics", Title: "Cell therapy basics", ChunkID: "asgct-basics-3f2a",
		Passage: "CAR-T cell therapy changes a patient's own T cells to fight cancer."},
	"asgct-basics-9c1d": {DocID: "asgct-basics", Title: "Cell therapy basics", Section: "Risks", ChunkID: "asgct-basics-9c1d",
		Passage: "Too many cytokines can result in fever, trouble breathing and can be life-threatening."},
}

func (f *fakeLibrary) Passages() library.Passages { return fakePassages }
func (f *fakeLibrary) CorpusVersion() string      { return "cv2" }
func (f *fakeLibrary) Refresh(context.Context) error {
	f.refreshes.Add(1)
	return nil
}
func (f *fakeLibrary) Stale(id int64) []string { return f.stale[id] }

// account adds a staff account with a role and signs a client in with it.
func (f *fixture) account(t *testing.T, email, role string) *http.Client {
	t.Helper()
	if err := f.store.AddStaffRole(context.Background(), email, testPassword, role); err != nil {
		t.Fatal(err)
	}
	c := newClient()
	if resp := f.signIn(t, c, email, testPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in of %s: %d", email, resp.StatusCode)
	}
	return c
}

func editForm(csrf string, version int, question, answer, citations string) url.Values {
	return url.Values{"csrf": {csrf}, "version": {strconv.Itoa(version)}, "question": {question}, "answer": {answer}, "citations": {citations},
		"variants": {"what's car t\n\n  car-t?  "}}
}

func TestRolesAreEnforcedOnTheServer(t *testing.T) {
	f := newFixture(t, Config{Library: &fakeLibrary{}})
	rev := f.account(t, "rev@clinic.org", transcript.RoleReviewer)
	clin := f.account(t, "clin@clinic.org", transcript.RoleClinician)
	csrfRev, csrfClin := f.csrf(t, rev), f.csrf(t, clin)
	form := editForm(csrfRev, 0, "What is CAR-T?", "It uses your own T cells [1].", "asgct-basics-3f2a")
	for _, c := range []struct {
		who    *http.Client
		path   string
		form   url.Values
		status int
	}{
		{rev, "/staff/library", form, http.StatusForbidden},
		{rev, "/staff/library/1", form, http.StatusForbidden},
		{rev, "/staff/library/1/status", url.Values{"csrf": {csrfRev}, "version": {"1"}, "status": {"published"}}, http.StatusForbidden},
		{rev, "/staff/sources/reload", url.Values{"csrf": {csrfRev}}, http.StatusForbidden},
		{clin, "/staff/sources/reload", url.Values{"csrf": {csrfClin}}, http.StatusForbidden},
		{rev, "/staff/replies/ans-1/review", url.Values{"csrf": {csrfRev}, "status": {"approved"}, "conversation": {"conv-a"}}, http.StatusSeeOther},
	} {
		resp, page := f.post(t, c.who, c.path, c.form)
		if resp.StatusCode != c.status {
			t.Errorf("POST %s: %d, want %d\n%s", c.path, resp.StatusCode, c.status, page)
		}
	}
	if entries, _ := f.store.Entries(context.Background()); len(entries) != 0 {
		t.Fatalf("a refused request saved %d entries", len(entries))
	}
	// A reviewer reads the library and the conversation, without the editor's buttons.
	if resp, page := f.get(t, rev, "/staff/library"); resp.StatusCode != 200 || strings.Contains(page, "New entry") {
		t.Errorf("library page for a reviewer: %d", resp.StatusCode)
	}
	if _, page := f.get(t, rev, "/staff/conversations/conv-a"); strings.Contains(page, "Use as library answer") {
		t.Error("a reviewer is offered 'Use as library answer'")
	}
	if _, page := f.get(t, clin, "/staff/conversations/conv-a"); !strings.Contains(page, "Use as library answer") || !strings.Contains(page, "Write a corrected answer") {
		t.Error("a clinician is not offered the library actions")
	}
}

func TestLibraryEntryFromAReplyToPublishedAndRetired(t *testing.T) {
	ctx := context.Background()
	lib := &fakeLibrary{}
	f := newFixture(t, Config{Library: lib, LibraryTwoPerson: true, LibraryLimits: library.Limits{AnswerChars: 200}})
	ann := f.account(t, "ann@clinic.org", transcript.RoleClinician)
	bob := f.account(t, "bob@clinic.org", transcript.RoleClinician)
	csrfAnn, csrfBob := f.csrf(t, ann), f.csrf(t, bob)

	// The editor opens on the logged reply, its text and passages.
	resp, page := f.get(t, ann, "/staff/library/new?conversation=conv-a&answer=ans-1&mode=copy&q=cytokines+fever")
	if resp.StatusCode != 200 || !strings.Contains(page, "CAR-T changes your own T cells to fight cancer [1].") ||
		!strings.Contains(page, "asgct-basics-3f2a") || !strings.Contains(page, `id="found"`) || !strings.Contains(page, "asgct-basics-9c1d") {
		t.Fatalf("editor from a reply (%d):\n%s", resp.StatusCode, page)
	}
	if !strings.Contains(page, `id="similar"`) || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt; is &lt;b&gt;CAR-T&lt;/b&gt; safe?") {
		t.Fatalf("the editor does not offer the similar logged question, escaped:\n%s", page)
	}
	// A passage search from the editor keeps what was typed and saves nothing.
	typed := editForm(csrfAnn, 0, "What is CAR-T?", "Half-written answer about fever [1]", "asgct-basics-3f2a")
	typed["q"], typed["from_conversation"], typed["from_answer"] = []string{"cytokines"}, []string{"conv-a"}, []string{"ans-1"}
	resp, page = f.post(t, ann, "/staff/library/search", typed)
	if resp.StatusCode != 200 || !strings.Contains(page, "Half-written answer about fever [1]") || !strings.Contains(page, `id="found"`) ||
		!strings.Contains(page, "asgct-basics-9c1d") || !strings.Contains(page, "From the logged reply") {
		t.Fatalf("search from the editor (%d):\n%s", resp.StatusCode, page)
	}
	if entries, _ := f.store.Entries(ctx); len(entries) != 0 {
		t.Fatal("a search saved an entry")
	}
	// Markers must match the citations, chunks must exist, sizes hold: all refused, all listed, the text kept.
	bad := editForm(csrfAnn, 0, "What is CAR-T?", "<script>x</script> It uses your own T cells [1] [3].", "asgct-basics-3f2a\nno-such-chunk")
	resp, page = f.post(t, ann, "/staff/library", bad)
	for _, want := range []string{"citation [2] is not marked in the answer", `unknown chunk id &#34;no-such-chunk&#34;`, "marker [3] in the answer has no citation",
		"&lt;script&gt;x&lt;/script&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("refused save does not show %q", want)
		}
	}
	if resp.StatusCode != http.StatusBadRequest || strings.Contains(page, "<script>x") {
		t.Fatalf("refused save: %d", resp.StatusCode)
	}
	good := editForm(csrfAnn, 0, "What is CAR-T?", "It uses your own T cells [1]; too many cytokines can cause a fever [2].", "asgct-basics-3f2a\nasgct-basics-9c1d")
	good["pick"] = []string{xssQuestion}
	if resp, page := f.post(t, ann, "/staff/library", good); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/staff/library/1?saved=1" {
		t.Fatalf("save: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	e, err := f.store.Entry(ctx, 1)
	if err != nil || e.Status != library.StatusDraft || len(e.Variants) != 3 || e.Variants[2] != xssQuestion || e.Citations[1].Passage != fakePassages["asgct-basics-9c1d"].Passage {
		t.Fatalf("saved: %+v, %v", e, err)
	}

	// Two clinicians edit version 1 at once: the second save is refused, showing the newer version, keeping its text.
	first := editForm(csrfAnn, 1, "What is CAR-T?", "Ann's edit [1].", "asgct-basics-3f2a")
	second := editForm(csrfBob, 1, "What is CAR-T?", "Bob's edit [1].", "asgct-basics-3f2a")
	if resp, _ := f.post(t, ann, "/staff/library/1", first); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first edit: %d", resp.StatusCode)
	}
	resp, page = f.post(t, bob, "/staff/library/1", second)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, `id="conflict"`) || !strings.Contains(page, "Ann&#39;s edit [1].") ||
		!strings.Contains(page, "Bob&#39;s edit [1].") {
		t.Fatalf("second edit: %d\n%s", resp.StatusCode, page)
	}

	// Two-person rule: Ann saved version 2, so Bob publishes it.
	status := func(c *http.Client, csrf string, version int, st string) int {
		resp, _ := f.post(t, c, "/staff/library/1/status", url.Values{"csrf": {csrf}, "version": {strconv.Itoa(version)}, "status": {st}})
		return resp.StatusCode
	}
	if got := status(ann, csrfAnn, 2, library.StatusPublished); got != http.StatusForbidden {
		t.Fatalf("the author published under the two-person rule: %d", got)
	}
	refreshes := lib.refreshes.Load()
	if got := status(bob, csrfBob, 2, library.StatusPublished); got != http.StatusSeeOther {
		t.Fatalf("publish: %d", got)
	}
	e, _ = f.store.Entry(ctx, 1)
	if e.Status != library.StatusPublished || e.Approver != "bob@clinic.org" || e.CorpusVersion != "cv2" || lib.refreshes.Load() <= refreshes {
		t.Fatalf("published: %+v (refreshes %d)", e, lib.refreshes.Load())
	}
	if got := status(bob, csrfBob, 2, library.StatusRetired); got != http.StatusConflict {
		t.Fatalf("retiring an old version: %d", got)
	}
	if got := status(ann, csrfAnn, 3, library.StatusRetired); got != http.StatusSeeOther {
		t.Fatalf("retire: %d", got)
	}
	_, page = f.get(t, ann, "/staff/library")
	if !strings.Contains(page, "retired") || !strings.Contains(page, "What is CAR-T?") {
		t.Fatalf("library page:\n%s", page)
	}
	audit, _ := f.store.AuditQuery(ctx, transcript.AuditFilter{Text: "entry 1 "})
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	if got := strings.Join(actions, " "); got != "library_retire library_publish library_edit library_create" {
		t.Fatalf("audit: %s", got)
	}
}

// A stale entry is flagged, and publishing it again cites today's text.
func TestStaleEntryIsReapproved(t *testing.T) {
	ctx := context.Background()
	lib := &fakeLibrary{stale: map[int64][]string{}}
	f := newFixture(t, Config{Library: lib})
	ann := f.account(t, "ann@clinic.org", transcript.RoleClinician)
	csrf := f.csrf(t, ann)
	old := library.Entry{Status: library.StatusPublished, Question: "What is CAR-T?", Answer: "It uses your own T cells [1].",
		Citations: []chat.Citation{{N: 1, ChunkID: "asgct-basics-3f2a", Passage: "An older text of the passage."}}}
	if _, err := f.store.Import(ctx, []library.Entry{old}, "cli"); err != nil {
		t.Fatal(err)
	}
	lib.stale[1] = []string{"[1] asgct-basics-3f2a was changed in the sources"}
	if _, page := f.get(t, ann, "/staff/library"); !strings.Contains(page, `<span class="error">stale</span>`) {
		t.Fatal("the library page does not flag the stale entry")
	}
	if _, page := f.get(t, ann, "/staff/library/1"); !strings.Contains(page, "was changed in the sources") || !strings.Contains(page, `id="publish"`) {
		t.Fatal("the entry page does not say why it is stale, or offers no publish")
	}
	if resp, _ := f.post(t, ann, "/staff/library/1/status", url.Values{"csrf": {csrf}, "version": {"1"}, "status": {"published"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("re-approve: %d", resp.StatusCode)
	}
	e, _ := f.store.Entry(ctx, 1)
	if e.Version != 3 || e.Status != library.StatusPublished || e.Citations[0].Passage != fakePassages["asgct-basics-3f2a"].Passage {
		t.Fatalf("re-approved: %+v", e)
	}
}
