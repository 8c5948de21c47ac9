package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestWidgetKeepsIDPerTabAndForgets: by default the conversation id lives
// in the tab's sessionStorage, so it is gone with the tab and the next person
// at a shared computer starts afresh; data-remember="local" keeps it in
// localStorage; and "Forget this conversation" clears the id and the shown
// turns.
func TestWidgetKeepsIDPerTabAndForgets(t *testing.T) {
	ctx := newBrowser(t)
	ts := newTestServer(t, nil)
	remember := ""
	clinic := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><body><h1>Clinic</h1><script src="%s/widget.js" %s async></script></body></html>`, ts.URL, remember)
	}))
	defer clinic.Close()
	ts.cfg.AllowedOrigins = []string{clinic.URL}
	ts.restart(t)

	key := `'cellchat:conversation:` + ts.Listener.Addr().String() + `'`
	ask := `(q) => { const i = ` + shadow + `.querySelector('#cc-input'); i.value = q; ` + shadow + `.querySelector('form.ask').requestSubmit(); return true; }`
	openAndAsk := func(ctx context.Context, n int) {
		t.Helper()
		waitJS(t, ctx, "the launcher", `!!document.querySelector('#cellchat-widget') && !!`+shadow+`.querySelector('.launcher')`)
		eval[bool](t, ctx, shadow+`.querySelector('.launcher').click(), true`)
		waitJS(t, ctx, "online", shadow+`.querySelector('.conn').hidden && !`+shadow+`.querySelector('.panel').hidden`)
		eval[bool](t, ctx, `(`+ask+`)('What is CAR-T therapy?')`)
		waitJS(t, ctx, "the answer", fmt.Sprintf(`%s.querySelectorAll('.bot.answer').length == %d`, shadow, n))
	}
	userTurns := func(ctx context.Context) int {
		return eval[int](t, ctx, shadow+`.querySelectorAll('.msg.user').length`)
	}

	// A leftover id in localStorage (an earlier widget) is dropped, not used.
	run(t, ctx, "open the clinic page", chromedp.Navigate(clinic.URL+"/"))
	eval[bool](t, ctx, `localStorage.setItem(`+key+`, '0123456789abcdef0123456789abcdef'), true`)
	run(t, ctx, "reload", chromedp.Navigate(clinic.URL+"/"))
	openAndAsk(ctx, 1)
	id := eval[string](t, ctx, `sessionStorage.getItem(`+key+`) || ''`)
	if !validID(id) {
		t.Fatalf("sessionStorage holds %q, want the conversation id", id)
	}
	if got := eval[string](t, ctx, `localStorage.getItem(`+key+`) || ''`); got != "" {
		t.Errorf("localStorage holds %q without data-remember, want nothing", got)
	}

	// Forget: the id goes, the turns go, a new conversation starts.
	eval[bool](t, ctx, `[...`+shadow+`.querySelectorAll('button')].find(b => b.textContent == 'Forget this conversation').click(), true`)
	waitJS(t, ctx, "a new conversation", fmt.Sprintf(`(() => { const id = sessionStorage.getItem(%s); return id && id != %q && %s.querySelectorAll('.msg.user').length == 0 && %s.querySelector('.conn').hidden; })()`, key, id, shadow, shadow))
	run(t, ctx, "reload after forgetting", chromedp.Navigate(clinic.URL+"/"))
	waitJS(t, ctx, "online", `!!document.querySelector('#cellchat-widget') && `+shadow+`.querySelector('.conn').hidden && !`+shadow+`.querySelector('.panel').hidden`)
	if n := userTurns(ctx); n != 0 {
		t.Errorf("after forgetting and reloading, %d earlier questions shown, want none", n)
	}

	// Opted in: the id is kept in localStorage, and a new tab resumes it.
	remember = `data-remember="local"`
	run(t, ctx, "open the opted-in page", chromedp.Navigate(clinic.URL+"/"))
	eval[bool](t, ctx, `sessionStorage.clear(), true`)
	run(t, ctx, "reload", chromedp.Navigate(clinic.URL+"/"))
	openAndAsk(ctx, 1)
	kept := eval[string](t, ctx, `localStorage.getItem(`+key+`) || ''`)
	if !validID(kept) {
		t.Fatalf("localStorage holds %q with data-remember=local, want the conversation id", kept)
	}
	// A fresh tab has an empty sessionStorage: the id comes from localStorage.
	eval[bool](t, ctx, `sessionStorage.clear(), true`)
	run(t, ctx, "reload the opted-in page", chromedp.Navigate(clinic.URL+"/"))
	waitJS(t, ctx, "the launcher", `!!document.querySelector('#cellchat-widget') && !!`+shadow+`.querySelector('.launcher')`)
	eval[bool](t, ctx, shadow+`.querySelector('.launcher').click(), true`)
	waitJS(t, ctx, "the resumed conversation", shadow+`.querySelectorAll('.bot.answer').length == 1 && `+shadow+`.querySelector('.conn').hidden`)
	eval[bool](t, ctx, `[...`+shadow+`.querySelectorAll('button')].find(b => b.textContent == 'Forget this conversation').click(), true`)
	waitJS(t, ctx, "a new conversation", fmt.Sprintf(`(() => { const id = localStorage.getItem(%s); return id != %q && %s.querySelectorAll('.msg.user').length == 0 && %s.querySelector('.conn').hidden; })()`, key, kept, shadow, shadow))
}
