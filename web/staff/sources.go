package staff

import (
	"context"
	"net/http"
	"time"
)

// Sources is what the console's sources page needs from the server: the
// documents it answers from and a way to load them again from disk.
type Sources interface {
	Documents() []SourceDocument
	// Reload loads the sources again and serves them if they changed; the
	// string says what happened, the error why nothing changed.
	Reload(ctx context.Context) (string, error)
}

// SourceDocument is one document the bot answers from.
type SourceDocument struct {
	ID, Title, Publisher, URL, File string
	Reviewed                        string    // YYYY-MM-DD, "" when unknown
	ReviewDue                       time.Time // zero: no review schedule
	Passages                        int
	Warnings                        []string
}

// maxReloadWait bounds how long the reload button waits for the index to
// be brought up to date.
const maxReloadWait = 10 * time.Minute

type sourcesData struct {
	pageData
	Docs    []SourceDocument
	Overdue int
	Notice  string
	Error   string
}

func (c *console) sourcesPage(r *http.Request) sourcesData {
	d := sourcesData{pageData: c.page(r, "Sources", "sources")}
	if c.cfg.Sources == nil {
		return d
	}
	d.Docs = c.cfg.Sources.Documents()
	for _, doc := range d.Docs {
		if !doc.ReviewDue.IsZero() && !time.Now().Before(doc.ReviewDue) {
			d.Overdue++
		}
	}
	return d
}

// handleSources lists the documents, flagging those past their review date.
func (c *console) handleSources() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.render(w, r, http.StatusOK, "sources.html", c.sourcesPage(r))
	})
}

// handleReloadSources is the "Reload sources" button: it loads the
// corpus again and serves it without a restart; a reload that fails
// leaves the current sources serving and says why. Either way it is in
// the audit log.
func (c *console) handleReloadSources() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.cfg.Sources == nil {
			c.renderError(w, r, http.StatusNotFound, "This server cannot reload its sources.")
			return
		}
		sess := sessionFrom(r.Context())
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), maxReloadWait)
		defer cancel()
		outcome, err := c.cfg.Sources.Reload(ctx)
		d := c.sourcesPage(r)
		status := http.StatusOK
		if err != nil {
			d.Error, status = err.Error(), http.StatusConflict
			c.store.Audit(r.Context(), sess.Email, "reload_sources", "failed: "+err.Error())
		} else {
			d.Notice = outcome
			c.store.Audit(r.Context(), sess.Email, "reload_sources", outcome)
		}
		c.render(w, r, status, "sources.html", d)
	})
}
