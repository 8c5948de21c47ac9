package web

import (
	"embed"
	"net/http"
)

// static holds the widget and the demo page, served from the binary: no
// build step, no CDN.
//
//go:embed static
var static embed.FS

// handleStatic serves one embedded file. The widget is loaded by other
// sites' pages, so it may be cached briefly but must stay fresh enough for
// fixes to reach patients.
func (s *Server) handleStatic(name, contentType string, headers map[string]string) http.Handler {
	data, err := static.ReadFile("static/" + name)
	if err != nil {
		panic("web: missing embedded file " + name) // a build error, caught by the tests
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "public, max-age=300")
		for k, v := range headers {
			h.Set(k, v)
		}
		w.Write(data)
	})
}

// demoCSP locks the demo page down: its own scripts only, sockets to
// itself; the widget's styles live in its shadow root.
const demoCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
