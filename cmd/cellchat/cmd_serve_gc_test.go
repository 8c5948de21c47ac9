package main

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

func TestSetGCPercent(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	tests := []struct {
		n       int
		want    int // the collector's target afterwards
		wantErr bool
	}{
		{0, 100, false}, // the runtime's setting stays
		{400, 400, false},
		{-1, 400, true},
	}
	for _, tt := range tests {
		err := setGCPercent(tt.n)
		if (err != nil) != tt.wantErr {
			t.Errorf("setGCPercent(%d) = %v, want error %v", tt.n, err, tt.wantErr)
		}
		got := debug.SetGCPercent(tt.want) // reads and leaves it unchanged
		if got != tt.want {
			t.Errorf("after setGCPercent(%d): GC percent %d, want %d", tt.n, got, tt.want)
		}
	}
}

func TestServeRejectsNegativeGCPercent(t *testing.T) {
	for _, env := range []map[string]string{nil, {"CELLCHAT_GC_PERCENT": "-5"}} {
		args := []string{"--data", t.TempDir()}
		if env == nil {
			args = append(args, "--gc-percent", "-5")
		}
		c := &cli{getenv: func(k string) string { return env[k] }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
		err := runServe(context.Background(), c, args)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), "gc-percent") {
			t.Errorf("serve with GC percent -5 (env %v): %v, want exit code 2 naming --gc-percent", env, err)
		}
	}
}

// TestReserveConsoleProcs: serve adds a Go processor per console read that
// may run at once, and gives the setting back; GOMAXPROCS in the
// environment wins.
func TestReserveConsoleProcs(t *testing.T) {
	start := runtime.GOMAXPROCS(0)
	t.Setenv("GOMAXPROCS", "")
	os.Unsetenv("GOMAXPROCS")
	before := reserveConsoleProcs(2)
	if got := runtime.GOMAXPROCS(0); before != start || got != start+2 {
		t.Errorf("reserveConsoleProcs(2): before %d, now %d; want %d, %d", before, got, start, start+2)
	}
	runtime.GOMAXPROCS(before)
	t.Setenv("GOMAXPROCS", strconv.Itoa(start))
	runtime.GOMAXPROCS(reserveConsoleProcs(2))
	if got := runtime.GOMAXPROCS(0); got != start {
		t.Errorf("with GOMAXPROCS=%d set: %d processors", start, got)
	}
}
