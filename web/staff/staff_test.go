package staff

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/transcript"
)

const (
	testEmail    = "nurse@clinic.org"
	testPassword = "correct horse battery"
	xssQuestion  = `<script>alert(1)</script> is <b>CAR-T</b> safe?`
)

// seed fills a store with a few conversations covering every filter.
func seed(t testing.TB, s *transcript.Store) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	rec := func(conv, id string, ago time.Duration, kind chat.Kind, q, text string, conf float64) {
		r := transcript.Record{AnswerID: id, ConversationID: conv, Time: now.Add(-ago), Question: q, Latency: 2 * time.Millisecond,
			Reply: chat.Reply{Kind: kind, Text: text, Disclaimer: "Talk to your care team.", Mode: "extractive", Confidence: conf,
				CorpusVersion: "cv1"}}
		if kind == chat.KindAnswer {
			r.Reply.Citations = []chat.Citation{{N: 1, DocID: "asgct-basics", Title: "Cell therapy basics", URL: "https://example.org/basics",
				Section: "What is CAR-T?", ChunkID: "asgct-basics-3f2a", Passage: "CAR-T cell therapy changes a patient's own T cells to fight cancer."}}
			r.Reply.Retrieved = []chat.Retrieved{{ChunkID: "asgct-basics-3f2a", DocID: "asgct-basics", Section: "What is CAR-T?",
				Text: "CAR-T cell therapy changes a patient's own T cells to fight cancer.", Score: 0.83, Lexical: 9.2, Vector: 0.61}}
		}
		if err := s.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	rec("conv-a", "ans-1", 3*24*time.Hour, chat.KindAnswer, "What is CAR-T therapy?", "CAR-T changes your own T cells to fight cancer [1].", 0.83)
	rec("conv-a", "ans-2", 3*24*time.Hour, // same instant: one UTC day, order by insertion
		chat.KindNoAnswer, "How much does it cost?", "I can't answer that from my sources.", 0.12)
	rec("conv-b", "ans-3", 24*time.Hour, chat.KindEmergency, "I have a fever of 40 and confusion after CAR-T", "Call 911 now.", 0)
	rec("conv-c", "ans-4", time.Hour, chat.KindAnswer, xssQuestion, "=HYPERLINK(\"x\") CAR-T is a treatment [1].", 0.55)
	if err := s.RecordFeedback(ctx, "conv-a", transcript.Feedback{AnswerID: "ans-1", Rating: "up"}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFeedback(ctx, "conv-a", transcript.Feedback{AnswerID: "ans-2", Rating: "down", Comment: "<img src=x onerror=alert(2)> useless"}); err != nil {
		t.Fatal(err)
	}
}

type fixture struct {
	store  *transcript.Store
	srv    *httptest.Server
	client *http.Client
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	s, err := transcript.Open(context.Background(), filepath.Join(t.TempDir(), transcript.FileName), transcript.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.AddStaff(context.Background(), testEmail, testPassword); err != nil {
		t.Fatal(err)
	}
	seed(t, s)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	srv := httptest.NewServer(NewHandler(s, cfg))
	t.Cleanup(srv.Close)
	return &fixture{store: s, srv: srv, client: newClient()}
}

func newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

func body(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (f *fixture) get(t testing.TB, c *http.Client, path string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body(t, resp)
}

func (f *fixture) post(t testing.TB, c *http.Client, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(f.srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body(t, resp)
}

// signIn signs c in through the form and returns the response to the POST.
func (f *fixture) signIn(t testing.TB, c *http.Client, email, password string) *http.Response {
	t.Helper()
	_, page := f.get(t, c, "/staff/signin")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("sign-in page has no csrf field:\n%s", page)
	}
	resp, _ := f.post(t, c, "/staff/signin", url.Values{"email": {email}, "password": {password}, "csrf": {m[1]}})
	return resp
}

// csrf returns the session's CSRF token from a console page.
func (f *fixture) csrf(t testing.TB, c *http.Client) string {
	t.Helper()
	_, page := f.get(t, c, "/staff/")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf token on the console page:\n%s", page)
	}
	return m[1]
}

func (f *fixture) signedIn(t testing.TB) *http.Client {
	t.Helper()
	c := newClient()
	if resp := f.signIn(t, c, testEmail, testPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: status %d", resp.StatusCode)
	}
	return c
}

// routes lists every console route with how it must refuse a request without a session.
var routes = []struct {
	method, path string
	api          bool
}{
	{"GET", "/staff/", false},
	{"GET", "/staff/?kind=answer&q=car", false},
	{"GET", "/staff/conversations/conv-a", false},
	{"GET", "/staff/conversations/nope", false},
	{"POST", "/staff/replies/ans-1/review", false},
	{"POST", "/staff/signout", false},
	{"GET", "/staff/dashboard", false},
	{"GET", "/staff/audit", false},
	{"GET", "/staff/sources", false},
	{"GET", "/staff/localtime.js", false},
	{"POST", "/staff/sources/reload", false},
	{"GET", "/staff/library", false},
	{"GET", "/staff/library/new?conversation=conv-a&answer=ans-1", false},
	{"GET", "/staff/library/nothing", false},
	{"POST", "/staff/library", false},
	{"POST", "/staff/library/search", false},
	{"POST", "/staff/library/1", false},
	{"POST", "/staff/library/1/status", false},
	{"GET", "/staff/unknown/page", false},
	{"GET", "/staff/export.csv", true},
	{"GET", "/staff/export.jsonl?kind=answer", true},
	{"GET", "/staff/api/replies", true},
	{"GET", "/staff/api/conversations/conv-a", true},
	{"GET", "/staff/api/stats", true},
	{"GET", "/staff/api/nothing", true},
}

func TestNoSessionIsRefusedEverywhere(t *testing.T) {
	f := newFixture(t, Config{})
	expired, err := f.store.CreateSession(context.Background(), testEmail, -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, cookie := range []struct{ name, value string }{{"no cookie", ""}, {"made-up cookie", "forged-token"}, {"expired session", expired.Token}} {
		for _, rt := range routes {
			t.Run(cookie.name+" "+rt.method+" "+rt.path, func(t *testing.T) {
				req, _ := http.NewRequest(rt.method, f.srv.URL+rt.path, strings.NewReader("status=approved&csrf="+expired.CSRF))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if cookie.value != "" {
					req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie.value})
				}
				resp, err := newClient().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b := body(t, resp)
				if rt.api {
					if resp.StatusCode != http.StatusUnauthorized {
						t.Errorf("status %d, want 401", resp.StatusCode)
					}
				} else if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/staff/signin") {
					t.Errorf("status %d Location %q, want 303 to the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
				}
				if strings.Contains(b, "CAR-T") || strings.Contains(b, "fight cancer") || strings.Contains(b, "How much") {
					t.Errorf("log data leaked without a session: %s", b)
				}
			})
		}
	}
	rv, _ := f.store.Reviews(context.Background(), "ans-1")
	if len(rv) != 0 {
		t.Errorf("a review was saved without a session: %+v", rv)
	}
	// The sign-in page itself is public.
	if resp, _ := f.get(t, newClient(), "/staff/signin"); resp.StatusCode != http.StatusOK {
		t.Errorf("sign-in page: %d", resp.StatusCode)
	}
	// After signing in, every GET route answers.
	c := f.signedIn(t)
	for _, rt := range routes {
		if rt.method != "GET" {
			continue
		}
		resp, _ := f.get(t, c, rt.path)
		want := http.StatusOK
		if strings.Contains(rt.path, "nope") || strings.Contains(rt.path, "unknown") || strings.Contains(rt.path, "nothing") {
			want = http.StatusNotFound
		}
		if resp.StatusCode != want {
			t.Errorf("signed in: GET %s = %d, want %d", rt.path, resp.StatusCode, want)
		}
	}
}

func TestSignInAndOut(t *testing.T) {
	f := newFixture(t, Config{SessionTTL: time.Hour})
	c := newClient()
	resp := f.signIn(t, c, testEmail, "wrong password here")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: status %d, want 401", resp.StatusCode)
	}
	u, _ := url.Parse(f.srv.URL + "/staff/")
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			t.Error("wrong password set a session cookie")
		}
	}
	if r, _ := f.get(t, c, "/staff/"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("after a failed sign-in the console answers %d", r.StatusCode)
	}

	resp = f.signIn(t, c, "NURSE@clinic.org ", testPassword)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/staff/" {
		t.Fatalf("sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/staff" || session.Secure {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/staff, not Secure over plain HTTP", session)
	}
	if session != nil && (session.MaxAge <= 0 || session.MaxAge > 3600) {
		t.Errorf("session cookie MaxAge %d, want the session TTL", session.MaxAge)
	}
	r, page := f.get(t, c, "/staff/")
	if r.StatusCode != http.StatusOK || !strings.Contains(page, testEmail) {
		t.Fatalf("console after sign-in: %d", r.StatusCode)
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("security headers: CSP %q, Cache-Control %q", csp, r.Header.Get("Cache-Control"))
	}
	token := f.csrf(t, c)

	// Sign-out needs the CSRF token too.
	if r, _ := f.post(t, c, "/staff/signout", url.Values{"csrf": {"nope"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out with a bad token: %d, want 403", r.StatusCode)
	}
	if r, _ := f.post(t, c, "/staff/signout", url.Values{"csrf": {token}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-out: %d", r.StatusCode)
	}
	if r, _ := f.get(t, c, "/staff/"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out the console answers %d", r.StatusCode)
	}
	// The old cookie is dead on the server too, not just cleared in this browser.
	req, _ := http.NewRequest("GET", f.srv.URL+"/staff/api/replies", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session.Value})
	if r, err := newClient().Do(req); err != nil || r.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed-out session token still works: %v %v", r.StatusCode, err)
	}

	log, _ := f.store.AuditLog(context.Background(), 10)
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); got != "sign_out,list_replies,list_replies,sign_in,sign_in_failed" {
		t.Errorf("audit actions (newest first) = %s", got)
	}
}

func TestSignInRedirectsOnlyWithinConsole(t *testing.T) {
	tests := []struct{ next, want string }{
		{"/staff/conversations/x?y=1", "/staff/conversations/x?y=1"},
		{"https://evil.example/", "/staff/"},
		{"//evil.example/staff/", "/staff/"},
		{"/staff//evil.example", "/staff/"},
		{"/other", "/staff/"},
		{"", "/staff/"},
	}
	for _, tt := range tests {
		if got := safeNext(tt.next); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.next, got, tt.want)
		}
	}
	// A page asked for before signing in is where sign-in lands.
	f := newFixture(t, Config{})
	c := newClient()
	r, _ := f.get(t, c, "/staff/conversations/conv-a")
	loc := r.Header.Get("Location")
	_, page := f.get(t, c, loc)
	m := csrfRE.FindStringSubmatch(page)
	nextRE := regexp.MustCompile(`name="next" value="([^"]*)"`).FindStringSubmatch(page)
	if m == nil || nextRE == nil {
		t.Fatalf("sign-in page fields missing: %s", page)
	}
	r, _ = f.post(t, c, "/staff/signin", url.Values{"email": {testEmail}, "password": {testPassword}, "csrf": {m[1]}, "next": {nextRE[1]}})
	if r.Header.Get("Location") != "/staff/conversations/conv-a" {
		t.Errorf("landed on %q", r.Header.Get("Location"))
	}
}

func TestSignInNeedsItsFormToken(t *testing.T) {
	f := newFixture(t, Config{})
	c := newClient()
	f.get(t, c, "/staff/signin") // sets the login cookie
	for _, token := range []string{"", "forged"} {
		r, _ := f.post(t, c, "/staff/signin", url.Values{"email": {testEmail}, "password": {testPassword}, "csrf": {token}})
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("sign-in with form token %q: %d, want 403", token, r.StatusCode)
		}
	}
	// Without the cookie (a cross-site form post) the echoed token is worthless.
	_, page := f.get(t, newClient(), "/staff/signin")
	token := csrfRE.FindStringSubmatch(page)[1]
	if r, _ := f.post(t, newClient(), "/staff/signin", url.Values{"email": {testEmail}, "password": {testPassword}, "csrf": {token}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without the login cookie: %d, want 403", r.StatusCode)
	}
}

func TestSecureCookieOverTLS(t *testing.T) {
	f := newFixture(t, Config{})
	h := NewHandler(f.store, Config{})
	get := httptest.NewRequest("GET", "https://console.example/staff/signin", nil)
	get.TLS = &tls.ConnectionState{}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, get)
	login := w.Result().Cookies()[0]
	token := csrfRE.FindStringSubmatch(w.Body.String())[1]
	post := httptest.NewRequest("POST", "https://console.example/staff/signin",
		strings.NewReader(url.Values{"email": {testEmail}, "password": {testPassword}, "csrf": {token}}.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post.AddCookie(login)
	post.TLS = &tls.ConnectionState{}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, post)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign-in over TLS: %d", w.Code)
	}
	for _, ck := range append(w.Result().Cookies(), login) {
		if !ck.Secure {
			t.Errorf("cookie %s not Secure over TLS", ck.Name)
		}
	}
}

func TestSecureCookiesBehindProxy(t *testing.T) {
	f := newFixture(t, Config{})
	for _, secure := range []bool{false, true} {
		h := NewHandler(f.store, Config{SecureCookies: secure})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "http://console.example/staff/signin", nil))
		if got := w.Result().Cookies()[0].Secure; got != secure {
			t.Errorf("SecureCookies %v: cookie Secure = %v", secure, got)
		}
	}
}

func TestLockout(t *testing.T) {
	f := newFixture(t, Config{MaxFailures: 3, MaxFailuresPerIP: 6, Lockout: time.Hour})
	if err := f.store.AddStaff(context.Background(), "doc@clinic.org", "another fine password"); err != nil {
		t.Fatal(err)
	}
	c := newClient()
	for i := range 3 {
		if r := f.signIn(t, c, testEmail, fmt.Sprintf("wrong password %d", i)); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, r.StatusCode)
		}
	}
	// Locked: even the right password is refused now.
	r := f.signIn(t, c, testEmail, testPassword)
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Errorf("after 3 failures: %d (Retry-After %q), want 429", r.StatusCode, r.Header.Get("Retry-After"))
	}
	// Another account from the same address still works until the address's own limit.
	if r := f.signIn(t, newClient(), "doc@clinic.org", "another fine password"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("other account: %d", r.StatusCode)
	}
	for i := range 3 {
		f.signIn(t, c, fmt.Sprintf("guess%d@clinic.org", i), "whatever password")
	}
	if r := f.signIn(t, newClient(), "doc@clinic.org", "another fine password"); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("after 6 failures from one address: %d, want 429", r.StatusCode)
	}
	log, _ := f.store.AuditLog(context.Background(), 100)
	locked := 0
	for _, e := range log {
		if e.Action == "sign_in_locked" {
			locked++
		}
	}
	if locked != 2 {
		t.Errorf("%d sign_in_locked audit rows, want 2", locked)
	}
}

func TestClientIP(t *testing.T) {
	r := httptest.NewRequest("POST", "/staff/signin", nil)
	r.RemoteAddr = "10.0.0.1:5555"
	r.Header.Add("X-Forwarded-For", "6.6.6.6, 1.2.3.4")
	if got := clientIP(r, ""); got != "10.0.0.1" {
		t.Errorf("no header configured: %q", got)
	}
	if got := clientIP(r, "X-Forwarded-For"); got != "1.2.3.4" {
		t.Errorf("behind a proxy: %q, want the entry the proxy added", got)
	}
}

func TestFailureLimiterExpires(t *testing.T) {
	eachLimiter(t, 2, 10, time.Minute, testFailureLimiterExpires)
}

func testFailureLimiterExpires(t *testing.T, l *failureLimiter) {
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	l.reserve(ctx, "a", "ip1", t0)
	if _, w, _ := l.reserve(ctx, "a", "ip1", t0.Add(time.Second)); w != 0 {
		t.Error("blocked after one failure")
	}
	_, w, _ := l.reserve(ctx, "a", "ip1", t0.Add(2*time.Second))
	if w <= 0 || w > time.Minute {
		t.Errorf("after two failures: wait %v", w)
	}
	res, w, _ := l.reserve(ctx, "a", "ip1", t0.Add(62*time.Second))
	if w != 0 {
		t.Error("still blocked after the lockout")
	}
	if err := l.succeed(ctx, res); err != nil {
		t.Fatal(err)
	}
	if _, w, _ := l.reserve(ctx, "a", "ip1", t0.Add(63*time.Second)); w != 0 {
		t.Error("blocked after success")
	}
}

func TestReviewNeedsCSRF(t *testing.T) {
	f := newFixture(t, Config{})
	c := f.signedIn(t)
	token := f.csrf(t, c)
	form := func(tok string) url.Values {
		return url.Values{"csrf": {tok}, "status": {"needs_correction"}, "note": {"cite the FDA page"},
			"corrected": {"CAR-T uses your own cells."}, "conversation": {"conv-a"}}
	}
	for _, tok := range []string{"", "forged", token + "x"} {
		if r, _ := f.post(t, c, "/staff/replies/ans-1/review", form(tok)); r.StatusCode != http.StatusForbidden {
			t.Errorf("review with token %q: %d, want 403", tok, r.StatusCode)
		}
	}
	// A session's token does not work with another session.
	other := f.signedIn(t)
	if r, _ := f.post(t, other, "/staff/replies/ans-1/review", form(token)); r.StatusCode != http.StatusForbidden {
		t.Errorf("another session's token: %d, want 403", r.StatusCode)
	}
	if rv, _ := f.store.Reviews(context.Background(), "ans-1"); len(rv) != 0 {
		t.Fatalf("reviews saved without a valid token: %+v", rv)
	}
	r, _ := f.post(t, c, "/staff/replies/ans-1/review", form(token))
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/staff/conversations/conv-a") {
		t.Fatalf("review: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	f.post(t, c, "/staff/replies/ans-1/review", url.Values{"csrf": {token}, "status": {"approved"}, "conversation": {"conv-a"}})
	rv, _ := f.store.Reviews(context.Background(), "ans-1")
	if len(rv) != 2 || rv[0].Status != "needs_correction" || rv[0].Reviewer != testEmail || rv[0].Corrected != "CAR-T uses your own cells." || rv[1].Status != "approved" {
		t.Errorf("reviews: %+v", rv)
	}
	_, page := f.get(t, c, "/staff/conversations/conv-a")
	if !strings.Contains(page, "cite the FDA page") || !strings.Contains(page, "status-needs_correction") || !strings.Contains(page, "status-approved") {
		t.Error("conversation page does not show the review history")
	}
	for _, bad := range []url.Values{
		{"csrf": {token}, "status": {"great"}},
		{"csrf": {token}, "status": {"approved' OR 1=1 --"}},
	} {
		if r, _ := f.post(t, c, "/staff/replies/ans-1/review", bad); r.StatusCode != http.StatusBadRequest {
			t.Errorf("review %v: %d, want 400", bad, r.StatusCode)
		}
	}
	if r, _ := f.post(t, c, "/staff/replies/nope/review", url.Values{"csrf": {token}, "status": {"approved"}}); r.StatusCode != http.StatusNotFound {
		t.Errorf("review of an unknown answer: %d, want 404", r.StatusCode)
	}
	log, _ := f.store.AuditLog(context.Background(), 10)
	var reviewed bool
	for _, e := range log {
		reviewed = reviewed || e.Action == "review" && e.Actor == testEmail && strings.Contains(e.Detail, "ans-1")
	}
	if !reviewed {
		t.Errorf("no review in the audit log: %+v", log)
	}
}

// apiIDs lists the answer ids the JSON API returns for a query.
func (f *fixture) apiIDs(t *testing.T, c *http.Client, query string) (int, []string) {
	t.Helper()
	r, b := f.get(t, c, "/staff/api/replies?"+query)
	var got struct{ Replies []transcript.ReplyRow }
	json.Unmarshal([]byte(b), &got)
	var ids []string
	for _, row := range got.Replies {
		ids = append(ids, row.AnswerID)
	}
	return r.StatusCode, ids
}

func TestFilters(t *testing.T) {
	f := newFixture(t, Config{})
	c := f.signedIn(t)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
	twoDaysAgo := time.Now().UTC().AddDate(0, 0, -2).Format("2006-01-02")
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"ans-4", "ans-3", "ans-2", "ans-1"}},
		{"kind=answer", []string{"ans-4", "ans-1"}},
		{"emergency=1", []string{"ans-3"}},
		{"feedback=up", []string{"ans-1"}},
		{"feedback=down", []string{"ans-2"}},
		{"feedback=comment", []string{"ans-2"}},
		{"review=none", []string{"ans-4", "ans-3", "ans-2", "ans-1"}},
		{"q=fever", []string{"ans-3"}},
		{"q=" + url.QueryEscape("<script>"), []string{"ans-4"}},
		{"low=1", []string{"ans-4", "ans-2"}},
		{"from=" + twoDaysAgo, []string{"ans-4", "ans-3"}},
		{"from=" + tomorrow, nil},
		{"to=" + twoDaysAgo, []string{"ans-2", "ans-1"}},
		{"kind=answer&low=1", []string{"ans-4"}},
		// SQL metacharacters change nothing: they are searched for literally.
		{"q=" + url.QueryEscape("' OR 1=1 --"), nil},
		{"q=" + url.QueryEscape("\"; DROP TABLE turns; --"), nil},
		{"q=%25", nil},
		{"q=_", nil},
	}
	if err := f.store.Record(context.Background(), transcript.Record{AnswerID: "ans-5", ConversationID: "conv-d",
		Time: time.Now().UTC().AddDate(0, 0, -400), Question: "old", Reply: chat.Reply{Kind: chat.KindGreeting}}); err != nil {
		t.Fatal(err)
	}
	tests[0].want = append(tests[0].want, "ans-5")
	tests[6].want = append(tests[6].want, "ans-5")
	tests[12].want = append(tests[12].want, "ans-5")
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			status, ids := f.apiIDs(t, c, tt.query)
			if status != http.StatusOK || fmt.Sprint(ids) != fmt.Sprint(tt.want) {
				t.Errorf("%d %v, want %v", status, ids, tt.want)
			}
			// The page shows the same rows.
			_, page := f.get(t, c, "/staff/?"+tt.query)
			if n := strings.Count(page, `<tr class="row"`); n != len(tt.want) {
				t.Errorf("page shows %d rows, want %d", n, len(tt.want))
			}
		})
	}
	for _, q := range []string{"kind=" + url.QueryEscape("answer' OR '1'='1"), "feedback=sideways", "review=" + url.QueryEscape("x' --"), "from=yesterday", "page=-1"} {
		if status, _ := f.apiIDs(t, c, q); status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, status)
		}
		if r, _ := f.get(t, c, "/staff/?"+q); r.StatusCode != http.StatusBadRequest {
			t.Errorf("page %s: %d, want 400", q, r.StatusCode)
		}
	}
	// The export links carry the filter.
	_, page := f.get(t, c, "/staff/?kind=answer&q="+url.QueryEscape("a&b=c"))
	if !strings.Contains(page, `href="/staff/export.csv?kind=answer&amp;q=a%26b%3Dc"`) {
		t.Errorf("export link does not carry the filter:\n%s", regexp.MustCompile(`href="/staff/export[^"]*"`).FindString(page))
	}
	// Still all there.
	if _, ids := f.apiIDs(t, c, ""); len(ids) != 5 {
		t.Errorf("after hostile filters: %d replies", len(ids))
	}
}

func TestMarkupShownAsText(t *testing.T) {
	f := newFixture(t, Config{})
	c := f.signedIn(t)
	if err := f.store.Record(context.Background(), transcript.Record{AnswerID: "ans-js", ConversationID: "conv-js", Question: "hi",
		Reply: chat.Reply{Kind: chat.KindAnswer, Text: "see [1]", Citations: []chat.Citation{{N: 1, Title: "<i>t</i>", URL: "javascript:alert(3)", Passage: "</blockquote><script>alert(4)</script>"}}}}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/staff/", "/staff/conversations/conv-c", "/staff/conversations/conv-a", "/staff/conversations/conv-js"} {
		_, page := f.get(t, c, path)
		for _, raw := range []string{"<script>alert", "<b>CAR-T</b>", "<img src=x", "javascript:alert", "<i>t</i>"} {
			if strings.Contains(page, raw) {
				t.Errorf("%s contains raw markup %q", path, raw)
			}
		}
	}
	_, page := f.get(t, c, "/staff/conversations/conv-c")
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt; is &lt;b&gt;CAR-T&lt;/b&gt; safe?") {
		t.Error("the question is not shown escaped, as text")
	}
	_, page = f.get(t, c, "/staff/conversations/conv-a")
	if !strings.Contains(page, "&lt;img src=x onerror=alert(2)&gt; useless") {
		t.Error("the feedback comment is not shown escaped")
	}
}

func TestConversationPage(t *testing.T) {
	f := newFixture(t, Config{})
	c := f.signedIn(t)
	_, page := f.get(t, c, "/staff/conversations/conv-a")
	for _, want := range []string{
		"What is CAR-T therapy?", "How much does it cost?", // both turns, in order
		`href="https://example.org/basics"`, "Cell therapy basics", "CAR-T cell therapy changes a patient&#39;s own T cells to fight cancer.",
		"asgct-basics-3f2a", "0.830", "9.200", "0.610", // retrieved with scores
		"thumbs up", "useless", "extractive", "cv1", `id="a-ans-1"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("conversation page lacks %q", want)
		}
	}
	if strings.Index(page, "What is CAR-T therapy?") > strings.Index(page, "How much does it cost?") {
		t.Error("turns not oldest first")
	}
	r, b := f.get(t, c, "/staff/api/conversations/conv-a")
	var got struct{ Turns []transcript.TurnDetail }
	if err := json.Unmarshal([]byte(b), &got); err != nil || r.StatusCode != 200 || len(got.Turns) != 2 || got.Turns[0].Reply.Citations[0].Passage == "" {
		t.Errorf("api conversation: %d %v %+v", r.StatusCode, err, got)
	}
	// Both reads are in the audit log: who saw which conversation.
	log, _ := f.store.AuditLog(context.Background(), 2)
	if len(log) != 2 || log[0].Action != "view_conversation" || log[1].Action != "view_conversation" || log[0].Actor != testEmail || log[0].Detail != "conv-a" {
		t.Errorf("audit after two reads: %+v", log)
	}
}

func TestExport(t *testing.T) {
	f := newFixture(t, Config{})
	c := f.signedIn(t)
	r, b := f.get(t, c, "/staff/export.csv?kind=answer")
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %q %q", r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
	}
	if !strings.HasPrefix(b, utf8BOM) {
		t.Errorf("csv does not start with a UTF-8 byte-order mark: %q", b[:min(len(b), 20)])
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b, utf8BOM))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || strings.Join(recs[0], ",") != strings.Join(csvHeader, ",") {
		t.Fatalf("csv rows: %v", recs)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	if recs[1][col["answer_id"]] != "ans-4" || recs[1][col["question"]] != xssQuestion || recs[2][col["feedback_up"]] != "1" {
		t.Errorf("csv content: %v", recs[1:])
	}
	if got := recs[1][col["reply"]]; !strings.HasPrefix(got, "'=HYPERLINK") {
		t.Errorf("formula not defused: %q", got)
	}

	r, b = f.get(t, c, "/staff/export.jsonl?feedback=down")
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/jsonl") {
		t.Fatalf("jsonl: %d %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(strings.NewReader(b))
	var rows []transcript.ReplyRow
	for sc.Scan() {
		var row transcript.ReplyRow
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("jsonl line %q: %v", sc.Text(), err)
		}
		rows = append(rows, row)
	}
	if len(rows) != 1 || rows[0].AnswerID != "ans-2" || rows[0].FeedbackDown != 1 || rows[0].Comments != 1 {
		t.Errorf("jsonl rows: %+v", rows)
	}
	log, _ := f.store.AuditLog(context.Background(), 2)
	if log[0].Action != "export" || !strings.Contains(log[0].Detail, "jsonl, 1 rows") || !strings.Contains(log[1].Detail, "csv, 2 rows") {
		t.Errorf("audit: %+v", log)
	}
}

func TestDashboard(t *testing.T) {
	f := newFixture(t, Config{})
	c := f.signedIn(t)
	r, page := f.get(t, c, "/staff/dashboard?days=7")
	if r.StatusCode != 200 {
		t.Fatalf("dashboard: %d", r.StatusCode)
	}
	for _, want := range []string{`id="t-replies">4<`, `id="t-noanswer">25.0%<`, `id="t-emergencies">1<`, `id="t-feedback">50% up<`, `id="t-backlog">4<`, "<svg", "<rect"} {
		if !strings.Contains(page, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if !strings.Contains(page, `id="rate-chart"`) || !strings.Contains(page, "% no-answer (1 of 2)") {
		t.Error("dashboard lacks the no-answer rate chart")
	}
	// One bar segment per (day, kind) with replies: 3 days ago answer+no_answer, 1 day ago emergency, today answer
	// (days are UTC calendar days, so an hour ago may be yesterday).
	if n := strings.Count(page, "<title>"); n < 3+3+2+3 {
		t.Errorf("%d chart titles", n)
	}
	var st transcript.Stats
	_, b := f.get(t, c, "/staff/api/stats?days=7")
	if err := json.Unmarshal([]byte(b), &st); err != nil || st.Replies != 4 || st.Emergencies != 1 {
		t.Errorf("api stats: %+v %v", st, err)
	}
	if r, _ := f.get(t, c, "/staff/dashboard?days=abc"); r.StatusCode != http.StatusBadRequest {
		t.Errorf("bad days: %d", r.StatusCode)
	}
}

// The low-confidence filter follows the running engine's no-answer
// threshold: ans-4 (0.55) is low under the default (0.5 + margin) but not
// when the engine declines below 0.3; ans-2 (0.12) is low under both.
func TestLowConfidenceFollowsEngineThreshold(t *testing.T) {
	for _, tt := range []struct {
		cfg   Config
		want  []string
		shown string
	}{
		{Config{}, []string{"ans-4", "ans-2"}, "&lt; 0.65"},
		{Config{MinConfidence: 0.3}, []string{"ans-2"}, "&lt; 0.45"},
		{Config{MinConfidence: -1}, []string{"ans-2"}, "&lt; 0.15"},
		{Config{MinConfidence: 0.3, LowConfidence: 0.6}, []string{"ans-4", "ans-2"}, "&lt; 0.60"},
	} {
		f := newFixture(t, tt.cfg)
		c := f.signedIn(t)
		if _, ids := f.apiIDs(t, c, "low=1"); fmt.Sprint(ids) != fmt.Sprint(tt.want) {
			t.Errorf("%+v: low=1 gives %v, want %v", tt.cfg, ids, tt.want)
		}
		if _, page := f.get(t, c, "/staff/"); !strings.Contains(page, "low confidence ("+tt.shown+")") {
			t.Errorf("%+v: the filter's label does not say %q", tt.cfg, tt.shown)
		}
	}
}

// TestExportCarriesReviewWork: both exports carry the newest review (who,
// note, when), the patients' comments and what the reply cited; CSV names
// the cited documents, JSONL gives them in full.
func TestExportCarriesReviewWork(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	if _, err := f.store.AddReview(ctx, transcript.Review{AnswerID: "ans-2", Reviewer: "first@clinic.org", Status: "wrong", Note: "old note"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Millisecond) // the newer review is later, not only later in id
	if _, err := f.store.AddReview(ctx, transcript.Review{AnswerID: "ans-2", Reviewer: testEmail, Status: "needs_correction",
		Note: "=say we don’t know the cost"}); err != nil {
		t.Fatal(err)
	}
	c := f.signedIn(t)

	_, b := f.get(t, c, "/staff/export.csv")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b, utf8BOM))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	byID := map[string][]string{}
	for _, r := range recs[1:] {
		byID[r[col["answer_id"]]] = r
	}
	a2, a1 := byID["ans-2"], byID["ans-1"]
	if a2 == nil || a1 == nil {
		t.Fatalf("csv rows: %v", recs)
	}
	if a2[col["reviewer"]] != testEmail || a2[col["review_note"]] != "'=say we don’t know the cost" || a2[col["review_status"]] != "needs_correction" {
		t.Errorf("ans-2 review columns: reviewer %q note %q status %q", a2[col["reviewer"]], a2[col["review_note"]], a2[col["review_status"]])
	}
	if when, err := time.Parse(time.RFC3339Nano, a2[col["review_time"]]); err != nil || time.Since(when) > time.Minute {
		t.Errorf("ans-2 review_time %q: %v", a2[col["review_time"]], err)
	}
	if got := a2[col["feedback_comment_texts"]]; got != "<img src=x onerror=alert(2)> useless" {
		t.Errorf("ans-2 comment text %q", got)
	}
	if a1[col["cited_documents"]] != "asgct-basics" || a1[col["reviewer"]] != "" || a1[col["review_time"]] != "" {
		t.Errorf("ans-1: cited %q reviewer %q review_time %q", a1[col["cited_documents"]], a1[col["reviewer"]], a1[col["review_time"]])
	}

	_, b = f.get(t, c, "/staff/export.jsonl")
	rows := map[string]transcript.ExportRow{}
	for _, line := range strings.Split(strings.TrimSpace(b), "\n") {
		var row transcript.ExportRow
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("jsonl line %q: %v", line, err)
		}
		rows[row.AnswerID] = row
	}
	r2, r1 := rows["ans-2"], rows["ans-1"]
	if r2.Reviewer != testEmail || r2.ReviewNote != "=say we don’t know the cost" || r2.ReviewTime == nil || r2.ReviewStatus != "needs_correction" ||
		len(r2.CommentTexts) != 1 || r2.Comments != 1 {
		t.Errorf("ans-2 jsonl: %+v", r2)
	}
	if len(r1.Cited) != 1 || r1.Cited[0].DocID != "asgct-basics" || r1.Cited[0].Section != "What is CAR-T?" ||
		r1.Cited[0].Passage != "CAR-T cell therapy changes a patient's own T cells to fight cancer." || r1.Cited[0].URL == "" {
		t.Errorf("ans-1 jsonl citations: %+v", r1.Cited)
	}
	if r1.Reviewer != "" || r1.ReviewTime != nil {
		t.Errorf("ans-1 was never reviewed: %+v", r1)
	}
}

// TestDashboardShowsSetupWarnings: the dashboard shows each set-up warning
// it was given, as text, and no warning box without them.
func TestDashboardShowsSetupWarnings(t *testing.T) {
	f := newFixture(t, Config{Warnings: []string{"The emergency message has no local numbers: set <CELLCHAT_EMERGENCY_NUMBER>"}})
	_, page := f.get(t, f.signedIn(t), "/staff/dashboard")
	if !strings.Contains(page, `id="setup-warnings"`) || !strings.Contains(page, "no local numbers: set &lt;CELLCHAT_EMERGENCY_NUMBER&gt;") {
		t.Errorf("dashboard does not show the warning:\n%s", page)
	}
	f = newFixture(t, Config{})
	if _, page := f.get(t, f.signedIn(t), "/staff/dashboard"); strings.Contains(page, `id="setup-warnings"`) {
		t.Error("dashboard shows a warning box with nothing to warn about")
	}
}

// TestKindsAndStatusesAsWords: pages show kinds and review statuses as
// words; the codes stay in classes, URLs and the API.
func TestKindsAndStatusesAsWords(t *testing.T) {
	f := newFixture(t, Config{})
	if _, err := f.store.AddReview(context.Background(), transcript.Review{AnswerID: "ans-2", Reviewer: testEmail, Status: "needs_correction"}); err != nil {
		t.Fatal(err)
	}
	c := f.signedIn(t)
	_, list := f.get(t, c, "/staff/")
	_, conv := f.get(t, c, "/staff/conversations/conv-a")
	for page, wants := range map[string][]string{
		list: {`kind-no_answer">Not answered<`, `kind-answer">Answered<`, `status-needs_correction">Needs correction<`, `<option value="no_answer" >Not answered<`},
		conv: {`kind-no_answer">Not answered<`, `status-needs_correction">Needs correction<`, `value="needs_correction" required> Needs correction<`},
	} {
		for _, want := range wants {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
	}
	if _, b := f.get(t, c, "/staff/api/replies?review=needs_correction"); !strings.Contains(b, `"review_status":"needs_correction"`) {
		t.Errorf("the API no longer gives the status code: %s", b)
	}
}
