package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestIngestProgress(t *testing.T) {
	// Not a terminal: nothing but the summary line is ever written.
	var buf bytes.Buffer
	p := newIngestProgress(&buf)
	p.update(0, 10)
	p.update(10, 10)
	p.finish()
	if p.tty || buf.Len() != 0 {
		t.Fatalf("progress on a non-terminal wrote %q", buf.String())
	}
	// On a terminal the bar is drawn as chunks are embedded.
	var tty bytes.Buffer
	p = &ingestProgress{w: &tty, tty: true}
	p.update(0, 4)
	for i := 1; i <= 4; i++ {
		p.update(i, 4)
	}
	p.finish()
	if !strings.Contains(tty.String(), "embedding chunks") {
		t.Fatalf("terminal progress wrote %q", tty.String())
	}
	// Nothing to embed: no bar at all.
	var none bytes.Buffer
	p = &ingestProgress{w: &none, tty: true}
	p.update(0, 0)
	p.finish()
	if none.Len() != 0 {
		t.Fatalf("empty progress wrote %q", none.String())
	}
}
