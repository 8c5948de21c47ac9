package staff

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/cellchat/cellchat/chat"
	wordlib "github.com/cellchat/cellchat/internal/words"
	"github.com/cellchat/cellchat/library"
	"github.com/cellchat/cellchat/transcript"
)

// Library is the answer library as the server serves it.
type Library interface {
	// Passages are the served corpus's passages: what an entry may cite.
	Passages() library.Passages
	// CorpusVersion is the served corpus's version, recorded on approval.
	CorpusVersion() string
	// Refresh serves the store's entries as they are now.
	Refresh(ctx context.Context) error
	// Stale says why a published entry is not served: the passages it
	// cites changed or were removed (nil: it is served).
	Stale(id int64) []string
}

// The Library pages: the list of entries, and one entry's editor, also
// opened from a logged reply ("Use as library answer", "Write a corrected
// answer"). Reading is open to every role; saving, publishing and retiring
// need a clinician (routes.go), and with LibraryTwoPerson the publisher
// must not be who last saved the entry.

// maxSearchResults is how many passages a passage search lists: enough to
// pick from, few enough to read.
const maxSearchResults = 10

// maxSimilar is how many similar logged questions the editor offers as
// variants: a screenful to tick through.
const maxSimilar = 20

// entryForm is the editor's form: what the clinician typed, kept as typed
// so a refused save loses nothing.
type entryForm struct {
	ID        int64
	Version   int
	Question  string
	Variants  string // one per line
	Answer    string
	Citations string // one chunk id per line: the first is [1], the next [2], ...
	Own       bool
	Picked    []string // similar logged questions ticked as variants
}

func formOf(e library.Entry) entryForm {
	f := entryForm{ID: e.ID, Version: e.Version, Question: e.Question, Variants: strings.Join(e.Variants, "\n"), Answer: e.Answer, Own: e.Own}
	var ids []string
	for _, c := range e.Citations {
		ids = append(ids, c.ChunkID)
	}
	f.Citations = strings.Join(ids, "\n")
	return f
}

// entry is the form as an entry: citations numbered by line.
func (f entryForm) entry() library.Entry {
	e := library.Entry{ID: f.ID, Version: f.Version, Question: strings.TrimSpace(f.Question), Answer: strings.TrimSpace(f.Answer), Own: f.Own}
	for _, v := range append(strings.Split(f.Variants, "\n"), f.Picked...) {
		if v = strings.TrimSpace(v); v != "" && v != e.Question && !slices.Contains(e.Variants, v) {
			e.Variants = append(e.Variants, v)
		}
	}
	for _, id := range strings.Split(f.Citations, "\n") {
		if id = strings.TrimSpace(id); id != "" {
			e.Citations = append(e.Citations, chat.Citation{N: len(e.Citations) + 1, ChunkID: id})
		}
	}
	return e
}

func readEntryForm(r *http.Request) entryForm {
	f := entryForm{Question: r.PostFormValue("question"), Variants: r.PostFormValue("variants"), Answer: r.PostFormValue("answer"),
		Citations: r.PostFormValue("citations"), Own: r.PostFormValue("own") == "on", Picked: r.PostForm["pick"]}
	f.ID, _ = strconv.ParseInt(cmp.Or(r.PathValue("id"), r.PostFormValue("id")), 10, 64)
	f.Version, _ = strconv.Atoi(r.PostFormValue("version"))
	return f
}

// editorData is the editor page.
type editorData struct {
	pageData
	Form      entryForm
	Entry     *library.Entry // the stored entry; nil for a new one
	Versions  []library.Entry
	Use       transcript.EntryUse
	Stale     []string
	Problems  []string
	Conflict  *library.Entry // the newer version a save collided with
	From      *transcript.TurnDetail
	Passages  []chat.Citation // the reply's passages, to cite
	Search    string
	Found     []chat.Citation
	Similar   []string // logged questions whose retrieval found the cited passages
	CanEdit   bool
	TwoPerson bool
	Notice    string
}

type libraryRow struct {
	library.Entry
	Use   transcript.EntryUse
	Stale bool
}

func (c *console) handleLibrary() http.Handler {
	type data struct {
		pageData
		Rows    []libraryRow
		CanEdit bool
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entries, err := c.store.Entries(r.Context())
		if err != nil {
			c.readFailed(w, r, true, "staff library", err)
			return
		}
		use, err := c.store.LibraryUse(r.Context())
		if err != nil {
			c.readFailed(w, r, true, "staff library", err)
			return
		}
		d := data{pageData: c.page(r, "Library", "library"), CanEdit: c.canEdit(r)}
		for _, e := range entries {
			d.Rows = append(d.Rows, libraryRow{Entry: e, Use: use[e.ID], Stale: len(c.stale(e)) > 0})
		}
		c.render(w, r, http.StatusOK, "library.html", d)
	})
}

// handleNewEntry opens the editor for a new entry, from a logged reply
// when the conversation and answer are given: "copy" takes its text as
// it is, "correct" the latest review's corrected text when there is one.
func (c *console) handleNewEntry() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		d := c.editor(r, entryForm{})
		if q.Get("conversation") != "" || q.Get("answer") != "" {
			from, err := c.fromReply(r, q.Get("conversation"), q.Get("answer"))
			if errors.Is(err, transcript.ErrNotFound) {
				c.renderError(w, r, http.StatusNotFound, "No such reply (it may have been deleted by the retention setting).")
				return
			}
			if err != nil {
				c.readFailed(w, r, true, "staff library", err)
				return
			}
			e := library.Entry{Question: from.Question, Answer: from.Reply.Text, Citations: from.Reply.Citations}
			if rv := from.Reviews; q.Get("mode") == "correct" && len(rv) > 0 && rv[len(rv)-1].Corrected != "" {
				e.Answer = rv[len(rv)-1].Corrected
			}
			d.Form, d.From, d.Passages = formOf(e), from, replyPassages(from.Reply, c.passages())
			if d.Similar, err = c.similar(r, e); err != nil {
				c.readFailed(w, r, true, "staff library", err)
				return
			}
		}
		c.render(w, r, http.StatusOK, "library_entry.html", d)
	})
}

func (c *console) handleEntry() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		e, err := c.store.Entry(r.Context(), id)
		if library.CodeOf(err) == library.CodeNotFound {
			c.renderError(w, r, http.StatusNotFound, "No such library entry.")
			return
		}
		if err != nil {
			c.readFailed(w, r, true, "staff library entry", err)
			return
		}
		d, err := c.entryEditor(r, e, formOf(e))
		if err != nil {
			c.readFailed(w, r, true, "staff library entry", err)
			return
		}
		if r.URL.Query().Get("saved") != "" {
			d.Notice = "Saved as version " + strconv.Itoa(e.Version) + " (" + e.Status + ")."
		}
		c.render(w, r, http.StatusOK, "library_entry.html", d)
	})
}

// handleSaveEntry creates an entry or saves a new version of one, as a
// draft. A refused save shows the form again as typed, with every problem.
func (c *console) handleSaveEntry() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := readEntryForm(r)
		e := f.entry()
		p := c.passages()
		if problems := library.Problems(e, c.cfg.LibraryLimits, p.Known); len(problems) > 0 {
			c.refuseEntry(w, r, http.StatusBadRequest, f, problems, nil)
			return
		}
		saved, err := c.store.SaveEntry(r.Context(), p.Cite(e), sessionFrom(r.Context()).Email)
		if library.CodeOf(err) == library.CodeConflict {
			var le *library.Error
			errors.As(err, &le)
			c.refuseEntry(w, r, http.StatusConflict, f, []string{le.Message}, le.Current)
			return
		}
		if err != nil {
			c.log.Error("staff library save", "err", err)
			c.renderError(w, r, http.StatusInternalServerError, "The entry was not saved: the log failed. Try again.")
			return
		}
		c.servedChanged(r)
		http.Redirect(w, r, fmt.Sprintf("/staff/library/%d?saved=1", saved.ID), http.StatusSeeOther)
	})
}

// fromReply is the logged reply an entry is made from; ErrNotFound when
// there is no such reply. It reads that reply alone, a page of one, not
// its whole conversation.
func (c *console) fromReply(r *http.Request, conversation, answer string) (*transcript.TurnDetail, error) {
	if answer == "" {
		return nil, transcript.ErrNotFound
	}
	p, err := c.store.ConversationPage(r.Context(), conversation, transcript.TurnQuery{Answer: answer, Limit: 1})
	if errors.Is(err, transcript.ErrNoSuchTurn) {
		return nil, transcript.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	for i := range p.Turns {
		if p.Turns[i].AnswerID == answer {
			return &p.Turns[i], nil
		}
	}
	return nil, transcript.ErrNotFound
}

// handleEditorSearch searches the passages from the editor and shows it
// again as typed, saving nothing.
func (c *console) handleEditorSearch() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.refuseEntry(w, r, http.StatusOK, readEntryForm(r), nil, nil)
	})
}

// refuseEntry shows the editor again with what was typed and why it was
// not saved.
func (c *console) refuseEntry(w http.ResponseWriter, r *http.Request, status int, f entryForm, problems []string, newer *library.Entry) {
	d := c.editor(r, f)
	if from, err := c.fromReply(r, r.PostFormValue("from_conversation"), r.PostFormValue("from_answer")); err == nil {
		d.From, d.Passages = from, replyPassages(from.Reply, c.passages())
	}
	if f.ID != 0 {
		if e, err := c.store.Entry(r.Context(), f.ID); err == nil {
			if ed, err := c.entryEditor(r, e, f); err == nil {
				d = ed
			}
		}
	}
	d.Problems, d.Conflict = problems, newer
	c.render(w, r, status, "library_entry.html", d)
}

// handleEntryStatus publishes, retires or re-drafts an entry. Publishing
// cites the passages as the corpus has them now, so a stale entry is
// re-approved against today's text (a new version, then its approval).
func (c *console) handleEntryStatus() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		actor := sessionFrom(ctx).Email
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		version, _ := strconv.Atoi(r.PostFormValue("version"))
		status := r.PostFormValue("status")
		e, err := c.store.Entry(ctx, id)
		if err != nil {
			c.entryFailed(w, r, err)
			return
		}
		if status == library.StatusPublished {
			if c.cfg.LibraryTwoPerson && e.Author == actor {
				c.renderError(w, r, http.StatusForbidden, "Forbidden: with the two-person rule, an entry is published by a clinician other than the one who last saved it ("+e.Author+").")
				return
			}
			p := c.passages()
			if problems := library.Problems(e, c.cfg.LibraryLimits, p.Known); len(problems) > 0 {
				c.refuseEntry(w, r, http.StatusBadRequest, formOf(e), append([]string{"Not published: edit the entry first."}, problems...), nil)
				return
			}
			if len(p.Stale(e)) > 0 && e.Version == version {
				if e, err = c.store.SaveEntry(ctx, p.Cite(e), actor); err != nil {
					c.entryFailed(w, r, err)
					return
				}
				version = e.Version
			}
		}
		if _, err := c.store.SetStatus(ctx, id, version, status, actor, c.corpusVersion()); err != nil {
			c.entryFailed(w, r, err)
			return
		}
		c.servedChanged(r)
		http.Redirect(w, r, fmt.Sprintf("/staff/library/%d?saved=1", id), http.StatusSeeOther)
	})
}

// entryFailed answers a failed change of an entry by its error's code.
func (c *console) entryFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch library.CodeOf(err) {
	case library.CodeNotFound:
		c.renderError(w, r, http.StatusNotFound, "No such library entry.")
	case library.CodeConflict, library.CodeInvalid:
		c.renderError(w, r, http.StatusConflict, err.Error())
	default:
		c.log.Error("staff library", "err", err)
		c.renderError(w, r, http.StatusInternalServerError, "The change was not saved: the log failed. Try again.")
	}
}

// editor is the editor page for f, with a passage search when asked.
func (c *console) editor(r *http.Request, f entryForm) editorData {
	d := editorData{pageData: c.page(r, "Library entry", "library"), Form: f, CanEdit: c.canEdit(r), TwoPerson: c.cfg.LibraryTwoPerson}
	if d.Search = strings.TrimSpace(cmp.Or(r.URL.Query().Get("q"), r.PostFormValue("q"))); d.Search != "" {
		d.Found = searchPassages(c.passages(), d.Search, maxSearchResults)
	}
	return d
}

// entryEditor is the editor of a stored entry, with its versions and use.
func (c *console) entryEditor(r *http.Request, e library.Entry, f entryForm) (editorData, error) {
	d := c.editor(r, f)
	d.Title = "Library entry " + strconv.FormatInt(e.ID, 10)
	d.Entry, d.Stale = &e, c.stale(e)
	var err error
	if d.Versions, err = c.store.Versions(r.Context(), e.ID); err != nil {
		return d, err
	}
	use, err := c.store.LibraryUse(r.Context())
	if err != nil {
		return d, err
	}
	d.Use = use[e.ID]
	d.Passages = e.Citations
	d.Similar, err = c.similar(r, e)
	return d, err
}

// similar lists logged questions whose retrieval found a passage e cites,
// but its own question and variants.
func (c *console) similar(r *http.Request, e library.Entry) ([]string, error) {
	var ids []string
	for _, ct := range e.Citations {
		ids = append(ids, ct.ChunkID)
	}
	qs, err := c.store.SimilarQuestions(r.Context(), ids, c.cfg.LibrarySimilarScan, maxSimilar+len(e.Variants)+1)
	if err != nil {
		return nil, err
	}
	out := qs[:0]
	for _, q := range qs {
		if q != e.Question && !slices.Contains(e.Variants, q) && len(out) < maxSimilar {
			out = append(out, q)
		}
	}
	return out, nil
}

func (c *console) canEdit(r *http.Request) bool {
	return transcript.RoleAllows(sessionFrom(r.Context()).Role, transcript.RoleClinician)
}

// stale says why a published entry is not served.
func (c *console) stale(e library.Entry) []string {
	if c.cfg.Library == nil || e.Status != library.StatusPublished {
		return nil
	}
	return c.cfg.Library.Stale(e.ID)
}

func (c *console) passages() library.Passages {
	if c.cfg.Library == nil {
		return library.Passages{}
	}
	return c.cfg.Library.Passages()
}

func (c *console) corpusVersion() string {
	if c.cfg.Library == nil {
		return ""
	}
	return c.cfg.Library.CorpusVersion()
}

// servedChanged serves the library as it is now; a failure is logged (the
// next reload check tries again).
func (c *console) servedChanged(r *http.Request) {
	if c.cfg.Library == nil {
		return
	}
	if err := c.cfg.Library.Refresh(r.Context()); err != nil {
		c.log.Error("staff library: the served library was not updated", "err", err)
	}
}

// replyPassages are the passages a logged reply cited and retrieved, as
// the corpus has them now, each once.
func replyPassages(rp chat.Reply, p library.Passages) []chat.Citation {
	var out []chat.Citation
	seen := map[string]bool{}
	add := func(id string) {
		if cur, ok := p[id]; ok && !seen[id] {
			seen[id] = true
			out = append(out, cur)
		}
	}
	for _, c := range rp.Citations {
		add(c.ChunkID)
	}
	for _, r := range rp.Retrieved {
		add(r.ChunkID)
	}
	return out
}

// searchPassages lists the passages holding the most of the query's
// content words, at most n, best first.
func searchPassages(p library.Passages, query string, n int) []chat.Citation {
	want := wordlib.ContentStems(wordlib.Normalize(query))
	type hit struct {
		c     chat.Citation
		score int
	}
	var hits []hit
	for _, c := range p {
		have := map[string]bool{}
		for _, s := range wordlib.ContentStems(wordlib.Normalize(c.Title + " " + c.Section + " " + c.Passage)) {
			have[s] = true
		}
		score := 0
		for _, s := range want {
			if have[s] {
				score++
			}
		}
		if score > 0 {
			hits = append(hits, hit{c, score})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if a.score != b.score {
			return b.score - a.score
		}
		return strings.Compare(a.c.ChunkID, b.c.ChunkID)
	})
	out := make([]chat.Citation, 0, min(n, len(hits)))
	for _, h := range hits[:min(n, len(hits))] {
		out = append(out, h.c)
	}
	return out
}
