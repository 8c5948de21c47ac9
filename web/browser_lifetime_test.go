package web

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestWidgetReconnectsQuietlyAfterSocketLifetime: a socket closed for its
// age is replaced at once, in the same conversation, and the patient is
// never told they are offline.
func TestWidgetReconnectsQuietlyAfterSocketLifetime(t *testing.T) {
	ctx := newBrowser(t)
	ts := newTestServer(t, func(c *Config) { c.MaxSocketLifetime = 1500 * time.Millisecond })

	run(t, ctx, "open the demo page", chromedp.Navigate(ts.URL+"/"))
	waitJS(t, ctx, "the launcher", `!!document.querySelector('#cellchat-widget') && !!`+shadow+`.querySelector('.launcher')`)
	eval[bool](t, ctx, shadow+`.querySelector('.launcher').click(), true`)
	waitJS(t, ctx, "the hello", `!`+shadow+`.querySelector('.panel').hidden && `+shadow+`.querySelector('.conn').hidden`)
	eval[bool](t, ctx, `(() => { window.__shown = []; const c = `+shadow+`.querySelector('.conn');
		new MutationObserver(() => { if (!c.hidden) window.__shown.push(c.textContent); }).observe(c, {attributes: true, childList: true, characterData: true, subtree: true});
		return true; })()`)
	eval[bool](t, ctx, shadow+`.querySelector('#cc-input').focus(), true`)
	run(t, ctx, "ask", chromedp.KeyEvent("What is CAR-T therapy?"), chromedp.KeyEvent(kb.Enter))
	waitJS(t, ctx, "the answer", shadow+`.querySelectorAll('.bot.answer').length == 1`)

	eventually(t, "a second socket after the first one's lifetime", func() bool {
		return metricValue(t, ts, `cellchat_http_requests_total{code="101",route="/ws"}`) >= 2
	})
	waitJS(t, ctx, "the widget online again", shadow+`.querySelector('.conn').hidden && !`+shadow+`.querySelector('.send').disabled`)
	if shown := eval[[]string](t, ctx, `window.__shown`); len(shown) > 0 {
		t.Errorf("the patient was shown %q when the socket reached its lifetime", shown)
	}
	eval[bool](t, ctx, shadow+`.querySelector('#cc-input').focus(), true`)
	run(t, ctx, "ask again", chromedp.KeyEvent("What are the side effects?"), chromedp.KeyEvent(kb.Enter))
	waitJS(t, ctx, "the second answer", shadow+`.querySelectorAll('.bot.answer').length == 2`)
	ts.log.mu.Lock()
	defer ts.log.mu.Unlock()
	if len(ts.log.convs) != 1 {
		t.Errorf("%d conversations logged, want the one resumed across sockets", len(ts.log.convs))
	}
}
