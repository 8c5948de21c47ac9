package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
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

// Keys sends each key as Chromium's own input does: one keyDown carrying
// the key's text, then keyUp, so a page that cancels the keydown (Enter
// sends the question) also cancels the text. chromedp's KeyEvent sends
// the text as a separate char event, which a cancelled keydown does not
// stop, leaving a newline in the question box after Enter.
func (d *chromium) Keys(keys string) error {
	ctx, cancel := context.WithTimeout(d.ctx, WaitFor)
	defer cancel()
	for _, r := range chromeKeys.Replace(keys) {
		events := kb.Encode(r)
		var text, unmodified string
		for _, ev := range events {
			if ev.Type == kb.KeyChar {
				text, unmodified = ev.Text, ev.UnmodifiedText
			}
		}
		for _, ev := range events {
			if ev.Type == kb.KeyChar {
				continue
			}
			if ev.Type == kb.KeyDown {
				down := *ev
				down.Text, down.UnmodifiedText = text, unmodified
				ev = &down
			}
			if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, *ev); err != nil {
				return err
			}
		}
	}
	return nil
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
