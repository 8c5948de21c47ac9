package staff

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// slowAuth wraps the store so a password check takes long enough for a
// burst to overlap, and counts the checks and how many ran at once.
type slowAuth struct {
	Store
	delay              time.Duration
	calls, now, maxNow atomic.Int64
}

func (s *slowAuth) Authenticate(ctx context.Context, email, password string) error {
	s.calls.Add(1)
	n := s.now.Add(1)
	defer s.now.Add(-1)
	for {
		m := s.maxNow.Load()
		if n <= m || s.maxNow.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(s.delay)
	return s.Store.Authenticate(ctx, email, password)
}

// withStore serves the console again over a wrapped store.
func (f *fixture) withStore(t *testing.T, st Store, cfg Config) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	srv := httptest.NewServer(NewHandler(st, cfg))
	t.Cleanup(srv.Close)
	f.srv = srv
}

type attempt struct {
	email, password, ip string
}

// burst signs in all at once, each attempt with its own browser (its own
// form token), and returns the status codes.
func (f *fixture) burst(t *testing.T, attempts []attempt) []int {
	t.Helper()
	type prepared struct {
		c    *http.Client
		form url.Values
	}
	ps := make([]prepared, len(attempts))
	for i, a := range attempts {
		c := newClient()
		_, page := f.get(t, c, "/staff/signin")
		m := csrfRE.FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no form token")
		}
		ps[i] = prepared{c, url.Values{"email": {a.email}, "password": {a.password}, "csrf": {m[1]}}}
	}
	codes := make([]int, len(attempts))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest("POST", f.srv.URL+"/staff/signin", strings.NewReader(ps[i].form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if attempts[i].ip != "" {
				req.Header.Set("X-Forwarded-For", attempts[i].ip)
			}
			resp, err := ps[i].c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

func count(codes []int, code int) int {
	n := 0
	for _, c := range codes {
		if c == code {
			n++
		}
	}
	return n
}

// A burst of wrong passwords must not get more guesses than the lockout
// allows: each attempt is counted before its password is checked.
func TestSignInBurstCountedBeforeHash(t *testing.T) {
	cfg := Config{MaxFailures: 5, MaxFailuresPerIP: 20, Lockout: time.Hour,
		MaxConcurrentSignIns: 200, MaxConcurrentSignInsPerIP: 200, MaxConcurrentSignInsPerEmail: 200, HashWorkers: 8}
	f := newFixture(t, cfg)
	sa := &slowAuth{Store: f.store, delay: 50 * time.Millisecond}
	f.withStore(t, sa, cfg)
	var as []attempt
	for i := range 60 {
		as = append(as, attempt{email: testEmail, password: fmt.Sprintf("wrong guess %d", i)})
	}
	codes := f.burst(t, as)
	if n := sa.calls.Load(); n > 5 {
		t.Errorf("%d passwords checked in a burst of 60 wrong ones, want at most 5", n)
	}
	if n := count(codes, http.StatusUnauthorized); n > 5 {
		t.Errorf("%d answers 401, want at most 5", n)
	}
	if n := count(codes, http.StatusTooManyRequests); n < 55 {
		t.Errorf("%d answers 429, want at least 55", n)
	}
}

// Concurrent sign-ins are capped per e-mail, per address and in total, and
// the password hashing runs on a bounded number of goroutines.
func TestSignInConcurrencyCaps(t *testing.T) {
	cfg := Config{MaxFailures: 1000, MaxFailuresPerIP: 1000, Lockout: time.Hour, ClientIPHeader: "X-Forwarded-For",
		MaxConcurrentSignIns: 6, MaxConcurrentSignInsPerIP: 3, MaxConcurrentSignInsPerEmail: 2, HashWorkers: 2}
	f := newFixture(t, cfg)
	sa := &slowAuth{Store: f.store, delay: 300 * time.Millisecond}
	f.withStore(t, sa, cfg)

	// One e-mail from many addresses.
	var as []attempt
	for i := range 10 {
		as = append(as, attempt{email: testEmail, password: "wrong guess", ip: fmt.Sprintf("10.0.0.%d", i+1)})
	}
	codes := f.burst(t, as)
	if n := sa.calls.Load(); n > 2 {
		t.Errorf("one e-mail: %d checks at once, want at most 2", n)
	}
	if n := count(codes, http.StatusTooManyRequests); n < 8 {
		t.Errorf("one e-mail: %d answers 429 (%v), want at least 8", n, codes)
	}

	// One address, many e-mails.
	sa.calls.Store(0)
	as = nil
	for i := range 10 {
		as = append(as, attempt{email: fmt.Sprintf("u%d@clinic.org", i), password: "wrong guess", ip: "10.1.1.1"})
	}
	codes = f.burst(t, as)
	if n := sa.calls.Load(); n > 3 {
		t.Errorf("one address: %d checks at once, want at most 3", n)
	}
	if n := count(codes, http.StatusTooManyRequests); n < 7 {
		t.Errorf("one address: %d answers 429 (%v), want at least 7", n, codes)
	}

	// Many of both: the total cap, and at most HashWorkers hashing at once.
	sa.calls.Store(0)
	sa.maxNow.Store(0)
	as = nil
	for i := range 30 {
		as = append(as, attempt{email: fmt.Sprintf("v%d@clinic.org", i), password: "wrong guess", ip: fmt.Sprintf("10.2.0.%d", i+1)})
	}
	codes = f.burst(t, as)
	if n := sa.calls.Load(); n > 6 {
		t.Errorf("total: %d checks, want at most 6", n)
	}
	if n := count(codes, http.StatusTooManyRequests); n < 24 {
		t.Errorf("total: %d answers 429 (%v), want at least 24", n, codes)
	}
	if m := sa.maxNow.Load(); m > 2 {
		t.Errorf("%d password checks ran at once, want at most 2 (HashWorkers)", m)
	}
}

// A locked-out address is refused before its request body is read.
func TestSignInLockedAddressRefusedBeforeBody(t *testing.T) {
	f := newFixture(t, Config{MaxFailures: 100, MaxFailuresPerIP: 2, Lockout: time.Hour})
	for i := range 2 {
		f.signIn(t, newClient(), fmt.Sprintf("g%d@clinic.org", i), "wrong guess")
	}
	// Headers promising a body that never comes.
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /staff/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("locked address with a slow body: %v (the server waited for the body)", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("locked address: %d, want 429", resp.StatusCode)
	}
}

// signInFrom signs in through the form from the given client address (as
// a trusted proxy would report it).
func (f *fixture) signInFrom(t *testing.T, email, password, ip string) *http.Response {
	t.Helper()
	c := newClient()
	_, page := f.get(t, c, "/staff/signin")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no form token")
	}
	form := url.Values{"email": {email}, "password": {password}, "csrf": {m[1]}}
	req, _ := http.NewRequest("POST", f.srv.URL+"/staff/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", ip)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// Failures from one address lock that address out of that account only:
// the staff member still signs in from elsewhere, and the lock is in the
// audit log.
func TestLockoutIsPerAddress(t *testing.T) {
	f := newFixture(t, Config{MaxFailures: 3, MaxFailuresPerIP: 20, Lockout: time.Hour, ClientIPHeader: "X-Forwarded-For"})
	for i := range 3 {
		if r := f.signInFrom(t, testEmail, fmt.Sprintf("wrong %d", i), "6.6.6.6"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, r.StatusCode)
		}
	}
	if r := f.signInFrom(t, testEmail, testPassword, "6.6.6.6"); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("from the guessing address: %d, want 429", r.StatusCode)
	}
	if r := f.signInFrom(t, testEmail, testPassword, "10.0.0.7"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("the staff member from a clean address: %d, want 303 (signed in)", r.StatusCode)
	}
	log, _ := f.store.AuditLog(context.Background(), 100)
	found := false
	for _, e := range log {
		if e.Action == "sign_in_lockout" && e.Actor == testEmail && strings.Contains(e.Detail, "6.6.6.6") {
			found = true
		}
	}
	if !found {
		t.Errorf("no sign_in_lockout audit row for %s from 6.6.6.6: %+v", testEmail, log)
	}
}

// Each lock of the same pair lasts longer than the one before.
func TestLockoutBackoffGrows(t *testing.T) {
	eachLimiter(t, 2, 100, time.Minute, testLockoutBackoffGrows)
}

func testLockoutBackoffGrows(t *testing.T, l *failureLimiter) {
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	var waits []time.Duration
	now := t0
	for range 3 {
		l.reserve(ctx, "a", "ip1", now)
		l.reserve(ctx, "a", "ip1", now)
		_, w, err := l.reserve(ctx, "a", "ip1", now)
		if err != nil || w <= 0 {
			t.Fatalf("not locked after two failures (%v)", err)
		}
		waits = append(waits, w)
		now = now.Add(w + time.Second)
	}
	if !(waits[0] == time.Minute && waits[1] == 2*time.Minute && waits[2] == 4*time.Minute) {
		t.Errorf("lock lengths %v, want 1m, 2m, 4m", waits)
	}
	if _, w, _ := l.reserve(ctx, "a", "ip2", now.Add(-time.Second)); w != 0 {
		t.Errorf("another address for the same e-mail blocked: %v", w)
	}
}

// By default password checks leave at least half the CPUs to patients.
func TestHashWorkersDefaultBelowGOMAXPROCS(t *testing.T) {
	for _, procs := range []int{1, 2, 4, 8} {
		prev := runtime.GOMAXPROCS(procs)
		n := Config{}.withDefaults().HashWorkers
		runtime.GOMAXPROCS(prev)
		if n < 1 || (procs > 1 && n >= procs) {
			t.Errorf("GOMAXPROCS %d: %d hash workers, want at least 1 and fewer than GOMAXPROCS", procs, n)
		}
	}
}
