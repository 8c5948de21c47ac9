package eval

import (
	"github.com/cellchat/cellchat/internal/words"

	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cellchat/cellchat/chat"
)

// What the patient reads: the reply text itself, sentence by sentence, not
// the passages behind the citations. These figures look at the text only.

// citationMarker matches a citation marker with the space before it: " [2]",
// and the grouped forms a generated answer may use ("[1, 3]").
var citationMarker = regexp.MustCompile(`\s*\[\d+(?:\s*,\s*\d+)*\]`)

// stripMarkers removes the citation markers from reply text.
func stripMarkers(text string) string {
	return citationMarker.ReplaceAllString(text, "")
}

// answerSentence is one sentence of a reply: its text without markers and
// the citation numbers its marker names.
type answerSentence struct {
	text  string
	cites []int
}

// afterMarker is what may follow a marker and still belong to its sentence:
// a full stop or closing bracket or quote when the marker came before it
// ("... body [1].").
const afterMarker = `.!?)"'”’`

// splitAnswer splits reply text into its sentences. Each of an answer's
// sentences ends with a " [n]" marker, so a sentence is the text up to and
// including its marker (and any marker or full stop right after it). Text
// with no marker at all is split on ". ". Text after the last marker is a
// sentence without citations.
func splitAnswer(text string) []answerSentence {
	locs := citationMarker.FindAllStringIndex(text, -1)
	if len(locs) == 0 {
		var out []answerSentence
		parts := strings.Split(text, ". ")
		for i, p := range parts {
			if i < len(parts)-1 {
				p += "."
			}
			if p = strings.TrimSpace(p); hasLetter(p) {
				out = append(out, answerSentence{text: p})
			}
		}
		return out
	}
	var out []answerSentence
	start := 0
	for i := 0; i < len(locs); i++ {
		end := locs[i][1]
		cites := markerNumbers(text[locs[i][0]:locs[i][1]])
		// Markers one right after the other ("[1] [2]", "[1][2]") cite the
		// same sentence.
		for i+1 < len(locs) && locs[i+1][0] == end {
			i++
			end = locs[i][1]
			cites = append(cites, markerNumbers(text[locs[i][0]:locs[i][1]])...)
		}
		for end < len(text) {
			r, w := utf8.DecodeRuneInString(text[end:])
			if !strings.ContainsRune(afterMarker, r) {
				break
			}
			end += w
		}
		if s := strings.TrimSpace(stripMarkers(text[start:end])); hasLetter(s) {
			out = append(out, answerSentence{text: s, cites: cites})
		}
		start = end
	}
	if s := strings.TrimSpace(text[start:]); hasLetter(s) {
		out = append(out, answerSentence{text: s})
	}
	return out
}

var digits = regexp.MustCompile(`\d+`)

func markerNumbers(marker string) []int {
	var ns []int
	for _, d := range digits.FindAllString(marker, -1) {
		if n, err := strconv.Atoi(d); err == nil {
			ns = append(ns, n)
		}
	}
	return ns
}

func hasLetter(s string) bool {
	return strings.IndexFunc(s, unicode.IsLetter) >= 0
}

// answerWords is the number of words the patient reads in the reply text:
// markers removed (the disclaimer is a separate field, not in the text).
func answerWords(text string) int {
	return len(strings.Fields(stripMarkers(text)))
}

// refersBack reports whether a sentence leans on the one before it (see
// words.RefersBack, the rule the engine composes by).
func refersBack(s string) bool { return words.RefersBack(s) }

// sourceGap is what may stand between two sentences that follow each other
// in a passage (normalized): white space, or the bullet of a list item.
const sourceGap = " •·-–—*▪◦‣"

// minLocatedWords: a tail shorter than this is too short to be a quoted
// source sentence (it would match anywhere).
const minLocatedWords = 3

// located is where an answer sentence was found in a cited passage.
type located struct {
	n       int      // the citation number
	spans   [][2]int // every occurrence, in the normalized passage
	partial bool     // only a tail of the sentence is in the passage
	text    string   // the part found
}

// locate finds sentence s in the passage of a citation its marker names.
// When the whole sentence is not there, its tails after ". ", ": ", "? "
// or "! " are tried, longest first: a referral puts its own words and
// "Some general background from my sources:" before the first quoted
// sentence. ok is false when it is not found (e.g. a generated answer).
func locate(s answerSentence, citations []chat.Citation) (located, bool) {
	tails := []string{s.text}
	for i := 0; i+2 <= len(s.text); i++ {
		if strings.ContainsRune(".:?!", rune(s.text[i])) && s.text[i+1] == ' ' {
			if t := strings.TrimSpace(s.text[i+2:]); len(strings.Fields(t)) >= minLocatedWords {
				tails = append(tails, t)
			}
		}
	}
	for ti, t := range tails {
		nt := Normalize(t)
		if nt == "" {
			continue
		}
		for _, n := range s.cites {
			for _, c := range citations {
				if c.N != n {
					continue
				}
				p := Normalize(c.Passage)
				var spans [][2]int
				for off := 0; ; {
					i := strings.Index(p[off:], nt)
					if i < 0 {
						break
					}
					spans = append(spans, [2]int{off + i, off + i + len(nt)})
					off += i + 1
				}
				if len(spans) > 0 {
					return located{n: n, spans: spans, partial: ti > 0, text: t}, true
				}
			}
		}
	}
	return located{}, false
}

// follows reports whether, in the passage, prev ends right before cur
// begins (only white space or a list bullet between).
func follows(passage string, prev, cur located) bool {
	p := Normalize(passage)
	for _, a := range prev.spans {
		for _, b := range cur.spans {
			if a[1] <= b[0] && strings.Trim(p[a[1]:b[0]], sourceGap) == "" {
				return true
			}
		}
	}
	return false
}

// danglingSentence returns the first sentence of the reply that refers back
// to something the patient has not just read: it opens with one of
// referringBack, and it is the answer's first sentence, or the sentence
// before it in the answer is not the one before it in their common cited
// passage. Sentences not found in their cited passage are not judged. A
// sentence that names the subject its source's opening pronoun stood for
// (a referent) is found by its source's wording and judged as it reads.
func danglingSentence(text string, referents []chat.Referent, citations []chat.Citation) (string, bool) {
	var prev located
	prevFound := false
	shown := splitAnswer(text)
	for i, s := range splitAnswer(chat.WithoutReferents(text, referents)) {
		loc, found := locate(s, citations)
		reads := loc.text
		if i < len(shown) && shown[i].text != s.text {
			reads = lastSentence(shown[i].text)
		}
		if found && refersBack(reads) {
			ok := i > 0 && !loc.partial && prevFound && prev.n == loc.n &&
				follows(passageOf(citations, loc.n), prev, loc)
			if !ok {
				return loc.text, true
			}
		}
		prev, prevFound = loc, found
	}
	return "", false
}

// lastSentence is the cited sentence at the end of a marked span, without
// what stands before it (a referral's "Some general background from my
// sources:").
func lastSentence(span string) string {
	cut := 0
	for i := 0; i+1 < len(span); i++ {
		if strings.ContainsRune(".:?!", rune(span[i])) && span[i+1] == ' ' {
			cut = i + 2
		}
	}
	return span[cut:]
}

func passageOf(citations []chat.Citation, n int) string {
	for _, c := range citations {
		if c.N == n {
			return c.Passage
		}
	}
	return ""
}

// Two sentences say nearly the same when their content words overlap this
// much.
const (
	// duplicateJaccard: 60% of the two sentences' words shared is the same
	// statement reworded (two sources saying one thing).
	duplicateJaccard = 0.6
	// duplicateContainment: a sentence 80% of whose words are in the other
	// adds next to nothing to it.
	duplicateContainment = 0.8
	// minContainedWords: containment is not judged for a sentence with
	// fewer content words (one or two words are contained anywhere).
	minContainedWords = 3
)

// contentWords is the set of a sentence's content stems (words.Tokens
// less stop words), as the engine compares sentences.
func contentWords(s string) map[string]bool {
	set := map[string]bool{}
	for _, t := range words.Tokens(s) {
		if !words.IsStop(t.Word) {
			set[t.Stem] = true
		}
	}
	return set
}

// nearDuplicate reports whether two content-word sets say nearly the same.
func nearDuplicate(a, b map[string]bool) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	inter := 0
	for w := range a {
		if b[w] {
			inter++
		}
	}
	if float64(inter)/float64(len(a)+len(b)-inter) >= duplicateJaccard {
		return true
	}
	small := min(len(a), len(b))
	return small >= minContainedWords && float64(inter)/float64(small) >= duplicateContainment
}

// duplicatePair returns the first two sentences of the text that say nearly
// the same, if any.
func duplicatePair(text string) ([2]string, bool) {
	sents := splitAnswer(text)
	sets := make([]map[string]bool, len(sents))
	for i, s := range sents {
		sets[i] = contentWords(s.text)
	}
	for i := range sents {
		for j := i + 1; j < len(sents); j++ {
			if nearDuplicate(sets[i], sets[j]) {
				return [2]string{sents[i].text, sents[j].text}, true
			}
		}
	}
	return [2]string{}, false
}

// reading is what the patient-facing figures make of one turn; nil means
// the turn is not eligible for that figure.
type reading struct {
	answerHit, leadHit *bool
	dangling           *bool
	duplicate          *bool
	words              *int
}

func boolPtr(b bool) *bool { return &b }

// read scores what the patient reads in a turn's reply. answer_hit and
// lead_hit count turns whose expectation accepts an answer and has
// evidence, when the reply is an answer or an answer was the only kind
// accepted (a refused or failed answerable question is a miss).
func (tr *TurnResult) read() reading {
	var rd reading
	e := tr.expect
	isAnswer := tr.err == nil && tr.Kind == chat.KindAnswer
	// The quoted sentences are judged as the sources wrote them: without
	// the spelled-out abbreviations the reply added. Length counts them.
	quoted := chat.WithoutGlosses(tr.Text, tr.Glosses)
	if len(e.Evidence) > 0 && e.accepts(chat.KindAnswer) && (isAnswer || e.only(chat.KindAnswer)) {
		hit, lead := false, false
		if isAnswer {
			// Evidence is copied from the sources: it is found in the
			// words the patient reads, or in the source's own wording of
			// them where the reply named what a pronoun stood for.
			for _, text := range []string{quoted, chat.WithoutReferents(quoted, tr.Referents)} {
				hit = hit || containsAny(stripMarkers(text), e.Evidence)
				if sents := splitAnswer(text); len(sents) > 0 {
					lead = lead || containsAny(sents[0].text, e.Evidence)
				}
			}
		}
		rd.answerHit, rd.leadHit = boolPtr(hit), boolPtr(lead)
	}
	if isAnswer || (tr.err == nil && tr.Kind == chat.KindReferral && len(tr.Citations) > 0) {
		_, d := danglingSentence(quoted, tr.Referents, tr.Citations)
		rd.dangling = boolPtr(d)
	}
	if isAnswer {
		if len(splitAnswer(quoted)) >= 2 {
			_, d := duplicatePair(quoted)
			rd.duplicate = boolPtr(d)
		}
		n := answerWords(tr.Text)
		rd.words = &n
	}
	return rd
}

// percentile is the nearest-rank percentile of vs.
func percentile(vs []float64, p float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = max(1, min(rank, len(s)))
	return s[rank-1]
}
