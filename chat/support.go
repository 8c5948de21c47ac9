package chat

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cellchat/cellchat/corpus"
	"github.com/cellchat/cellchat/internal/words"
	"github.com/cellchat/cellchat/retrieval"
)

// A generated sentence may say only what the passages it cites say. The
// checks below read a sentence and its cited passages through the same
// word handling as the rest of the engine (tokens, stems, stop words, the
// lay-term lexicon and the sources' abbreviations). They are deliberately
// lexical: they cannot tell a fluent paraphrase from a subtle distortion
// that keeps the passage's words, but they do catch the claims a patient
// must never be shown unsupported: numbers, doses, durations, names,
// negations and absolutes the passage does not make, and content the
// passage does not hold.

// DefaultMinSupport is the share of a generated sentence's content words
// that its cited passages must hold: a paraphrase swaps a word or two of a
// sentence, while a claim the passage does not make brings its own words.
const DefaultMinSupport = 0.75

// supportNegationWindow is how many content words either side of a
// negation, within its clause, say what it is about.
const supportNegationWindow = 4

// maxFallbackSentence is how much of a failing sentence a fallback reason
// quotes: enough to find it in a log.
const maxFallbackSentence = 80

// Words whose claims a paraphrase must take from its passage, not add. A
// word of these sets in a generated sentence must be in the cited passage
// (by stem, numbers by value).
var (
	// durations, doses and shares: "within a week", "8 mg/kg", "90 percent".
	unitWords = wordSet(`second seconds minute minutes hour hours day days week weeks month months year years
		daily weekly monthly yearly annually overnight lifetime decade decades
		mg milligram milligrams mcg microgram micrograms kg gram grams ml millilitre milliliter litre liter
		dose doses dosage dosing tablet tablets pill pills capsule capsules
		percent percentage per cent`)
	// how often or how many: "most patients", "rarely", "usually".
	frequencyWords = wordSet(`most mostly majority minority rare rarely usually often seldom frequently commonly
		common typically sometimes generally occasionally`)
	// advice to the patient, which is the care team's to give.
	adviceWords = wordSet(`should recommend recommends recommended recommendation advise advised avoid`)
	// number words, compared with digits by value ("one" is left out: "one
	// of the", "one example" say no amount).
	numberWords = map[string]string{"two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
		"eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15", "twenty": "20",
		"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "thousand": "1000", "million": "1000000",
		"hundreds": "100s", "thousands": "1000s", "millions": "1000000s",
		"twice": "2x", "double": "2x", "half": "1/2", "dozen": "12", "dozens": "12"}
	// absolutes, by word family: "cures" is backed by "cure" but not by
	// "potentially curative", and "always" by nothing short of "always".
	absoluteWords = map[string]string{
		"cure": "cure", "cures": "cure", "cured": "cure", "curing": "cure", "curable": "curable",
		"guarantee": "guarantee", "guarantees": "guarantee", "guaranteed": "guarantee",
		"every": "every", "everyone": "everyone", "everybody": "everyone", "everything": "everything",
		"all": "all", "always": "always", "only": "only", "completely": "completely", "complete": "complete",
		"entirely": "entirely", "totally": "totally", "fully": "fully", "forever": "forever",
		"permanent": "permanent", "permanently": "permanent", "definitely": "definitely", "certainly": "certainly",
		"never": "never", "none": "none", "nothing": "nothing", "nobody": "nobody",
		"safe": "safe", "safely": "safe", "harmless": "harmless", "painless": "painless", "free": "free",
		"proven": "proven",
	}
	// contrastWords before a word take it out of a statement much as a
	// negation does: "gene therapy rather than cell therapy".
	contrastWords = wordSet(`rather instead unlike than except`)
)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// isNegation says whether a word turns its clause round.
func isNegation(w string) bool {
	switch w {
	case "no", "not", "never", "none", "nothing", "nobody", "neither", "nor", "without", "cannot", "non":
		return true
	}
	return strings.HasSuffix(w, "n't")
}

// strongNegation: negations of a verb, which a paraphrase that keeps the
// verb must keep too ("are not genetically modified").
func strongNegation(w string) bool {
	return w == "not" || w == "never" || w == "cannot" || strings.HasSuffix(w, "n't")
}

// supportWord is one word of a sentence or passage as the checks read it.
type supportWord struct {
	words.Token
	surface string
	clause  int  // clauses are cut at punctuation
	opens   bool // starts a list item or quotation, where a capital is no sign of a name
	content bool // names something (not a stop word, furniture or negation)
	neg     bool
}

// readWords tokenises text for the checks, numbering its clauses.
func readWords(text string) []supportWord {
	toks := words.Tokens(text)
	out := make([]supportWord, len(toks))
	clause := 0
	for i, t := range toks {
		opens := false
		if i > 0 {
			gap := text[toks[i-1].End:t.Start]
			if strings.ContainsAny(gap, ",;:.!?()[]—–") {
				clause++
			}
			opens = strings.ContainsAny(gap, ":\n\"“‘'")
		}
		if w := numberWords[t.Word]; w != "" {
			t.Word, t.Stem = w, w
		}
		out[i] = supportWord{Token: t, surface: text[t.Start:t.End], clause: clause, opens: opens, content: !isStop(t.Word), neg: isNegation(t.Word)}
	}
	return out
}

// negScope is one negation of a passage: the content stems about it in its
// clause, and the first it governs.
type negScope struct {
	around map[string]bool
	first  string
	strong bool
}

// evidence is what the passages a sentence cites say, as the checks read
// them.
type evidence struct {
	stems    map[string]bool // every word's stem, stop words too ("all", "never")
	words    map[string]bool // every word, numbers as digits
	content  map[string]bool // content stems
	negs     []negScope
	negated  map[string]bool // stems within a negation's scope
	affirmed map[string]bool // stems outside any negation's scope
	percent  bool            // a share is given ("%", "percent")
}

func newEvidence() *evidence {
	return &evidence{stems: map[string]bool{}, words: map[string]bool{}, content: map[string]bool{},
		negated: map[string]bool{}, affirmed: map[string]bool{}}
}

// add reads one passage (with its title and section, which the model is
// shown beside it) into the evidence.
func (ev *evidence) add(c Citation) {
	for _, text := range []string{c.Title, c.Section, c.Passage} {
		ev.percent = ev.percent || strings.Contains(text, "%")
		ws := readWords(text)
		scoped := make([]bool, len(ws))
		for i, w := range ws {
			ev.stems[w.Stem] = true
			ev.words[w.Word] = true
			if w.content {
				ev.content[w.Stem] = true
			}
			if !w.neg {
				continue
			}
			ns := negScope{around: window(ws, i), strong: strongNegation(w.Word)}
			for j, n := i+1, 0; j < len(ws) && ws[j].clause == w.clause && n < supportNegationWindow; j++ {
				if ws[j].content {
					if ns.first == "" {
						ns.first = ws[j].Stem
					}
					scoped[j] = true
					n++
				}
			}
			ev.negs = append(ev.negs, ns)
		}
		for i, w := range ws {
			if !w.content {
				continue
			}
			if scoped[i] {
				ev.negated[w.Stem] = true
			} else {
				ev.affirmed[w.Stem] = true
			}
		}
	}
}

// window is the content stems within supportNegationWindow content words
// either side of word i, in its clause.
func window(ws []supportWord, i int) map[string]bool {
	m := map[string]bool{}
	for j, n := i-1, 0; j >= 0 && ws[j].clause == ws[i].clause && n < supportNegationWindow; j-- {
		if ws[j].content {
			m[ws[j].Stem] = true
			n++
		}
	}
	for j, n := i+1, 0; j < len(ws) && ws[j].clause == ws[i].clause && n < supportNegationWindow; j++ {
		if ws[j].content {
			m[ws[j].Stem] = true
			n++
		}
	}
	return m
}

// unsupported says why a generated sentence is not supported by the
// citations it names ("" when it is). Its markers are the answer's, [n]
// naming citations[n-1].
func (e *Engine) unsupported(sentence string, citations []Citation) string {
	var cites []int
	for _, m := range citationGroup.FindAllStringSubmatch(sentence, -1) {
		for _, f := range strings.Split(m[1], ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n >= 1 && n <= len(citations) {
				cites = append(cites, n)
			}
		}
	}
	text := citationGroup.ReplaceAllString(sentence, " ")
	ws := readWords(text)
	if len(ws) == 0 {
		return "" // a stray marker or punctuation says nothing
	}
	if len(cites) == 0 {
		return "no citation marker"
	}
	ev := newEvidence()
	for _, n := range cites {
		ev.add(citations[n-1])
	}
	cited := markerText(cites)
	if strings.Contains(text, "%") && !ev.percent && !ev.stems["percent"] {
		return `share "%" not in ` + cited
	}
	return e.checkSentence(ws, ev, cited)
}

func markerText(cites []int) string {
	var b strings.Builder
	for _, n := range cites {
		fmt.Fprintf(&b, "[%d]", n)
	}
	return b.String()
}

// checkSentence runs every check on a sentence's words against its
// evidence; the first failure is the reason given.
func (e *Engine) checkSentence(ws []supportWord, ev *evidence, cited string) string {
	synonym := e.synonymSupport(ws, ev)
	for i := range ws {
		if why := claimWord(ws, i, ev, synonym[i]); why != "" {
			return why + " not in " + cited
		}
	}
	if why := checkNegations(ws, ev); why != "" {
		return why + " in " + cited
	}
	share, n := coverage(ws, ev, synonym)
	if n == 0 {
		return "no content words to check against " + cited
	}
	if share < e.cfg.MinSupport {
		return fmt.Sprintf("%.0f%% of its content words in %s, below %.0f%%", 100*share, cited, 100*e.cfg.MinSupport)
	}
	return ""
}

// claimWord checks one word that makes a claim of its own: a number, a
// unit, an absolute, a frequency, advice or a name.
func claimWord(ws []supportWord, i int, ev *evidence, bySynonym bool) string {
	w := ws[i]
	switch {
	case hasDigit(w.Word):
		if !ev.words[w.Word] {
			return fmt.Sprintf("number %q", w.surface)
		}
		return ""
	case absoluteWords[w.Word] != "":
		if !ev.hasFamily(absoluteWords[w.Word]) {
			return fmt.Sprintf("absolute %q", w.surface)
		}
		return ""
	case unitWords[w.Word]:
		if !ev.stems[w.Stem] {
			return fmt.Sprintf("dose, duration or share %q", w.surface)
		}
	case frequencyWords[w.Word]:
		if !ev.stems[w.Stem] {
			return fmt.Sprintf("frequency %q", w.surface)
		}
	case adviceWords[w.Word]:
		if !ev.stems[w.Stem] {
			return fmt.Sprintf("advice %q", w.surface)
		}
	}
	if isName(ws, i) && !ev.stems[w.Stem] && !bySynonym {
		return fmt.Sprintf("name %q", w.surface)
	}
	return ""
}

// hasFamily says whether a word of the absolute's family is in the evidence.
func (ev *evidence) hasFamily(family string) bool {
	for w, f := range absoluteWords {
		if f == family && ev.words[w] {
			return true
		}
	}
	return false
}

func hasDigit(w string) bool { return strings.ContainsFunc(w, unicode.IsDigit) }

// isName says whether a word names something, a drug, product, body or
// place, that must come from the passage: it has capitals inside it
// ("FDA", "CAR-T"), is capitalised where a sentence does not capitalise
// (past the start of a sentence or of a list item after a colon), or is
// no English word at all ("tisagenlecleucel").
func isName(ws []supportWord, i int) bool {
	w := ws[i]
	if !w.content || hasDigit(w.Word) {
		return false
	}
	capitals := 0
	for _, r := range w.surface {
		if unicode.IsUpper(r) {
			capitals++
		}
	}
	first, _ := utf8.DecodeRuneInString(w.surface)
	switch {
	case capitals >= 2:
		return true
	case unicode.IsUpper(first) && i > 0 && !w.opens:
		return true
	}
	return !words.IsEnglish(w.Word)
}

// checkNegations checks that each negation of the sentence is one its
// passage makes about the same words, and that the sentence does not
// state plainly what the passage negates.
func checkNegations(ws []supportWord, ev *evidence) string {
	for i, w := range ws {
		if !w.neg {
			continue
		}
		if len(ev.negs) == 0 {
			return fmt.Sprintf("negation %q the passage does not make", w.surface)
		}
		// What the negation is about: the words it governs, or, at the end
		// of its clause, the words before it.
		about := scope(ws, i)
		if len(about) == 0 {
			about = window(ws, i)
		}
		near := len(about) == 0
		for _, ns := range ev.negs {
			for st := range about {
				near = near || ns.around[st]
			}
		}
		if !near {
			return fmt.Sprintf("negation %q not about the words the passage negates", w.surface)
		}
		// "not gene therapy" where the passage says "gene therapy, not
		// cell therapy": what the sentence negates, the passage affirms.
		if first := firstAfter(ws, i); first != "" && ev.content[first] && !ev.negated[first] {
			return fmt.Sprintf("negation %q of what the passage affirms (%q)", w.surface, first)
		}
	}
	for _, ns := range ev.negs {
		if !ns.strong || ns.first == "" || ev.affirmed[ns.first] {
			continue
		}
		for i, w := range ws {
			if w.Stem == ns.first && !negatedAt(ws, i) {
				return fmt.Sprintf("%q stated where the passage negates it", w.surface)
			}
		}
	}
	return ""
}

// scope is the content stems a negation at i governs: up to
// supportNegationWindow after it, in its clause.
func scope(ws []supportWord, i int) map[string]bool {
	m := map[string]bool{}
	for j, n := i+1, 0; j < len(ws) && ws[j].clause == ws[i].clause && n < supportNegationWindow; j++ {
		if ws[j].content {
			m[ws[j].Stem] = true
			n++
		}
	}
	return m
}

// firstAfter is the first content stem a negation at i governs.
func firstAfter(ws []supportWord, i int) string {
	for j := i + 1; j < len(ws) && ws[j].clause == ws[i].clause; j++ {
		if ws[j].content {
			return ws[j].Stem
		}
	}
	return ""
}

// negatedAt says whether word i stands in the scope of a negation or
// contrast before it in its clause.
func negatedAt(ws []supportWord, i int) bool {
	for j, n := i-1, 0; j >= 0 && ws[j].clause == ws[i].clause && n <= supportNegationWindow; j-- {
		if ws[j].neg || contrastWords[ws[j].Word] {
			return true
		}
		if ws[j].content {
			n++
		}
	}
	return false
}

// coverage is the share of the sentence's content stems the evidence
// holds, itself or through a synonym, and how many there are.
func coverage(ws []supportWord, ev *evidence, synonym []bool) (float64, int) {
	seen := map[string]bool{}
	hit := 0
	for i, w := range ws {
		if !w.content || seen[w.Stem] {
			continue
		}
		seen[w.Stem] = true
		if ev.stems[w.Stem] || synonym[i] {
			hit++
		}
	}
	if len(seen) == 0 {
		return 0, 0
	}
	return float64(hit) / float64(len(seen)), len(seen)
}

// synonymSupport marks the words of a sentence that the evidence holds
// under another name: a lay-term synonym of the word, or of a two- or
// three-word phrase it is part of ("cytokine release syndrome" for
// "CRS"), or the long form of an abbreviation the sources define. A
// phrase is credited only with what its own words do not already give.
func (e *Engine) synonymSupport(ws []supportWord, ev *evidence) []bool {
	out := make([]bool, len(ws))
	holds := func(stems []string) bool {
		if len(stems) == 0 {
			return false
		}
		for _, st := range stems {
			if !ev.stems[st] {
				return false
			}
		}
		return true
	}
	for i, w := range ws {
		if long, ok := e.cfg.Glossary[strings.ToUpper(w.Word)]; ok && holds(contentStems(long)) {
			out[i] = true
		}
	}
	if e.cfg.Lexicon == nil {
		return out
	}
	seen := make([]map[string]bool, len(ws)) // synonyms each word's shorter phrases gave
	for n := 1; n <= 3; n++ {
		for i := 0; i+n <= len(ws); i++ {
			parts := make([]string, n)
			for k := range parts {
				parts[k] = ws[i+k].Word
			}
			given := map[string]bool{}
			for _, x := range e.expand(strings.Join(parts, " ")) {
				given[x.syn] = true
				if !holds(x.stems) || shorterGave(seen[i:i+n], x.syn) {
					continue
				}
				for k := i; k < i+n; k++ {
					out[k] = true
				}
			}
			if n < 3 {
				for k := i; k < i+n; k++ {
					if seen[k] == nil {
						seen[k] = map[string]bool{}
					}
					for s := range given {
						seen[k][s] = true
					}
				}
			}
		}
	}
	return out
}

func shorterGave(seen []map[string]bool, syn string) bool {
	for _, m := range seen {
		if m[syn] {
			return true
		}
	}
	return false
}

// supportVerdict is the outcome of checking a generated answer.
type supportVerdict struct {
	failing []int    // indexes of the sentences that fail
	reasons []string // why, one per failing sentence
}

// checkSupport checks every sentence of a generated answer against the
// passages it cites.
func (e *Engine) checkSupport(c cited) supportVerdict {
	var v supportVerdict
	for i, s := range c.sentences {
		if why := e.unsupported(s, c.citations); why != "" {
			v.failing = append(v.failing, i)
			v.reasons = append(v.reasons, why)
		}
	}
	return v
}

// fallbackReason names the first failing sentence, cut short, and why.
func (v supportVerdict) fallbackReason(c cited) string {
	s := strings.TrimSpace(markers.ReplaceAllString(c.sentences[v.failing[0]], ""))
	if utf8.RuneCountInString(s) > maxFallbackSentence {
		s = string([]rune(s)[:maxFallbackSentence]) + "…"
	}
	return fmt.Sprintf("unsupported: %q (%s)", s, v.reasons[0])
}

// supported passes a generated answer whose every sentence its passages
// support. Otherwise it gives the reason to answer extractively, or, with
// KeepSupported, the supported sentences alone when they still cover the
// question as well as an answer must (MinConfidence).
func (e *Engine) supported(q *query, c cited) (generated, string) {
	v := e.checkSupport(c)
	if len(v.failing) == 0 {
		return generated{cited: c}, ""
	}
	g := generated{unsupported: len(v.failing)}
	why := v.fallbackReason(c)
	if !e.cfg.KeepSupported || len(v.failing) == len(c.sentences) {
		return g, why
	}
	kept := keepSentences(c, v.failing)
	if q != nil && q.coverage(stemSet(citationGroup.ReplaceAllString(strings.Join(kept.sentences, ""), " "))) < e.cfg.MinConfidence {
		return g, why + "; the supported sentences alone do not answer the question"
	}
	g.cited = kept
	return g, ""
}

// keepSentences drops the failing sentences of an answer and numbers the
// citations the rest use afresh.
func keepSentences(c cited, failing []int) cited {
	drop := map[int]bool{}
	for _, i := range failing {
		drop[i] = true
	}
	var kept []string
	for i, s := range c.sentences {
		if !drop[i] {
			kept = append(kept, strings.TrimSpace(s))
		}
	}
	passages := make([]retrieval.Passage, len(c.citations))
	for i, cit := range c.citations {
		passages[i] = retrieval.Passage{Chunk: corpus.Chunk{ID: cit.ChunkID, DocID: cit.DocID, Title: cit.Title, URL: cit.URL, Section: cit.Section, Text: cit.Passage}}
	}
	out, _ := validate(strings.Join(kept, " "), passages)
	return out
}
