package eval

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cellchat/cellchat/chat"
)

// Answerer answers a question in the context of a conversation; *chat.Engine
// is one, Remote (a running server) another.
type Answerer interface {
	Answer(ctx context.Context, history []chat.Turn, question string, onDelta func(string)) (chat.Reply, error)
}

// Report is the outcome of one evaluation run; its JSON form is the --json
// output of `cellchat eval` and the baseline --compare reads.
type Report struct {
	Name    string             `json:"name"`
	Cases   int                `json:"cases"`
	Passed  int                `json:"passed"`
	Metrics Metrics            `json:"metrics"`
	Tags    map[string]Metrics `json:"tags"`
	Results []CaseResult       `json:"results"`
}

// CaseResult is how one case went.
type CaseResult struct {
	ID     string       `json:"id"`
	Passed bool         `json:"passed"`
	Turns  []TurnResult `json:"turns"`

	tags []string // for per-tag metrics and reports; not part of the JSON shape
}

// TurnResult is one question, the reply and what it failed. Retrieved is
// null when the answerer does not report retrieved passages (a server whose
// answer object has none); such turns do not count for retrieval metrics.
type TurnResult struct {
	Ask       string           `json:"ask"`
	Kind      chat.Kind        `json:"kind"`
	Text      string           `json:"text"`
	Citations []chat.Citation  `json:"citations"`
	Retrieved []chat.Retrieved `json:"retrieved"`
	Failures  []string         `json:"failures"`
	// Glosses are the abbreviations the reply spelled out (an extension
	// of the reply; omitted when there are none).
	Glosses []chat.Gloss `json:"glosses,omitempty"`
	// Referents are the subjects the reply named for its sources' opening
	// pronouns (an extension of the reply; omitted when there are none).
	Referents []chat.Referent `json:"referents,omitempty"`

	// What the patient reads (see reading.go); null when the turn is not
	// eligible for the figure.
	AnswerHit   *bool `json:"answer_hit"`   // the reply text holds an evidence phrase
	LeadHit     *bool `json:"lead_hit"`     // its first sentence does
	Dangling    *bool `json:"dangling"`     // a sentence refers back to what is not before it
	Duplicate   *bool `json:"duplicate"`    // two sentences say nearly the same
	AnswerWords *int  `json:"answer_words"` // words of an answer's text, markers removed

	// With an LLM (extensions, omitted otherwise): how the reply was made
	// ("extractive" or "llm:<model>"), why a generated answer was not
	// shown, and how many generated sentences were not supported.
	Mode        string `json:"mode,omitempty"`
	Fallback    string `json:"fallback,omitempty"`
	Unsupported int    `json:"unsupported_sentences,omitempty"`
	// Reviewed is set when the answer library answered (with --library).
	Reviewed *chat.Reviewed `json:"reviewed,omitempty"`

	expect     Expect
	disclaimer string
	latency    time.Duration
	err        error
}

// Run asks every case of the sets through a, in order, each case's turns in
// one conversation, and scores the replies. progress, if not nil, is called
// after every turn. Case ids must be unique across the sets. Cases run one
// after another so latency is measured without contention, and so a remote
// answerer sees one conversation at a time.
func Run(ctx context.Context, a Answerer, sets []*Set, progress func(done, total int)) (*Report, error) {
	rep := &Report{Tags: map[string]Metrics{}, Results: []CaseResult{}}
	names := make([]string, 0, len(sets))
	total := 0
	seen := map[string]string{}
	for _, s := range sets {
		names = append(names, cmpOr(s.Name, s.Path))
		for _, c := range s.Cases {
			if other, dup := seen[c.ID]; dup {
				return nil, &ParseError{Path: s.Path, Problems: []string{fmt.Sprintf("%s:%d: case %q: duplicate id (also in %s)", s.Path, c.Line, c.ID, other)}}
			}
			seen[c.ID] = s.Path
			total += len(c.Turns)
		}
	}
	rep.Name = strings.Join(names, " + ")
	done := 0
	for _, s := range sets {
		for _, c := range s.Cases {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("eval interrupted: %w", err)
			}
			cr := runCase(ctx, a, c, func() {
				done++
				if progress != nil {
					progress(done, total)
				}
			})
			rep.Results = append(rep.Results, cr)
		}
	}
	rep.score()
	return rep, nil
}

// retrievalHider is implemented by answerers that may not see the retrieved
// passages (a remote server's answer object need not carry them).
type retrievalHider interface {
	HidesRetrieval() bool
}

func hidesRetrieval(a Answerer) bool {
	h, ok := a.(retrievalHider)
	return ok && h.HidesRetrieval()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func runCase(ctx context.Context, a Answerer, c Case, turnDone func()) CaseResult {
	cr := CaseResult{ID: c.ID, Passed: true, tags: c.Tags}
	var history []chat.Turn
	for _, t := range c.Turns {
		var streamed strings.Builder
		deltas := 0
		start := time.Now()
		reply, err := a.Answer(ctx, history, t.Ask, func(d string) {
			deltas++
			streamed.WriteString(d)
		})
		tr := TurnResult{
			Ask:        t.Ask,
			Kind:       reply.Kind,
			Text:       reply.Text,
			Citations:  cmpSlice(reply.Citations),
			Retrieved:  reply.Retrieved,
			Glosses:    reply.Glosses,
			Referents:  reply.Referents,
			Fallback:   reply.Fallback,
			Reviewed:   reply.Reviewed,
			expect:     t.Expect,
			disclaimer: reply.Disclaimer,
			latency:    elapsed(start, reply),
			err:        err,
		}
		if reply.Fallback != "" || strings.HasPrefix(reply.Mode, "llm:") {
			tr.Mode, tr.Unsupported = reply.Mode, reply.Unsupported
		}
		if !hidesRetrieval(a) && err == nil && tr.Retrieved == nil {
			// In-process, no passages means none were retrieved (e.g. triage
			// answered before retrieval): a miss, not an unknown.
			tr.Retrieved = []chat.Retrieved{}
		}
		tr.Failures = tr.check()
		// The widget shows the streamed text; it must be the reply's text.
		if err == nil && deltas > 0 && streamed.String() != reply.Text {
			tr.Failures = append(tr.Failures, fmt.Sprintf("stream: the %d deltas do not add up to the reply text (streamed %q)", deltas, clip(streamed.String(), 120)))
		}
		if len(tr.Failures) > 0 {
			cr.Passed = false
		}
		cr.Turns = append(cr.Turns, tr)
		if err == nil {
			history = append(history, chat.Turn{Question: t.Ask, Reply: reply})
		}
		turnDone()
	}
	return cr
}

// elapsed is the engine's own measure of its time when it reports one
// (Reply.Latency), else the wall time of the call.
func elapsed(start time.Time, r chat.Reply) time.Duration {
	if r.Latency > 0 {
		return r.Latency
	}
	return time.Since(start)
}

func cmpSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// check lists, in words, every expectation the turn's reply does not meet.
// Evidence is met when a cited passage contains an evidence phrase: the
// patient sees citations, not the retrieval ranking.
func (tr *TurnResult) check() []string {
	failures := []string{}
	if tr.err != nil {
		return append(failures, "error: "+tr.err.Error())
	}
	e := tr.expect
	if len(e.Kinds) > 0 && !e.accepts(tr.Kind) {
		failures = append(failures, fmt.Sprintf("kind: expected %s, got %s", kindsText(e.Kinds), cmpOr(string(tr.Kind), `""`)))
	}
	if len(e.Evidence) > 0 && !tr.citationHit() {
		failures = append(failures, fmt.Sprintf("evidence: no cited passage contains any of %s", quoteList(e.Evidence)))
	}
	if len(e.Sources) > 0 {
		cited := []string{}
		ok := false
		for _, c := range tr.Citations {
			if !slices.Contains(cited, c.DocID) {
				cited = append(cited, c.DocID)
			}
			ok = ok || slices.Contains(e.Sources, c.DocID)
		}
		if !ok {
			failures = append(failures, fmt.Sprintf("sources: no citation from %s (cited: %s)", strings.Join(e.Sources, ", "), cmpOr(strings.Join(cited, ", "), "none")))
		}
	}
	if want := e.Library; want != nil && tr.libraryEntry() != *want {
		failures = append(failures, fmt.Sprintf("library: expected %s, got %s", entryName(*want), entryName(tr.libraryEntry())))
	}
	for _, m := range e.Mentions {
		if !containsPhrase(tr.Text, m) {
			failures = append(failures, fmt.Sprintf("mentions: %q is not in the reply text", m))
		}
	}
	for _, f := range e.Forbid {
		if containsPhrase(tr.Text, f) {
			failures = append(failures, fmt.Sprintf("forbid: %q is in the reply text", f))
		}
	}
	return failures
}

// libraryEntry is the id of the library entry that answered, 0 if none.
func (tr *TurnResult) libraryEntry() int64 {
	if tr.Reviewed == nil {
		return 0
	}
	return tr.Reviewed.Entry
}

func entryName(id int64) string {
	if id == 0 {
		return "no library entry"
	}
	return fmt.Sprintf("library entry %d", id)
}

// askedModel says whether the turn's reply went to a language model: it
// was generated, or a generated answer was refused (Fallback).
func (tr *TurnResult) askedModel() bool {
	return strings.HasPrefix(tr.Mode, "llm:") || tr.Fallback != ""
}

func (tr *TurnResult) citationHit() bool {
	for _, c := range tr.Citations {
		if containsAny(c.Passage, tr.expect.Evidence) {
			return true
		}
	}
	return false
}

// MRRDepth is how deep mrr looks: an answerer should report this many
// ranked passages.
const MRRDepth = 10

// evidenceRank is the 1-based rank of the first retrieved passage that
// contains an evidence phrase, or 0 if none in the top MRRDepth.
func (tr *TurnResult) evidenceRank() int {
	for i, r := range tr.Retrieved {
		if i >= MRRDepth {
			break
		}
		if containsAny(r.Text, tr.expect.Evidence) {
			return i + 1
		}
	}
	return 0
}

func kindsText(ks []chat.Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, " or ")
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
