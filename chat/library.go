package chat

import "strconv"

// Library is the care team's answer library as the engine sees it: it is
// consulted after triage (emergencies, referrals and greetings come first)
// and before retrieval, and a question it knows is answered with the
// reviewed text instead of one composed from passages. The library
// package's matcher is one; chat knows nothing of how entries are stored.
type Library interface {
	// Lookup returns the reviewed answer for a question, if there is one.
	// context is what the question asks in its conversation: the question
	// as searched, with the topic words a follow-up carries from the
	// conversation ("how is it treated? GVHD"); match on it, not on the
	// question alone.
	Lookup(question, context string) (LibraryAnswer, bool)
	// Generation changes whenever what Lookup answers may change (an
	// entry published or retired), so a cached reply is not reused across it.
	Generation() uint64
}

// LibraryAnswer is a reviewed answer: its text with [n] markers, the
// passages they cite, who reviewed it and how well the question matched.
type LibraryAnswer struct {
	Text      string
	Citations []Citation
	Reviewed  Reviewed
	Score     float64 // 0..1, reported as the reply's Confidence
}

// Reviewed marks a reply served from the answer library.
type Reviewed struct {
	By    string `json:"by"`    // "care team"
	Date  string `json:"date"`  // YYYY-MM-DD the entry was approved
	Entry int64  `json:"entry"` // the entry's id
}

// ReasonLibrary is the Reason of a reply served from the library.
const ReasonLibrary = "answer.library"

// fromLibrary answers from the library when it knows the question.
func (e *Engine) fromLibrary(question string, q *query) (draft, bool) {
	if e.cfg.Library == nil {
		return draft{}, false
	}
	a, ok := e.cfg.Library.Lookup(question, q.topic)
	if !ok {
		return draft{}, false
	}
	rv := a.Reviewed
	r := Reply{Kind: KindAnswer, Reason: ReasonLibrary, Mode: "library", Citations: a.Citations,
		Confidence: a.Score, Query: q.topic, Reviewed: &rv}
	return draft{Reply: r, parts: []string{a.Text}}, true
}

// libraryKey is the part of a reply cache key that changes with the
// library's entries.
func (e *Engine) libraryKey() string {
	if e.cfg.Library == nil {
		return ""
	}
	return "\x00library\x00" + strconv.FormatUint(e.cfg.Library.Generation(), 10)
}
