package library

import (
	"math"
	"slices"
	"sync"

	"github.com/cellchat/cellchat/internal/words"
)

// DefaultThreshold is the lowest match score at which a library entry
// answers a question. Calibrated by TestCalibrateThreshold on the
// paraphrase and nearby-subject sets in library/testdata (figures in
// docs/library.md): paraphrases of an entry's question score above it,
// questions on a neighbouring subject of the same entries below.
const DefaultThreshold = 0.6

// formMismatch scales the score of a text asking in another form ("How is
// CRS treated?" against "What is CRS?"): the same words, another question.
const formMismatch = 0.8

// Matcher finds the published entry a question asks for. It is built once
// from a set of entries and is then read-only, safe for concurrent use.
type Matcher struct {
	entries   []Entry
	texts     []matchText
	postings  map[string][]int32 // stem -> indexes into texts
	weight    map[string]float64 // stem -> inverse document frequency over entries
	threshold float64
	scratch   sync.Pool // *scratch sized to texts: a match allocates nothing per text
}

// scratch is one match's running sums of shared weight, by text, and the
// texts it touched (to clear them after).
type scratch struct {
	shared  []float64
	touched []int32
}

// matchText is one question or variant of an entry, as stems.
type matchText struct {
	form  string // words.QuestionForm
	entry int
	nth   int // 0: the question, i: variant i
	stems []string
	total float64 // sum of the stems' weights
}

// Match is what a question matched: the entry and how well.
type Match struct {
	Entry Entry
	Text  string  // the question or variant it matched
	Score float64 // weighted Jaccard similarity of their content stems, 0..1
}

// NewMatcher indexes the entries' questions and variants; threshold <= 0
// means DefaultThreshold. Entries not published are left out.
func NewMatcher(entries []Entry, threshold float64) *Matcher {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	m := &Matcher{postings: map[string][]int32{}, weight: map[string]float64{}, threshold: threshold}
	df := map[string]int{}
	for _, e := range entries {
		if e.Status != StatusPublished {
			continue
		}
		m.entries = append(m.entries, e)
		seen := map[string]bool{}
		for nth, t := range e.Texts() {
			st := matchStems(t)
			m.texts = append(m.texts, matchText{entry: len(m.entries) - 1, nth: nth, stems: st, form: words.QuestionForm(t)})
			for _, s := range st {
				if !seen[s] {
					seen[s] = true
					df[s]++
				}
			}
		}
	}
	// A word most entries share (the therapy's name in a CAR-T clinic's
	// library) tells entries apart less than one only a few have.
	n := float64(len(m.entries))
	for s, d := range df {
		m.weight[s] = math.Log(1 + n/float64(d))
	}
	m.scratch.New = func() any { return &scratch{shared: make([]float64, len(m.texts))} }
	for i := range m.texts {
		t := &m.texts[i]
		for _, s := range t.stems {
			t.total += m.weight[s]
			m.postings[s] = append(m.postings[s], int32(i))
		}
	}
	return m
}

// Len is how many entries the matcher serves.
func (m *Matcher) Len() int { return len(m.entries) }

// Threshold is the score a match needs.
func (m *Matcher) Threshold() float64 { return m.threshold }

// Best returns the entry whose question or variant is most like text,
// whatever the score; ok is false when none shares a word with it.
func (m *Matcher) Best(text string) (Match, bool) { return m.best(text) }

// Find returns the best match of text at or above the threshold.
func (m *Matcher) Find(text string) (Match, bool) {
	mt, ok := m.best(text)
	if !ok || mt.Score < m.threshold {
		return Match{}, false
	}
	return mt, true
}

// best scores every text sharing a stem with q: the weight of the stems
// both have over the weight of the stems either has.
func (m *Matcher) best(q string) (Match, bool) {
	stems := matchStems(q)
	form := words.QuestionForm(q)
	var qTotal float64
	for _, s := range stems {
		qTotal += m.weightOf(s)
	}
	sc := m.scratch.Get().(*scratch)
	defer m.scratch.Put(sc)
	for _, s := range stems {
		for _, i := range m.postings[s] {
			if sc.shared[i] == 0 {
				sc.touched = append(sc.touched, i)
			}
			sc.shared[i] += m.weight[s]
		}
	}
	bestI, bestScore := int32(-1), 0.0
	for _, i := range sc.touched {
		w := sc.shared[i]
		sc.shared[i] = 0
		t := m.texts[i]
		score := w / (qTotal + t.total - w)
		if form != "" && t.form != "" && form != t.form {
			score *= formMismatch
		}
		if score > bestScore || (score == bestScore && i < bestI) {
			bestI, bestScore = i, score
		}
	}
	sc.touched = sc.touched[:0]
	if bestI < 0 {
		return Match{}, false
	}
	t := m.texts[bestI]
	e := m.entries[t.entry]
	return Match{Entry: e, Text: e.Texts()[t.nth], Score: bestScore}, true
}

// weightOf is a stem's weight; one no entry has weighs as the rarest do.
func (m *Matcher) weightOf(s string) float64 {
	if w, ok := m.weight[s]; ok {
		return w
	}
	return math.Log(1 + float64(len(m.entries)))
}

// matchStems are the content stems of a question, each once, in order,
// question furniture ("tell", "explain") aside, and its form ("?how"),
// which the stop list drops but which tells "What is CRS?" from "How is
// CRS treated?".
func matchStems(text string) []string {
	var out []string
	if f := words.QuestionForm(text); f != "" {
		out = append(out, "?"+f)
	}
	for _, t := range words.Tokens(words.Normalize(text)) {
		if !words.IsStop(t.Word) && !words.IsFurniture(t.Word) && !words.IsQuestionWord(t.Word) && !slices.Contains(out, t.Stem) {
			out = append(out, t.Stem)
		}
	}
	return out
}
