package browsertest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// webkit drives WebKitGTK's MiniBrowser through WebKitWebDriver, which
// speaks W3C WebDriver over HTTP, in an X display of its own (Xvfb).
type webkit struct {
	base    string // http://127.0.0.1:PORT/session/ID
	version string
	chrome  [2]int // window size minus viewport size, in window pixels
}

// webkitZoom scales WebKit's CSS pixels: MiniBrowser's window cannot be
// narrower than 447 px, so a 320 px viewport is a 480 px window at 150%,
// as a patient's zoom would give it.
const webkitZoom = 1.5

// webkitStart is how long WebKitWebDriver and MiniBrowser may take to
// come up on the shared 2-core machine.
const webkitStart = 60 * time.Second

// xScreen is the virtual screen's size: room for a desktop viewport at
// webkitZoom.
const xScreen = "2400x1600x24"

// MiniBrowser is where Debian's webkit2gtk-driver finds its browser.
var miniBrowsers = []string{
	"/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
	"/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
	"/usr/lib/x86_64-linux-gnu/webkit2gtk-4.0/MiniBrowser",
}

// OpenWebKit starts WebKitGTK's MiniBrowser as a Driver.
func OpenWebKit(t testing.TB, width, height int) Driver {
	t.Helper()
	const hint = "install them with `apt-get update && apt-get install -y webkit2gtk-driver xvfb` to run the browser tests in WebKit"
	driver := lookPath("WebKitWebDriver")
	browser := firstFile(miniBrowsers)
	if driver == "" || browser == "" {
		missing(t, "WebKitWebDriver or MiniBrowser not found: "+hint)
	}
	display := startXvfb(t)
	if display == "" {
		missing(t, "Xvfb not found and no DISPLAY: "+hint)
	}
	port := freePort(t)
	cmd := exec.Command(driver, "--port="+strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "GDK_DPI_SCALE="+strconv.FormatFloat(webkitZoom, 'f', -1, 64), "GDK_BACKEND=x11")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting WebKitWebDriver: %v", err)
	}
	t.Cleanup(func() { stop(cmd) })
	server := "http://127.0.0.1:" + strconv.Itoa(port)
	waitReady(t, server+"/status", webkitStart)

	var session struct {
		SessionID    string `json:"sessionId"`
		Capabilities struct {
			BrowserVersion string `json:"browserVersion"`
		} `json:"capabilities"`
	}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"webkitgtk:browserOptions": map[string]any{"binary": browser, "args": []string{"--automation"}},
	}}}
	d := &webkit{base: server + "/session"}
	Check(t, d, "starting a session", d.do("POST", "", caps, &session))
	d.base += "/" + session.SessionID
	d.version = session.Capabilities.BrowserVersion
	t.Cleanup(func() { d.do("DELETE", "", nil, nil) })
	Check(t, d, "setting the viewport", d.Resize(width, height))
	return d
}

// stopWithin is how long a process has to end on SIGTERM (Xvfb removes
// its lock file, a driver closes its browser) before it is killed.
const stopWithin = 5 * time.Second

// stop ends a process the test started: SIGTERM, then SIGKILL.
func stop(cmd *exec.Cmd) {
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(stopWithin):
		cmd.Process.Kill()
		<-done
	}
}

func firstFile(paths []string) string {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// startXvfb starts a virtual X display for the test and returns its name,
// or DISPLAY when there is no Xvfb, or "" with neither.
func startXvfb(t testing.TB) string {
	t.Helper()
	xvfb := lookPath("Xvfb")
	if xvfb == "" {
		return os.Getenv("DISPLAY")
	}
	// -displayfd: Xvfb picks a free display and writes its number to fd 3.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(xvfb, "-displayfd", "3", "-screen", "0", xScreen, "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() { stop(cmd) })
	num, err := waitForLine(r, displayNumber, webkitStart)
	if err != nil {
		t.Fatalf("starting Xvfb: %v", err)
	}
	return ":" + num
}

var displayNumber = regexp.MustCompile(`^(\d+)$`)

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitReady polls a WebDriver's /status until it answers ready.
func waitReady(t testing.TB, url string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			var st struct {
				Value struct {
					Ready bool `json:"ready"`
				} `json:"value"`
			}
			json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if st.Value.Ready {
				return
			}
		}
		time.Sleep(PollEvery)
	}
	t.Fatalf("WebKitWebDriver not ready at %s within %s", url, within)
}

// do sends one WebDriver command and decodes its value into out.
func (d *webkit) do(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, d.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	client := http.Client{Timeout: WaitFor}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	var r struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return fmt.Errorf("%s %s: %s: %w", method, path, resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		json.Unmarshal(r.Value, &e)
		return fmt.Errorf("%s %s: %s: %s", method, path, e.Error, e.Message)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(r.Value, out)
}

func (d *webkit) Engine() string { return "webkit " + d.version }

func (d *webkit) Navigate(url string) error {
	return d.do("POST", "/url", map[string]any{"url": url}, nil)
}

func (d *webkit) Reload() error { return d.do("POST", "/refresh", map[string]any{}, nil) }

func (d *webkit) Eval(expr string, out any) error {
	var text string
	if err := d.do("POST", "/execute/sync", map[string]any{"script": "return " + stringified(expr), "args": []any{}}, &text); err != nil {
		return err
	}
	return decode(text, out)
}

func (d *webkit) Keys(keys string) error {
	return d.do("POST", "/actions", map[string]any{"actions": keyActions(keys)}, nil)
}

// resizeSettle is how long a window may take to reach the size asked: a
// few frames, with room for the shared machine.
const resizeSettle = 2 * time.Second

// Resize sizes the window so that the viewport, in CSS pixels at
// webkitZoom, is width x height: the window's frame and toolbar are
// measured, then allowed for.
func (d *webkit) Resize(width, height int) error {
	var got [4]float64 // the viewport's width and height, the window's
	for range 4 {
		w := int(math.Round(float64(width)*webkitZoom)) + d.chrome[0]
		h := int(math.Round(float64(height)*webkitZoom)) + d.chrome[1]
		if err := d.do("POST", "/window/rect", map[string]any{"width": w, "height": h}, nil); err != nil {
			return fmt.Errorf("%dx%d window: %w", w, h, err)
		}
		// The window, then the page's viewport, take their new size after
		// the command returns: read until the window has it and the
		// viewport holds still.
		settled := time.Now().Add(resizeSettle)
		var last [4]float64
		for {
			if err := d.Eval(`[visualViewport.width, visualViewport.height, outerWidth, outerHeight]`, &got); err != nil {
				return err
			}
			if got == last && int(got[2]) == w && int(got[3]) == h || time.Now().After(settled) {
				break
			}
			last = got
			time.Sleep(PollEvery)
		}
		if math.Abs(got[0]-float64(width)) < 0.01 && math.Abs(got[1]-float64(height)) < 0.01 {
			return nil
		}
		d.chrome = [2]int{max(0, int(math.Round(got[2]-got[0]*webkitZoom))), max(0, int(math.Round(got[3]-got[1]*webkitZoom)))}
	}
	return fmt.Errorf("viewport is %.2fx%.2f, want %dx%d", got[0], got[1], width, height)
}

func (d *webkit) Screenshot() ([]byte, error) {
	var data string
	if err := d.do("GET", "/screenshot", nil, &data); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(strings.TrimSpace(data))
}
