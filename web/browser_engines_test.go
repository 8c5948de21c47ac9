package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	bt "github.com/cellchat/cellchat/internal/browsertest"
)

// The patient's main flows, written once and run in every engine the
// widget is tested in (Chromium, Firefox, WebKit): one browser per
// engine, a new server (a new origin, so new storage) per scenario.

// engineScenarios are the flows, each against a fresh server.
var engineScenarios = []struct {
	name string
	run  func(t *testing.T, d bt.Driver, ts *testServer)
}{
	{"ask, cite, rate, resume", scenarioAskCiteRateResume},
	{"keyboard only", scenarioKeyboardOnly},
	{"emergency", scenarioEmergency},
	{"offline and back", scenarioOfflineAndBack},
	{"phone layout", scenarioPhoneLayout},
	{"desktop layout", scenarioDesktopLayout},
}

// desktop is the viewport every scenario starts at.
var desktop = [2]int{1280, 900}

// phone is the most common phone viewport; smallPhone the narrowest.
var phone, smallPhone = [2]int{360, 740}, [2]int{320, 568}

func TestWidgetInEveryEngine(t *testing.T) {
	for _, e := range bt.Engines {
		t.Run(e.Name, func(t *testing.T) {
			d := e.Open(t, desktop[0], desktop[1])
			t.Logf("engine: %s", d.Engine())
			for _, s := range engineScenarios {
				t.Run(strings.ReplaceAll(s.name, " ", "_"), func(t *testing.T) {
					bt.Check(t, d, "resizing to the desktop", d.Resize(desktop[0], desktop[1]))
					s.run(t, d, newTestServer(t, nil))
				})
			}
		})
	}
}

// q is a JS expression for the first element in the widget's shadow root
// matching a CSS selector.
func q(sel string) string { return shadow + `.querySelector(` + jsString(sel) + `)` }

// qa is a JS expression for the number of elements matching sel.
func qa(sel string) string { return shadow + `.querySelectorAll(` + jsString(sel) + `).length` }

func shot(t *testing.T, d bt.Driver, name string) {
	t.Helper()
	bt.Shot(t, d, bt.ArtifactsDir(t, ".."), strings.SplitN(d.Engine(), " ", 2)[0]+"-"+name)
}

// openPage loads the demo page and waits for the launcher.
func openPage(t *testing.T, d bt.Driver, url string) {
	t.Helper()
	bt.Check(t, d, "opening the demo page", d.Navigate(url))
	bt.Wait(t, d, "the launcher", `!!document.querySelector('#cellchat-widget') && !!`+q(".launcher"))
}

// openPanel clicks the launcher and waits for the hello.
func openPanel(t *testing.T, d bt.Driver) {
	t.Helper()
	bt.Do(t, d, q(".launcher")+`.click()`)
	bt.Wait(t, d, "the open panel, online", `!`+q(".panel")+`.hidden && `+q(".conn")+`.hidden`)
}

// typeQuestion types into the question box and sends with Enter.
func typeQuestion(t *testing.T, d bt.Driver, question string) {
	t.Helper()
	bt.Do(t, d, q("#cc-input")+`.focus()`)
	bt.Check(t, d, "typing a question", d.Keys(question+bt.Enter))
}

func waitAnswers(t *testing.T, d bt.Driver, n int) {
	t.Helper()
	bt.Wait(t, d, fmt.Sprintf("%d answers", n), fmt.Sprintf(`%s == %d && %s == 0`, qa(".bot.answer"), n, qa(".bot.streaming")))
}

func scenarioAskCiteRateResume(t *testing.T, d bt.Driver, ts *testServer) {
	openPage(t, d, ts.URL+"/")
	openPanel(t, d)
	typeQuestion(t, d, "What is CAR-T therapy?")
	waitAnswers(t, d, 1)
	if n := bt.Value[int](t, d, qa(".bot.answer .cite")); n != 2 {
		t.Errorf("%d citation markers, want 2", n)
	}
	if text := bt.Value[string](t, d, q(".bot.answer")+`.textContent`); !strings.Contains(text, "cytokine release syndrome") || !strings.Contains(text, testDisclaimer) {
		t.Errorf("answer lacks its text or the disclaimer: %q", text)
	}

	// A marker opens its passage, with the source's title and link.
	bt.Do(t, d, q(".bot.answer .cite")+`.click()`)
	bt.Wait(t, d, "the cited passage", `!`+q(".bot.answer .source")+`.hidden`)
	src := bt.Value[map[string]string](t, d, `(() => { const s = `+q(".bot.answer .source")+`;
		return {href: s.querySelector('a').href, title: s.querySelector('a').textContent, passage: s.querySelector('.quote').textContent,
			expanded: `+q(".bot.answer .cite")+`.getAttribute('aria-expanded')}; })()`)
	if src["href"] != fakeCitations[0].URL || src["title"] != fakeCitations[0].Title || src["passage"] != fakeCitations[0].Passage || src["expanded"] != "true" {
		t.Errorf("opened source = %v", src)
	}
	if h := bt.Value[float64](t, d, q(".bot.answer .source")+`.getBoundingClientRect().height`); h < 20 {
		t.Errorf("the opened source is %.0f px high: not shown", h)
	}
	shot(t, d, "widget-source.png")

	// Thumbs down, then a comment: both logged with the answer.
	answerID := firstAnswerID(t, ts)
	bt.Do(t, d, q(`.bot.answer .fbtn[aria-label="No, not helpful"]`)+`.click()`)
	eventually(t, "the rating logged", func() bool { return len(ts.log.feedbackFor(answerID)) == 1 })
	bt.Wait(t, d, "the comment box", `!`+q(".bot.answer .fbform")+`.hidden`)
	bt.Do(t, d, q(".bot.answer .fbform textarea")+`.focus()`)
	bt.Check(t, d, "typing a comment", d.Keys("More about fever, please"))
	bt.Do(t, d, q(".bot.answer .fbform")+`.requestSubmit()`)
	eventually(t, "the comment logged", func() bool { return len(ts.log.feedbackFor(answerID)) == 2 })
	if fb := ts.log.feedbackFor(answerID); fb[0].Rating != "down" || fb[1].Comment != "More about fever, please" {
		t.Errorf("feedback logged = %+v", fb)
	}

	// Reload: the conversation and the rating come back from the server.
	bt.Check(t, d, "reloading", d.Reload())
	bt.Wait(t, d, "the resumed conversation", `!!document.querySelector('#cellchat-widget') && `+qa(".bot.answer")+` == 1`)
	got := bt.Value[map[string]string](t, d, `({question: `+q(".msg.user")+`.textContent, cites: String(`+qa(".bot.answer .cite")+`),
		down: `+q(`.bot.answer .fbtn[aria-label="No, not helpful"]`)+`.getAttribute('aria-pressed'), open: String(!`+q(".panel")+`.hidden)})`)
	if !strings.Contains(got["question"], "What is CAR-T therapy?") || got["cites"] != "2" || got["down"] != "true" || got["open"] != "true" {
		t.Errorf("after a reload: %v; want the question, 2 markers, thumbs-down pressed, the panel open", got)
	}
}

// activeClass is the class of the focused element in the widget ("" when
// focus is elsewhere).
const activeClass = `((` + shadow + `.activeElement || {}).className || (` + shadow + `.activeElement || {}).id || '')`

// tabTo presses Tab until the focused element in the widget matches sel.
func tabTo(t *testing.T, d bt.Driver, sel string, most int) {
	t.Helper()
	for range most {
		if bt.Value[bool](t, d, `!!`+shadow+`.activeElement && `+shadow+`.activeElement.matches(`+jsString(sel)+`)`) {
			return
		}
		bt.Check(t, d, "pressing Tab", d.Keys(bt.Tab))
	}
	t.Fatalf("%s: %d Tabs did not reach %s (focus on %q)", d.Engine(), most, sel, bt.Value[string](t, d, activeClass))
}

// scenarioKeyboardOnly: a patient who uses no pointer reaches the
// launcher with Tab, opens it with Enter, asks with Enter, opens a source
// from its marker with Tab and Enter, and closes with Escape.
func scenarioKeyboardOnly(t *testing.T, d bt.Driver, ts *testServer) {
	openPage(t, d, ts.URL+"/")
	bt.Do(t, d, `document.activeElement && document.activeElement.blur()`)
	// The demo page has three links before the widget, which comes last.
	tabTo(t, d, ".launcher", 12)
	bt.Check(t, d, "pressing Enter", d.Keys(bt.Enter))
	bt.Wait(t, d, "the open panel", `!`+q(".panel")+`.hidden && `+q(".conn")+`.hidden`)
	if got := bt.Value[string](t, d, activeClass); got != "cc-input" {
		t.Errorf("focus after opening is on %q, want the question box", got)
	}
	bt.Check(t, d, "typing a question", d.Keys("What is CAR-T therapy?"+bt.Enter))
	waitAnswers(t, d, 1)
	if got := bt.Value[string](t, d, q("#cc-input")+`.value`); got != "" {
		t.Errorf("question box holds %q after sending, want it empty", got)
	}
	// From the question box, Tab leads on to Send.
	bt.Do(t, d, q("#cc-input")+`.focus()`)
	tabTo(t, d, ".send", 3)
	// A citation marker is reached by Tab and opened with Enter.
	bt.Do(t, d, q(".msgs")+`.focus()`)
	tabTo(t, d, ".cite", 6)
	bt.Check(t, d, "pressing Enter on a marker", d.Keys(bt.Enter))
	bt.Wait(t, d, "the source opened from the keyboard", `(() => { const c = `+shadow+`.activeElement; return c.matches('.cite') && c.getAttribute('aria-expanded') == 'true' && !`+shadow+`.getElementById(c.getAttribute('aria-controls')).hidden; })()`)
	// Escape closes the panel and gives focus back to the launcher.
	bt.Check(t, d, "pressing Escape", d.Keys(bt.Escape))
	bt.Wait(t, d, "the closed panel, focus on the launcher", q(".panel")+`.hidden && `+shadow+`.activeElement === `+q(".launcher"))
}

func scenarioEmergency(t *testing.T, d bt.Driver, ts *testServer) {
	openPage(t, d, ts.URL+"/")
	openPanel(t, d)
	typeQuestion(t, d, "emergency: I cannot breathe")
	bt.Wait(t, d, "the emergency reply", q(".bot.emergency[role=alert] .urgent")+` !== null && `+qa(".bot.streaming")+` == 0`)
	got := bt.Value[map[string]int](t, d, `(() => { const b = `+q(".bot.emergency")+`; return {fb: b.querySelectorAll('.fb, .fbtn').length, disc: b.querySelectorAll('.disclaimer').length, cites: b.querySelectorAll('.cite').length}; })()`)
	if got["fb"] != 0 || got["disc"] != 0 || got["cites"] != 0 {
		t.Errorf("emergency reply has %d feedback controls, %d disclaimers, %d markers; want none", got["fb"], got["disc"], got["cites"])
	}
	if text := bt.Value[string](t, d, q(".bot.emergency")+`.textContent`); !strings.Contains(text, "Call 911") {
		t.Errorf("emergency reply = %q", text)
	}
}

// scenarioOfflineAndBack: while the server cannot be reached the widget
// says so, with how to get urgent help, and cannot send; when it is back
// the widget reconnects by itself to the same conversation.
func scenarioOfflineAndBack(t *testing.T, d bt.Driver, ts *testServer) {
	const urgent = "Call 112 or the transplant unit on 555-0100 now."
	ts.cfg.UrgentHelp = urgent
	ts.restart(t)
	openPage(t, d, ts.URL+"/")
	openPanel(t, d)
	typeQuestion(t, d, "What is CAR-T therapy?")
	waitAnswers(t, d, 1)
	convID := bt.Value[string](t, d, `sessionStorage.getItem('cellchat:conversation:' + location.host)`)

	ts.srv.Shutdown(context.Background())
	bt.Wait(t, d, "the offline notice", `!`+q(".conn")+`.hidden && /offline/i.test(`+q(".conn")+`.textContent)`)
	if note := bt.Value[string](t, d, q(".conn")+`.textContent`); !strings.Contains(note, urgent) {
		t.Errorf("offline notice %q does not say how to get urgent help (%q)", note, urgent)
	}
	if !bt.Value[bool](t, d, q(".send")+`.disabled`) {
		t.Error("Send stays enabled while offline")
	}
	checkLayout(t, d, "offline")

	ts.restart(t)
	bt.Wait(t, d, "the reconnection", q(".conn")+`.hidden && !`+q(".send")+`.disabled`)
	if got := bt.Value[string](t, d, `sessionStorage.getItem('cellchat:conversation:' + location.host)`); got != convID {
		t.Errorf("conversation after reconnecting %q, want the same %q", got, convID)
	}
	typeQuestion(t, d, "What are the side effects?")
	waitAnswers(t, d, 2)
	ts.log.mu.Lock()
	logged := len(ts.log.convs[convID])
	ts.log.mu.Unlock()
	if logged != 2 {
		t.Errorf("%d turns logged in the conversation, want 2", logged)
	}
}

// layoutProblems lists, for the open panel, every way a patient would
// find it broken: the panel outside the viewport or taller than it, the
// composer out of view, a control cut off by the panel's edge or covered
// (its corners and centre not reaching it), text wider than its box.
const layoutProblems = `(() => {
	const root = ` + shadow + `, out = [];
	const vw = document.documentElement.clientWidth, vh = innerHeight;
	const panel = root.querySelector('.panel').getBoundingClientRect();
	const box = r => Math.round(r.left) + ',' + Math.round(r.top) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height);
	if (panel.left < -0.5 || panel.top < -0.5 || panel.right > vw + 0.5 || panel.bottom > vh + 0.5)
		out.push('panel ' + box(panel) + ' outside the ' + vw + 'x' + vh + ' viewport');
	const inside = (r, o) => r.left >= o.left - 0.5 && r.right <= o.right + 0.5 && r.top >= o.top - 0.5 && r.bottom <= o.bottom + 0.5;
	const form = root.querySelector('form.ask').getBoundingClientRect();
	if (!inside(form, panel) || form.height < 44) out.push('composer ' + box(form) + ' not whole in the panel ' + box(panel));
	// Controls outside the scrolled message list are always on screen, whole:
	// the middles of their edges (inside rounded corners) and their centre
	// reach them.
	for (const el of root.querySelectorAll('.head button, .tools button, form.ask textarea, form.ask button')) {
		const r = el.getBoundingClientRect(), name = el.className + ' "' + (el.textContent.trim() || el.id) + '"';
		if (!inside(r, panel)) { out.push(name + ' ' + box(r) + ' cut off by the panel ' + box(panel)); continue; }
		const cx = (r.left + r.right) / 2, cy = (r.top + r.bottom) / 2;
		for (const [x, y] of [[r.left + 3, cy], [r.right - 3, cy], [cx, r.top + 3], [cx, r.bottom - 3], [cx, cy]]) {
			const hit = root.elementFromPoint(x, y);
			if (!hit || (hit !== el && !el.contains(hit))) { out.push(name + ' covered at ' + Math.round(x) + ',' + Math.round(y) + ' by ' + (hit && (hit.className || hit.tagName))); break; }
		}
		if (el.scrollWidth > el.clientWidth + 1 && el.tagName == 'BUTTON') out.push(name + ' text ' + el.scrollWidth + ' px in ' + el.clientWidth + ' px');
	}
	// Controls in the message list may scroll out of view, never sideways.
	const msgs = root.querySelector('.msgs').getBoundingClientRect();
	for (const el of root.querySelectorAll('.msgs button')) {
		const r = el.getBoundingClientRect();
		if (r.width && (r.left < msgs.left - 0.5 || r.right > msgs.right + 0.5)) out.push(el.className + ' ' + box(r) + ' wider than the list ' + box(msgs));
	}
	if (root.querySelector('.msgs').scrollWidth > root.querySelector('.msgs').clientWidth + 1) out.push('the message list scrolls sideways');
	return out;
})()`

func checkLayout(t *testing.T, d bt.Driver, when string) {
	t.Helper()
	if bad := bt.Value[[]string](t, d, layoutProblems); len(bad) > 0 {
		t.Errorf("%s, %s: %s", d.Engine(), when, strings.Join(bad, "; "))
	}
}

// scenarioPhoneLayout: at 360x740 the open panel is the whole screen,
// with the launcher under it, the title on one line, every control big
// enough for a finger, a source opening next to its marker, and nothing
// cut off, also with a long question typed and at 320 px.
func scenarioPhoneLayout(t *testing.T, d bt.Driver, ts *testServer) {
	bt.Check(t, d, "resizing to a phone", d.Resize(phone[0], phone[1]))
	openPage(t, d, ts.URL+"/")
	if r := bt.Value[[]float64](t, d, q(".launcher")+`.getBoundingClientRect().toJSON() && [`+q(".launcher")+`.getBoundingClientRect().right, `+q(".launcher")+`.getBoundingClientRect().bottom]`); r[0] > float64(phone[0]) || r[1] > float64(phone[1]) {
		t.Errorf("launcher ends at %v, off the %dx%d screen", r, phone[0], phone[1])
	}
	openPanel(t, d)
	r := bt.Value[[]float64](t, d, `(() => { const r = `+q(".panel")+`.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
	if r[0] != 0 || r[1] != 0 || r[2] != float64(phone[0]) || r[3] != float64(phone[1]) {
		t.Errorf("panel at %v (left, top, width, height), want the whole %dx%d screen", r, phone[0], phone[1])
	}
	if shown := bt.Value[bool](t, d, `getComputedStyle(`+q(".launcher")+`).display != 'none'`); shown {
		t.Error("the launcher is shown over the open panel")
	}
	checkLayout(t, d, "phone, just opened")
	shot(t, d, "widget-phone-open.png")
	title := bt.Value[[]float64](t, d, `(() => { const h = `+q(".head h2")+`; return [h.getBoundingClientRect().height, parseFloat(getComputedStyle(h).lineHeight), h.scrollWidth, h.clientWidth]; })()`)
	if title[0] > title[1]*1.5 || title[2] > title[3] {
		t.Errorf("title is %.0f px high with %.0f px lines, %.0f px of text in %.0f px: want one line, whole", title[0], title[1], title[2], title[3])
	}

	typeQuestion(t, d, "What is CAR-T therapy? one section twice")
	waitAnswers(t, d, 1)
	checkFingerTargets(t, d)

	// One source entry per document and section: [1] and [3] are two
	// passages of one section.
	entries := bt.Value[[]string](t, d, `[...`+shadow+`.querySelectorAll('.bot.answer .sources > li > .srcbtn')].map(b => b.textContent)`)
	if len(entries) != 2 || !strings.HasPrefix(entries[0], "[1][3] Cell Therapy Basics") || !strings.HasPrefix(entries[1], "[2] CAR T Cells") {
		t.Errorf("sources list = %q, want one entry per document and section", entries)
	}
	// A marker's source opens right below it, on screen.
	gap := bt.Value[[]float64](t, d, `(() => { const c = [...`+shadow+`.querySelectorAll('.bot.answer .cite')].pop(); c.scrollIntoView({block: 'center'}); c.click();
		const s = `+shadow+`.getElementById(c.getAttribute('aria-controls')); const a = c.getBoundingClientRect(), b = s.getBoundingClientRect();
		return [b.top - a.bottom, b.bottom, b.height]; })()`)
	if gap[0] < 0 || gap[0] > 30 || gap[2] == 0 || gap[1] > float64(phone[1]) {
		t.Errorf("opened source starts %.0f px below its marker and ends at %.0f px (height %.0f): want it next to the marker, on screen", gap[0], gap[1], gap[2])
	}
	shot(t, d, "widget-phone-source.png")
	bt.Do(t, d, `(() => { const c = `+q(".bot.answer .cite")+`; c.scrollIntoView({block: 'center'}); c.click(); })()`)
	bt.Wait(t, d, "the cited passage", `!`+q(".bot.answer .source")+`.hidden`)
	bt.Do(t, d, q("#cc-input")+`.focus()`)
	bt.Check(t, d, "typing a long question", d.Keys(strings.Repeat("How long do I stay near the hospital after the infusion? ", 4)))
	checkLayout(t, d, "phone, answered, a long question typed")
	shot(t, d, "widget-phone.png")

	// The smallest phones still in use are 320 px wide.
	bt.Check(t, d, "resizing to a small phone", d.Resize(smallPhone[0], smallPhone[1]))
	bt.Wait(t, d, "the small phone layout", q(".panel")+`.getBoundingClientRect().width == `+fmt.Sprint(smallPhone[0]))
	checkLayout(t, d, "small phone")
	shot(t, d, "widget-small-phone.png")

	// Close gives the page back, with the launcher.
	bt.Do(t, d, q(".close")+`.click()`)
	bt.Wait(t, d, "the closed panel", q(".panel")+`.hidden && getComputedStyle(`+q(".launcher")+`).display != 'none'`)
}

// checkFingerTargets: every button is at least 44x44 px to a finger; a
// citation marker stays small in the text but answers a finger within
// 21 px of its centre, unless another marker is nearer to it.
func checkFingerTargets(t *testing.T, d bt.Driver) {
	t.Helper()
	small := bt.Value[[]string](t, d, `[...`+shadow+`.querySelectorAll('button:not(.cite):not(.launcher)')].filter(b => b.offsetParent).map(b => { const r = b.getBoundingClientRect(); return [b.className, b.textContent.trim() || b.getAttribute('aria-label'), Math.round(r.width) + 'x' + Math.round(r.height)]; }).filter(x => x[2].split('x').some(v => +v < 44)).map(x => x.join(' '))`)
	if len(small) > 0 {
		t.Errorf("%s: touch targets under 44x44 px: %v", d.Engine(), small)
	}
	missed := bt.Value[[]string](t, d, `(() => { const out = [];
		for (const c of `+shadow+`.querySelectorAll('.cite')) { c.scrollIntoView({block: 'center'}); const r = c.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
			for (const [dx, dy] of [[-21, 0], [21, 0], [0, -21], [0, 21]]) { const hit = `+shadow+`.elementFromPoint(x + dx, y + dy); if (hit === c) continue;
				// Markers on two lines may share ground: there the nearer one may answer.
				if (hit && hit.matches('.cite')) { const h = hit.getBoundingClientRect(), px = x + dx, py = y + dy;
					if (Math.hypot(h.left + h.width / 2 - px, h.top + h.height / 2 - py) <= Math.hypot(dx, dy)) continue; }
				out.push(c.textContent + ' at ' + dx + ',' + dy + ': ' + (hit && (hit.className + ' ' + hit.textContent))); } }
		return out; })()`)
	if len(missed) > 0 {
		t.Errorf("%s: citation markers miss a finger near them: %v", d.Engine(), missed)
	}
}

// scenarioDesktopLayout: at desktop width the panel floats above the
// launcher, within the window, also in a short window.
func scenarioDesktopLayout(t *testing.T, d bt.Driver, ts *testServer) {
	openPage(t, d, ts.URL+"/")
	openPanel(t, d)
	typeQuestion(t, d, "What is CAR-T therapy?")
	waitAnswers(t, d, 1)
	checkLayout(t, d, "desktop")
	r := bt.Value[[]float64](t, d, `(() => { const p = `+q(".panel")+`.getBoundingClientRect(), l = `+q(".launcher")+`.getBoundingClientRect(); return [p.width, p.height, p.bottom, l.top]; })()`)
	if r[0] != 400 || r[1] != 620 || r[2] > r[3] {
		t.Errorf("desktop panel %.0fx%.0f ending at %.0f, launcher from %.0f; want 400x620 above the launcher", r[0], r[1], r[2], r[3])
	}
	shot(t, d, "widget-desktop.png")
	bt.Check(t, d, "resizing to a short window", d.Resize(1024, 500))
	bt.Wait(t, d, "the panel fitting the short window", q(".panel")+`.getBoundingClientRect().bottom <= innerHeight`)
	checkLayout(t, d, "short desktop window")
}
