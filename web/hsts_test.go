package web

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// HSTS is sent on every route, staff console and errors included, once
// the server knows it is reached over HTTPS only; otherwise never.
func TestHSTS(t *testing.T) {
	staff := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	on := newTestServer(t, func(c *Config) { c.HSTSMaxAge = 365 * 24 * time.Hour; c.Staff = staff })
	off := newTestServer(t, func(c *Config) { c.Staff = staff })
	for _, path := range []string{"/", "/widget.js", "/healthz", "/staff/", "/no-such-page"} {
		_, _, h := httpGet(t, on.URL+path)
		if got := h.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("GET %s with HSTS on: Strict-Transport-Security %q, want max-age=31536000", path, got)
		}
		_, _, h = httpGet(t, off.URL+path)
		if got := h.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("GET %s with HSTS off: Strict-Transport-Security %q", path, got)
		}
	}
	resp, err := http.Post(on.URL+"/api/ask", "application/json", strings.NewReader(`{"question":"What is GVHD?"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("POST /api/ask: no Strict-Transport-Security")
	}
}

func TestHSTSValidate(t *testing.T) {
	c := DefaultConfig()
	c.HSTSMaxAge = -time.Second
	if err := c.Validate(); err == nil {
		t.Error("negative HSTS max-age accepted")
	}
	c.HSTSMaxAge = 500 * time.Millisecond
	if err := c.Validate(); err == nil {
		t.Error("HSTS max-age under a second accepted")
	}
}
