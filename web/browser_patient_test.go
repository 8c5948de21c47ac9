package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// askJS submits a question the way the form does.
const askJS = `(q) => { const i = ` + shadow + `.querySelector('#cc-input'); i.value = q; ` + shadow + `.querySelector('form.ask').requestSubmit(); return true; }`

func openWidget(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	run(t, ctx, "open the demo page", chromedp.Navigate(url))
	waitJS(t, ctx, "the launcher", `!!document.querySelector('#cellchat-widget') && !!`+shadow+`.querySelector('.launcher')`)
	eval[bool](t, ctx, shadow+`.querySelector('.launcher').click(), true`)
	waitJS(t, ctx, "online", `!`+shadow+`.querySelector('.panel').hidden && `+shadow+`.querySelector('.conn').hidden`)
}

func askAndWait(t *testing.T, ctx context.Context, question string, answers int) {
	t.Helper()
	eval[bool](t, ctx, `(`+askJS+`)(`+jsString(question)+`)`)
	waitJS(t, ctx, "answer "+fmt.Sprint(answers), fmt.Sprintf(`%s.querySelectorAll('.msg.bot:not(.streaming)').length == %d`, shadow, answers+1))
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }

// topInView is how far el's top is below the top of the message list's
// visible area (negative: scrolled out above).
const topInView = `(el) => el.getBoundingClientRect().top - ` + shadow + `.querySelector('.msgs').getBoundingClientRect().top`

// TestWidgetShowsNewAnswerFromItsStart: a long answer is shown from its
// start, with the question above it, while it streams and once complete;
// a patient who scrolls takes over the scrolling.
func TestWidgetShowsNewAnswerFromItsStart(t *testing.T) {
	ctx := newBrowser(t)
	ts := newTestServer(t, func(c *Config) { c.StreamAfter = 0 })
	openWidget(t, ctx, ts.URL+"/")
	askAndWait(t, ctx, "What is CAR-T therapy?", 1)

	ts.answerer.deltaDelay = 150 * time.Millisecond
	eval[bool](t, ctx, `(`+askJS+`)('Tell me the long answer')`)
	waitJS(t, ctx, "the long answer streaming past the panel's height",
		shadow+`.querySelector('.bot.streaming') && `+shadow+`.querySelector('.bot.streaming').offsetHeight > `+shadow+`.querySelector('.msgs').clientHeight`)
	pos := func() (question, answer float64) {
		v := eval[[]float64](t, ctx, `(() => { const q = [...`+shadow+`.querySelectorAll('.msg.user')].pop(); const a = [...`+shadow+`.querySelectorAll('.msg.bot')].pop();
			return [(`+topInView+`)(q), (`+topInView+`)(a)]; })()`)
		return v[0], v[1]
	}
	clientH := eval[float64](t, ctx, shadow+`.querySelector('.msgs').clientHeight`)
	check := func(when string) {
		t.Helper()
		q, a := pos()
		if q < 0 || q > 20 || a < 0 || a > clientH/2 {
			t.Errorf("%s: question at %.0f px, answer's start at %.0f px from the top of a %.0f px list; want the question at the top and the answer's start in view", when, q, a, clientH)
		}
	}
	check("while streaming")
	waitJS(t, ctx, "the long answer complete", shadow+`.querySelectorAll('.bot.answer').length == 2`)
	check("once complete")
	if at, max := eval[float64](t, ctx, shadow+`.querySelector('.msgs').scrollTop`), eval[float64](t, ctx, shadow+`.querySelector('.msgs').scrollHeight - `+shadow+`.querySelector('.msgs').clientHeight`); at > max-100 {
		t.Errorf("list scrolled to %.0f of %.0f: the end of the answer, not its start", at, max)
	}
	screenshot(t, ctx, "widget-long-answer.png")

	// The patient scrolls up while the next answer streams: the widget
	// leaves the view where they put it.
	eval[bool](t, ctx, `(`+askJS+`)('And another long answer')`)
	waitJS(t, ctx, "the next answer streaming", shadow+`.querySelector('.bot.streaming') && `+shadow+`.querySelector('.bot.streaming').textContent.includes('Sentence 2')`)
	eval[bool](t, ctx, `(() => { const m = `+shadow+`.querySelector('.msgs'); m.dispatchEvent(new WheelEvent('wheel', {deltaY: -300, bubbles: true})); m.scrollTop = 40; return true; })()`)
	waitJS(t, ctx, "the next answer complete", shadow+`.querySelectorAll('.bot.answer').length == 3`)
	if at := eval[float64](t, ctx, shadow+`.querySelector('.msgs').scrollTop`); at != 40 {
		t.Errorf("after the patient scrolled to 40 px the widget moved the list to %.0f px", at)
	}
}

// TestWidgetRatesOnce: one rating per answer, shown again after a reload,
// changeable, with the comment kept.
func TestWidgetRatesOnce(t *testing.T) {
	ctx := newBrowser(t)
	ts := newTestServer(t, nil)
	openWidget(t, ctx, ts.URL+"/")
	askAndWait(t, ctx, "What is CAR-T therapy?", 1)
	answerID := firstAnswerID(t, ts)
	fbtn := func(label string) string {
		return shadow + `.querySelector('.bot.answer .fbtn[aria-label="` + label + `"]')`
	}
	eval[bool](t, ctx, fbtn("No, not helpful")+`.click(), true`)
	eventually(t, "the rating sent", func() bool { return len(ts.log.feedbackFor(answerID)) == 1 })
	eval[bool](t, ctx, `(() => { const f = `+shadow+`.querySelector('.bot.answer .fbform'); f.querySelector('textarea').value = 'More about fever, please'; f.requestSubmit(); return true; })()`)
	eventually(t, "the comment sent", func() bool { return len(ts.log.feedbackFor(answerID)) == 2 })
	if fb := ts.log.feedbackFor(answerID)[1]; fb.Rating != "down" || fb.Comment != "More about fever, please" {
		t.Errorf("comment sent as %+v, want it with the thumbs-down", fb)
	}

	run(t, ctx, "reload", chromedp.Reload())
	waitJS(t, ctx, "the resumed answer", `!!document.querySelector('#cellchat-widget') && `+shadow+`.querySelectorAll('.bot.answer').length == 1`)
	state := eval[map[string]string](t, ctx, `({up: `+fbtn("Yes, helpful")+`.getAttribute('aria-pressed'), down: `+fbtn("No, not helpful")+`.getAttribute('aria-pressed'),
		form: String(`+shadow+`.querySelector('.bot.answer .fbform').hidden), note: `+shadow+`.querySelector('.bot.answer .fb').textContent})`)
	if state["down"] != "true" || state["up"] != "false" || state["form"] != "true" || !strings.Contains(state["note"], "comment") {
		t.Errorf("after a reload the rating shows as %v; want thumbs-down pressed, the comment acknowledged and no form", state)
	}

	// Changing the rating: the thumbs-up is pressed alone, and the log has
	// one rating, up, with the comment.
	eval[bool](t, ctx, fbtn("Yes, helpful")+`.click(), true`)
	eventually(t, "the changed rating sent", func() bool { return len(ts.log.feedbackFor(answerID)) == 3 })
	if up, down := eval[string](t, ctx, fbtn("Yes, helpful")+`.getAttribute('aria-pressed')`), eval[string](t, ctx, fbtn("No, not helpful")+`.getAttribute('aria-pressed')`); up != "true" || down != "false" {
		t.Errorf("after changing to thumbs-up: up pressed %s, down pressed %s", up, down)
	}
	recs, _ := ts.log.History(ctx, eval[string](t, ctx, `sessionStorage.getItem('cellchat:conversation:' + location.host)`), 0)
	if f := recs[0].Rating; f == nil || f.Rating != "up" || f.Comment != "More about fever, please" {
		t.Errorf("the answer's rating is %+v, want up with the comment", f)
	}
}

// TestWidgetUrgentHelp: the emergency reply has neither thumbs nor the
// general-information footer, and while the server cannot be reached the
// offline notice says how to get urgent help.
func TestWidgetUrgentHelp(t *testing.T) {
	ctx := newBrowser(t)
	const urgent = "Call 112 or the transplant unit on 555-0100 now."
	ts := newTestServer(t, func(c *Config) { c.UrgentHelp = urgent })
	openWidget(t, ctx, ts.URL+"/")
	askAndWait(t, ctx, "emergency: I cannot breathe", 1)
	got := eval[map[string]int](t, ctx, `(() => { const b = `+shadow+`.querySelector('.bot.emergency'); return {fb: b.querySelectorAll('.fb, .fbtn').length, disc: b.querySelectorAll('.disclaimer').length, urgent: b.querySelectorAll('.urgent').length}; })()`)
	if got["fb"] != 0 || got["disc"] != 0 || got["urgent"] != 1 {
		t.Errorf("emergency reply has %d feedback controls and %d disclaimers (want none), %d urgent headings", got["fb"], got["disc"], got["urgent"])
	}
	if live := eval[string](t, ctx, shadow+`.querySelector('[role=alert].sr').textContent`); strings.Contains(live, testDisclaimer) {
		t.Errorf("the emergency is announced with the disclaimer: %q", live)
	}

	ts.serving.Load().Shutdown(ctx)
	waitJS(t, ctx, "the offline notice", `/offline/i.test(`+shadow+`.querySelector('.conn').textContent) && !`+shadow+`.querySelector('.conn').hidden`)
	if note := eval[string](t, ctx, shadow+`.querySelector('.conn').textContent`); !strings.Contains(note, urgent) {
		t.Errorf("offline notice %q does not say how to get urgent help (%q)", note, urgent)
	}
	// A new tab that never reached the server still says so, in general words.
	eval[bool](t, ctx, `localStorage.clear(), true`)
	run(t, ctx, "reload while offline", chromedp.Reload())
	waitJS(t, ctx, "the launcher", `!!document.querySelector('#cellchat-widget')`)
	eval[bool](t, ctx, `(() => { const p = `+shadow+`.querySelector('.panel'); if (p.hidden) `+shadow+`.querySelector('.launcher').click(); return true; })()`)
	waitJS(t, ctx, "the offline notice without a server", `/offline/i.test(`+shadow+`.querySelector('.conn').textContent) && /emergency number/.test(`+shadow+`.querySelector('.conn').textContent)`)
}

// TestWidgetLandmarksAndFavicon: the widget adds no second banner, its
// buttons are named by what they show, and every page has an icon.
func TestWidgetLandmarksAndFavicon(t *testing.T) {
	ctx := newBrowser(t)
	ts := newTestServer(t, nil)
	openWidget(t, ctx, ts.URL+"/")
	if n := eval[int](t, ctx, shadow+`.querySelectorAll('header, [role=banner]').length`); n != 0 {
		t.Errorf("the widget has %d banner landmarks, want none (the page has its own)", n)
	}
	// A button's accessible name contains its visible label (WCAG 2.5.3).
	mismatch := eval[[]string](t, ctx, `[...`+shadow+`.querySelectorAll('button')].filter(b => b.offsetParent && b.getAttribute('aria-label') && b.innerText.trim() && !/^\[\d+\]$/.test(b.innerText.trim()) && !b.getAttribute('aria-label').toLowerCase().includes(b.innerText.trim().toLowerCase())).map(b => b.innerText + ' / ' + b.getAttribute('aria-label'))`)
	if len(mismatch) > 0 {
		t.Errorf("buttons whose name does not contain their label: %v", mismatch)
	}
	if name := eval[string](t, ctx, `(() => { const b = `+shadow+`.querySelector('.close'); return b.getAttribute('aria-label') || b.innerText.replace(/\u2715/, '').trim(); })()`); name != "Close" {
		t.Errorf("close button is named %q", name)
	}
	for _, path := range []string{"/favicon.ico", "/favicon.svg"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("GET %s: %d %s, want 200 image/svg+xml", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	if icon := eval[string](t, ctx, `document.querySelector('link[rel=icon]').href`); icon != ts.URL+"/favicon.svg" {
		t.Errorf("demo page icon %q", icon)
	}
}
