package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cellchat/cellchat/internal/browsertest"
	"github.com/cellchat/cellchat/transcript"
)

// TestWidgetWithRealEngine runs the real server (engine, index, log) and a
// patient's first question in Chromium: the answer shown is the one the
// sources give, cited, with the disclaimer. With CELLCHAT_UPDATE_DOCS=1 it
// refreshes the README's screenshot (docs/widget.png).
func TestWidgetWithRealEngine(t *testing.T) {
	data := t.TempDir()
	srv := startServer(t, data)
	ctx := browsertest.Start(t, 1280, 900)
	const shadow = `document.querySelector('#cellchat-widget').shadowRoot`
	pg := browserPage{t: t, ctx: ctx}
	eval, wait := pg.eval, pg.wait
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, chromedp.Navigate("http://"+srv.addr+"/")); err != nil {
		t.Fatal(err)
	}
	wait("the launcher", `!!document.querySelector('#cellchat-widget') && !!`+shadow+`.querySelector('.launcher')`)
	eval(`(` + shadow + `.querySelector('.launcher').click(), '')`)
	wait("the connection", `!`+shadow+`.querySelector('.panel').hidden && `+shadow+`.querySelector('.conn').hidden`)
	eval(`(() => { const i = ` + shadow + `.querySelector('#cc-input'); i.value = 'What are the side effects of CAR-T therapy?'; ` + shadow + `.querySelector('form.ask').requestSubmit(); return ''; })()`)
	wait("the cited answer", shadow+`.querySelector('.bot.answer .cite') !== null`)

	answer := eval(shadow + `.querySelector('.bot.answer').textContent`)
	if !strings.Contains(answer, "cytokine release syndrome") {
		t.Errorf("the answer shown lacks the sources' side effects:\n%s", answer)
	}
	if d := eval(shadow + `.querySelector('.bot.answer .disclaimer').textContent`); !strings.Contains(d, "not medical advice") {
		t.Errorf("the answer's disclaimer is %q", d)
	}
	eval(`(` + shadow + `.querySelector('.bot.answer .cite').click(), '')`)
	wait("the cited passage", `!`+shadow+`.querySelector('.bot.answer .source').hidden`)
	passage := eval(shadow + `.querySelector('.bot.answer .source .quote').textContent`)
	if len(passage) < 40 || !strings.Contains(answer, strings.SplitN(strings.TrimSpace(passage), ".", 2)[0]) && !strings.Contains(passage, "CAR") {
		t.Errorf("the opened citation does not look like the cited passage: %q", passage)
	}

	png := browsertest.Screenshot(t, ctx, browsertest.ArtifactsDir(t, "../.."), "widget-real-engine.png")
	if os.Getenv("CELLCHAT_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "widget.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// A thumbs-down and then its comment are one rating in the log the
	// staff console counts, and the widget shows it again after a reload.
	fbtn := shadow + `.querySelector('.bot.answer .fbtn[aria-label="No, not helpful"]')`
	eval(`(` + fbtn + `.click(), '')`)
	wait("the comment form", `!`+shadow+`.querySelector('.bot.answer .fbform').hidden`)
	eval(`(() => { const f = ` + shadow + `.querySelector('.bot.answer .fbform'); f.querySelector('textarea').value = 'Too long for me'; f.requestSubmit(); return ''; })()`)
	wait("the comment sent", `/comment was sent/.test(`+shadow+`.querySelector('.bot.answer .fb').textContent)`)
	if err := chromedp.Do(tctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	wait("the resumed answer", `!!document.querySelector('#cellchat-widget') && `+shadow+`.querySelectorAll('.bot.answer').length == 1`)
	if p := eval(fbtn + `.getAttribute('aria-pressed')`); p != "true" {
		t.Errorf("after a reload the thumbs-down shows pressed=%s", p)
	}
	store, err := transcript.Open(context.Background(), transcript.PathIn(data), transcript.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rows, err := store.ListReplies(context.Background(), transcript.Filter{})
	if err != nil || len(rows) != 1 {
		t.Fatalf("logged replies %+v, %v; want one", rows, err)
	}
	if r := rows[0]; r.FeedbackDown != 1 || r.FeedbackUp != 0 || r.Comments != 1 {
		t.Errorf("the reply is counted as %d down, %d up, %d comments; want one thumbs-down with its comment", r.FeedbackDown, r.FeedbackUp, r.Comments)
	}
}
