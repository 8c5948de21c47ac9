package staff

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellchat/cellchat/transcript"
)

var olderLinkRE = regexp.MustCompile(`href="/staff/\?([^"]*)">older →`)

// TestPagingByCursor: the list's "older" link and the API's "next" cursor
// walk every reply once, newest first, as the old page numbers do.
func TestPagingByCursor(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	for i := range 2*pageSize + 30 {
		r := transcript.Record{AnswerID: fmt.Sprintf("bulk-%d", i), ConversationID: fmt.Sprintf("bulk-c%d", i/4),
			Time: time.Now().Add(-time.Duration(i%17) * time.Minute)}
		r.Reply.Kind, r.Reply.Text = "answer", "a reply about graft"
		if err := f.store.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	c := f.signedIn(t)
	var want []string
	for page := 0; ; page++ {
		_, ids := f.apiIDs(t, c, fmt.Sprintf("q=graft&page=%d", page))
		if len(ids) == 0 {
			break
		}
		want = append(want, ids...)
	}
	if len(want) != 2*pageSize+30 {
		t.Fatalf("page numbers gave %d replies, want %d", len(want), 2*pageSize+30)
	}
	var byAPI []string
	for query := "q=graft"; ; {
		resp, b := f.get(t, c, "/staff/api/replies?"+query)
		var got struct {
			Replies []transcript.ReplyRow
			Next    string
		}
		if err := json.Unmarshal([]byte(b), &got); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", query, resp.StatusCode, b)
		}
		for _, r := range got.Replies {
			byAPI = append(byAPI, r.AnswerID)
		}
		if got.Next == "" {
			break
		}
		query = "q=graft&before=" + got.Next
	}
	var byLink []string
	rowRE := regexp.MustCompile(`/staff/conversations/[^"#]*#a-(bulk-\d+)`)
	for query := "q=graft"; ; {
		_, page := f.get(t, c, "/staff/?"+query)
		for _, m := range rowRE.FindAllStringSubmatch(page, -1) {
			if !slices.Contains(byLink, m[1]) {
				byLink = append(byLink, m[1])
			}
		}
		m := olderLinkRE.FindStringSubmatch(page)
		if m == nil {
			break
		}
		query = html.UnescapeString(m[1])
		if !strings.Contains(query, "before=") || !strings.Contains(query, "q=graft") {
			t.Fatalf("older link %q: want the filter and a cursor", query)
		}
	}
	if !slices.Equal(byAPI, want) || !slices.Equal(byLink, want) {
		t.Errorf("by cursor: API %d replies, links %d; page numbers %d", len(byAPI), len(byLink), len(want))
	}
	if resp, _ := f.get(t, c, "/staff/api/replies?before=yesterday"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a malformed cursor: status %d, want 400", resp.StatusCode)
	}
}

// slowStore answers every console read as stopped at the time limit.
type slowStore struct{ Store }

func (slowStore) ListReplies(context.Context, transcript.Filter) ([]transcript.ReplyRow, error) {
	return nil, fmt.Errorf("list replies: %w", transcript.ErrTooSlow)
}

func (slowStore) Stats(context.Context, time.Time, time.Time) (transcript.Stats, error) {
	return transcript.Stats{}, fmt.Errorf("stats: %w", transcript.ErrTooSlow)
}

// TestTooSlowSaysNarrowTheFilter: a read stopped at the statement time
// limit is one status and, for the API, one code, with what to do about it.
func TestTooSlowSaysNarrowTheFilter(t *testing.T) {
	f := newFixture(t, Config{})
	c := f.signedIn(t)
	f.withStore(t, slowStore{f.store}, Config{})
	for _, path := range []string{"/staff/?q=x", "/staff/dashboard"} {
		resp, page := f.get(t, c, path)
		if resp.StatusCode != statusTooSlow || !strings.Contains(page, "narrow the filter") {
			t.Errorf("%s: status %d, want %d saying to narrow the filter:\n%s", path, resp.StatusCode, statusTooSlow, page)
		}
	}
	for _, path := range []string{"/staff/api/replies?q=x", "/staff/api/stats", "/staff/export.csv"} {
		resp, b := f.get(t, c, path)
		var got map[string]string
		json.Unmarshal([]byte(b), &got)
		if resp.StatusCode != statusTooSlow || got["code"] != codeTooSlow || !strings.Contains(got["error"], "narrow the filter") {
			t.Errorf("%s: status %d %s, want %d with code %s", path, resp.StatusCode, b, statusTooSlow, codeTooSlow)
		}
	}
}

// TestShortSearchSaysItsWindow: the list and the API say when a search is
// too short to read the whole log, and how far back it read.
func TestShortSearchSaysItsWindow(t *testing.T) {
	f := newFixture(t, Config{})
	c := f.signedIn(t)
	_, page := f.get(t, c, "/staff/?q=iv")
	if !strings.Contains(page, `id="search-window"`) || !strings.Contains(page, fmt.Sprintf("newest %d replies", transcript.DefaultShortSearchReplies)) {
		t.Errorf("a two-character search does not say what it read:\n%s", page)
	}
	if _, page := f.get(t, c, "/staff/?q=ivy"); strings.Contains(page, `id="search-window"`) {
		t.Error("a three-character search says it read a window")
	}
	for query, want := range map[string]bool{"q=i": true, "q=ivy": false, "": false} {
		_, b := f.get(t, c, "/staff/api/replies?"+query)
		var got struct {
			Replies []transcript.ReplyRow
			Window  *transcript.SearchWindow `json:"search_window"`
		}
		if err := json.Unmarshal([]byte(b), &got); err != nil {
			t.Fatal(err)
		}
		if (got.Window != nil) != want || (want && (got.Window.Replies != transcript.DefaultShortSearchReplies || got.Window.Since.IsZero())) {
			t.Errorf("%q: search_window %+v, want one: %v", query, got.Window, want)
		}
	}
}
