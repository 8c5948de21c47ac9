package staff

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/internal/browsertest"
	"github.com/cellchat/cellchat/transcript"
)

// TestBrowserConsole drives a real Chromium through the console: sign in,
// filter, open a conversation, record a review, export, sign out; and
// checks that markup in a patient's question is shown as text.
func TestBrowserConsole(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	f := newFixture(t, Config{})
	const injected = `<script>document.title="pwned"</script><img src=x onerror="document.title='pwned'"> what is CRS?`
	if err := f.store.Record(context.Background(), transcript.Record{AnswerID: "ans-inj", ConversationID: "conv-inj",
		Question: injected, Reply: chat.Reply{Kind: chat.KindAnswer, Text: "CRS is cytokine release syndrome [1].", Mode: "extractive",
			Citations: []chat.Citation{{N: 1, DocID: "fda-car-t", Title: "CAR-T risks", URL: "https://example.org/fda", Section: "Risks",
				ChunkID: "fda-car-t-9", Passage: "Cytokine release syndrome (CRS) can cause high fever."}}}}); err != nil {
		t.Fatal(err)
	}

	bctx := browsertest.Start(t, 1280, 900)
	ctx, cancelTimeout := context.WithTimeout(bctx, 90*time.Second)
	defer cancelTimeout()

	base := f.srv.URL
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
		if err != nil {
			t.Fatalf("count %s: %v", sel, err)
		}
		return n
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	title := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Title())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	// loaded waits until the page whose URL contains part has loaded.
	loaded := func(part string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			// Evaluating while the page navigates fails ("target navigated"); retry.
			for {
				done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`location.href.includes(`+strconv.Quote(part)+`) && document.readyState === "complete"`))
				if err == nil && done {
					return nil
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("waiting for a page with %q: %w (last error %v)", part, ctx.Err(), err)
				case <-time.After(50 * time.Millisecond):
				}
			}
		})
	}

	// screenshot saves the page to $CELLCHAT_ARTIFACTS, when set.
	screenshot := func(name string) {
		if dir := os.Getenv("CELLCHAT_ARTIFACTS"); dir != "" {
			if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
				os.WriteFile(filepath.Join(dir, name+".png"), shot, 0o644)
			}
		}
	}

	// Sign in: asking for the list lands on the sign-in page first.
	do("open the console", chromedp.Navigate(base+"/staff/"), chromedp.WaitVisible(chromedp.CSS("#email")))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.Contains(loc, "/staff/signin") {
		t.Errorf("without a session the browser was at %s, want the sign-in page", loc)
	}
	do("sign in",
		chromedp.SendKeys(chromedp.CSS("#email"), testEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#replies")))
	if n := count("tr.row"); n != 5 {
		t.Errorf("%d replies listed, want 5", n)
	}
	screenshot("staff-replies")

	// Filter: answers only, then text search.
	do("filter",
		chromedp.SetValue(chromedp.CSS("#f-kind"), "answer"),
		chromedp.SendKeys(chromedp.CSS("#f-q"), "what is CRS"),
		chromedp.Click(chromedp.CSS("#f-apply")),
		loaded("kind=answer"),
		chromedp.WaitVisible(chromedp.CSS(`tr.row[data-answer="ans-inj"]`)))
	if n := count("tr.row"); n != 1 {
		t.Errorf("filtered list has %d rows, want 1", n)
	}
	if q, n, ti := text(`tr.row[data-answer="ans-inj"] td.q`), count("#replies script, #replies img"), title(); q != injected || n != 0 || ti == "pwned" {
		t.Errorf("injected question rendered as markup: text %q, %d script/img elements, title %q", q, n, ti)
	}

	// Open the conversation and record a review.
	do("open the conversation",
		chromedp.Click(chromedp.CSS(`tr.row[data-answer="ans-inj"] a`)),
		chromedp.WaitVisible(chromedp.CSS("#a-ans-inj")))
	if q, ti := text("#a-ans-inj .question"), title(); q != injected || ti == "pwned" || count("#a-ans-inj script, #a-ans-inj img") != 0 {
		t.Errorf("conversation question shown as %q (title %q), want the literal text", q, ti)
	}
	if p := text("#a-ans-inj .passage"); p != "Cytokine release syndrome (CRS) can cause high fever." {
		t.Errorf("cited passage %q", p)
	}
	if n := count(".review-form[open]"); n != 0 {
		t.Errorf("%d review forms open before any is asked for", n)
	}
	if count("#a-ans-inj details.tech:not([open])") != 1 || strings.Contains(text("#a-ans-inj"), "confidence") {
		t.Error("technical details (confidence, corpus, latency, rule) are not folded away")
	}
	do("review",
		chromedp.Click(chromedp.CSS(`#a-ans-inj .review-form summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#a-ans-inj input[name="status"][value="needs_correction"]`)),
		chromedp.Click(chromedp.CSS(`#a-ans-inj input[name="status"][value="needs_correction"]`)),
		chromedp.SendKeys(chromedp.CSS(`#a-ans-inj textarea[name="note"]`), "Add that CRS is treatable."),
		chromedp.SendKeys(chromedp.CSS(`#a-ans-inj textarea[name="corrected"]`), "CRS is cytokine release syndrome; the care team treats it [1]."),
		chromedp.Click(chromedp.CSS(`#a-ans-inj button[type="submit"]`)),
		loaded("saved="),
		chromedp.WaitVisible(chromedp.CSS("#a-ans-inj .notice")))
	screenshot("staff-conversation")
	notice, reviews := text("#a-ans-inj .notice"), text("#a-ans-inj table.reviews")
	if count(".notice") != 1 {
		t.Errorf("%d notices, want 1, next to the reviewed turn", count(".notice"))
	}
	if !strings.Contains(notice, "Review saved") || !strings.Contains(reviews, "Needs correction") || !strings.Contains(reviews, testEmail) ||
		!strings.Contains(reviews, "Add that CRS is treatable.") {
		t.Errorf("review not shown: notice %q, reviews %q", notice, reviews)
	}
	rv, _ := f.store.Reviews(context.Background(), "ans-inj")
	if len(rv) != 1 || rv[0].Status != transcript.StatusNeedsCorrection || rv[0].Reviewer != testEmail {
		t.Errorf("stored reviews: %+v", rv)
	}

	// Export the filtered list with the browser's session.
	do("filter by review", chromedp.Navigate(base+"/staff/?kind=answer&review=needs_correction"), chromedp.WaitVisible(chromedp.CSS("#export-csv")))
	if n := count("tr.row"); n != 1 {
		t.Errorf("review filter shows %d rows, want 1", n)
	}
	// Exports are downloads: click the links and read the files the browser saved.
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	download := func(link, ext string) string {
		t.Helper()
		do("click "+link, chromedp.Click(chromedp.CSS(link)))
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			// Both exports end with a newline; a shorter file is still being written.
			files, _ := filepath.Glob(filepath.Join(downloads, "*"+ext))
			if len(files) == 1 {
				if b, err := os.ReadFile(files[0]); err == nil && strings.HasSuffix(string(b), "\n") {
					return string(b)
				}
			}
		}
		t.Fatalf("no %s file downloaded", ext)
		return ""
	}
	csvText, jsonl := download("#export-csv", ".csv"), download("#export-jsonl", ".jsonl")
	if !strings.HasPrefix(csvText, utf8BOM+"answer_id,conversation_id") ||
		!strings.Contains(csvText, "ans-inj") || !strings.Contains(csvText, testEmail+",Add that CRS is treatable.,") || strings.Count(strings.TrimSpace(csvText), "\n") != 1 {
		t.Errorf("csv export:\n%s", csvText)
	}
	if strings.Count(jsonl, "\n") != 1 || !strings.Contains(jsonl, `"answer_id":"ans-inj"`) || !strings.Contains(jsonl, `"review_status":"needs_correction"`) {
		t.Errorf("jsonl export:\n%s", jsonl)
	}

	// Dashboard, then sign out.
	do("dashboard", chromedp.Navigate(base+"/staff/dashboard"), chromedp.WaitVisible(chromedp.CSS("#t-replies")))
	if n := count("svg rect"); n < 3 {
		t.Errorf("dashboard has %d bars", n)
	}
	screenshot("staff-dashboard")
	do("sign out",
		chromedp.Click(chromedp.CSS("#signout")),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.Navigate(base+"/staff/"),
		chromedp.WaitVisible(chromedp.CSS("#email")))
	log, _ := f.store.AuditLog(context.Background(), 10)
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); got != "sign_out,export,export,list_replies,view_conversation,review,view_conversation,list_replies,list_replies,sign_in" {
		t.Errorf("audit log: %s", got)
	}
}
