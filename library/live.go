package library

import (
	"sync/atomic"

	"github.com/cellchat/cellchat/chat"
)

// ReviewedBy is who a served entry says reviewed it.
const ReviewedBy = "care team"

// Live is the library a server answers from: the published entries that
// are not stale, swapped whole when entries or the corpus change. It is a
// chat.Library, safe for concurrent use.
type Live struct {
	m   atomic.Pointer[Matcher]
	gen atomic.Uint64
}

// NewLive returns a library serving nothing until Set.
func NewLive() *Live {
	l := &Live{}
	l.m.Store(NewMatcher(nil, 0))
	return l
}

// Set serves the published entries whose cited passages are unchanged in
// p, matched at threshold (<= 0: DefaultThreshold); it returns the
// published entries left out as stale.
func (l *Live) Set(entries []Entry, p Passages, threshold float64) (stale []Entry) {
	var served []Entry
	for _, e := range entries {
		if e.Status != StatusPublished {
			continue
		}
		if len(p.Stale(e)) > 0 {
			stale = append(stale, e)
			continue
		}
		served = append(served, e)
	}
	l.m.Store(NewMatcher(served, threshold))
	l.gen.Add(1)
	return stale
}

// Matcher is the matcher in use.
func (l *Live) Matcher() *Matcher { return l.m.Load() }

// Generation counts the Sets.
func (l *Live) Generation() uint64 { return l.gen.Load() }

// Lookup implements chat.Library. A follow-up is matched only with the
// topic it carries: "How is it treated?" after "What is CRS?" must not find
// an entry on how GVHD is treated.
func (l *Live) Lookup(question, context string) (chat.LibraryAnswer, bool) {
	if context == "" {
		context = question
	}
	mt, ok := l.m.Load().Find(context)
	if !ok {
		return chat.LibraryAnswer{}, false
	}
	return AnswerOf(mt), true
}

// AnswerOf is the reply a match serves.
func AnswerOf(mt Match) chat.LibraryAnswer {
	e := mt.Entry
	return chat.LibraryAnswer{
		Text:      e.Answer,
		Citations: append([]chat.Citation(nil), e.Citations...),
		Reviewed:  chat.Reviewed{By: ReviewedBy, Date: e.Approved.UTC().Format("2006-01-02"), Entry: e.ID},
		Score:     mt.Score,
	}
}
