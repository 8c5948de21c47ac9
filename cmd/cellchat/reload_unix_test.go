//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// SIGHUP makes serve load the corpus folder again and serve what changed.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("serves (skipped with -short)")
	}
	dir, data := handoutCorpus(t), t.TempDir()
	_, logs, _ := serveInProcess(t, data, nil, "--corpus", dir, "--reload-check", "0")
	src, _ := os.ReadFile(filepath.Join(handouts, "nutrition", "eating-well.md"))
	os.MkdirAll(filepath.Join(dir, "nutrition"), 0o755)
	os.WriteFile(filepath.Join(dir, "nutrition", "eating-well.md"), src, 0o644)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, logs, "corpus reloaded")
	if !strings.Contains(logs.String(), `"trigger":"SIGHUP"`) || !strings.Contains(logs.String(), `"documents":2`) {
		t.Errorf("log:\n%s", logs)
	}
}
