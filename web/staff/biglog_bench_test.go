package staff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cellchat/cellchat/transcript"
)

// bigLogEnv names a data directory whose transcript log was filled with
// `cellchat loadtest --fill N --data DIR`, or a database filled with
// `cellchat loadtest --fill N --db URL` (postgres://... or sqlite:PATH):
// BenchmarkConsoleBigLog times every console page and API call on it. The
// log gains a staff account and audit rows.
const bigLogEnv = "CELLCHAT_BIG_LOG"

// consoleRequests are the console's pages and API calls, with the filters
// that each need an index or a roll-up of their own.
var consoleRequests = []struct{ name, path string }{
	{"list", "/staff/"},
	{"list-page-50", "/staff/?page=50"},
	{"search-match", "/staff/?q=CAR-T"},
	{"search-nomatch", "/staff/?q=zzzznotfound"},
	{"search-short", "/staff/?q=zz"}, // two characters: no trigram, the newest replies read
	{"search-short-match", "/staff/?q=iv"},
	{"api-replies-short", "/staff/api/replies?q=zz"},
	{"kind", "/staff/?kind=emergency"},
	{"emergency-feedback-up", "/staff/?emergency=1&feedback=up"},
	{"feedback-down", "/staff/?feedback=down"},
	{"feedback-comment", "/staff/?feedback=comment"},
	{"feedback-none", "/staff/?feedback=none"},
	{"review-wrong", "/staff/?review=wrong"},
	{"review-none", "/staff/?review=none"},
	{"low-confidence", "/staff/?low=1"},
	{"low-referral-down", "/staff/?low=1&kind=referral&feedback=down"},
	{"rare-combination", "/staff/?kind=emergency&feedback=comment&review=wrong"},
	{"export-jsonl-month", "/staff/export.jsonl?from=" + time.Now().UTC().AddDate(0, -1, 0).Format("2006-01-02")},
	{"export-csv-month", "/staff/export.csv?from=" + time.Now().UTC().AddDate(0, -1, 0).Format("2006-01-02")},
	{"export-jsonl-down", "/staff/export.jsonl?feedback=down"},
	{"dates", "/staff/?from=" + time.Now().UTC().AddDate(0, -2, 0).Format("2006-01-02") + "&to=" + time.Now().UTC().AddDate(0, -1, 0).Format("2006-01-02")},
	{"dates-search", "/staff/?q=fever&from=" + time.Now().UTC().AddDate(0, -2, 0).Format("2006-01-02")},
	{"dashboard", "/staff/dashboard"},
	{"dashboard-10y", "/staff/dashboard?days=3660"},
	{"api-stats", "/staff/api/stats"},
	{"api-stats-10y", "/staff/api/stats?days=3660"},
	{"api-replies-search", "/staff/api/replies?q=graft"},
	{"api-replies-feedback", "/staff/api/replies?feedback=down"},
	{"audit", "/staff/audit"},
	{"api-audit", "/staff/api/audit"},
	{"signin-page", "/staff/signin"},
	{"localtime-js", "/staff/localtime.js"},
}

// bigLogLongConversation is the conversation of longConversationTurns
// turns BenchmarkConsoleBigLog records in the big log, once, and times the
// pages of: a load-test fill's conversations are a few turns each, and the
// conversation page must stay fast for the rare patient who keeps asking.
const bigLogLongConversation = "biglog-long-conversation"

// bigLogLongConversationSpan is how far before now the long conversation
// starts, a turn an hour from then: well inside a year's fill and ending
// weeks before now, so that the fill's newest reply, whose conversation
// the "conversation" entries read, stays the newest.
const bigLogLongConversationSpan = 120 * 24 * time.Hour

// recordLongConversation records bigLogLongConversation in s through
// Record, as patients' turns arrive, with a thumbs-down on every tenth
// turn; it finishes one an earlier run left part-way and leaves a whole
// one alone.
func recordLongConversation(ctx context.Context, b *testing.B, s transcript.Backend) {
	const conv = bigLogLongConversation
	next := 0
	p, err := s.ConversationPage(ctx, conv, transcript.TurnQuery{Limit: 1})
	switch {
	case errors.Is(err, transcript.ErrNotFound):
	case err != nil:
		b.Fatal(err)
	case len(p.Turns) == 1:
		if _, err := fmt.Sscanf(strings.TrimPrefix(p.Turns[0].AnswerID, conv+"-"), "%d", &next); err != nil {
			b.Fatalf("long conversation's newest turn %q: %v", p.Turns[0].AnswerID, err)
		}
		next++
	}
	if next >= longConversationTurns {
		return
	}
	b.Logf("recording %d turns of %s", longConversationTurns-next, conv)
	start := time.Now().Add(-bigLogLongConversationSpan)
	for i := next; i < longConversationTurns; i++ {
		if err := s.Record(ctx, longConversationRecord(conv, i, start.Add(time.Duration(i)*time.Hour))); err != nil {
			b.Fatal(err)
		}
		if i%10 == 0 {
			if err := s.RecordFeedback(ctx, conv, transcript.Feedback{AnswerID: fmt.Sprintf("%s-%05d", conv, i), Rating: "down", Comment: "unclear"}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkConsoleBigLog(b *testing.B) {
	dir := os.Getenv(bigLogEnv)
	if dir == "" {
		b.Skip(bigLogEnv + " is not set: fill a log with `cellchat loadtest --fill 2000000 --data DIR` and set it to DIR")
	}
	ctx := context.Background()
	var s transcript.Backend
	var err error
	if transcript.NamesDatabase(dir) {
		s, err = transcript.OpenDB(ctx, dir, transcript.Options{})
	} else {
		s, err = transcript.Open(ctx, transcript.PathIn(dir), transcript.Options{})
	}
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.AddStaff(ctx, testEmail, testPassword); err != nil {
		b.Log("staff add:", err) // there already from an earlier run
	}
	sess, err := s.CreateSession(ctx, testEmail, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	h := NewHandler(s, Config{Logger: slog.New(slog.DiscardHandler)})
	get := func(b *testing.B, path string) *firstByteRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: sess.Token})
		w := &firstByteRecorder{ResponseRecorder: httptest.NewRecorder(), start: time.Now()}
		h.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK:
		case statusTooSlow: // a search too short for the text index, stopped at the time limit
			b.Logf("%s: stopped at the statement time limit (%d)", path, w.Code)
		default:
			b.Fatalf("%s: %d %.300s", path, w.Code, w.Body.String())
		}
		return w
	}
	rows, err := s.ListReplies(ctx, transcript.Filter{Limit: 1})
	if err != nil || len(rows) == 0 {
		b.Fatal("no replies in the log", err)
	}
	recordLongConversation(ctx, b, s)
	long := "/conversations/" + bigLogLongConversation
	older := fmt.Sprintf("?before=%s-%05d", bigLogLongConversation, longConversationTurns-conversationPageSize) // the newest page's oldest turn
	reqs := append(consoleRequests,
		struct{ name, path string }{"conversation", "/staff/conversations/" + rows[0].ConversationID},
		struct{ name, path string }{"api-conversation", "/staff/api/conversations/" + rows[0].ConversationID},
		struct{ name, path string }{"conversation-long", "/staff" + long},
		struct{ name, path string }{"conversation-long-older", "/staff" + long + older},
		struct{ name, path string }{"conversation-long-answer", "/staff" + long + "?answer=" + bigLogLongConversation + "-00000"},
		struct{ name, path string }{"api-conversation-long", "/staff/api" + long},
		struct{ name, path string }{"api-conversation-long-older", "/staff/api" + long + older})
	for _, r := range reqs {
		b.Run(r.name, func(b *testing.B) {
			var firstByte time.Duration
			var lines, size int
			for b.Loop() {
				w := get(b, r.path)
				firstByte += w.first
				lines += bytes.Count(w.Body.Bytes(), []byte("\n"))
				size = w.Body.Len()
			}
			if strings.Contains(r.path, "/conversations/") { // a page of turns, not the whole conversation
				b.ReportMetric(float64(size)/1e3, "kB/op")
			}
			if strings.Contains(r.path, "/export.") { // a download: how soon it starts
				b.ReportMetric(float64(firstByte.Microseconds())/1e3/float64(b.N), "ms-first-byte")
			}
			if strings.Contains(r.path, "/export.jsonl") { // and how fast it runs: a line a row
				b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(float64(lines)/float64(b.N), "rows/op")
			}
		})
	}
}

// firstByteRecorder notes how long a response took to start.
type firstByteRecorder struct {
	*httptest.ResponseRecorder
	start time.Time
	first time.Duration
}

func (w *firstByteRecorder) Write(p []byte) (int, error) {
	if w.first == 0 {
		w.first = time.Since(w.start)
	}
	return w.ResponseRecorder.Write(p)
}

func (w *firstByteRecorder) Flush() {}
