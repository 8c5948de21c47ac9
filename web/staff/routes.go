package staff

import (
	"net/http"

	"github.com/cellchat/cellchat/transcript"
)

// routes is the console's whole URL space. Everything but the sign-in page
// needs a session: pages redirect to sign-in, the API and exports answer 401.
func (c *console) routes() http.Handler {
	mux := http.NewServeMux()
	page := func(h http.Handler) http.Handler { return c.requireSession(false, h) }
	api := func(h http.Handler) http.Handler { return c.requireSession(true, h) }

	mux.Handle("GET /staff", http.RedirectHandler("/staff/", http.StatusSeeOther))
	mux.Handle("GET /staff/signin", c.handleSignInPage())
	mux.Handle("POST /staff/signin", c.handleSignIn())
	mux.Handle("POST /staff/signout", page(c.handleSignOut()))
	mux.Handle("GET /staff/{$}", page(c.handleReplies()))
	mux.Handle("GET /staff/conversations/{id}", page(c.handleConversation()))
	clinician := func(h http.Handler) http.Handler { return page(c.requireRole(transcript.RoleClinician, h)) }
	mux.Handle("POST /staff/replies/{answer}/review", page(c.requireRole(transcript.RoleReviewer, c.handleReview())))
	mux.Handle("GET /staff/library", page(c.handleLibrary()))
	mux.Handle("GET /staff/library/new", page(c.handleNewEntry()))
	mux.Handle("POST /staff/library", clinician(c.handleSaveEntry()))
	mux.Handle("POST /staff/library/search", clinician(c.handleEditorSearch()))
	mux.Handle("GET /staff/library/{id}", page(c.handleEntry()))
	mux.Handle("POST /staff/library/{id}", clinician(c.handleSaveEntry()))
	mux.Handle("POST /staff/library/{id}/status", clinician(c.handleEntryStatus()))
	mux.Handle("GET /staff/dashboard", page(c.handleDashboard()))
	mux.Handle("GET /staff/audit", page(c.handleAudit()))
	mux.Handle("GET /staff/sources", page(c.handleSources()))
	mux.Handle("GET /staff/localtime.js", page(http.HandlerFunc(serveLocalTimeJS)))
	mux.Handle("POST /staff/sources/reload", page(c.requireRole(transcript.RoleAdmin, c.handleReloadSources())))
	mux.Handle("GET /staff/export.csv", api(c.handleExport("csv")))
	mux.Handle("GET /staff/export.jsonl", api(c.handleExport("jsonl")))
	mux.Handle("GET /staff/api/replies", api(c.handleAPIReplies()))
	mux.Handle("GET /staff/api/conversations/{id}", api(c.handleAPIConversation()))
	mux.Handle("GET /staff/api/stats", api(c.handleAPIStats()))
	mux.Handle("GET /staff/api/audit", api(c.handleAPIAudit()))
	mux.Handle("/staff/api/", api(http.NotFoundHandler()))
	mux.Handle("/staff/", page(http.NotFoundHandler()))
	return securityHeaders(mux)
}

// securityHeaders: no caching of patient data, no framing, scripts only
// from the console's own URLs (never inline), styles only inline in the
// page itself.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

func serveLocalTimeJS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Write(localTimeJS)
}
