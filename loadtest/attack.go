package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Attack is a hostile client run beside the patient clients of a load run,
// to show what a defence leaves an attacker and what everyone else gets
// meanwhile. It is bounded by the run's duration and by Max.
type Attack struct {
	// Name is one of Attacks.
	Name string
	// Max bounds the attack's requests (sign-in attacks) or connections
	// (slow-body, socket-hog); 0 takes the attack's default.
	Max int
	// Concurrency is how many requests or connections are in flight at
	// once; 0 takes the attack's default.
	Concurrency int
	// Email is the staff e-mail the sign-in attacks use (with a wrong
	// password).
	Email string
	// ByteEvery is how often a slow-body connection sends its next byte.
	ByteEvery time.Duration
	// Path is where slow-body sends its body: /api/ask or /staff/signin.
	Path string
}

// Attacks are the attacks the load tool knows.
var Attacks = []string{"signin-burst", "slow-body", "socket-hog", "audit-flood"}

// AttackResult is what the attacker got.
type AttackResult struct {
	Name     string `json:"name"`
	Attempts int    `json:"attempts"` // requests sent, or connections tried
	// Outcomes counts attempts by how they ended: an HTTP status
	// ("http:408"; a sign-in's 429 as "http:429-busy" or
	// "http:429-locked", by which cap refused it), a websocket close code ("close:1001"), "cut" for a
	// connection the server closed without an answer, "held" for one still
	// open at the end of the run, "error" for anything else.
	Outcomes map[string]int `json:"outcomes"`
	// Through is how many attempts got what the attacker wanted: a
	// password checked (401) or a sign-in (303), a body or socket held
	// open to the end of the run.
	Through     int    `json:"through"`
	ThroughWhat string `json:"through_what"`
	// Elapsed is how long the attack ran: less than the run when Max was
	// spent first.
	Elapsed time.Duration `json:"elapsed_ns"`
}

// attackDefaults are Max, Concurrency for each attack: enough to pass every
// default cap of `cellchat serve` a few times over, bounded so a run cannot
// exhaust the load tool's own machine.
var attackDefaults = map[string][2]int{
	"signin-burst": {3000, 150},
	"slow-body":    {3000, 300},
	"socket-hog":   {500, 50},
	"audit-flood":  {20000, 2},
}

// CheckLoopback refuses a server that is not on this machine's loopback:
// the attacks are for measuring one's own server, never anyone else's.
func CheckLoopback(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("loadtest: bad url %q: %w", rawURL, err)
	}
	host := u.Hostname()
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else if host == "localhost" {
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return fmt.Errorf("loadtest: resolve %s: %w", host, err)
		}
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	if len(ips) == 0 {
		return fmt.Errorf("loadtest: attacks run only against a server on loopback (127.0.0.0/8 or ::1); %q is not an address there", host)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("loadtest: attacks run only against a server on loopback (127.0.0.0/8 or ::1), not %s", ip)
		}
	}
	return nil
}

// validate fills a's defaults and checks its name.
func (a *Attack) validate() error {
	d, ok := attackDefaults[a.Name]
	if !ok {
		return fmt.Errorf("loadtest: unknown attack %q (want one of %s)", a.Name, strings.Join(Attacks, ", "))
	}
	if a.Max <= 0 {
		a.Max = d[0]
	}
	if a.Concurrency <= 0 {
		a.Concurrency = d[1]
	}
	a.Concurrency = min(a.Concurrency, a.Max)
	if a.Email == "" {
		a.Email = "loadtest-target@example.org"
	}
	if a.ByteEvery <= 0 {
		a.ByteEvery = 2 * time.Second
	}
	if a.Path == "" {
		a.Path = "/api/ask"
	}
	return nil
}

// attacker carries the counts an attack goroutine adds to.
type attacker struct {
	a        Attack
	base     string // http://host:port
	wsURL    string
	origin   string
	mu       sync.Mutex
	outcomes map[string]int
	attempts atomic.Int64
	through  atomic.Int64
}

func (at *attacker) count(outcome string) {
	at.mu.Lock()
	at.outcomes[outcome]++
	at.mu.Unlock()
}

// take reserves one attempt under Max; false once Max is spent.
func (at *attacker) take() bool {
	if at.attempts.Add(1) > int64(at.a.Max) {
		at.attempts.Add(-1)
		return false
	}
	return true
}

// runAttack runs a until ctx ends or its Max is spent.
func runAttack(ctx context.Context, a Attack, wsURL, origin string) AttackResult {
	base, _ := metricsURLFor(wsURL)
	base = strings.TrimSuffix(base, "/metrics")
	at := &attacker{a: a, base: base, wsURL: wsURL, origin: origin, outcomes: map[string]int{}}
	var what string
	start := time.Now()
	switch a.Name {
	case "signin-burst", "audit-flood":
		what = "passwords checked (401) or sign-ins (303)"
		at.signIns(ctx)
	case "slow-body":
		what = "slow bodies still being read at the end of the run"
		at.slowBodies(ctx)
	case "socket-hog":
		what = "sockets held open to the end of the run"
		at.hogSockets(ctx)
	}
	return AttackResult{Name: a.Name, Attempts: int(at.attempts.Load()), Outcomes: at.outcomes, Through: int(at.through.Load()), ThroughWhat: what, Elapsed: time.Since(start)}
}

var signInTokenRE = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// signIns posts wrong passwords for one e-mail from Concurrency workers.
// Each worker fetches the sign-in form once, as a browser would, and
// reuses its login token: the server only checks that the form echoes the
// cookie.
func (at *attacker) signIns(ctx context.Context) {
	tr := &http.Transport{MaxIdleConnsPerHost: at.a.Concurrency, MaxConnsPerHost: at.a.Concurrency}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var wg sync.WaitGroup
	for w := range at.a.Concurrency {
		wg.Go(func() {
			cookie, token, err := signInForm(ctx, client, at.base)
			if err != nil {
				if ctx.Err() == nil {
					at.count("error")
				}
				return
			}
			for n := 0; ctx.Err() == nil && at.take(); n++ {
				form := url.Values{"email": {at.a.Email}, "password": {fmt.Sprintf("wrong-password-%d-%d", w, n)}, "csrf": {token}}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, at.base+"/staff/signin", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.AddCookie(cookie)
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() != nil {
						at.attempts.Add(-1) // cut by the end of the run: not an outcome
						return
					}
					at.count(connError(err))
					continue
				}
				body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
				resp.Body.Close()
				at.count(signInOutcome(resp.StatusCode, body))
				if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusSeeOther {
					at.through.Add(1)
				}
			}
		})
	}
	wg.Wait()
}

// signInOutcome names a sign-in response; a 429 says by its text which cap
// refused it: too many at once, or a lock after failures.
func signInOutcome(status int, body []byte) string {
	o := "http:" + strconv.Itoa(status)
	if status == http.StatusTooManyRequests {
		switch {
		case bytes.Contains(body, []byte("at once")):
			o += "-busy"
		case bytes.Contains(body, []byte("failed sign-in attempts")):
			o += "-locked"
		}
	}
	return o
}

// signInForm loads the sign-in page for its login cookie and token.
func signInForm(ctx context.Context, client *http.Client, base string) (*http.Cookie, string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/staff/signin", nil)
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, "", err
	}
	m := signInTokenRE.FindSubmatch(page)
	for _, ck := range resp.Cookies() {
		if ck.Name == "cellchat_staff_login" && m != nil {
			return &http.Cookie{Name: ck.Name, Value: ck.Value}, string(m[1]), nil
		}
	}
	return nil, "", fmt.Errorf("sign-in page (HTTP %d) has no login token", resp.StatusCode)
}

// connError names how a connection failed.
func connError(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "connection reset") ||
		strings.Contains(err.Error(), "broken pipe") {
		return "cut"
	}
	return "error"
}

// slowBodies opens Max connections, Concurrency at a time, each sending a
// POST whose body comes a byte every ByteEvery, and holds them until the
// server answers or closes them, or the run ends.
func (at *attacker) slowBodies(ctx context.Context) {
	host := strings.TrimPrefix(at.base, "http://")
	const bodyLen = 1000
	at.concurrently(ctx, func(func()) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", host)
		if err != nil {
			at.count(connError(err))
			return
		}
		defer conn.Close()
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		defer stop()
		ctype := "application/json"
		if at.a.Path != "/api/ask" {
			ctype = "application/x-www-form-urlencoded"
		}
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", at.a.Path, host, ctype, bodyLen)
		// The server answers (408, 429) or closes while the body
		// trickles: read in the background and stop sending then.
		answered := make(chan string, 1)
		go func() {
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				answered <- "cut"
				return
			}
			resp.Body.Close()
			answered <- "http:" + strconv.Itoa(resp.StatusCode)
		}()
		tick := time.NewTicker(at.a.ByteEvery)
		defer tick.Stop()
		for sent := 0; ; {
			select {
			case outcome := <-answered:
				if ctx.Err() != nil {
					at.count("held")
					at.through.Add(1)
					return
				}
				at.count(outcome)
				return
			case <-ctx.Done():
				at.count("held")
				at.through.Add(1)
				return
			case <-tick.C:
				if sent < bodyLen-1 { // never the last byte: the body is never complete
					conn.Write([]byte{'x'})
					sent++
				}
			}
		}
	})
}

// hogSockets opens up to Max websockets, Concurrency dialling at once, and
// holds each open, answering the server's pings, until the run ends.
func (at *attacker) hogSockets(ctx context.Context) {
	at.concurrently(ctx, func(dialled func()) {
		h := http.Header{}
		if at.origin != "" {
			h.Set("Origin", at.origin)
		}
		d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
		conn, resp, err := d.DialContext(ctx, at.wsURL, h)
		dialled() // the slot bounds dialling, not holding
		if err != nil {
			switch {
			case ctx.Err() != nil:
				at.attempts.Add(-1)
			case resp != nil:
				at.count("http:" + strconv.Itoa(resp.StatusCode))
			default:
				at.count(connError(err))
			}
			return
		}
		defer conn.Close()
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		defer stop()
		// Reading is what answers pings (gorilla's default handler);
		// frames themselves are dropped.
		for {
			if _, _, err := conn.NextReader(); err != nil {
				if ctx.Err() != nil {
					at.count("held")
					at.through.Add(1)
					return
				}
				if ce, ok := err.(*websocket.CloseError); ok {
					at.count("close:" + strconv.Itoa(ce.Code))
				} else {
					at.count(connError(err))
				}
				return
			}
		}
	})
}

// concurrently runs work for each attempt the budget allows until ctx
// ends, at most Concurrency at once: a slot is freed when work returns or
// calls its release.
func (at *attacker) concurrently(ctx context.Context, work func(release func())) {
	sem := make(chan struct{}, at.a.Concurrency)
	var wg sync.WaitGroup
	for ctx.Err() == nil && at.take() {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			at.attempts.Add(-1) // never started: not an attempt
			continue
		}
		wg.Go(func() {
			release := sync.OnceFunc(func() { <-sem })
			defer release()
			work(release)
		})
	}
	wg.Wait()
}
