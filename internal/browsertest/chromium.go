package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromium drives Chromium over the DevTools protocol through chromedp.
type chromium struct {
	ctx     context.Context
	version string
}

// OpenChromium starts headless Chromium as a Driver.
func OpenChromium(t testing.TB, width, height int) Driver {
	t.Helper()
	ctx := Start(t, width, height)
	d := &chromium{ctx: ctx}
	v, err := chromedp.Call(ctx, browser.GetVersion, cdp.Empty{})
	Check(t, d, "reading the version", err)
	_, d.version, _ = strings.Cut(v.Product, "/")
	Check(t, d, "setting the viewport", d.Resize(width, height))
	return d
}

// Context is the chromedp context of a Driver from OpenChromium, for the
// Chromium-only checks (network emulation and the like).
func Context(d Driver) (context.Context, bool) {
	c, ok := d.(*chromium)
	if !ok {
		return nil, false
	}
	return c.ctx, true
}

func (d *chromium) Engine() string { return "chromium " + d.version }

func (d *chromium) run(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(d.ctx, WaitFor)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

func (d *chromium) Navigate(url string) error { return d.run(chromedp.Navigate(url)) }

func (d *chromium) Reload() error { return d.run(chromedp.Reload()) }

func (d *chromium) Eval(expr string, out any) error {
	ctx, cancel := context.WithTimeout(d.ctx, WaitFor)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](stringified(expr)))
	if err != nil {
		return err
	}
	return decode(text, out)
}

// chromeKeys are chromedp's names for the WebDriver keys.
var chromeKeys = strings.NewReplacer(Enter, kb.Enter, Tab, kb.Tab, Escape, kb.Escape)

func (d *chromium) Keys(keys string) error {
	return d.run(chromedp.KeyEvent(chromeKeys.Replace(keys)))
}

// Resize emulates a phone (touch, mobile viewport) below 481 px, the
// widget's phone breakpoint, and a desktop above it.
func (d *chromium) Resize(width, height int) error {
	if width <= phoneWidth {
		return d.run(chromedp.EmulateViewport(int64(width), int64(height), chromedp.EmulateMobile))
	}
	return d.run(chromedp.EmulateViewport(int64(width), int64(height)))
}

// phoneWidth is the widest viewport the widget lays out as a phone (its
// CSS's max-width:480px).
const phoneWidth = 480

func (d *chromium) Screenshot() ([]byte, error) {
	ctx, cancel := context.WithTimeout(d.ctx, WaitFor)
	defer cancel()
	return chromedp.Run(ctx, chromedp.CaptureScreenshot())
}
