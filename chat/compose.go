package chat

import (
	"regexp"
	"sort"
	"strings"

	"github.com/cellchat/cellchat/internal/words"
	"github.com/cellchat/cellchat/retrieval"
)

// asked is what a question wants to know, told by its wording: it decides
// which sentence answers first.
type asked int

const (
	askOther    asked = iota
	askDefine         // "What is X?", "What does X mean?"
	askSteps          // "How is X done?", "What are the steps of X?"
	askWhy            // "Why ...?"
	askQuantity       // "How long ...?", "How many ...?"
	askYesNo          // "Do I need ...?", "Can the cells ...?"
	askWhich          // "Which cancers ...?", "What kinds of cells ...?"
	askWhere          // "Where do the cells come from?"
	askWho            // "Whose cells are used?", "Who gives the cells?"
	askTreat          // "How is that treated?", "What is the treatment for CRS?"
	askScope          // "Does it work on every cancer or only some?", "Is it only for adults?"
)

var (
	// "How does CAR-T work?" asks for the mechanism and "What happens when
	// ..." for a consequence: neither is a sequence of steps.
	stepsQuestion = regexp.MustCompile(`(?i)\b(?:steps?|stages?|process|procedure|what happens (?:during|in|at)|how (?:is|are|do|does|will) (?:\S+ ){0,6}(?:made|done|produced|prepared|manufactured|created|performed|carried out|collected|get|make))\b`)
	whyQuestion   = regexp.MustCompile(`(?i)^(?:and |but |so )?(?:why\b|what (?:is|are) the (?:reasons?|point|purpose)\b|how come\b)`)
	whichQuestion = regexp.MustCompile(`(?i)^(?:and |but |so )?(?:which|what (?:kinds?|types?|sorts?) of)\b`)
	whereQuestion = regexp.MustCompile(`(?i)^(?:and |but |so )?where\b`)
	whoQuestion   = regexp.MustCompile(`(?i)^(?:and |but |so )?(?:who|whose|whom)\b`)
	treatQuestion = regexp.MustCompile(`(?i)\b(?:how (?:is|are|do|does|can|will|would) (?:\S+ ){0,4}(?:treated|treat|managed|manage|handled|handle)|(?:what|which) (?:is|are) the treatments? (?:for|of)|how (?:to |they |do they )?treat)\b`)
	// A yes/no question on how far something reaches: for whom, for which
	// illnesses. "evry" is typed often enough to count.
	scopeQuestion = regexp.MustCompile(`(?i)\b(?:every|evry|everyone|evryone|everybody|all (?:types|kinds|cancers|patients|people)|only (?:some|certain|for|in|on|used|available|given|offered|approved|babies|children|adults|blood)|or (?:only|just) (?:some|certain|a few))\b`)
	yesNoQuestion = regexp.MustCompile(`(?i)^(?:and |but |so )?(?:is|are|was|were|do|does|did|can|could|will|would|should|has|have|may|might|must)\b`)
)

// expandQuestion asks what an abbreviation stands for.
var expandQuestion = regexp.MustCompile(`(?i)\b(?:stands? for|short for|abbreviation|acronym|letters)\b`)

func isBareTerm(q string) bool { _, ok := bareTermOf(q); return ok }

// askedOf classifies a question by its wording.
func askedOf(question string) asked {
	q := strings.TrimSpace(question)
	switch {
	case quantityQuestion.MatchString(q):
		return askQuantity
	case whyQuestion.MatchString(q):
		return askWhy
	case stepsQuestion.MatchString(q):
		return askSteps
	case definitionQuestion.MatchString(q):
		return askDefine
	case isBareTerm(q):
		return askDefine
	case whichQuestion.MatchString(q):
		return askWhich
	case whereQuestion.MatchString(q):
		return askWhere
	case whoQuestion.MatchString(q):
		return askWho
	case treatQuestion.MatchString(q):
		return askTreat
	case yesNoQuestion.MatchString(q) && scopeQuestion.MatchString(q):
		return askScope
	case yesNoQuestion.MatchString(q):
		return askYesNo
	}
	return askOther
}

// Cues in a source sentence that fit what was asked.
var (
	// A reason or purpose: what a "why" question wants.
	causalCue = regexp.MustCompile(`(?i)\b(?:because|so that|in order to|results? in|resulting in|leads? to|causes?|caused by|(?:arises?|occurs?|happens?) when|to (?:prevent|avoid|decrease|reduce|help|make|allow|ensure|protect|destroy|kill|treat)|for better|due to|since|reason|aims? to|helps?)\b`)
	// Examples named, for "which": what a "which X" question wants are
	// the Xs ("blood cancers, such as ...").
	whichCue = regexp.MustCompile(`(?i)\b(?:such as|including|like|e\.g\.|for example|for instance)\b`)
	// A place or source, for "where": "from the bone marrow", "in
	// specialized departments".
	whereCue = regexp.MustCompile(`(?i)\b(?:(?:from|in|at|inside|within) (?:the|a|an|your|their|our|specialized|special)|(?:found|located|made|produced|collected|harvested|retrieved|taken|obtained|comes?) (?:in|from|at|inside))\b`)
	// What is done about it, for "how is it treated": "may require
	// anti-cytokine therapy", "is managed with", "treated by".
	treatCue = regexp.MustCompile(`(?i)\b(?:treated (?:with|by)|(?:may|can|will|might) (?:require|need)|managed (?:with|by)|managing|anti-[a-z]+)\b`)
	// A limit named, for "is it only for ...": "certain types of",
	// "careful patient selection", "for adults and children from 2 years".
	scopeCue = regexp.MustCompile(`(?i)\b(?:certain|some|specific|particular|selected|selection|such as|including|only|not all|types of|kinds of|other types|from \d+ years|patients who)\b`)
	// A person, for "who" and "whose".
	whoCue = regexp.MustCompile(`(?i)\b(?:donors?|patients?|person(?:'s|’s)?|people|someone|somebody|individual(?:'s|’s)?|own|family|sibling|relatives?|doctors?|specialists?|team|nurses?)\b`)
	// A sentence that names X only as an example in a list ("risks like
	// X or Y", "including X") is about something else: it does not say
	// what X is.
	exampleCue = regexp.MustCompile(`(?i)\b(?:like|including|includes|such as|e\.g\.|in the case of)\s*$`)
	// exampleLongForm is exampleCue before an abbreviation's long form
	// ("including cytokine release syndrome (CRS)").
	exampleLongForm = regexp.MustCompile(`(?i)\b(?:like|including|includes|such as|e\.g\.|in the case of)\s+(?:[\w-]+\s+){0,4}[\w-]+\s*\(\s*$`)
	// A sentence that opens a sequence of steps, or goes on with one.
	stepStart = regexp.MustCompile(`^(?:First|Firstly|Second|Secondly|Third|Next|Then|Finally|Lastly|After that|Afterwards)\b`)
	stepThen  = regexp.MustCompile(`\b(?:then|next)\b`)
)

// Composition. The shares are of the lead sentence's score; they were set
// by reading answers to the tuning sets.
const (
	askedBonus         = 0.3  // a sentence fitting what was asked (a reason for "why", a number for "how long")
	pointBonus         = 0.5  // a sentence saying what a yes/no question asks of its subject ("own donor")
	exampleMention     = 1    // subtracted when "what is X" finds X only as a listed example
	weakAntecedentCost = 0.15 // when the sentence leaned on is off the question
	maxAntecedents     = 2    // "It ..." after "They ..." after the sentence that names them
	antecedentCost     = 0.3  // a sentence that answers by itself beats one that needs the sentence before it
	antecedentShare    = 0.5  // and that sentence must score this share of the best one
	resolvedCost       = 0.05 // a sentence whose subject was taken from the one before it names its topic second-hand
	addShare           = 0.75 // a sentence from elsewhere must score this share of the lead's
	fillShare          = 0.5  // or this share when it holds a word of the question the answer lacks
	continueShare      = 0.35 // the sentence after one chosen carries on its subject at a lower bar
	maxStepSentences   = 5    // steps are worth a longer answer
	minOpenerCoverage  = 0.5  // a sequence of steps answers only from a passage on the question's topic
	dupJaccard         = 0.5  // sentences sharing this share of their words say nearly the same
	dupContained       = 0.8  // or one holds this share of the other's words
)

// compose chooses the sentences of an answer: the one that answers the
// question first (with the sentence it leans on, if any), then only
// sentences that add to it, each passage's sentences in source order.
func (e *Engine) compose(q *query, cands []candidate, passages []retrieval.Passage, max int) []candidate {
	if len(cands) == 0 {
		return nil
	}
	src := newSourceOrder(cands, passages)
	if q.asked == askSteps {
		if opener, ok := e.opener(q, src.cands, passages); ok {
			return e.steps([]candidate{opener}, src.nextAcross)
		}
	}
	first, ok := e.lead(q, src)
	if !ok {
		return nil
	}
	before, _ := src.antecedents(first)
	d := newComposition(q, max)
	d.add(append(before, first)...)
	e.carryOn(q, src, d, first.rel)
	e.addFromElsewhere(q, src, d, first)
	e.spellOut(q, src, d)
	return readingOrder(d.picked)
}

// spellOut adds, to an answer on what an abbreviation is that never names
// it, a sentence that spells it out: the patient asked about "CRS" and
// should learn it is cytokine release syndrome.
func (e *Engine) spellOut(q *query, src *sourceOrder, d *composition) {
	if q.longForm == "" {
		return
	}
	for _, p := range d.picked {
		l := strings.ToLower(p.text)
		if strings.Contains(l, strings.ToLower(q.longForm)) || p.stems[words.Stem(strings.ToLower(q.abbreviation))] {
			return
		}
	}
	best := -1
	for i, c := range src.cands {
		if c.leans || !spellsOut(c.text, q.abbreviation, q.longForm) || isPicked(c, d.picked) {
			continue
		}
		if best < 0 || c.rel > src.cands[best].rel {
			best = i
		}
	}
	if best >= 0 && d.fits(src.cands[best]) {
		d.add(src.cands[best])
	}
}

// lead picks the sentence that answers first: the one scoring best for
// what was asked, a sentence leaning on the one before it (brought along)
// counting less, and one whose antecedent cannot be quoted not at all.
func (e *Engine) lead(q *query, src *sourceOrder) (candidate, bool) {
	best, bestScore := -1, 0.0
	for i, c := range src.cands {
		if c.rel <= 0 || e.onlyAside(c) {
			continue
		}
		s := c.rel + e.askedFit(q, c)
		before, ok := src.antecedents(c)
		if !ok {
			continue // it would dangle
		}
		if c.said != "" {
			s -= resolvedCost
		}
		if len(before) > 0 {
			s -= antecedentCost * float64(len(before))
			if before[0].rel < antecedentShare*c.rel {
				s -= weakAntecedentCost // what it leans on is off the question
			}
		}
		if best < 0 || s > bestScore {
			best, bestScore = i, s
		}
	}
	if best < 0 {
		return candidate{}, false
	}
	return src.cands[best], true
}

// carryOn adds the sentence after the lead when it goes on about the
// lead's subject ("It involves ...") or about the question.
func (e *Engine) carryOn(q *query, src *sourceOrder, d *composition, bar float64) {
	last := d.picked[len(d.picked)-1]
	n, ok := src.next(last)
	if !ok || !d.fits(n) {
		return
	}
	goesOn := n.goesOn() && n.pos == last.last+1 || !n.leans && n.rel >= continueShare*bar
	if goesOn && !duplicate(n, d.picked) && !e.onlyAside(n) {
		d.add(n)
	}
}

// addFromElsewhere adds sentences that score nearly as well as the lead
// and say something on the question the answer has not said yet (with the
// sentences they lean on).
func (e *Engine) addFromElsewhere(q *query, src *sourceOrder, d *composition, first candidate) {
	bar := first.rel
	order := make([]candidate, len(src.cands))
	copy(order, src.cands)
	sort.SliceStable(order, func(a, b int) bool { return order[a].rel > order[b].rel })
	for _, c := range order {
		if len(d.picked) >= d.max || c.rel < fillShare*bar {
			return
		}
		share := addShare
		if e.fills(q, c, d.covered) {
			share = fillShare
		}
		if c.rel+e.askedFit(q, c) < share*bar || isPicked(c, d.picked) || duplicate(c, d.picked) || (c.passage == first.passage && c.pos < first.pos) {
			continue
		}
		before, ok := src.antecedents(c)
		if !ok {
			continue
		}
		block := append(before, c)
		for _, b := range before {
			ok = ok && !isPicked(b, d.picked) && !duplicate(b, d.picked)
		}
		if ok && d.fits(block...) && e.adds(q, c, d.covered, d.picked) {
			d.add(block...)
		}
	}
}

// composition is an answer being composed: its sentences, their words, and the
// question's stems they say.
type composition struct {
	q       *query
	max     int
	picked  []candidate
	words   int
	covered map[string]bool
}

func newComposition(q *query, max int) *composition {
	return &composition{q: q, max: max, covered: map[string]bool{}}
}

// fits says whether the sentences can be added within the answer's limits.
func (d *composition) fits(cs ...candidate) bool {
	n := 0
	for _, c := range cs {
		n += len(strings.Fields(c.text))
	}
	return len(d.picked)+len(cs) <= d.max && d.words+n <= maxAnswerWords
}

func (d *composition) add(cs ...candidate) {
	for _, c := range cs {
		d.picked = append(d.picked, c)
		d.words += len(strings.Fields(c.text))
		for st := range d.q.base {
			if d.q.matches(st, c.stems) {
				d.covered[st] = true
			}
		}
	}
}

// fills says whether c holds a word of the question that the answer lacks
// ("autologous" after a sentence on allogeneic cells).
func (e *Engine) fills(q *query, c candidate, covered map[string]bool) bool {
	for st := range q.own {
		if !covered[st] && q.topical(st) && !e.rules.aspect[st] && q.matches(st, c.stems) {
			return true
		}
	}
	return false
}

// topical says whether a word of the question is what it is about, not
// its scene ("the doctor said ... but I don't understand") or wording
// ("prefer"): a sentence that shares only such words says nothing on it.
func (q *query) topical(st string) bool { return q.focus[st] >= q.base[st] }

// adds says whether c says something on the question that the picked
// sentences have not: a word of the question they lack, or another of the
// words that stand for what was asked ("side effects": cytokine release
// syndrome, neurotoxicity).
func (e *Engine) adds(q *query, c candidate, covered map[string]bool, picked []candidate) bool {
	for st := range q.base {
		if !covered[st] && q.topical(st) && !e.rules.aspect[st] && q.matches(st, c.stems) {
			return true
		}
	}
	for _, rels := range q.related {
		for _, r := range rels {
			if !c.stems[r] {
				continue
			}
			said := false
			for _, p := range picked {
				said = said || p.stems[r]
			}
			if !said {
				return true
			}
		}
	}
	return false
}

// steps answers "how is it done": from the sentence that opens the
// sequence, the sentences that go on with it, in source order.
func (e *Engine) steps(picked []candidate, next func(candidate) (candidate, bool)) []candidate {
	words := 0
	for _, p := range picked {
		words += len(strings.Fields(p.text))
	}
	last := picked[len(picked)-1]
	for len(picked) < maxStepSentences {
		n, ok := next(last)
		if !ok {
			break
		}
		last = n
		if !n.step && !n.goesOn() {
			continue // a sentence between two steps, such as what a step's product is for
		}
		if words+len(strings.Fields(n.text)) > maxAnswerWords {
			break
		}
		if n.step {
			picked = append(picked, n)
			words += len(strings.Fields(n.text))
		}
	}
	return picked
}

// opener finds, for "how is it done", the sentence that opens a sequence
// of steps ("First, ...") in the passage most about the question.
func (e *Engine) opener(q *query, cands []candidate, passages []retrieval.Passage) (candidate, bool) {
	best, bestScore := -1, 0.0
	for i, c := range cands {
		if !stepStart.MatchString(c.text) || !strings.HasPrefix(c.text, "First") {
			continue
		}
		p := passages[c.passage]
		s := q.coverage(e.analyse(p.ID, p.Section, p.Text).stems) + priorWeight/float64(c.passage+1)
		if s >= minOpenerCoverage && (best < 0 || s > bestScore) {
			best, bestScore = i, s
		}
	}
	if best < 0 {
		return candidate{}, false
	}
	return cands[best], true
}

// askedCue is, for each kind of question, what a sentence that answers it
// holds: a reason, a number, the start of a sequence, examples, a place.
var askedCue = map[asked]*regexp.Regexp{
	askWhy:      causalCue,
	askQuantity: numberWord,
	askSteps:    stepStart,
	askWhich:    whichCue,
	askWhere:    whereCue,
	askWho:      whoCue,
	askTreat:    treatCue,
	askScope:    scopeCue,
}

// askedFit is how much a sentence's form fits what the question asks.
func (e *Engine) askedFit(q *query, c candidate) float64 {
	if q.asked == askDefine {
		if q.expand && spellsOut(c.text, q.abbreviation, q.longForm) {
			return askedBonus // what it stands for is what was asked, wherever it is named
		}
		if len(q.define) > 0 && namedAsExample(c.text, q.define) {
			return -exampleMention
		}
		return 0
	}
	if cue, ok := askedCue[q.asked]; ok && cue.MatchString(c.text) {
		return askedBonus
	}
	if len(q.point) > 0 && holdsAll(c.stems, q.point) {
		return pointBonus
	}
	return 0
}

// holdsAll says whether stems hold each of want. Synonyms do not count: the
// lexicon's "blood cancer" stands for myeloma in a search, but a sentence
// on blood cancers does not say whether myeloma is treated.
func holdsAll(stems map[string]bool, want []string) bool {
	for _, st := range want {
		if !stems[st] {
			return false
		}
	}
	return true
}

// usedFor matches a yes/no question on what something serves ("can a
// transplant be used for myeloma?"): group 1 is what, the point.
var usedFor = regexp.MustCompile(`(?i)\b(?:used|approved|given|offered|done|licensed|available|an option|suitable|a treatment|a cure|any good)\s+(?:for|in|to treat|against|with)\s+(.+?)(?:\s+(?:or|and|if|when|because)\b|[?.,!]|$)`)

// canBe matches "can/could/will X be Y?" whatever X is: group 1 is Y, what
// it asks of X ("can cytokine release syndrome be life-threatening?").
var canBe = regexp.MustCompile(`(?i)^(?:and |but |so )?(?:can|could|will|would|might|may|must)\s+(?:\S+\s+){1,5}?(?:be|become|get)\s+(.+?)(?:\s+(?:for|in|on|with|after|before|during|at|from|to|of|if|when|because|or|while)\b|[?.,!]|$)`)

// minPointIDF is the least weight of a word that tells the sentence
// answering a yes/no question from the others.
const minPointIDF = 1.0

// yesNoPoint matches a yes/no question about its asker or a pronoun ("can
// you be your own donor for a transplant?"): group 1 is what it asks of
// them ("be your own donor"), up to a preposition that adds the frame.
var yesNoPoint = regexp.MustCompile(`(?i)^(?:and |but |so )?(?:can|could|is|are|do|does|will|would|should|may|might|must)\s+(?:you|i|we|they|he|she|it|my \w+|your \w+|his \w+|her \w+)\s+(.+?)(?:\s+(?:for|in|on|with|after|before|during|at|from|to|of|if|when|because|or|while)\b|[?.,!]|$)`)

// pointOf returns the stems of what a yes/no question asks of its subject,
// when the sources use them all: a sentence holding them answers it.
func (e *Engine) pointOf(question string) []string {
	m := yesNoPoint.FindStringSubmatch(strings.TrimSpace(question))
	if m == nil {
		m = usedFor.FindStringSubmatch(question)
	}
	if m == nil {
		m = canBe.FindStringSubmatch(strings.TrimSpace(question))
	}
	if m == nil {
		return nil
	}
	var out []string
	for _, st := range contentStems(m[1]) {
		if e.rules.aspect[st] || e.stats.idf(st) < minPointIDF {
			continue // "the new cells": nearly every sentence says "cells"
		}
		if !e.stats.known(st) {
			return nil
		}
		out = append(out, st)
	}
	return out
}

// namedAsExample says whether the first word of the defined term stands in
// the sentence right after a listing cue ("risks like X").
func namedAsExample(text string, define []string) bool {
	toks := words.Tokens(text)
	for _, t := range toks {
		if t.Stem != define[0] {
			continue
		}
		before := text[:t.Start]
		if exampleCue.MatchString(before) || strings.HasSuffix(strings.TrimRight(before, " "), "(") && exampleLongForm.MatchString(before) {
			return true
		}
	}
	return false
}

// onlyAside says whether a sentence is advice to see a professional, which
// every reply already ends with (the disclaimer), rather than information.
func (e *Engine) onlyAside(c candidate) bool { return c.aside }

func isAside(s string) bool { return consultAside.MatchString(s) }

var consultAside = regexp.MustCompile(`(?i)\b(?:consult|talk to|speak (?:to|with)|discuss (?:with|it with)|explained by)\b.{0,40}\b(?:doctor|healthcare|professional|care team|physician|specialist)`)

func isPicked(c candidate, picked []candidate) bool {
	for _, p := range picked {
		if p.passage == c.passage && p.pos == c.pos {
			return true
		}
	}
	return false
}

// duplicate says whether c says nearly what a picked sentence says.
func duplicate(c candidate, picked []candidate) bool {
	for _, p := range picked {
		if jaccard(c.stems, p.stems) >= dupJaccard || containment(c.stems, p.stems) >= dupContained {
			return true
		}
	}
	return false
}

// containment is the share of the smaller set's members in the larger.
func containment(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	if len(b) < len(a) {
		a, b = b, a
	}
	in := 0
	for k := range a {
		if b[k] {
			in++
		}
	}
	return float64(in) / float64(len(a))
}

// readingOrder keeps the lead's passage first and every passage's sentences
// in source order; other passages follow in the order they were chosen.
func readingOrder(picked []candidate) []candidate {
	rank := map[int]int{}
	for i, p := range picked {
		if _, ok := rank[p.passage]; !ok {
			rank[p.passage] = i
		}
	}
	sort.SliceStable(picked, func(i, j int) bool {
		a, b := picked[i], picked[j]
		if a.passage != b.passage {
			return rank[a.passage] < rank[b.passage]
		}
		return a.pos < b.pos
	})
	return picked
}
