// Package browsertest starts Debian's Chromium, Firefox ESR and WebKitGTK
// for the real-browser tests, headless and cut off from the network, behind
// one Driver, with one policy for a missing browser: skip with an install
// hint, except under CI=true, where it fails.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path finds Chromium or skips (fails under CI=true) the test.
func Path(t testing.TB) string {
	t.Helper()
	if p := lookPath("/usr/bin/chromium", "chromium", "chromium-browser"); p != "" {
		return p
	}
	missing(t, "chromium not found: install it with `apt-get update && apt-get install -y chromium` to run the browser tests")
	return ""
}

// lookPath is the first of names found on PATH, or "".
func lookPath(names ...string) string {
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Start launches a fresh headless Chromium with a window of the given size
// and returns a chromedp context for it; it is closed when the test ends.
func Start(t testing.TB, width, height int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Path(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// Without these Chromium keeps trying to reach Google's hosts,
		// which this workplace's closed network refuses.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// ArtifactsDir is where screenshots go: $CELLCHAT_ARTIFACTS/screenshots,
// else artifacts/screenshots under root (the repository root, ignored by git).
func ArtifactsDir(t testing.TB, root string) string {
	t.Helper()
	dir := os.Getenv("CELLCHAT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(root, "artifacts")
	}
	dir = filepath.Join(dir, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Screenshot captures the viewport into dir/name and returns the PNG.
func Screenshot(t testing.TB, ctx context.Context, dir, name string) []byte {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(tctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	save(t, dir, name, png)
	return png
}

func save(t testing.TB, dir, name string, png []byte) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
