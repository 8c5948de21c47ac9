package browsertest

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"
)

// Driver is what a scenario needs of a browser engine, whichever protocol
// drives it: Chromium's DevTools, Firefox's WebDriver BiDi or WebKit's
// W3C WebDriver. One page in one window; it ends with the test.
type Driver interface {
	// Engine names the engine and its version, as "firefox 153.8.0esr".
	Engine() string
	// Navigate loads url and returns once the page has loaded.
	Navigate(url string) error
	// Reload reloads the page and returns once it has loaded.
	Reload() error
	// Eval runs a JavaScript expression in the page and decodes its value,
	// taken through JSON.stringify, into out (nil: the value is dropped).
	Eval(expr string, out any) error
	// Keys types into the focused element: text, and the keys Enter, Tab
	// and Escape below, each pressed and released in turn.
	Keys(keys string) error
	// Resize sets the page's viewport (the layout viewport, in CSS pixels).
	Resize(width, height int) error
	// Screenshot captures the viewport as a PNG.
	Screenshot() ([]byte, error)
}

// Keys for Driver.Keys, with the code points W3C WebDriver gives them.
const (
	Enter  = "\uE006"
	Tab    = "\uE004"
	Escape = "\uE00C"
)

// Engine is a browser engine the widget is tested in.
type Engine struct {
	Name string
	// Open starts the engine with a viewport of the given size, skipping
	// the test (failing under CI=true) when it is not installed.
	Open func(t testing.TB, width, height int) Driver
}

// Engines are the three engines patients' browsers are built on.
var Engines = []Engine{
	{Name: "chromium", Open: OpenChromium},
	{Name: "firefox", Open: OpenFirefox},
	{Name: "webkit", Open: OpenWebKit},
}

// PollEvery is how often Wait checks its condition: often enough that a
// scenario does not idle, rarely enough to leave the page its CPU.
const PollEvery = 50 * time.Millisecond

// WaitFor is how long Wait waits for a condition before failing: far
// beyond any step's time on the shared 2-core machine, short of a hang.
const WaitFor = 20 * time.Second

// missing skips the test, or fails it under CI=true, where every engine
// must be there.
func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Value evaluates expr in d's page and returns its value as a T.
func Value[T any](t testing.TB, d Driver, expr string) T {
	t.Helper()
	var v T
	if err := d.Eval(expr, &v); err != nil {
		t.Fatalf("%s: eval %s: %v", d.Engine(), expr, err)
	}
	return v
}

// Do evaluates expr in d's page for its effect.
func Do(t testing.TB, d Driver, expr string) {
	t.Helper()
	if err := d.Eval(expr, nil); err != nil {
		t.Fatalf("%s: eval %s: %v", d.Engine(), expr, err)
	}
}

// Wait polls the boolean expression expr until it is true, failing the
// test after WaitFor.
func Wait(t testing.TB, d Driver, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(WaitFor)
	var last error
	for time.Now().Before(deadline) {
		var ok bool
		if last = d.Eval(expr, &ok); last == nil && ok {
			return
		}
		time.Sleep(PollEvery)
	}
	if last != nil {
		t.Fatalf("%s: waiting for %s (%s): %v", d.Engine(), what, expr, last)
	}
	t.Fatalf("%s: waiting for %s: still false after %s: %s", d.Engine(), what, WaitFor, expr)
}

// Check fails the test with what when err is not nil.
func Check(t testing.TB, d Driver, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %s: %v", d.Engine(), what, err)
	}
}

// Shot saves a screenshot of d's viewport as dir/name and returns the PNG.
func Shot(t testing.TB, d Driver, dir, name string) []byte {
	t.Helper()
	png, err := d.Screenshot()
	Check(t, d, "screenshot", err)
	save(t, dir, name, png)
	return png
}

// stringified wraps expr so that its value comes back as JSON text.
func stringified(expr string) string {
	return "JSON.stringify((" + expr + ") ?? null)"
}

// decode reads the JSON text a stringified expression returned into out.
func decode(text string, out any) error {
	if out == nil {
		return nil
	}
	if err := json.Unmarshal([]byte(text), out); err != nil {
		return fmt.Errorf("decoding %.200q: %w", text, err)
	}
	return nil
}
