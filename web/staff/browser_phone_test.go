package staff

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/cellchat/cellchat/internal/browsertest"
)

// phoneWidth is the narrowest screen the console is laid out for (a
// current phone held upright, in CSS pixels).
const phoneWidth = 390

// TestBrowserRepliesOnAPhone: at 390 px the replies list fits without
// scrolling sideways, and each time is shown on one line in the browser's
// time zone, with the UTC time in its title.
func TestBrowserRepliesOnAPhone(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	f := newFixture(t, Config{})
	bctx := browsertest.Start(t, phoneWidth, 844)
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()
	// Tokyo keeps UTC+9 all year: the expected local times need no tzdata.
	tokyo := time.FixedZone("JST", 9*60*60)
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Tokyo"}); err != nil {
		t.Fatalf("time zone: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(phoneWidth, 844),
		chromedp.Navigate(f.srv.URL+"/staff/signin"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), testEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#replies")),
	); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if os.Getenv("CELLCHAT_ARTIFACTS") != "" {
		browsertest.Screenshot(t, ctx, browsertest.ArtifactsDir(t, "../.."), "staff-replies-390.png")
	}

	widths, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
	if err != nil {
		t.Fatal(err)
	}
	if widths[1] != phoneWidth || widths[0] > widths[1] {
		t.Errorf("page is %d px wide in a %d px window: it scrolls sideways", widths[0], widths[1])
	}

	// The script runs after the page is parsed: wait for it.
	raw, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => {
		const ts = [...document.querySelectorAll("#replies time.local")];
		if (ts.some(el => el.textContent.endsWith("UTC"))) return "";
		return JSON.stringify(ts.map(el => ({datetime: el.getAttribute("datetime"), text: el.textContent,
			title: el.title, lines: el.getClientRects().length})));
	})()`, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Fatalf("times not shown in local time: %v", err)
	}
	var shown []struct {
		Datetime, Text, Title string
		Lines                 int
	}
	if err := json.Unmarshal([]byte(raw), &shown); err != nil {
		t.Fatal(err)
	}
	if len(shown) != 4 {
		t.Fatalf("%d times in the list, want 4", len(shown))
	}
	for _, s := range shown {
		at, err := time.Parse(time.RFC3339, s.Datetime)
		if err != nil {
			t.Fatalf("datetime %q: %v", s.Datetime, err)
		}
		local := at.In(tokyo)
		if !strings.Contains(s.Text, local.Format("03:04")) && !strings.Contains(s.Text, local.Format("15:04")) {
			t.Errorf("%s shown as %q, want Tokyo's %s", s.Datetime, s.Text, local.Format("15:04"))
		}
		if want := at.UTC().Format("2006-01-02 15:04:05") + " UTC"; s.Title != want {
			t.Errorf("%s: title %q, want %q", s.Datetime, s.Title, want)
		}
		if s.Lines != 1 {
			t.Errorf("%s (%q) takes %d lines, want 1", s.Datetime, s.Text, s.Lines)
		}
	}
}
