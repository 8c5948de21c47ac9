package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserPage drives one Chromium tab in the end-to-end tests.
type browserPage struct {
	t   *testing.T
	ctx context.Context
}

// eval evaluates a JavaScript expression giving a string.
func (p browserPage) eval(expr string) string {
	p.t.Helper()
	tctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[string](expr))
	if err != nil {
		p.t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

// wait polls expr until it is true, across the page loads a form
// submission makes (an evaluation during one fails and is tried again).
func (p browserPage) wait(what, expr string) {
	p.t.Helper()
	var err error
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		tctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		var ok bool
		ok, err = chromedp.Run(tctx, chromedp.Evaluate[bool](expr))
		cancel()
		if ok {
			return
		}
	}
	p.t.Fatalf("waiting for %s (%s): %v", what, expr, err)
}

// navigate opens url in the tab.
func (p browserPage) navigate(url string) {
	p.t.Helper()
	tctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, chromedp.Navigate(url)); err != nil {
		p.t.Fatalf("open %s: %v", url, err)
	}
}
