package web

import (
	"log/slog"
	"net/http"
	"time"
)

// recoverHTTP turns a panic in a handler into a logged 500 with the
// internal error, instead of a dropped connection.
func (s *Server) recoverHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.recovered(r.Context(), r.URL.Path, p)
				writeError(w, http.StatusInternalServerError, &protocolError{code: codeInternal, message: "Sorry, something went wrong."})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// logRequests writes one structured line per request (per socket, when it
// closes); probes and scrapes only at debug level.
func (s *Server) logRequests(route string, next http.Handler) http.Handler {
	level := slog.LevelInfo
	switch route {
	case "/healthz", "/readyz", "/metrics":
		level = slog.LevelDebug
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		s.logger.LogAttrs(r.Context(), level, "request", slog.String("method", r.Method), slog.String("route", route),
			slog.Int("status", status), slog.Duration("duration", time.Since(start)),
			slog.String("ip", clientIP(r, s.cfg.ClientIPHeader)))
	})
}
