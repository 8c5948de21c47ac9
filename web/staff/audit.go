package staff

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/cellchat/cellchat/transcript"
)

const auditPageSize = 100

// auditForm is the audit view's filter as the form shows it.
type auditForm struct {
	Actor, Action, Q, From, To string
	Page                       int
}

func parseAuditFilter(q url.Values) (transcript.AuditFilter, auditForm, error) {
	af := auditForm{Actor: q.Get("actor"), Action: q.Get("action"), Q: q.Get("q"), From: q.Get("from"), To: q.Get("to")}
	f := transcript.AuditFilter{Actor: af.Actor, Action: af.Action, Text: af.Q}
	var err error
	if af.From != "" {
		if f.From, err = time.Parse("2006-01-02", af.From); err != nil {
			return f, af, fmt.Errorf("from: want a date like 2026-01-31")
		}
	}
	if af.To != "" {
		to, err := time.Parse("2006-01-02", af.To)
		if err != nil {
			return f, af, fmt.Errorf("to: want a date like 2026-01-31")
		}
		f.To = to.AddDate(0, 0, 1) // the "to" day is included
	}
	if p := q.Get("page"); p != "" {
		if af.Page, err = strconv.Atoi(p); err != nil || af.Page < 0 || af.Page > 1_000_000 {
			return f, af, fmt.Errorf("page %q: want a number", p)
		}
	}
	return f, af, nil
}

func (af auditForm) query(page int) string {
	v := url.Values{}
	for k, s := range map[string]string{"actor": af.Actor, "action": af.Action, "q": af.Q, "from": af.From, "to": af.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if page > 0 {
		v.Set("page", strconv.Itoa(page))
	}
	return v.Encode()
}

func (c *console) handleAudit() http.Handler {
	type data struct {
		pageData
		Form               auditForm
		Error              string
		Entries            []transcript.AuditEntry
		Actions            []string
		PrevPage, NextPage template.URL // url.Values.Encode output: already escaped
		HasPrev, HasNext   bool
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := data{pageData: c.page(r, "Audit log", "audit"), Actions: auditActions}
		f, af, err := parseAuditFilter(r.URL.Query())
		d.Form = af
		if err != nil {
			d.Error = err.Error()
			c.render(w, r, http.StatusBadRequest, "audit.html", d)
			return
		}
		f.Limit, f.Offset = auditPageSize+1, af.Page*auditPageSize
		entries, err := c.store.AuditQuery(r.Context(), f)
		if err != nil {
			c.readFailed(w, r, true, "staff audit", err)
			return
		}
		if len(entries) > auditPageSize {
			entries, d.HasNext = entries[:auditPageSize], true
		}
		d.Entries, d.HasPrev = entries, af.Page > 0
		d.PrevPage, d.NextPage = template.URL(af.query(af.Page-1)), template.URL(af.query(af.Page+1))
		c.render(w, r, http.StatusOK, "audit.html", d)
	})
}

func (c *console) handleAPIAudit() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, af, err := parseAuditFilter(r.URL.Query())
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		f.Limit, f.Offset = auditPageSize, af.Page*auditPageSize
		entries, err := c.store.AuditQuery(r.Context(), f)
		if err != nil {
			c.readFailed(w, r, false, "staff api audit", err)
			return
		}
		if entries == nil {
			entries = []transcript.AuditEntry{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
	})
}

// auditActions are the actions the console records, for the filter's list.
var auditActions = []string{"sign_in", "sign_in_failed", "sign_in_locked", "sign_in_lockout", "sign_out",
	"review", "export", "view_conversation", "list_replies"}

// auditFlushDelay is how long repeats of an event are counted in memory
// before they are written as one.
var auditFlushDelay = 5 * time.Second

type auditKey struct{ actor, action, detail string }

// auditRepeats counts repeats of events anyone can cause, between writes.
type auditRepeats struct {
	mu      sync.Mutex
	pending map[auditKey]int
}

// auditRepeated records an event anyone can cause at will (failed or
// refused sign-ins). The first is written at once; repeats within
// auditFlushDelay are counted in memory and written together, so a flood
// costs the log a write every few seconds instead of one per request,
// and patients' replies keep the writer.
func (c *console) auditRepeated(ctx context.Context, actor, action, detail string) {
	k := auditKey{actor, action, detail}
	c.repeats.mu.Lock()
	if _, waiting := c.repeats.pending[k]; waiting {
		c.repeats.pending[k]++
		c.repeats.mu.Unlock()
		return
	}
	c.repeats.pending[k] = 0
	c.repeats.mu.Unlock()
	if err := c.store.AuditMerged(ctx, actor, action, detail, 1); err != nil {
		c.log.Error("staff audit", "err", err)
	}
	time.AfterFunc(auditFlushDelay, func() {
		c.repeats.mu.Lock()
		n := c.repeats.pending[k]
		delete(c.repeats.pending, k)
		c.repeats.mu.Unlock()
		if n > 0 {
			if err := c.store.AuditMerged(context.Background(), actor, action, detail, n); err != nil {
				c.log.Error("staff audit", "err", err)
			}
		}
	})
}
