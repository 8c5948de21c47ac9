package chat

import (
	"sort"

	"github.com/cellchat/cellchat/retrieval"
)

// sourceOrder walks the candidate sentences of the retrieved passages in
// source order: within a passage, and on into the passage after it in its
// document when that was retrieved too.
type sourceOrder struct {
	cands    []candidate // by passage, then position
	passages []retrieval.Passage
	byOrd    map[docOrd]int // passage of each place in a document
	firstOf  map[int]int    // passage -> index of its first candidate
}

func newSourceOrder(cands []candidate, passages []retrieval.Passage) *sourceOrder {
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.passage != b.passage {
			return a.passage < b.passage
		}
		return a.pos < b.pos
	})
	o := &sourceOrder{cands: cands, passages: passages, byOrd: map[docOrd]int{}, firstOf: map[int]int{}}
	for i, p := range passages {
		o.byOrd[docOrd{p.DocID, p.Ord}] = i
	}
	for i := len(cands) - 1; i >= 0; i-- {
		o.firstOf[cands[i].passage] = i
	}
	return o
}

func (o *sourceOrder) index(c candidate) int {
	return sort.Search(len(o.cands), func(i int) bool {
		return o.cands[i].passage > c.passage || o.cands[i].passage == c.passage && o.cands[i].pos >= c.pos
	})
}

// prev is the sentence right before c in its passage, when quotable.
func (o *sourceOrder) prev(c candidate) (candidate, bool) {
	if i := o.index(c); i > 0 && o.cands[i-1].passage == c.passage && o.cands[i-1].last == c.pos-1 {
		return o.cands[i-1], true
	}
	return candidate{}, false
}

// next is the quotable sentence after c in its passage.
func (o *sourceOrder) next(c candidate) (candidate, bool) {
	if i := o.index(c); i+1 < len(o.cands) && o.cands[i+1].passage == c.passage {
		return o.cands[i+1], true
	}
	return candidate{}, false
}

// nextAcross is next, going on into the next passage of the same section.
func (o *sourceOrder) nextAcross(c candidate) (candidate, bool) {
	if n, ok := o.next(c); ok {
		return n, true
	}
	p := o.passages[c.passage]
	if pi, ok := o.byOrd[docOrd{p.DocID, p.Ord + 1}]; ok && o.passages[pi].Section == p.Section {
		if i, ok := o.firstOf[pi]; ok {
			return o.cands[i], true
		}
	}
	return candidate{}, false
}

// antecedents are the sentences a leaning sentence needs before it (none
// for one that does not lean); ok is false when they cannot be quoted.
func (o *sourceOrder) antecedents(c candidate) (before []candidate, ok bool) {
	for c.leans {
		p, found := o.prev(c)
		if !found || len(before) == maxAntecedents {
			return nil, false
		}
		before = append([]candidate{p}, before...)
		c = p
	}
	return before, true
}
