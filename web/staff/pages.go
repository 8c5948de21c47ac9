package staff

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/transcript"
)

//go:embed templates/*.html
var templateFS embed.FS

// localTimeJS shows the list's times in the browser's time zone: the only
// script of the console, served from its own URL so the page's content
// security policy can keep inline scripts out.
//
//go:embed static/localtime.js
var localTimeJS []byte

var funcs = template.FuncMap{
	"fmtTime": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
	"isoTime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"short": func(s string, n int) string {
		r := []rune(s)
		if len(r) <= n {
			return s
		}
		return string(r[:n]) + "…"
	},
	"inc":  func(i int) int { return i + 1 },
	"dec":  func(i int) int { return i - 1 },
	"word": word,
	"f2":   func(f float64) string { return fmt.Sprintf("%.2f", f) },
	"f3":   func(f float64) string { return fmt.Sprintf("%.3f", f) },
}

// words are how the console shows reply kinds and review statuses to
// people; the codes stay in URLs, exports and the API.
var words = map[string]string{
	string(chat.KindAnswer):          "Answered",
	string(chat.KindNoAnswer):        "Not answered",
	string(chat.KindEmergency):       "Emergency",
	string(chat.KindReferral):        "Referred to the care team",
	string(chat.KindGreeting):        "Greeting",
	transcript.StatusApproved:        "Approved",
	transcript.StatusNeedsCorrection: "Needs correction",
	transcript.StatusWrong:           "Wrong",
}

// word is the word for a kind or status code; an unknown code as it is.
func word(code any) string {
	c := fmt.Sprint(code)
	if w, ok := words[c]; ok {
		return w
	}
	return c
}

// pages maps a page's file name to its template (the page plus the layout).
var pages = func() map[string]*template.Template {
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	out := map[string]*template.Template{}
	for _, name := range []string{"signin.html", "replies.html", "conversation.html", "dashboard.html", "audit.html", "sources.html", "error.html", "library.html", "library_entry.html"} {
		out[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name))
	}
	return out
}()

// pageData is what the layout needs; every page's data embeds it.
type pageData struct {
	Title string
	Staff string // signed-in e-mail, "" on the sign-in page
	Role  string // the signed-in account's role
	CSRF  string
	Nav   string
}

// Clinician says whether the signed-in account may write library entries
// (the server checks again on every change).
func (p pageData) Clinician() bool { return transcript.RoleAllows(p.Role, transcript.RoleClinician) }

func (c *console) page(r *http.Request, title, nav string) pageData {
	sess := sessionFrom(r.Context())
	return pageData{Title: title, Staff: sess.Email, Role: sess.Role, CSRF: sess.CSRF, Nav: nav}
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 rather than half a page.
func (c *console) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout.html", data); err != nil {
		c.log.Error("staff render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// statusTooSlow answers a console read stopped at the statement time limit
// (transcript.ErrTooSlow): the server will not run it to the end, and the
// same request will not fare better until its filter is narrowed.
const statusTooSlow = http.StatusServiceUnavailable

// codeTooSlow is the JSON "code" of that answer.
const codeTooSlow = "query_timeout"

// readFailed answers a request whose read of the log failed: a read
// stopped at the time limit says so, with what to do; anything else is
// logged and an internal error. what names the request in the log; page
// tells an HTML page from a JSON call.
func (c *console) readFailed(w http.ResponseWriter, r *http.Request, page bool, what string, err error) {
	if errors.Is(err, transcript.ErrTooSlow) {
		c.log.Warn(what, "err", err, "query", r.URL.RawQuery)
		if page {
			c.renderError(w, r, statusTooSlow, transcript.ErrTooSlow.Error())
		} else {
			writeJSON(w, statusTooSlow, map[string]string{"error": transcript.ErrTooSlow.Error(), "code": codeTooSlow})
		}
		return
	}
	c.log.Error(what, "err", err)
	if page {
		c.renderError(w, r, http.StatusInternalServerError, "Could not read the log.")
	} else {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
	}
}

func (c *console) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	c.render(w, r, status, "error.html", struct {
		pageData
		Status  int
		Message string
	}{c.page(r, http.StatusText(status), ""), status, msg})
}

// filterForm is the list's filter as the form shows it.
type filterForm struct {
	From, To, Kind, Feedback, Review, Q string
	Low, Emergency                      bool
	Page                                int
	// Before is where the page starts (a cursor from the page before);
	// without it the page is found by its number.
	Before transcript.Cursor
}

const pageSize = 100

// parseFilter reads the list filter from query parameters. Unknown values
// are errors (400), not silently ignored.
func (c *console) parseFilter(q url.Values) (transcript.Filter, filterForm, error) {
	ff := filterForm{
		From: q.Get("from"), To: q.Get("to"), Kind: q.Get("kind"), Feedback: q.Get("feedback"),
		Review: q.Get("review"), Q: q.Get("q"), Low: q.Get("low") != "", Emergency: q.Get("emergency") != "",
	}
	f := transcript.Filter{Feedback: ff.Feedback, Review: ff.Review, Search: ff.Q, Emergency: ff.Emergency}
	var err error
	if ff.From != "" {
		if f.From, err = time.Parse("2006-01-02", ff.From); err != nil {
			return f, ff, fmt.Errorf("from: want a date like 2026-01-31")
		}
	}
	if ff.To != "" {
		to, err := time.Parse("2006-01-02", ff.To)
		if err != nil {
			return f, ff, fmt.Errorf("to: want a date like 2026-01-31")
		}
		f.To = to.AddDate(0, 0, 1) // the "to" day is included
	}
	if ff.Kind != "" {
		ok := false
		for _, k := range chat.Kinds {
			ok = ok || string(k) == ff.Kind
		}
		if !ok {
			return f, ff, fmt.Errorf("kind %q: unknown", ff.Kind)
		}
		f.Kind = ff.Kind
	}
	switch ff.Feedback {
	case "", "up", "down", "comment", "any", "none":
	default:
		return f, ff, fmt.Errorf("feedback %q: unknown", ff.Feedback)
	}
	switch ff.Review {
	case "", "none", transcript.StatusApproved, transcript.StatusNeedsCorrection, transcript.StatusWrong:
	default:
		return f, ff, fmt.Errorf("review %q: unknown", ff.Review)
	}
	if ff.Low {
		f.MaxConfidence = c.cfg.LowConfidence
	}
	if p := q.Get("page"); p != "" {
		if ff.Page, err = strconv.Atoi(p); err != nil || ff.Page < 0 {
			return f, ff, fmt.Errorf("page %q: want a number", p)
		}
	}
	if b := q.Get("before"); b != "" {
		if ff.Before, err = transcript.ParseCursor(b); err != nil {
			return f, ff, fmt.Errorf("before: %w", err)
		}
	}
	return f, ff, nil
}

// paged sets f to the page ff asks for, of size rows: after its cursor
// when it has one, else by its number.
func (ff filterForm) paged(f transcript.Filter, size int) transcript.Filter {
	f.Limit, f.Before, f.Offset = size, ff.Before, 0
	if ff.Before.IsZero() {
		f.Offset = ff.Page * size
	}
	return f
}

// query returns the filter as a query string (for export and paging links).
func (ff filterForm) query(page int) string {
	v := url.Values{}
	for k, s := range map[string]string{"from": ff.From, "to": ff.To, "kind": ff.Kind, "feedback": ff.Feedback, "review": ff.Review, "q": ff.Q} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if ff.Low {
		v.Set("low", "1")
	}
	if ff.Emergency {
		v.Set("emergency", "1")
	}
	if page > 0 {
		v.Set("page", strconv.Itoa(page))
	}
	return v.Encode()
}

// next is the query of the page after ff's, which starts after cursor.
func (ff filterForm) next(cursor transcript.Cursor) string {
	return ff.query(ff.Page+1) + "&before=" + url.QueryEscape(cursor.String())
}

func (c *console) handleReplies() http.Handler {
	type data struct {
		pageData
		Form             filterForm
		Error            string
		Rows             []transcript.ReplyRow
		Kinds            []chat.Kind
		Statuses         []string
		Query            template.URL // url.Values.Encode output: already escaped
		PrevPage         template.URL
		NextPage         template.URL
		LowConfidence    float64
		First, Last      int
		HasPrev, HasNext bool
		Window           *transcript.SearchWindow // a short search's, said on the page
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := data{pageData: c.page(r, "Replies", "replies"), Kinds: chat.Kinds, Statuses: transcript.ReviewStatuses,
			LowConfidence: c.cfg.LowConfidence}
		f, ff, err := c.parseFilter(r.URL.Query())
		d.Form = ff
		if err != nil {
			d.Error = err.Error()
			c.render(w, r, http.StatusBadRequest, "replies.html", d)
			return
		}
		rows, err := c.store.ListReplies(r.Context(), ff.paged(f, pageSize+1))
		if err == nil {
			d.Window, err = c.searchWindow(r, f)
		}
		if err != nil {
			c.readFailed(w, r, true, "staff list", err)
			return
		}
		if len(rows) > pageSize {
			rows, d.HasNext = rows[:pageSize], true
			d.NextPage = template.URL(ff.next(rows[pageSize-1].Cursor()))
		}
		c.auditList(r, "page", ff, len(rows))
		d.Rows, d.HasPrev = rows, ff.Page > 0
		d.Query, d.PrevPage = template.URL(ff.query(0)), template.URL(ff.query(ff.Page-1))
		d.First, d.Last = ff.Page*pageSize+1, ff.Page*pageSize+len(rows)
		c.render(w, r, http.StatusOK, "replies.html", d)
	})
}

// conversationPageSize is the most turns a conversation page shows and
// the API returns unasked: patients' conversations are a few turns, and a
// page of this many, with every passage, still reads and renders quickly.
const conversationPageSize = 200

// maxConversationLimit bounds the API's ?limit=: every turn carries its
// retrieved passages, some kilobytes.
const maxConversationLimit = 1000

func (c *console) handleConversation() http.Handler {
	type data struct {
		pageData
		ID       string
		Turns    []transcript.TurnDetail
		Older    string // ?before= for the older turns' page, if any
		Newer    string // ?answer= for the newer turns' page, if any
		Statuses []string
		Saved    string
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, q := r.PathValue("id"), r.URL.Query()
		// The page holding a given answer: one the replies list links to,
		// or one just reviewed (?saved=, from the review's redirect).
		tq := transcript.TurnQuery{Before: q.Get("before"), Answer: q.Get("answer"), Limit: conversationPageSize}
		if tq.Answer == "" && tq.Before == "" {
			tq.Answer = q.Get("saved")
		}
		p, err := c.store.ConversationPage(r.Context(), id, tq)
		if errors.Is(err, transcript.ErrNoSuchTurn) && tq.Answer != "" {
			// An answer not (or no longer) in it: the page it would have been
			// on is unknown, the newest is shown.
			tq.Answer = ""
			p, err = c.store.ConversationPage(r.Context(), id, tq)
		}
		if errors.Is(err, transcript.ErrNotFound) {
			c.renderError(w, r, http.StatusNotFound, "No such conversation (it may have been deleted by the retention setting).")
			return
		}
		if errors.Is(err, transcript.ErrNoSuchTurn) {
			c.renderError(w, r, http.StatusNotFound, "No such turn in this conversation.")
			return
		}
		if err != nil {
			c.readFailed(w, r, true, "staff conversation", err)
			return
		}
		c.auditView(r, id)
		d := data{pageData: c.page(r, "Conversation", "replies"), ID: id,
			Turns: p.Turns, Newer: p.Newer, Statuses: transcript.ReviewStatuses, Saved: q.Get("saved")}
		if p.Older {
			d.Older = p.Turns[0].AnswerID
		}
		c.render(w, r, http.StatusOK, "conversation.html", d)
	})
}

const maxReviewText = 20_000

func (c *console) handleReview() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := sessionFrom(r.Context())
		answer := r.PathValue("answer")
		rv := transcript.Review{
			AnswerID:  answer,
			Reviewer:  sess.Email,
			Status:    r.PostFormValue("status"),
			Note:      strings.TrimSpace(r.PostFormValue("note")),
			Corrected: strings.TrimSpace(r.PostFormValue("corrected")),
		}
		if len(rv.Note) > maxReviewText || len(rv.Corrected) > maxReviewText {
			c.renderError(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("Note and corrected answer may be at most %d characters each.", maxReviewText))
			return
		}
		valid := false
		for _, st := range transcript.ReviewStatuses {
			valid = valid || rv.Status == st
		}
		if !valid {
			c.renderError(w, r, http.StatusBadRequest, "Choose a review status: approved, needs correction or wrong.")
			return
		}
		saved, err := c.store.AddReview(r.Context(), rv)
		if errors.Is(err, transcript.ErrNotFound) {
			c.renderError(w, r, http.StatusNotFound, "No such reply (it may have been deleted by the retention setting).")
			return
		}
		if err != nil {
			c.log.Error("staff review", "err", err)
			c.renderError(w, r, http.StatusInternalServerError, "Could not save the review.")
			return
		}
		c.store.Audit(r.Context(), sess.Email, "review", fmt.Sprintf("answer %s: %s (review %d)", answer, rv.Status, saved.ID))
		conv := r.PostFormValue("conversation")
		if conv == "" {
			http.Redirect(w, r, "/staff/", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/staff/conversations/"+url.PathEscape(conv)+"?saved="+url.QueryEscape(answer)+"#a-"+url.PathEscape(answer), http.StatusSeeOther)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (c *console) handleAPIReplies() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ff, err := c.parseFilter(r.URL.Query())
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		rows, err := c.store.ListReplies(r.Context(), ff.paged(f, pageSize))
		var window *transcript.SearchWindow
		if err == nil {
			window, err = c.searchWindow(r, f)
		}
		if err != nil {
			c.readFailed(w, r, false, "staff api list", err)
			return
		}
		c.auditList(r, "api", ff, len(rows))
		out := map[string]any{"replies": rows}
		if window != nil {
			out["search_window"] = window
		}
		if rows == nil {
			out["replies"] = []transcript.ReplyRow{}
		}
		if len(rows) == pageSize {
			// ?before= this gives the next page, however deep.
			out["next"] = rows[pageSize-1].Cursor().String()
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// handleAPIConversation returns a conversation's turns, oldest first: all
// of them when they are at most ?limit= (default conversationPageSize),
// else the newest that many and "next", which as ?before= gives the turns
// before them.
func (c *console) handleAPIConversation() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, q := r.PathValue("id"), r.URL.Query()
		tq := transcript.TurnQuery{Before: q.Get("before"), Limit: conversationPageSize}
		if v := q.Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxConversationLimit {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("limit: want 1 to %d", maxConversationLimit)})
				return
			}
			tq.Limit = n
		}
		p, err := c.store.ConversationPage(r.Context(), id, tq)
		if errors.Is(err, transcript.ErrNotFound) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such conversation"})
			return
		}
		if errors.Is(err, transcript.ErrNoSuchTurn) {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "before: no such turn in this conversation"})
			return
		}
		if err != nil {
			c.readFailed(w, r, false, "staff api conversation", err)
			return
		}
		c.auditView(r, id)
		out := map[string]any{"conversation_id": id, "turns": p.Turns}
		if p.Turns == nil {
			out["turns"] = []transcript.TurnDetail{}
		}
		if p.Older {
			out["next"] = p.Turns[0].AnswerID
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// searchWindow is the part of the log f's search reads, when it is too
// short for the text index to read all of it; nil otherwise.
func (c *console) searchWindow(r *http.Request, f transcript.Filter) (*transcript.SearchWindow, error) {
	w, ok, err := c.store.ShortSearchWindow(r.Context(), f.Search)
	if err != nil || !ok {
		return nil, err
	}
	return &w, nil
}

// auditList records who listed or searched patients' words, and with
// which filter: the list shows questions and replies as a conversation
// does.
func (c *console) auditList(r *http.Request, via string, ff filterForm, rows int) {
	detail := fmt.Sprintf("%s, page %d, %d rows, filter %q", via, ff.Page, rows, ff.query(0))
	if err := c.store.Audit(r.Context(), sessionFrom(r.Context()).Email, "list_replies", detail); err != nil {
		c.log.Error("staff audit", "err", err)
	}
}

// auditView records who read a patient's conversation: a clinic must be
// able to say who saw which patient's words, not only who changed what.
func (c *console) auditView(r *http.Request, conversation string) {
	if err := c.store.Audit(r.Context(), sessionFrom(r.Context()).Email, "view_conversation", conversation); err != nil {
		c.log.Error("staff audit", "err", err)
	}
}
