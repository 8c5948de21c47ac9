package browsertest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestDrivers: every engine's driver loads a page, evaluates, types with
// the special keys, resizes its viewport exactly and takes a screenshot.
func TestDrivers(t *testing.T) {
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta name="viewport" content="width=device-width">
<input id="a"><input id="b"><textarea id="c"></textarea><button id="btn" onclick="clicks++">Go</button>
<script>window.clicks = 0; document.getElementById('c').addEventListener('keydown', e => { if (e.key == 'Enter') e.preventDefault(); });
window.keys = []; document.addEventListener('keydown', e => keys.push(e.key));</script>`)
	}))
	defer page.Close()
	for _, e := range Engines {
		t.Run(e.Name, func(t *testing.T) {
			d := e.Open(t, 360, 740)
			t.Logf("engine: %s", d.Engine())
			Check(t, d, "navigate", d.Navigate(page.URL))
			if got := Value[[]int](t, d, `[innerWidth, innerHeight]`); got[0] != 360 || got[1] != 740 {
				t.Errorf("viewport %v, want 360x740", got)
			}
			Do(t, d, `document.getElementById('a').focus()`)
			Check(t, d, "keys", d.Keys("Hi"+Tab+"x"+Enter+Escape))
			Wait(t, d, "the typed text", `document.getElementById('a').value == 'Hi' && document.getElementById('b').value == 'x'`)
			if got := Value[[]string](t, d, `keys`); fmt.Sprint(got) != "[H i Tab x Enter Escape]" {
				t.Errorf("keys seen by the page: %q", got)
			}
			// A cancelled Enter types nothing; Enter on a button clicks it.
			Do(t, d, `document.getElementById('c').focus()`)
			Check(t, d, "keys", d.Keys("a"+Enter+"b"))
			Wait(t, d, "the typed text", `document.getElementById('c').value.length == 2`)
			if got := Value[string](t, d, `document.getElementById('c').value`); got != "ab" {
				t.Errorf("textarea holds %q after a cancelled Enter, want %q", got, "ab")
			}
			Do(t, d, `document.getElementById('btn').focus()`)
			Check(t, d, "keys", d.Keys(Enter))
			Wait(t, d, "the button clicked by Enter", `clicks == 1`)
			Check(t, d, "keys", d.Keys(Enter))
			Wait(t, d, "the button clicked again", `clicks == 2`)
			if got := Value[int](t, d, `clicks`); got != 2 {
				t.Errorf("two Enters clicked the button %d times", got)
			}
			Check(t, d, "resize", d.Resize(1280, 900))
			if got := Value[[]int](t, d, `[innerWidth, innerHeight]`); got[0] != 1280 || got[1] != 900 {
				t.Errorf("viewport after resizing %v, want 1280x900", got)
			}
			Do(t, d, `window.marker = 1`)
			Check(t, d, "reload", d.Reload())
			if got := Value[any](t, d, `window.marker`); got != nil {
				t.Errorf("window.marker = %v after a reload, want it gone", got)
			}
			png, err := d.Screenshot()
			Check(t, d, "screenshot", err)
			if !bytes.HasPrefix(png, []byte("\x89PNG")) {
				t.Errorf("screenshot is not a PNG: %q", png[:min(8, len(png))])
			}
		})
	}
}
