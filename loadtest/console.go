package loadtest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Console is a staff member using the console beside the asking clients:
// signed in once, they request Paths one after another, round and round,
// until the run ends.
type Console struct {
	Email, Password string
	Paths           []string // under the server's base URL; default ConsolePaths
}

// ConsolePaths are the console requests a staff member's loop makes by
// default: the dashboard and stats over a month and over years, and text
// searches that match many replies, a few and none.
var ConsolePaths = []string{
	"/staff/dashboard",
	"/staff/?q=fever",
	"/staff/api/stats?days=3660",
	"/staff/?q=zzzznotfound",
	"/staff/dashboard?days=365",
	"/staff/?q=graft%20versus%20host",
	"/staff/?feedback=down",
}

// ConsoleResult is what the console user got.
type ConsoleResult struct {
	Requests int            `json:"requests"`
	Statuses map[string]int `json:"statuses"` // by HTTP status, or "error"
	P50      time.Duration  `json:"p50_ns"`
	Max      time.Duration  `json:"max_ns"`
	// Slowest is the path of the slowest request.
	Slowest string `json:"slowest"`
}

// runConsole signs in and loops over c.Paths until ctx ends.
func runConsole(ctx context.Context, c Console, wsURL string) (ConsoleResult, error) {
	base, _ := metricsURLFor(wsURL)
	base = strings.TrimSuffix(base, "/metrics")
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res := ConsoleResult{Statuses: map[string]int{}}
	if err := consoleSignIn(ctx, client, base, c); err != nil {
		return res, err
	}
	paths := c.Paths
	if len(paths) == 0 {
		paths = ConsolePaths
	}
	var took []time.Duration
	for n := 0; ctx.Err() == nil; n++ {
		p := paths[n%len(paths)]
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+p, nil)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				res.Statuses["error"]++
			}
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		res.Requests++
		res.Statuses[strconv.Itoa(resp.StatusCode)]++
		took = append(took, d)
		if d > res.Max {
			res.Max, res.Slowest = d, p
		}
	}
	res.P50, _, _, _ = percentiles(took)
	return res, nil
}

// consoleSignIn signs client in as c.Email.
func consoleSignIn(ctx context.Context, client *http.Client, base string, c Console) error {
	cookie, token, err := signInForm(ctx, client, base)
	if err != nil {
		return err
	}
	form := url.Values{"email": {c.Email}, "password": {c.Password}, "csrf": {token}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/staff/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(cookie)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return errors.New("console: sign-in as " + c.Email + " refused (HTTP " + strconv.Itoa(resp.StatusCode) + ")")
	}
	return nil
}

// consoleLoop runs the console user beside the clients once they are
// connected, keeping its result and error for the report.
type consoleLoop struct {
	res ConsoleResult
	err error
}

func (l *consoleLoop) run(ctx context.Context, wg *sync.WaitGroup, connected *sync.WaitGroup, c Console, wsURL string) {
	wg.Go(func() {
		connected.Wait()
		l.res, l.err = runConsole(ctx, c, wsURL)
	})
}
