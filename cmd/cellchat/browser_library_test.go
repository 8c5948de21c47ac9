package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellchat/cellchat/internal/browsertest"
	"github.com/cellchat/cellchat/transcript"
)

// TestLibraryAnswerEndToEnd is the answer library's whole path in the real
// server and Chromium: a clinician corrects a logged reply in the console
// and publishes it; a patient asks a paraphrase in the widget and sees the
// reviewed answer with its line; the entry is retired and the same
// paraphrase gets the engine's answer again.
func TestLibraryAnswerEndToEnd(t *testing.T) {
	data := t.TempDir()
	const clinician, password = "clin@clinic.org", "a clinician's long passphrase"
	func() {
		s, err := transcript.Open(context.Background(), transcript.PathIn(data), transcript.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.AddStaffRole(context.Background(), clinician, password, transcript.RoleClinician); err != nil {
			t.Fatal(err)
		}
	}()
	srv := startServer(t, data)
	ctx := browsertest.Start(t, 1280, 900)
	base := "http://" + srv.addr
	const shadow = `document.querySelector('#cellchat-widget').shadowRoot`
	pg := browserPage{t: t, ctx: ctx}
	eval, wait, navigate := pg.eval, pg.wait, pg.navigate
	// act runs a script on a console page (clicks a link or a submit
	// button), then waits for the page it leads to.
	act := func(what, script, until string) {
		t.Helper()
		eval(`(() => { ` + script + `; return ''; })()`)
		wait(what, until)
	}
	answers := 0
	ask := func(q string) string {
		t.Helper()
		answers++
		eval(`(() => { const i = ` + shadow + `.querySelector('#cc-input'); i.value = ` + jsQuote(q) + `; ` + shadow + `.querySelector('form.ask').requestSubmit(); return ''; })()`)
		wait("answer to "+q, shadow+`.querySelectorAll('.msg.bot:not(.streaming)').length == `+strconv.Itoa(answers+1))
		return `[...` + shadow + `.querySelectorAll('.msg.bot')].pop()`
	}
	// openWidget opens the demo page's widget on the tab's conversation;
	// answers counts the bot's messages shown but the greeting.
	openWidget := func() {
		t.Helper()
		navigate(base + "/")
		wait("the launcher", `!!document.querySelector('#cellchat-widget') && !!`+shadow+`.querySelector('.launcher')`)
		// The widget reopens as the patient left it: the launcher only when closed.
		eval(`(` + shadow + `.querySelector('.panel').hidden && ` + shadow + `.querySelector('.launcher').click(), '')`)
		wait("the connection", `!`+shadow+`.querySelector('.panel').hidden && `+shadow+`.querySelector('.conn').hidden`)
		answers = strings.Count(eval(`[...`+shadow+`.querySelectorAll('.msg.bot')].map(() => 'x').join('')`), "x") - 1
	}
	openWidget()
	last := ask("What is CAR-T cell therapy?")
	if n := eval(last + `.querySelectorAll('.reviewed').length + ''`); n != "0" {
		t.Fatalf("an engine answer shows a reviewed line before any entry exists")
	}

	// The clinician corrects that reply and publishes it.
	navigate(base + "/staff/signin")
	wait("the sign-in form", `!!document.querySelector('#email')`)
	act("sign in", `document.querySelector('#email').value = `+jsQuote(clinician)+`; document.querySelector('#password').value = `+jsQuote(password)+
		`; document.querySelector('#signin').click()`, `!!document.querySelector('td[data-label="Conversation"] a')`)
	act("open the conversation", `document.querySelector('td[data-label="Conversation"] a').click()`, `!!document.querySelector('.library-actions')`)
	act("write a corrected answer", `[...document.querySelectorAll('.library-actions a')].find(a => a.textContent == 'Write a corrected answer').click()`,
		`!!document.querySelector('#editor')`)
	const corrected = "CAR-T is a treatment that changes your own T cells so they attack cancer cells [1]."
	cited := eval(`document.querySelector('textarea[name=citations]').value.split('\n')[0]`)
	if cited == "" {
		t.Fatal("the editor does not hold the reply's citations")
	}
	act("save the correction", `document.querySelector('textarea[name=answer]').value = `+jsQuote(corrected)+
		`; document.querySelector('textarea[name=citations]').value = `+jsQuote(cited)+`; document.querySelector('#save').click()`,
		`!!document.querySelector('#publish')`)
	act("publish", `document.querySelector('#publish').click()`, `!!document.querySelector('#retire')`)
	entryURL := eval(`location.pathname`)

	// A patient asks a paraphrase and sees the reviewed answer.
	openWidget()
	const paraphrase = "Can you tell me what CAR T therapy is?"
	last = ask(paraphrase)
	today := time.Now().UTC().Format("2006-01-02")
	if got := eval(last + `.querySelector('.reviewed')?.textContent || ''`); !strings.Contains(got, "Reviewed by your care team on "+today) {
		t.Fatalf("the paraphrase's answer shows %q, want the reviewed line", got)
	}
	if got := eval(last + `.querySelector('.text').textContent`); !strings.Contains(got, "changes your own T cells so they attack cancer cells") {
		t.Fatalf("the paraphrase's answer is %q, not the corrected one", got)
	}
	browsertest.Screenshot(t, ctx, browsertest.ArtifactsDir(t, "../.."), "widget-reviewed-answer.png")

	// Retired, the entry is no longer served: the engine answers again.
	navigate(base + entryURL)
	wait("the entry page", `!!document.querySelector('#retire')`)
	act("retire", `document.querySelector('#retire').click()`, `!!document.querySelector('#publish')`)
	openWidget()
	last = ask(paraphrase)
	if n := eval(last + `.querySelectorAll('.reviewed').length + ''`); n != "0" {
		t.Fatal("a retired entry was served")
	}
	if got := eval(last + `.querySelector('.text').textContent`); strings.Contains(got, "so they attack cancer cells") || !strings.Contains(got, "chimeric antigen receptor") {
		t.Fatalf("after retiring, the paraphrase got %q, want the engine's answer", got)
	}
}

func jsQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}
