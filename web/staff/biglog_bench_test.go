package staff

import (
	"bytes"
	"context"
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
	reqs := append(consoleRequests,
		struct{ name, path string }{"conversation", "/staff/conversations/" + rows[0].ConversationID},
		struct{ name, path string }{"api-conversation", "/staff/api/conversations/" + rows[0].ConversationID})
	for _, r := range reqs {
		b.Run(r.name, func(b *testing.B) {
			var firstByte time.Duration
			var lines int
			for b.Loop() {
				w := get(b, r.path)
				firstByte += w.first
				lines += bytes.Count(w.Body.Bytes(), []byte("\n"))
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
