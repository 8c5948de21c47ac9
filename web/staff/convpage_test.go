package staff

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/transcript"
)

var (
	turnIDRE     = regexp.MustCompile(`<section class="turn" id="a-([^"]+)"`)
	olderTurnsRE = regexp.MustCompile(`href="(/staff/conversations/long\?before=[^"]+)" rel="prev"`)
	newerTurnsRE = regexp.MustCompile(`href="(/staff/conversations/long\?answer=[^"]+)" rel="next"`)
)

// longConversation records a conversation "long" of n turns, a second
// apart, between turns of another, and returns its answer ids in order.
func longConversation(t *testing.T, f *fixture, n int) []string {
	t.Helper()
	ctx := context.Background()
	start := time.Now().Add(-time.Duration(n) * time.Minute)
	var ids []string
	for i := range n {
		for _, conv := range []string{"long", "beside"} {
			r := transcript.Record{AnswerID: fmt.Sprintf("%s-%05d", conv, i), ConversationID: conv, Time: start.Add(time.Duration(i) * time.Second),
				Question: fmt.Sprintf("Question %d of %s?", i, conv)}
			r.Reply.Kind, r.Reply.Text = chat.KindAnswer, fmt.Sprintf("Reply %d.", i)
			if err := f.store.Record(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, fmt.Sprintf("long-%05d", i))
	}
	return ids
}

// TestLongConversationPages: a conversation longer than a page is read a
// page at a time, in the console and through the API, every turn once and
// in order; links to an answer, reviews and library entries reach turns
// on any page.
func TestLongConversationPages(t *testing.T) {
	f := newFixture(t, Config{Library: &fakeLibrary{}})
	n := 2*conversationPageSize + 17
	want := longConversation(t, f, n)
	c := f.signedIn(t)

	// The page: the newest turns, then older pages through their links.
	var got []string
	var pages []string // each page's first answer
	path := "/staff/conversations/long"
	for path != "" {
		r, page := f.get(t, c, path)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, r.StatusCode)
		}
		var ids []string
		for _, m := range turnIDRE.FindAllStringSubmatch(page, -1) {
			ids = append(ids, m[1])
		}
		if len(ids) == 0 || len(ids) > conversationPageSize {
			t.Fatalf("%s: %d turns", path, len(ids))
		}
		if !strings.Contains(page, fmt.Sprintf("%d turns", len(ids))) {
			t.Errorf("%s does not say how many turns it shows", path)
		}
		got, pages = append(ids, got...), append(pages, ids[0])
		if len(pages) > 1 && !newerTurnsRE.MatchString(page) {
			t.Errorf("%s has no link to newer turns", path)
		}
		path = ""
		if m := olderTurnsRE.FindStringSubmatch(page); m != nil {
			path = html.UnescapeString(m[1])
		}
		if len(pages) > n {
			t.Fatal("older pages never end")
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("turns over %d pages: %d, want %d in order (first %v)", len(pages), len(got), len(want), got[:min(5, len(got))])
	}
	if len(pages) != 3 {
		t.Errorf("%d pages, want 3", len(pages))
	}
	// Newer turns from the second page: the newest page.
	_, second := f.get(t, c, "/staff/conversations/long?before="+pages[0])
	m := newerTurnsRE.FindStringSubmatch(second)
	if m == nil {
		t.Fatal("second page: no link to newer turns")
	}
	if _, page := f.get(t, c, html.UnescapeString(m[1])); turnIDRE.FindStringSubmatch(page)[1] != pages[0] {
		t.Errorf("newer turns from the second page start at %s, want %s", turnIDRE.FindStringSubmatch(page)[1], pages[0])
	}

	// The replies list links to the page holding each answer.
	_, list := f.get(t, c, "/staff/")
	if !strings.Contains(list, `href="/staff/conversations/long?answer=long-00416#a-long-00416"`) {
		t.Error("the replies list does not link to the answer's page")
	}
	for _, id := range []string{want[0], want[250], want[n-1]} {
		if _, page := f.get(t, c, "/staff/conversations/long?answer="+id); !strings.Contains(page, `id="a-`+id+`"`) {
			t.Errorf("?answer=%s: the page does not hold it", id)
		}
	}
	if r, page := f.get(t, c, "/staff/conversations/long?answer=beside-00003"); r.StatusCode != 200 || !strings.Contains(page, `id="a-`+want[n-1]+`"`) {
		t.Errorf("?answer= of another conversation: %d, want the newest page", r.StatusCode)
	}

	// A review from the oldest page returns to that page, saved.
	_, oldest := f.get(t, c, "/staff/conversations/long?before="+pages[1])
	token := csrfRE.FindStringSubmatch(oldest)[1]
	r, _ := f.post(t, c, "/staff/replies/"+want[3]+"/review", url.Values{"csrf": {token}, "status": {"wrong"}, "note": {"old turn checked"}, "conversation": {"long"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("review on the oldest page: %d", r.StatusCode)
	}
	_, page := f.get(t, c, r.Header.Get("Location"))
	if !strings.Contains(page, "Review saved.") || !strings.Contains(page, "old turn checked") || !strings.Contains(page, `id="a-`+want[3]+`"`) {
		t.Errorf("after the review, %s does not show it saved", r.Header.Get("Location"))
	}

	// A library entry from an old reply reads it.
	clin := f.account(t, "clin@clinic.org", transcript.RoleClinician)
	if r, page := f.get(t, clin, "/staff/library/new?conversation=long&answer="+want[2]+"&mode=copy"); r.StatusCode != 200 || !strings.Contains(page, "Question 2 of long?") {
		t.Errorf("library entry from an old reply: %d", r.StatusCode)
	}
	if r, _ := f.get(t, clin, "/staff/library/new?conversation=long&answer=beside-00002&mode=copy"); r.StatusCode != http.StatusNotFound {
		t.Errorf("library entry from another conversation's reply: %d, want 404", r.StatusCode)
	}

	// Not found.
	for _, p := range []string{"/staff/conversations/nope", "/staff/conversations/nope?before=long-00001", "/staff/conversations/long?before=beside-00001"} {
		if r, _ := f.get(t, c, p); r.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, r.StatusCode)
		}
	}
}

// TestLongConversationAPI: the API returns a conversation of at most a
// page whole, as before; a longer one a page at a time, with next.
func TestLongConversationAPI(t *testing.T) {
	f := newFixture(t, Config{})
	n := 2*conversationPageSize + 17
	want := longConversation(t, f, n)
	c := f.signedIn(t)
	read := func(path string) (int, map[string]json.RawMessage, []string) {
		t.Helper()
		r, b := f.get(t, c, path)
		var out map[string]json.RawMessage
		json.Unmarshal([]byte(b), &out)
		var turns []transcript.TurnDetail
		json.Unmarshal(out["turns"], &turns)
		var ids []string
		for _, d := range turns {
			ids = append(ids, d.AnswerID)
		}
		return r.StatusCode, out, ids
	}

	// A short conversation: the same shape as ever, no next.
	if code, out, ids := read("/staff/api/conversations/conv-a"); code != 200 || len(out) != 2 || out["conversation_id"] == nil || !slices.Equal(ids, []string{"ans-1", "ans-2"}) {
		t.Errorf("short conversation: %d, keys %v, turns %v", code, out, ids)
	}

	for _, limit := range []string{"", "150", "1000"} {
		var got []string
		var sizes []int
		path := "/staff/api/conversations/long?limit=" + limit
		for path != "" {
			code, out, ids := read(path)
			if code != 200 {
				t.Fatalf("%s: %d", path, code)
			}
			got, sizes = append(ids, got...), append(sizes, len(ids))
			path = ""
			if raw, ok := out["next"]; ok {
				var next string
				json.Unmarshal(raw, &next)
				if next != ids[0] {
					t.Errorf("next %q, want the page's oldest turn %q", next, ids[0])
				}
				path = "/staff/api/conversations/long?limit=" + limit + "&before=" + url.QueryEscape(next)
			}
			if len(sizes) > n {
				t.Fatal("pages never end")
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("limit %q: %d turns over pages %v, want %d in order", limit, len(got), sizes, n)
		}
		wantPages := map[string]int{"": 3, "150": 3, "1000": 1}[limit]
		if len(sizes) != wantPages {
			t.Errorf("limit %q: pages %v, want %d", limit, sizes, wantPages)
		}
	}
	for _, p := range []string{"limit=0", "limit=1001", "limit=x", "before=nope", "before=beside-00001"} {
		if code, _, _ := read("/staff/api/conversations/long?" + p); code != http.StatusBadRequest {
			t.Errorf("?%s: %d, want 400", p, code)
		}
	}
	if code, _, _ := read("/staff/api/conversations/nope"); code != http.StatusNotFound {
		t.Errorf("no such conversation: %d, want 404", code)
	}
}
