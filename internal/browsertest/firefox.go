package browsertest

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// firefox drives Firefox over WebDriver BiDi, the protocol Firefox itself
// serves on --remote-debugging-port: JSON commands over one websocket.
type firefox struct {
	conn    *websocket.Conn
	context string // the tab's browsing context id
	version string

	mu      sync.Mutex
	next    int
	waiting map[int]chan bidiReply
	closed  error // why the connection ended, once it has
}

type bidiReply struct {
	ID      int             `json:"id"`
	Type    string          `json:"type"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
}

// firefoxStart is how long Firefox may take to listen for BiDi: a cold
// start with a new profile on the shared 2-core machine.
const firefoxStart = 60 * time.Second

var bidiListening = regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)

// OpenFirefox starts headless Firefox ESR as a Driver.
func OpenFirefox(t testing.TB, width, height int) Driver {
	t.Helper()
	path := lookPath("firefox-esr", "firefox")
	if path == "" {
		missing(t, "firefox not found: install it with `apt-get update && apt-get install -y firefox-esr` to run the browser tests in Firefox")
	}
	profile := t.TempDir()
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(firefoxPrefs), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, "--headless", "--no-remote", "--profile", profile, "--remote-debugging-port=0", "about:blank")
	cmd.Env = append(os.Environ(), "MOZ_CRASHREPORTER_DISABLE=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting firefox: %v", err)
	}
	t.Cleanup(func() { stop(cmd) })
	url, err := waitForLine(stderr, bidiListening, firefoxStart)
	if err != nil {
		t.Fatalf("starting firefox: %v", err)
	}
	conn, _, err := websocket.DefaultDialer.Dial(url+"/session", nil)
	if err != nil {
		t.Fatalf("connecting to firefox: %v", err)
	}
	d := &firefox{conn: conn, waiting: map[int]chan bidiReply{}}
	go d.read()
	t.Cleanup(func() { d.call("browser.close", map[string]any{}, nil); conn.Close() })

	var session struct {
		Capabilities struct {
			BrowserVersion string `json:"browserVersion"`
		} `json:"capabilities"`
	}
	Check(t, d, "starting a session", d.call("session.new", map[string]any{"capabilities": map[string]any{}}, &session))
	d.version = session.Capabilities.BrowserVersion
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	Check(t, d, "finding the tab", d.call("browsingContext.getTree", map[string]any{"maxDepth": 0}, &tree))
	if len(tree.Contexts) == 0 {
		t.Fatal("firefox has no tab")
	}
	d.context = tree.Contexts[0].Context
	Check(t, d, "setting the viewport", d.Resize(width, height))
	return d
}

// firefoxPrefs keep a test profile quiet and off the network (no updates,
// telemetry, safe-browsing lists or first-run pages), and give it a
// phone's overlay scrollbars, which take no width from the page.
const firefoxPrefs = `user_pref("app.update.enabled", false);
user_pref("app.update.auto", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("browser.region.network.url", "");
user_pref("remote.prefs.recommended", true);
user_pref("ui.useOverlayScrollbars", 1);
`

// waitForLine reads r until a line matches re, returning the first group;
// the rest of r is drained so the process never blocks on a full pipe.
func waitForLine(r io.Reader, re *regexp.Regexp, within time.Duration) (string, error) {
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		close(found)
	}()
	select {
	case s, ok := <-found:
		if !ok {
			return "", fmt.Errorf("the process ended before printing %q", re)
		}
		return s, nil
	case <-time.After(within):
		return "", fmt.Errorf("no %q within %s", re, within)
	}
}

func (d *firefox) read() {
	for {
		var r bidiReply
		if err := d.conn.ReadJSON(&r); err != nil {
			d.mu.Lock()
			d.closed = err
			for id, ch := range d.waiting {
				close(ch)
				delete(d.waiting, id)
			}
			d.mu.Unlock()
			return
		}
		if r.Type == "event" {
			continue
		}
		d.mu.Lock()
		ch := d.waiting[r.ID]
		delete(d.waiting, r.ID)
		d.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
}

// call sends one BiDi command and decodes its result into out.
func (d *firefox) call(method string, params any, out any) error {
	ch := make(chan bidiReply, 1)
	d.mu.Lock()
	if d.closed != nil {
		d.mu.Unlock()
		return fmt.Errorf("%s: connection closed: %w", method, d.closed)
	}
	d.next++
	id := d.next
	d.waiting[id] = ch
	err := d.conn.WriteJSON(map[string]any{"id": id, "method": method, "params": params})
	d.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: connection closed", method)
		}
		if r.Type == "error" {
			return fmt.Errorf("%s: %s: %s", method, r.Error, r.Message)
		}
		if out == nil {
			return nil
		}
		return json.Unmarshal(r.Result, out)
	case <-time.After(WaitFor):
		return fmt.Errorf("%s: no reply within %s", method, WaitFor)
	}
}

func (d *firefox) Engine() string { return "firefox " + d.version }

func (d *firefox) Navigate(url string) error {
	return d.call("browsingContext.navigate", map[string]any{"context": d.context, "url": url, "wait": "complete"}, nil)
}

func (d *firefox) Reload() error {
	return d.call("browsingContext.reload", map[string]any{"context": d.context, "wait": "complete"}, nil)
}

func (d *firefox) Eval(expr string, out any) error {
	var r struct {
		Type   string `json:"type"`
		Result struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"result"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	err := d.call("script.evaluate", map[string]any{
		"expression": stringified(expr), "target": map[string]any{"context": d.context},
		"awaitPromise": true, "userActivation": true,
	}, &r)
	if err != nil {
		return err
	}
	if r.Type == "exception" {
		return fmt.Errorf("%s", r.ExceptionDetails.Text)
	}
	return decode(r.Result.Value, out)
}

// Keys types keys. Firefox's BiDi input reaches the page as trusted key
// events (text is typed, Enter submits a form, follows a link, Tab moves
// focus), but Enter on a focused button does not click it, as it does for
// a person at a keyboard: the button Enter lands on is clicked here when
// Firefox has not clicked it itself. TestDrivers shows what this covers.
func (d *firefox) Keys(keys string) error {
	for len(keys) > 0 {
		before, after, enter := strings.Cut(keys, Enter)
		if before != "" {
			if err := d.call("input.performActions", map[string]any{"context": d.context, "actions": keyActions(before)}, nil); err != nil {
				return err
			}
		}
		if enter {
			if err := d.enter(); err != nil {
				return err
			}
		}
		keys = after
	}
	return nil
}

// enter presses Enter, clicking the focused button if Firefox does not.
func (d *firefox) enter() error {
	var onButton bool
	if err := d.Eval(`(() => { let a = document.activeElement;
		while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
		if (!a || a.tagName != 'BUTTON' || a.disabled) return false;
		window.__enterButton = a; window.__enterClicked = false;
		a.addEventListener('click', () => { window.__enterClicked = true; }, {once: true, capture: true});
		return true; })()`, &onButton); err != nil {
		return err
	}
	if err := d.call("input.performActions", map[string]any{"context": d.context, "actions": keyActions(Enter)}, nil); err != nil {
		return err
	}
	if !onButton {
		return nil
	}
	return d.Eval(`(() => { const b = window.__enterButton; delete window.__enterButton;
		if (!window.__enterClicked && b.isConnected) b.click(); })()`, nil)
}

// keyActions is the W3C key input source that types keys, one key down
// and up per character.
func keyActions(keys string) []any {
	var steps []any
	for _, r := range keys {
		steps = append(steps, map[string]any{"type": "keyDown", "value": string(r)}, map[string]any{"type": "keyUp", "value": string(r)})
	}
	return []any{map[string]any{"type": "key", "id": "keyboard", "actions": steps}}
}

func (d *firefox) Resize(width, height int) error {
	return d.call("browsingContext.setViewport", map[string]any{"context": d.context, "viewport": map[string]any{"width": width, "height": height}}, nil)
}

func (d *firefox) Screenshot() ([]byte, error) {
	var r struct {
		Data string `json:"data"`
	}
	if err := d.call("browsingContext.captureScreenshot", map[string]any{"context": d.context}, &r); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(r.Data)
}
