package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cellchat/cellchat/internal/browsertest"
)

func newBrowser(t *testing.T) context.Context { return browsertest.Start(t, 1280, 900) }

// shadow is a JS expression for the widget's shadow root.
const shadow = `document.querySelector('#cellchat-widget').shadowRoot`

func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(tctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

func screenshot(t *testing.T, ctx context.Context, name string) []byte {
	t.Helper()
	return browsertest.Screenshot(t, ctx, browsertest.ArtifactsDir(t, ".."), name)
}

// TestWidgetInBrowser drives the demo page in Chromium the way a patient
// would: keyboard only for asking, clicks for citations and feedback.
func TestWidgetInBrowser(t *testing.T) {
	ctx := newBrowser(t)
	// Text streams as soon as it is produced, as from a generating model.
	ts := newTestServer(t, func(c *Config) {
		c.StreamAfter = 0
		c.MaxQuestionChars = 1500
		c.SourceDetails = func(id string) SourceDetails {
			if id == fakeCitations[0].DocID {
				return SourceDetails{Publisher: "ASGCT", Reviewed: "2023-12-18"}
			}
			return SourceDetails{}
		}
	})
	ts.answerer.deltaDelay = 400 * time.Millisecond

	run(t, ctx, "open the demo page", chromedp.Navigate(ts.URL+"/"))
	waitJS(t, ctx, "the launcher", `!!document.querySelector('#cellchat-widget') && !!`+shadow+`.querySelector('.launcher')`)
	if got := eval[string](t, ctx, `getComputedStyle(`+shadow+`.querySelector('.launcher')).backgroundColor`); got != "rgb(10, 79, 153)" {
		t.Errorf("the page's CSS leaked into the widget: launcher background %s", got)
	}
	// Keyboard: focus the launcher, press Enter, the question box gets focus.
	eval[bool](t, ctx, shadow+`.querySelector('.launcher').focus(), true`)
	run(t, ctx, "open with Enter", chromedp.KeyEvent(kb.Enter))
	waitJS(t, ctx, "the hello", `!`+shadow+`.querySelector('.panel').hidden && `+shadow+`.querySelector('.conn').hidden`)
	if id := eval[string](t, ctx, shadow+`.activeElement && `+shadow+`.activeElement.id`); id != "cc-input" {
		t.Errorf("focus after opening is on %q, want the question box", id)
	}
	if n := eval[int](t, ctx, shadow+`.querySelector('#cc-input').maxLength`); n != 1500 {
		t.Errorf("question box takes %d characters, want the server's limit 1500", n)
	}
	if n := eval[int](t, ctx, shadow+`.querySelectorAll('.chip').length`); n != 3 {
		t.Errorf("%d suggested questions, want 3", n)
	}

	// Ask by typing and Enter; the answer streams in.
	run(t, ctx, "type a question", chromedp.KeyEvent("What is CAR-T therapy?"), chromedp.KeyEvent(kb.Enter))
	waitJS(t, ctx, "the first delta, shown while streaming",
		shadow+`.querySelector('.bot.streaming') && `+shadow+`.querySelector('.bot.streaming').textContent.includes('CAR-T cell therapy changes')`)
	waitJS(t, ctx, "the answer with citations", shadow+`.querySelectorAll('.bot.answer .cite').length == 2`)
	answer := eval[string](t, ctx, shadow+`.querySelector('.bot.answer').textContent`)
	if !strings.Contains(answer, testDisclaimer) || !strings.Contains(answer, "cytokine release syndrome") {
		t.Errorf("answer bubble lacks text or disclaimer: %q", answer)
	}
	if live := eval[string](t, ctx, shadow+`.querySelector('[aria-live=polite].sr').textContent`); !strings.Contains(live, "CAR-T cell therapy changes") {
		t.Errorf("live region = %q, want the answer announced", live)
	}

	// Open citation [1]: the passage with its source title and link.
	eval[bool](t, ctx, shadow+`.querySelector('.bot.answer .cite').click(), true`)
	waitJS(t, ctx, "the cited passage", `!`+shadow+`.querySelector('.bot.answer .source').hidden`)
	src := eval[map[string]string](t, ctx, `(() => { const s = `+shadow+`.querySelector('.bot.answer .source'); const a = s.querySelector('a');
		return {href: a.href, title: a.textContent, passage: s.querySelector('.quote').textContent, pub: s.querySelector('.pub').textContent, expanded: `+shadow+`.querySelector('.bot.answer .cite').getAttribute('aria-expanded')}; })()`)
	if src["href"] != fakeCitations[0].URL || src["title"] != fakeCitations[0].Title || src["passage"] != fakeCitations[0].Passage || src["expanded"] != "true" || src["pub"] != "ASGCT · reviewed 2023-12-18" {
		t.Errorf("opened source = %v", src)
	}
	screenshot(t, ctx, "widget-desktop.png")
	// The README's screenshot comes from the real engine: see
	// TestWidgetWithRealEngine in cmd/cellchat.

	// Feedback: thumbs down, then a comment.
	answerID := firstAnswerID(t, ts)
	eval[bool](t, ctx, shadow+`.querySelector('.bot.answer .fbtn[aria-label="No, not helpful"]').click(), true`)
	eventually(t, "the rating logged", func() bool { return len(ts.log.feedbackFor(answerID)) == 1 })
	eval[bool](t, ctx, `(() => { const f = `+shadow+`.querySelector('.bot.answer .fbform'); f.querySelector('textarea').value = 'Please say more about <b>fever</b>'; f.requestSubmit(); return true; })()`)
	eventually(t, "the comment logged", func() bool { return len(ts.log.feedbackFor(answerID)) == 2 })
	if fb := ts.log.feedbackFor(answerID); fb[0].Rating != "down" || fb[1].Comment != "Please say more about <b>fever</b>" {
		t.Errorf("feedback logged = %+v", fb)
	}
	if p := eval[string](t, ctx, shadow+`.querySelector('.bot.answer .fbtn[aria-label="No, not helpful"]').getAttribute('aria-pressed')`); p != "true" {
		t.Errorf("thumbs down aria-pressed = %s", p)
	}

	// Markup in a question and in an answer is shown as text, never run.
	eval[bool](t, ctx, `window.__alerted = false; window.alert = () => { window.__alerted = true; }; true`)
	injected := `<img src=x onerror=alert(1)><script>alert(2)</script>`
	eval[bool](t, ctx, `(() => { const i = `+shadow+`.querySelector('#cc-input'); i.value = 'echo:`+injected+`'; `+shadow+`.querySelector('form.ask').requestSubmit(); return true; })()`)
	waitJS(t, ctx, "the echo answer", shadow+`.querySelectorAll('.bot.answer').length == 2`)
	time.Sleep(300 * time.Millisecond) // give an injected onerror the chance to fire
	if n := eval[int](t, ctx, shadow+`.querySelectorAll('img, script').length + document.querySelectorAll('img').length`); n != 0 {
		t.Errorf("injected markup became %d elements", n)
	}
	if eval[bool](t, ctx, `window.__alerted`) {
		t.Error("injected script ran")
	}
	userText := eval[string](t, ctx, `[...`+shadow+`.querySelectorAll('.msg.user')].pop().textContent`)
	botText := eval[string](t, ctx, `[...`+shadow+`.querySelectorAll('.bot.answer')].pop().textContent`)
	if !strings.Contains(userText, injected) || !strings.Contains(botText, injected) {
		t.Errorf("markup not shown literally: question %q, answer %q", userText, botText)
	}

	// Emergencies are unmistakable.
	eval[bool](t, ctx, `(() => { const i = `+shadow+`.querySelector('#cc-input'); i.value = 'I cannot breathe, emergency'; `+shadow+`.querySelector('form.ask').requestSubmit(); return true; })()`)
	waitJS(t, ctx, "the emergency reply", shadow+`.querySelector('.bot.emergency[role=alert] .urgent') !== null`)

	// Contrast: every text the widget shows meets WCAG AA (4.5:1) against
	// the background it sits on.
	low := eval[[]string](t, ctx, `(() => {
		const lum = c => { const [r, g, b] = c.match(/[\d.]+/g).slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
		const bg = el => { for (; el; el = el.parentElement || (el.getRootNode() && el.getRootNode().host)) { const c = getComputedStyle(el).backgroundColor; if (!/rgba\(.*, 0\)$/.test(c) && c !== 'transparent') return c; } return 'rgb(255, 255, 255)'; };
		const bad = [];
		for (const el of `+shadow+`.querySelectorAll('.msg, .msg *, button, .head h2, .disclaimer, .hello-disc, .count, .status, .conn, .conn *, textarea')) {
			if (!el.childNodes.length || ![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
			const a = lum(getComputedStyle(el).color), b = lum(bg(el));
			const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
			if (ratio < 4.5) bad.push(el.className + ' "' + el.textContent.slice(0, 30) + '" ' + ratio.toFixed(2));
		}
		return bad;
	})()`)
	if len(low) > 0 {
		t.Errorf("text under 4.5:1 contrast: %v", low)
	}

	// Reload: the conversation comes back from the server.
	run(t, ctx, "reload", chromedp.Reload())
	waitJS(t, ctx, "the resumed history", `!!document.querySelector('#cellchat-widget') && `+shadow+`.querySelectorAll('.msg.user').length == 3`)
	hist := eval[string](t, ctx, shadow+`.querySelector('.msgs').textContent`)
	if !strings.Contains(hist, "What is CAR-T therapy?") || !strings.Contains(hist, injected) {
		t.Errorf("history after reload lacks the questions: %q", hist)
	}
	if n := eval[int](t, ctx, shadow+`.querySelectorAll('.bot.answer .cite').length`); n < 2 {
		t.Errorf("history answers lost their citations (%d markers)", n)
	}

	// The phone layout is checked in every engine: TestWidgetInEveryEngine.

	// New conversation: a new id, no history.
	oldID := eval[string](t, ctx, `sessionStorage.getItem('cellchat:conversation:' + location.host)`)
	eval[bool](t, ctx, `[...`+shadow+`.querySelectorAll('button')].find(b => b.textContent == 'New conversation').click(), true`)
	waitJS(t, ctx, "a new conversation", fmt.Sprintf(`(() => { const id = sessionStorage.getItem('cellchat:conversation:' + location.host); return id && id != %q && %s.querySelectorAll('.msg.user').length == 0 && %s.querySelector('.conn').hidden; })()`, oldID, shadow, shadow))

	// Escape closes the panel and gives focus back to the launcher.
	eval[bool](t, ctx, shadow+`.querySelector('#cc-input').focus(), true`)
	run(t, ctx, "press Escape", chromedp.KeyEvent(kb.Escape))
	waitJS(t, ctx, "the closed panel", shadow+`.querySelector('.panel').hidden && `+shadow+`.activeElement === `+shadow+`.querySelector('.launcher')`)
	eval[bool](t, ctx, shadow+`.querySelector('.launcher').click(), true`)

	// One question in the new conversation, so there is one to resume.
	eval[bool](t, ctx, shadow+`.querySelector('#cc-input').focus(), true`)
	run(t, ctx, "ask in the new conversation", chromedp.KeyEvent("What is CAR-T therapy?"), chromedp.KeyEvent(kb.Enter))
	waitJS(t, ctx, "the answer in the new conversation", shadow+`.querySelectorAll('.bot.answer').length == 1`)

	// The server goes away: the widget says it is offline and retries.
	ts.srv.Shutdown(context.Background())
	waitJS(t, ctx, "the offline notice", `!`+shadow+`.querySelector('.conn').hidden && /offline/i.test(`+shadow+`.querySelector('.conn').textContent)`)
	if disabled := eval[bool](t, ctx, shadow+`.querySelector('.send').disabled`); !disabled {
		t.Error("send stays enabled while offline")
	}

	// The server comes back: the widget reconnects by itself, resumes the
	// same conversation and answers again.
	convID := eval[string](t, ctx, `sessionStorage.getItem('cellchat:conversation:' + location.host)`)
	ts.restart(t)
	waitJS(t, ctx, "the reconnection", shadow+`.querySelector('.conn').hidden && !`+shadow+`.querySelector('.send').disabled`)
	if got := eval[string](t, ctx, `sessionStorage.getItem('cellchat:conversation:' + location.host)`); got != convID {
		t.Errorf("conversation after reconnecting %q, want the same %q", got, convID)
	}
	if n := eval[int](t, ctx, shadow+`.querySelectorAll('.msg.user').length`); n != 1 {
		t.Errorf("%d questions shown after reconnecting, want the conversation's 1", n)
	}
	eval[bool](t, ctx, shadow+`.querySelector('#cc-input').focus(), true`)
	run(t, ctx, "ask after reconnecting", chromedp.KeyEvent("What are the side effects?"), chromedp.KeyEvent(kb.Enter))
	waitJS(t, ctx, "an answer after reconnecting", shadow+`.querySelectorAll('.bot.answer').length == 2`)
	ts.log.mu.Lock()
	logged := len(ts.log.convs[convID])
	ts.log.mu.Unlock()
	if logged != 2 {
		t.Errorf("%d turns logged in the resumed conversation, want 2", logged)
	}
}

func firstAnswerID(t *testing.T, ts *testServer) string {
	t.Helper()
	ts.log.mu.Lock()
	defer ts.log.mu.Unlock()
	for _, recs := range ts.log.convs {
		if len(recs) > 0 {
			return recs[0].AnswerID
		}
	}
	t.Fatal("no answer logged")
	return ""
}

// TestWidgetEmbeddedOnAnotherSite loads the widget with one script tag from
// a clinic page on another origin: it finds its server from its own src,
// works when that origin is allowed, and shows it is offline when not.
func TestWidgetEmbeddedOnAnotherSite(t *testing.T) {
	ctx := newBrowser(t)
	ts := newTestServer(t, func(c *Config) { c.AllowedOrigins = []string{"https://another-clinic.example"} })
	clinic := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Clinic</title><style>button{background:red}</style></head>
<body><h1>Another clinic</h1><script src="%s/widget.js" data-title="Clinic helper" async></script></body></html>`, ts.URL)
	}))
	defer clinic.Close()
	clinicOrigin := clinic.URL

	// Not allowed yet: the upgrade gets 403 and the widget says offline.
	run(t, ctx, "open the clinic page", chromedp.Navigate(clinic.URL+"/"))
	waitJS(t, ctx, "the launcher", `!!document.querySelector('#cellchat-widget')`)
	eval[bool](t, ctx, shadow+`.querySelector('.launcher').click(), true`)
	waitJS(t, ctx, "the offline notice", `/offline/i.test(`+shadow+`.querySelector('.conn').textContent)`)

	// Allowed: a server allowing the clinic's origin, with one ask per 5 s
	// after the first, so the second ask is rate limited.
	ts2 := newTestServer(t, func(c *Config) { c.ConnRate = 0.2; c.ConnBurst = 1; c.AllowedOrigins = []string{clinicOrigin} })
	clinic.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><body><h1>Another clinic</h1><script src="%s/widget.js" data-title="Clinic helper" async></script></body></html>`, ts2.URL)
	})
	run(t, ctx, "reload the clinic page", chromedp.Navigate(clinic.URL+"/"))
	waitJS(t, ctx, "the launcher", `!!document.querySelector('#cellchat-widget')`)
	eval[bool](t, ctx, shadow+`.querySelector('.launcher').click(), true`)
	waitJS(t, ctx, "online", shadow+`.querySelector('.conn').hidden && !`+shadow+`.querySelector('.panel').hidden`)
	if got := eval[string](t, ctx, shadow+`.querySelector('h2').textContent`); got != "Clinic helper" {
		t.Errorf("title = %q", got)
	}
	ask := `(q) => { const i = ` + shadow + `.querySelector('#cc-input'); i.value = q; ` + shadow + `.querySelector('form.ask').requestSubmit(); return true; }`
	eval[bool](t, ctx, `(`+ask+`)('What is CAR-T?')`)
	waitJS(t, ctx, "the answer", shadow+`.querySelectorAll('.bot.answer').length == 1`)
	eval[bool](t, ctx, `(`+ask+`)('And its side effects?')`)
	waitJS(t, ctx, "the rate-limit message", shadow+`.querySelector('.bot.error') && /too quickly/.test(`+shadow+`.querySelector('.bot.error').textContent)`)
}
