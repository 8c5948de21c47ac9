// Package library is the care team's answer library: answers a clinician
// wrote or checked, served again, marked as reviewed, to every patient who
// asks the same thing in other words. It holds the entry model, the checks
// an entry must pass, the store interface the transcript log implements and
// the matcher that finds the entry a question asks for. It knows nothing of
// websockets, HTML or SQL.
package library

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cellchat/cellchat/chat"
)

// Entry statuses: only a published entry is served.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
	StatusRetired   = "retired"
)

// Statuses lists the valid statuses.
var Statuses = []string{StatusDraft, StatusPublished, StatusRetired}

// Entry is one library answer, at one version. Every save makes a new
// version; the earlier ones are kept (see Store.Versions).
type Entry struct {
	ID       int64    `json:"id" yaml:"id"`
	Version  int      `json:"version" yaml:"version"`
	Status   string   `json:"status" yaml:"status"`
	Question string   `json:"question" yaml:"question"`
	Variants []string `json:"variants,omitempty" yaml:"variants,omitempty"`
	// Answer is the text patients see, with [n] markers for Citations.
	Answer    string          `json:"answer" yaml:"answer"`
	Citations []chat.Citation `json:"citations" yaml:"citations"`
	// Own marks an answer in the care team's own words, citing no passage.
	Own      bool      `json:"own,omitempty" yaml:"own,omitempty"`
	Author   string    `json:"author" yaml:"author"`
	Approver string    `json:"approver,omitempty" yaml:"approver,omitempty"`
	Created  time.Time `json:"created" yaml:"created"`
	Updated  time.Time `json:"updated" yaml:"updated"`
	Approved time.Time `json:"approved,omitzero" yaml:"approved,omitempty"`
	// CorpusVersion is the corpus the entry was approved against.
	CorpusVersion string `json:"corpus_version,omitempty" yaml:"corpus_version,omitempty"`
}

// Texts are the question and its variants: what a patient's question is
// matched against.
func (e Entry) Texts() []string { return append([]string{e.Question}, e.Variants...) }

// Limits bound an entry's size; zero fields take the defaults.
type Limits struct {
	QuestionChars int // question and each variant
	AnswerChars   int
	Variants      int
	Citations     int
}

// Default limits.
const (
	// DefaultQuestionChars: as long as a patient's question may be.
	DefaultQuestionChars = 2000
	// DefaultAnswerChars: a reply longer than this is a leaflet, not an answer.
	DefaultAnswerChars = 4000
	// DefaultVariants: enough wordings of one question; more slow matching for little gain.
	DefaultVariants = 50
	// DefaultCitations: an answer citing more passages is several answers.
	DefaultCitations = 10
)

// WithDefaults fills the zero fields of l.
func (l Limits) WithDefaults() Limits {
	if l.QuestionChars <= 0 {
		l.QuestionChars = DefaultQuestionChars
	}
	if l.AnswerChars <= 0 {
		l.AnswerChars = DefaultAnswerChars
	}
	if l.Variants <= 0 {
		l.Variants = DefaultVariants
	}
	if l.Citations <= 0 {
		l.Citations = DefaultCitations
	}
	return l
}

// marker is a citation marker in an answer: "[2]".
var marker = regexp.MustCompile(`\[(\d{1,3})\]`)

// Markers returns the citation numbers an answer's text uses, sorted, once each.
func Markers(text string) []int {
	var out []int
	for _, m := range marker.FindAllStringSubmatch(text, -1) {
		n, _ := strconv.Atoi(m[1])
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// Problems checks an entry's content against the limits and says every
// thing wrong with it (nil: none). known, if not nil, says whether a chunk
// id names a passage of the corpus.
func Problems(e Entry, lim Limits, known func(chunkID string) bool) []string {
	lim = lim.WithDefaults()
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if e.Status != "" && !slices.Contains(Statuses, e.Status) {
		add("status %q: want one of %s", e.Status, strings.Join(Statuses, ", "))
	}
	for i, q := range e.Texts() {
		what := "question"
		if i > 0 {
			what = fmt.Sprintf("variant %d", i)
		}
		switch n := utf8.RuneCountInString(q); {
		case strings.TrimSpace(q) == "":
			add("%s is empty", what)
		case n > lim.QuestionChars:
			add("%s has %d characters, at most %d", what, n, lim.QuestionChars)
		}
	}
	if len(e.Variants) > lim.Variants {
		add("%d variants, at most %d", len(e.Variants), lim.Variants)
	}
	switch n := utf8.RuneCountInString(e.Answer); {
	case strings.TrimSpace(e.Answer) == "":
		add("answer is empty")
	case n > lim.AnswerChars:
		add("answer has %d characters, at most %d", n, lim.AnswerChars)
	}
	if len(e.Citations) > lim.Citations {
		add("%d citations, at most %d", len(e.Citations), lim.Citations)
	}
	out = append(out, citationProblems(e, known)...)
	return out
}

// citationProblems checks that the answer's [n] markers and its citations
// are the same numbers, and that each citation names a known passage.
func citationProblems(e Entry, known func(string) bool) []string {
	var out []string
	used := Markers(e.Answer)
	if e.Own {
		if len(e.Citations) > 0 {
			out = append(out, "an answer in the care team's own words (own: true) cites no passages")
		}
		if len(used) > 0 {
			out = append(out, fmt.Sprintf("an answer in the care team's own words has no [n] markers, found %v", used))
		}
		return out
	}
	if len(e.Citations) == 0 {
		out = append(out, "no citations: cite the passages the answer rests on, or mark it as the care team's own words")
	}
	var cited []int
	for _, c := range e.Citations {
		switch {
		case c.N < 1:
			out = append(out, fmt.Sprintf("citation %q has no number n (1, 2, ...)", c.ChunkID))
		case slices.Contains(cited, c.N):
			out = append(out, fmt.Sprintf("citation number %d is used twice", c.N))
		}
		cited = append(cited, c.N)
		if c.ChunkID == "" {
			out = append(out, fmt.Sprintf("citation [%d] names no chunk", c.N))
		} else if known != nil && !known(c.ChunkID) {
			out = append(out, fmt.Sprintf("citation [%d]: unknown chunk id %q", c.N, c.ChunkID))
		}
		if !slices.Contains(used, c.N) {
			out = append(out, fmt.Sprintf("citation [%d] is not marked in the answer", c.N))
		}
	}
	for _, n := range used {
		if !slices.Contains(cited, n) {
			out = append(out, fmt.Sprintf("marker [%d] in the answer has no citation", n))
		}
	}
	return out
}
