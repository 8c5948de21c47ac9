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
		if wait := c.limiter.ipBlocked(ip, time.Now()); wait > 0 {
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
		res, wait := c.limiter.reserve(email, ip, time.Now())
		if wait > 0 {
			c.refuseLocked(w, r, wait, next, email, ip)
			return
		}
		err = c.checkPassword(r.Context(), email, password)
		if err != nil {
			if !errors.Is(err, transcript.ErrBadCredentials) {
				c.limiter.cancel(res)
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
		c.limiter.succeed(res)
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
// It is in memory: a restart forgets it, which only gives an attacker a
// fresh handful of guesses against bcrypt.
type failureLimiter struct {
	mu             sync.Mutex
	perPair, perIP int
	lockout        time.Duration
	entries        map[string]*failures
}

// maxLockout caps the growing lock, and is also how long a key's earlier
// locks are remembered after its last failure.
const maxLockout = 24 * time.Hour

type failures struct {
	count int       // failures since the last lock, within lockout of each other
	last  time.Time // the latest failure
	locks int       // locks so far, for the backoff
	until time.Time // locked until then
}

func newFailureLimiter(perPair, perIP int, lockout time.Duration) *failureLimiter {
	return &failureLimiter{perPair: perPair, perIP: perIP, lockout: lockout, entries: map[string]*failures{}}
}

func pairKey(email, ip string) string { return "p:" + email + "\x00" + ip }

// wait is how long key stays locked, 0 if it is not. l.mu must be held.
func (l *failureLimiter) wait(key string, now time.Time) time.Duration {
	if f := l.entries[key]; f != nil && now.Before(f.until) {
		return f.until.Sub(now)
	}
	return 0
}

// ipBlocked is how long the address stays locked: all that is known
// before the request body is read.
func (l *failureLimiter) ipBlocked(ip string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wait("i:"+ip, now)
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
func (l *failureLimiter) reserve(email, ip string, now time.Time) (reservation, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	pk, ik := pairKey(email, ip), "i:"+ip
	if w := max(l.wait(pk, now), l.wait(ik, now)); w > 0 {
		return reservation{}, w
	}
	if len(l.entries) > 100_000 { // bound memory under a spray of addresses
		for k, f := range l.entries {
			if !now.Before(f.until) && now.Sub(f.last) >= l.lockout {
				delete(l.entries, k)
			}
		}
	}
	res := reservation{email: email, ip: ip}
	res.lockedPair, _ = l.count(pk, l.perPair, now)
	res.lockedIP, res.ipPrevUntil = l.count(ik, l.perIP, now)
	return res, 0
}

// count adds a failure to key and locks it when it reaches limit,
// returning the new lock's length (0: none) and the lock it replaced.
func (l *failureLimiter) count(key string, limit int, now time.Time) (time.Duration, time.Time) {
	f := l.entries[key]
	if f == nil {
		f = &failures{}
		l.entries[key] = f
	}
	if now.Sub(f.last) >= maxLockout {
		f.locks = 0
	}
	if now.Sub(f.last) >= l.lockout {
		f.count = 0
	}
	f.count++
	f.last = now
	if f.count < limit {
		return 0, f.until
	}
	prev := f.until
	f.count = 0
	f.locks++
	d := l.lockout
	for i := 1; i < f.locks && d < maxLockout; i++ {
		d *= 2
	}
	d = min(d, maxLockout)
	f.until = now.Add(d)
	return d, prev
}

// cancel uncounts an attempt that was never decided (the store failed).
func (l *failureLimiter) cancel(r reservation) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.uncount(pairKey(r.email, r.ip), r.lockedPair, time.Time{})
	l.uncount("i:"+r.ip, r.lockedIP, r.ipPrevUntil)
}

func (l *failureLimiter) uncount(key string, locked time.Duration, prevUntil time.Time) {
	f := l.entries[key]
	if f == nil {
		return
	}
	if locked > 0 {
		f.locks--
		f.until = prevUntil
		return
	}
	if f.count > 0 {
		f.count--
	}
}

// succeed forgets the pair's failures: the right password from this
// address. The address's other failures stay, so one good account does
// not reset guessing at others from the same address.
func (l *failureLimiter) succeed(r reservation) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, pairKey(r.email, r.ip))
	l.uncount("i:"+r.ip, r.lockedIP, r.ipPrevUntil)
}
