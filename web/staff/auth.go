package staff

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/cellchat/cellchat/internal/clientip"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cellchat/cellchat/transcript"
)

const (
	sessionCookie = "cellchat_staff"
	// loginCookie carries the token the sign-in form must echo (login CSRF:
	// a foreign site cannot sign a browser in to an account of its choosing).
	loginCookie = "cellchat_staff_login"
	cookiePath  = "/staff"
	csrfField   = "csrf"
)

type sessionKey struct{}

func sessionFrom(ctx context.Context) transcript.Session {
	s, _ := ctx.Value(sessionKey{}).(transcript.Session)
	return s
}

// requireSession lets requests with a live session through. Without one,
// the API answers 401 and pages redirect to the sign-in page. A POST must
// also carry the session's CSRF token, else 403.
func (c *console) requireSession(api bool, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var sess transcript.Session
		err := transcript.ErrNotFound
		if ck, cerr := r.Cookie(sessionCookie); cerr == nil {
			sess, err = c.store.LookupSession(r.Context(), ck.Value)
		}
		if err != nil {
			if !errors.Is(err, transcript.ErrNotFound) {
				c.log.Error("staff session lookup", "err", err)
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
			if api {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprintln(w, `{"error":"sign in required"}`)
				return
			}
			next := ""
			if r.Method == http.MethodGet {
				next = "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, "/staff/signin"+next, http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
			token := r.PostFormValue(csrfField)
			if token == "" {
				token = r.Header.Get("X-CSRF-Token")
			}
			if !sess.ValidCSRF(token) {
				c.log.Warn("staff request with a bad CSRF token", "path", r.URL.Path, "staff", sess.Email)
				http.Error(w, "Forbidden: this form has expired or did not come from the console. Reload the page and try again.", http.StatusForbidden)
				return
			}
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess)))
	})
}

// safeNext returns where to go after signing in: only console paths, so
// the sign-in page cannot be used as an open redirect.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/staff/") && !strings.HasPrefix(next, "/staff//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/staff/"
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func clientIP(r *http.Request, header string) string { return clientip.Of(r, header) }

func (c *console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, expires time.Time) {
	ck := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     cookiePath,
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
		Secure:   r.TLS != nil || c.cfg.SecureCookies,
	}
	if expires.IsZero() {
		ck.MaxAge = -1
	} else {
		ck.Expires = expires
		ck.MaxAge = int(time.Until(expires).Seconds())
	}
	http.SetCookie(w, ck)
}

type signInData struct {
	pageData
	Email, Next, LoginToken, Error string
}

func (c *console) handleSignInPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.renderSignIn(w, r, http.StatusOK, r.URL.Query().Get("next"), "", "")
	})
}

func (c *console) renderSignIn(w http.ResponseWriter, r *http.Request, status int, next, email, msg string) {
	token := randomToken()
	c.setCookie(w, r, loginCookie, token, time.Now().Add(time.Hour))
	c.render(w, r, status, "signin.html", signInData{
		pageData: pageData{Title: "Sign in"}, Email: email, Next: safeNext(next), LoginToken: token, Error: msg,
	})
}

func (c *console) handleSignIn() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Everything that can refuse an attempt by its address alone runs
		// before the body is read, so a locked or crowding address cannot
		// hold the server with slow bodies.
		ip := clientIP(r, c.cfg.ClientIPHeader)
		wait, err := c.limiter.ipBlocked(r.Context(), ip, time.Now())
		if err != nil {
			c.log.Error("staff sign-in: lockout counters", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if wait > 0 {
			w.Header().Set("Connection", "close") // else net/http waits to drain the unread body
			c.refuseLocked(w, r, wait, "", "", ip)
			return
		}
		release, ok := c.signins.acquire(slot{"*", c.cfg.MaxConcurrentSignIns}, slot{"i:" + ip, c.cfg.MaxConcurrentSignInsPerIP})
		if !ok {
			w.Header().Set("Connection", "close")
			c.refuseBusy(w)
			return
		}
		defer release()

		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
		if len(email) > 254 { // longer is no e-mail address; keep the audit log and limiter keys small
			email = email[:254]
		}
		password := r.PostFormValue("password")
		next := r.PostFormValue("next")
		ck, err := r.Cookie(loginCookie)
		if err != nil || ck.Value == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue(csrfField))) != 1 {
			http.Error(w, "Forbidden: the sign-in form has expired or did not come from this site. Reload it and try again.", http.StatusForbidden)
			return
		}
		releaseEmail, ok := c.signins.acquire(slot{"e:" + email, c.cfg.MaxConcurrentSignInsPerEmail})
		if !ok {
			c.refuseBusy(w)
			return
		}
		defer releaseEmail()
		// The attempt counts as a failure from here on, before its password
		// is checked: concurrent attempts each see the ones before them.
		res, wait, err := c.limiter.reserve(r.Context(), email, ip, time.Now())
		if err != nil {
			c.log.Error("staff sign-in: lockout counters", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if wait > 0 {
			c.refuseLocked(w, r, wait, next, email, ip)
			return
		}
		err = c.checkPassword(r.Context(), email, password)
		if err != nil {
			if !errors.Is(err, transcript.ErrBadCredentials) {
				if err := c.limiter.cancel(r.Context(), res); err != nil {
					c.log.Error("staff sign-in: lockout counters", "err", err)
				}
				c.log.Error("staff sign-in", "err", err)
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
			c.auditRepeated(r.Context(), email, "sign_in_failed", "ip "+ip)
			if res.lockedPair > 0 || res.lockedIP > 0 {
				c.log.Warn("staff sign-in locked", "email", email, "ip", ip, "pair_lock", res.lockedPair, "ip_lock", res.lockedIP)
			}
			if res.lockedPair > 0 {
				c.store.Audit(r.Context(), email, "sign_in_lockout", fmt.Sprintf("ip %s: this e-mail locked from this address for %s", ip, res.lockedPair))
			}
			if res.lockedIP > 0 {
				c.store.Audit(r.Context(), email, "sign_in_lockout", fmt.Sprintf("ip %s: address locked for every e-mail for %s", ip, res.lockedIP))
			}
			c.renderSignIn(w, r, http.StatusUnauthorized, next, email, "Wrong e-mail or password.")
			return
		}
		if err := c.limiter.succeed(r.Context(), res); err != nil {
			c.log.Error("staff sign-in: lockout counters", "err", err)
		}
		sess, err := c.store.CreateSession(r.Context(), email, c.cfg.SessionTTL)
		if err != nil {
			c.log.Error("staff sign-in", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		c.store.Audit(r.Context(), email, "sign_in", "ip "+ip)
		c.setCookie(w, r, sessionCookie, sess.Token, sess.Expires)
		c.setCookie(w, r, loginCookie, "", time.Time{})
		http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
	})
}

// checkPassword runs the password check on one of the few hashing slots:
// bcrypt is CPU-bound, and unbounded it would starve patients' questions.
func (c *console) checkPassword(ctx context.Context, email, password string) error {
	select {
	case c.hashing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.hashing }()
	return c.store.Authenticate(ctx, email, password)
}

func (c *console) refuseLocked(w http.ResponseWriter, r *http.Request, wait time.Duration, next, email, ip string) {
	c.auditRepeated(r.Context(), email, "sign_in_locked", "ip "+ip)
	w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
	c.renderSignIn(w, r, http.StatusTooManyRequests, next, email,
		fmt.Sprintf("Too many failed sign-in attempts. Try again in %d minutes.", int(wait.Minutes())+1))
}

func (c *console) refuseBusy(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	http.Error(w, "Too many sign-in attempts at once. Try again in a moment.", http.StatusTooManyRequests)
}

// inflight counts requests in progress by key, to cap them.
type inflight struct {
	mu sync.Mutex
	n  map[string]int
}

func newInflight() *inflight { return &inflight{n: map[string]int{}} }

type slot struct {
	key   string
	limit int
}

// acquire takes a place under each slot given, all or none; release gives
// them back.
func (f *inflight) acquire(slots ...slot) (release func(), ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var keys []string
	for _, s := range slots {
		if f.n[s.key] >= s.limit {
			return nil, false
		}
		keys = append(keys, s.key)
	}
	for _, k := range keys {
		f.n[k]++
	}
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, k := range keys {
			if f.n[k]--; f.n[k] <= 0 {
				delete(f.n, k)
			}
		}
	}, true
}

func (c *console) handleSignOut() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := sessionFrom(r.Context())
		if err := c.store.DeleteSession(r.Context(), sess.Token); err != nil {
			c.log.Error("staff sign-out", "err", err)
		}
		c.store.Audit(r.Context(), sess.Email, "sign_out", "ip "+clientIP(r, c.cfg.ClientIPHeader))
		c.setCookie(w, r, sessionCookie, "", time.Time{})
		http.Redirect(w, r, "/staff/signin", http.StatusSeeOther)
	})
}

// failureLimiter locks out sign-in after repeated failures, per pair of
// e-mail and client address and per address. Locking the e-mail alone
// would let anyone lock a staff member out from anywhere; the pair leaves
// them a way in from their own address. Each further lock of the same key
// lasts twice as long, up to maxLockout, so patient guessing gains little.
// Its counters are in memory (a restart forgets them, which only gives an
// attacker a fresh handful of guesses against bcrypt), or in the store when
// the store keeps them for several replicas (SharedFailures), so guessing
// through every replica locks as soon as through one.
type failureLimiter struct {
	perPair, perIP int
	lockout        time.Duration
	state          failureState
}

// maxLockout caps the growing lock, and is also how long a key's earlier
// locks are remembered after its last failure.
const maxLockout = transcript.SignInFailuresKept

type failures = transcript.SignInFailures

// failureState keeps the counters: update runs f on those of keys (zero
// for a key without one), with no other update of them in between, and
// keeps what f leaves; a counter f leaves at zero is forgotten.
type failureState interface {
	update(ctx context.Context, keys []string, now time.Time, f func(map[string]*failures)) error
}

// SharedFailures is a Store that keeps sign-in failure counters for every
// replica sharing it (transcript.PGStore).
type SharedFailures interface {
	UpdateSignInFailures(ctx context.Context, keys []string, f func(map[string]*transcript.SignInFailures)) error
}

// sharedFailures keeps the counters in the store.
type sharedFailures struct{ store SharedFailures }

func (s sharedFailures) update(ctx context.Context, keys []string, _ time.Time, f func(map[string]*failures)) error {
	return s.store.UpdateSignInFailures(ctx, keys, f)
}

// memoryFailures keeps the counters of one server.
type memoryFailures struct {
	mu      sync.Mutex
	lockout time.Duration
	entries map[string]*failures
}

func (m *memoryFailures) update(_ context.Context, keys []string, now time.Time, f func(map[string]*failures)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.entries) > 100_000 { // bound memory under a spray of addresses
		for k, e := range m.entries {
			if !now.Before(e.Until) && now.Sub(e.Last) >= m.lockout {
				delete(m.entries, k)
			}
		}
	}
	view := make(map[string]*failures, len(keys))
	for _, k := range keys {
		if view[k] = m.entries[k]; view[k] == nil {
			view[k] = &failures{}
		}
	}
	f(view)
	for k, e := range view {
		if *e == (failures{}) {
			delete(m.entries, k)
		} else {
			m.entries[k] = e
		}
	}
	return nil
}

func newFailureLimiter(perPair, perIP int, lockout time.Duration) *failureLimiter {
	return &failureLimiter{perPair: perPair, perIP: perIP, lockout: lockout,
		state: &memoryFailures{lockout: lockout, entries: map[string]*failures{}}}
}

func pairKey(email, ip string) string { return "p:" + email + "\x00" + ip }

func ipKey(ip string) string { return "i:" + ip }

// lockedFor is how long f stays locked, 0 if it is not.
func lockedFor(f *failures, now time.Time) time.Duration {
	if now.Before(f.Until) {
		return f.Until.Sub(now)
	}
	return 0
}

// ipBlocked is how long the address stays locked: all that is known
// before the request body is read.
func (l *failureLimiter) ipBlocked(ctx context.Context, ip string, now time.Time) (d time.Duration, err error) {
	err = l.state.update(ctx, []string{ipKey(ip)}, now, func(m map[string]*failures) { d = lockedFor(m[ipKey(ip)], now) })
	return d, err
}

// reservation is an attempt counted as a failure until it proves
// otherwise, and the locks counting it started.
type reservation struct {
	email, ip   string
	lockedPair  time.Duration
	lockedIP    time.Duration
	ipPrevUntil time.Time
}

// reserve counts an attempt as failed before its password is checked, or
// returns how long sign-in stays refused without counting it.
func (l *failureLimiter) reserve(ctx context.Context, email, ip string, now time.Time) (res reservation, locked time.Duration, err error) {
	pk, ik := pairKey(email, ip), ipKey(ip)
	err = l.state.update(ctx, []string{pk, ik}, now, func(m map[string]*failures) {
		if locked = max(lockedFor(m[pk], now), lockedFor(m[ik], now)); locked > 0 {
			return
		}
		res = reservation{email: email, ip: ip}
		res.lockedPair, _ = l.count(m[pk], l.perPair, now)
		res.lockedIP, res.ipPrevUntil = l.count(m[ik], l.perIP, now)
	})
	return res, locked, err
}

// count adds a failure to f and locks it when it reaches limit, returning
// the new lock's length (0: none) and the lock it replaced.
func (l *failureLimiter) count(f *failures, limit int, now time.Time) (time.Duration, time.Time) {
	if now.Sub(f.Last) >= maxLockout {
		f.Locks = 0
	}
	if now.Sub(f.Last) >= l.lockout {
		f.Count = 0
	}
	f.Count++
	f.Last = now
	if f.Count < limit {
		return 0, f.Until
	}
	prev := f.Until
	f.Count = 0
	f.Locks++
	d := l.lockout
	for i := 1; i < f.Locks && d < maxLockout; i++ {
		d *= 2
	}
	d = min(d, maxLockout)
	f.Until = now.Add(d)
	return d, prev
}

// cancel uncounts an attempt that was never decided (the store failed).
func (l *failureLimiter) cancel(ctx context.Context, r reservation) error {
	pk, ik := pairKey(r.email, r.ip), ipKey(r.ip)
	return l.state.update(ctx, []string{pk, ik}, time.Now(), func(m map[string]*failures) {
		uncount(m[pk], r.lockedPair, time.Time{})
		uncount(m[ik], r.lockedIP, r.ipPrevUntil)
	})
}

func uncount(f *failures, locked time.Duration, prevUntil time.Time) {
	if *f == (failures{}) {
		return
	}
	if locked > 0 {
		f.Locks--
		f.Until = prevUntil
		return
	}
	if f.Count > 0 {
		f.Count--
	}
}

// succeed forgets the pair's failures: the right password from this
// address. The address's other failures stay, so one good account does
// not reset guessing at others from the same address.
func (l *failureLimiter) succeed(ctx context.Context, r reservation) error {
	pk, ik := pairKey(r.email, r.ip), ipKey(r.ip)
	return l.state.update(ctx, []string{pk, ik}, time.Now(), func(m map[string]*failures) {
		*m[pk] = failures{}
		uncount(m[ik], r.lockedIP, r.ipPrevUntil)
	})
}
