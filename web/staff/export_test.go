package staff

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellchat/cellchat/transcript"
)

// gatedStore holds an export's second page until the test has read the
// first: an export that waited for every page before sending would never
// send the first.
type gatedStore struct {
	*transcript.Store
	calls atomic.Int32
	gate  chan struct{}
}

func (g *gatedStore) ListReplies(ctx context.Context, f transcript.Filter) ([]transcript.ReplyRow, error) {
	if g.calls.Add(1) == 2 {
		select {
		case <-g.gate:
		case <-time.After(30 * time.Second):
			return nil, errors.New("the first page was not received before the second was read")
		}
	}
	return g.Store.ListReplies(ctx, f)
}

// TestExportStreams: an export sends its first page before reading the
// next, walks the whole filtered list once in order, and stops at the
// export limit.
func TestExportStreams(t *testing.T) {
	const n = 2*exportPage + 234
	base := newFixture(t, Config{})
	ctx := context.Background()
	for i := range n {
		r := transcript.Record{AnswerID: fmt.Sprintf("exp-%d", i), ConversationID: fmt.Sprintf("exp-c%d", i/3),
			Time: time.Now().Add(-time.Duration(i%23) * time.Minute)}
		r.Reply.Kind, r.Reply.Text = "answer", "a reply about graft"
		if err := base.store.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	all, err := base.store.ListReplies(ctx, transcript.Filter{Search: "graft", Limit: 10 * n})
	if err != nil || len(all) != n {
		t.Fatalf("list: %d rows, %v", len(all), err)
	}
	var want []string
	for _, r := range all {
		want = append(want, r.AnswerID)
	}
	for _, limit := range []int{0, exportPage + 7} {
		g := &gatedStore{Store: base.store, gate: make(chan struct{})}
		srv := httptest.NewServer(NewHandler(g, Config{ExportLimit: limit, Logger: slog.New(slog.DiscardHandler)}))
		f := &fixture{store: base.store, srv: srv, client: newClient()}
		c := f.signedIn(t)
		resp, err := c.Get(srv.URL + "/staff/export.jsonl?q=graft")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var row transcript.ReplyRow
			if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
				t.Fatalf("line %d %q: %v", len(got)+1, sc.Text(), err)
			}
			if got = append(got, row.AnswerID); len(got) == exportPage {
				close(g.gate) // the first page arrived while the second waited
			}
		}
		resp.Body.Close()
		srv.Close()
		wantN := n
		if limit > 0 {
			wantN = limit
		}
		if sc.Err() != nil || resp.StatusCode != http.StatusOK || !slices.Equal(got, want[:wantN]) {
			t.Fatalf("limit %d: status %d, %d rows (%v), want the list's first %d in order", limit, resp.StatusCode, len(got), sc.Err(), wantN)
		}
		log, _ := base.store.AuditLog(ctx, 1)
		if len(log) != 1 || log[0].Action != "export" || log[0].Detail != fmt.Sprintf("jsonl, %d rows, filter %q", wantN, "q=graft") {
			t.Errorf("limit %d: audit %+v", limit, log)
		}
	}
}
