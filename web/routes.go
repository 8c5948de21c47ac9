package web

import (
	"net/http"
)

// routes is the whole URL space of the patient-facing server.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern, route string, h http.Handler) {
		mux.Handle(pattern, s.withBodyDeadline(s.logRequests(route, s.metrics.instrument(route, s.recoverHTTP(h)))))
	}
	handle("GET /{$}", "/", s.handleStatic("index.html", "text/html; charset=utf-8", map[string]string{
		"Content-Security-Policy": demoCSP, "Referrer-Policy": "no-referrer"}))
	handle("GET /demo.css", "/demo.css", s.handleStatic("demo.css", "text/css; charset=utf-8", nil))
	handle("GET /widget.js", "/widget.js", s.handleStatic("widget.js", "text/javascript; charset=utf-8", nil))
	// Browsers ask every page's host for /favicon.ico (the staff pages too).
	handle("GET /favicon.ico", "/favicon.ico", s.handleStatic("favicon.svg", "image/svg+xml", nil))
	handle("GET /favicon.svg", "/favicon.svg", s.handleStatic("favicon.svg", "image/svg+xml", nil))
	handle("GET /healthz", "/healthz", s.handleHealthz())
	handle("GET /readyz", "/readyz", s.handleReadyz())
	if !s.cfg.MetricsOwnListener {
		handle("GET /metrics", "/metrics", s.metrics.handler())
	}
	handle("GET /ws", "/ws", s.handleWS())
	handle("POST /api/ask", "/api/ask", s.handleAsk())
	handle("OPTIONS /api/ask", "/api/ask", s.handleAskPreflight())
	if s.cfg.Staff != nil {
		handle("/staff/", "/staff", s.cfg.Staff)
		handle("/staff", "/staff", s.cfg.Staff)
	}
	return mux
}

// MetricsHandler serves /metrics alone, for a listener apart from the
// patients' one: what the server counts (traffic, errors, rejected
// answers) is for operators, not for anyone who can reach the widget.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.logRequests("/metrics", s.metrics.handler()))
	return mux
}
