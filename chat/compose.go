package chat

import (
	"github.com/cellchat/cellchat/internal/words"

	"regexp"
	"sort"
	"strings"

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
)

var (
	// "How does CAR-T work?" asks for the mechanism and "What happens when
	// ..." for a consequence: neither is a sequence of steps.
	stepsQuestion = regexp.MustCompile(`(?i)\b(?:steps?|stages?|process|procedure|what happens (?:during|in|at)|how (?:is|are|do|does|will) (?:\S+ ){0,6}(?:made|done|produced|prepared|manufactured|created|performed|carried out|collected|get|make))\b`)
	whyQuestion   = regexp.MustCompile(`(?i)^(?:and |but |so )?(?:why\b|what (?:is|are) the (?:reasons?|point|purpose)\b|how come\b)`)
	whichQuestion = regexp.MustCompile(`(?i)^(?:and |but |so )?(?:which|what (?:kinds?|types?|sorts?) of)\b`)
	whereQuestion = regexp.MustCompile(`(?i)^(?:and |but |so )?where\b`)
	yesNoQuestion = regexp.MustCompile(`(?i)^(?:and |but |so )?(?:is|are|was|were|do|does|did|can|could|will|would|should|has|have|may|might|must)\b`)
)

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
	case whichQuestion.MatchString(q):
		return askWhich
	case whereQuestion.MatchString(q):
		return askWhere
	case yesNoQuestion.MatchString(q):
		return askYesNo
	}
	return askOther
}

// Cues in a source sentence that fit what was asked.
var (
	// A reason or purpose: what a "why" question wants.
	causalCue = regexp.MustCompile(`(?i)\b(?:because|so that|in order to|results? in|resulting in|leads? to|causes?|caused by|to (?:prevent|avoid|decrease|reduce|help|make|allow|ensure|protect|destroy|kill|treat)|for better|due to|since|reason|aims? to|helps?)\b`)
	// Examples named, for "which": what a "which X" question wants are
	// the Xs ("blood cancers, such as ...").
	whichCue = regexp.MustCompile(`(?i)\b(?:such as|including|like|e\.g\.|for example|for instance)\b`)
	// A place or source, for "where": "from the bone marrow", "in
	// specialized departments".
	whereCue = regexp.MustCompile(`(?i)\b(?:from|in|at|inside) (?:the|a|an|your|their|our|specialized|special)\b`)
	// A sentence that names X only as an example in a list ("risks like
	// X or Y", "including X") is about something else: it does not say
	// what X is.
	exampleCue = regexp.MustCompile(`(?i)\b(?:like|including|includes|such as|e\.g\.|in the case of)\s*$`)
	// A sentence that opens a sequence of steps, or goes on with one.
	stepStart = regexp.MustCompile(`^(?:First|Firstly|Second|Secondly|Third|Next|Then|Finally|Lastly|After that|Afterwards)\b`)
	stepThen  = regexp.MustCompile(`\b(?:then|next)\b`)
)

// Composition. The shares are of the lead sentence's score; they were set
// by reading answers to the tuning sets.
const (
	askedBonus         = 0.3  // a sentence fitting what was asked (a reason for "why", a number for "how long")
	exampleMention     = 1    // subtracted when "what is X" finds X only as a listed example
	weakAntecedentCost = 0.15 // when the sentence leaned on is off the question
	maxAntecedents     = 2    // "It ..." after "They ..." after the sentence that names them
	antecedentCost     = 0.3  // a sentence that answers by itself beats one that needs the sentence before it
	antecedentShare    = 0.5  // and that sentence must score this share of the best one
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
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.passage != b.passage {
			return a.passage < b.passage
		}
		return a.pos < b.pos
	})
	// A passage's sentences are in source order; the passage after it in
	// its document (if retrieved) goes on where it stops.
	type docOrd struct {
		doc string
		ord int
	}
	byOrd := map[docOrd]int{}
	for i, p := range passages {
		byOrd[docOrd{p.DocID, p.Ord}] = i
	}
	firstOf := map[int]int{} // passage -> index of its first candidate
	for i := len(cands) - 1; i >= 0; i-- {
		firstOf[cands[i].passage] = i
	}
	index := func(c candidate) int {
		return sort.Search(len(cands), func(i int) bool {
			return cands[i].passage > c.passage || cands[i].passage == c.passage && cands[i].pos >= c.pos
		})
	}
	// prev is the sentence right before c in its passage, when quotable.
	prev := func(c candidate) (candidate, bool) {
		if i := index(c); i > 0 && cands[i-1].passage == c.passage && cands[i-1].pos == c.pos-1 {
			return cands[i-1], true
		}
		return candidate{}, false
	}
	// antecedents are the sentences a leaning sentence needs before it
	// (none for one that does not lean); ok is false when they cannot be
	// quoted.
	antecedents := func(c candidate) (before []candidate, ok bool) {
		for c.leans {
			p, found := prev(c)
			if !found || len(before) == maxAntecedents {
				return nil, false
			}
			before = append([]candidate{p}, before...)
			c = p
		}
		return before, true
	}
	next := func(c candidate) (candidate, bool) {
		if i := index(c); i+1 < len(cands) && cands[i+1].passage == c.passage {
			return cands[i+1], true
		}
		return candidate{}, false
	}
	nextAcross := func(c candidate) (candidate, bool) {
		if n, ok := next(c); ok {
			return n, true
		}
		p := passages[c.passage]
		if pi, ok := byOrd[docOrd{p.DocID, p.Ord + 1}]; ok && passages[pi].Section == p.Section {
			if i, ok := firstOf[pi]; ok {
				return cands[i], true
			}
		}
		return candidate{}, false
	}

	if q.asked == askSteps {
		if opener, ok := e.opener(q, cands, passages); ok {
			return e.steps([]candidate{opener}, nextAcross)
		}
	}
	// The lead: the sentence scoring best for what was asked. One that
	// leans on the sentence before it brings that sentence along.
	lead, leadScore := -1, 0.0
	for i, c := range cands {
		if c.rel <= 0 {
			continue
		}
		s := c.rel + e.askedFit(q, c)
		if before, ok := antecedents(c); !ok {
			continue // it would dangle
		} else if len(before) > 0 {
			// What it leans on comes first: better when that is on the
			// question too.
			s -= antecedentCost * float64(len(before))
			if before[0].rel < antecedentShare*c.rel {
				s -= weakAntecedentCost
			}
		}
		if lead < 0 || s > leadScore {
			lead, leadScore = i, s
		}
	}
	if lead < 0 {
		return nil
	}
	first := cands[lead]
	picked, _ := antecedents(first)
	picked = append(picked, first)
	bar := first.rel

	words := 0
	for _, p := range picked {
		words += len(strings.Fields(p.text))
	}
	covered := map[string]bool{}
	for _, p := range picked {
		for st := range q.base {
			if p.stems[st] || q.synonymIn(st, p.stems) {
				covered[st] = true
			}
		}
	}
	// One continuation: the sentence after the lead, when it goes on about
	// the lead's subject ("It involves ...") or about the question.
	if n, ok := next(picked[len(picked)-1]); ok && len(picked) < max && words+len(strings.Fields(n.text)) <= maxAnswerWords {
		if (n.leans && n.pos == picked[len(picked)-1].pos+1 || !n.leans && n.rel >= continueShare*bar) && !duplicate(n, picked) && !e.onlyAside(n) {
			picked = append(picked, n)
			words += len(strings.Fields(n.text))
			for st := range q.base {
				if n.stems[st] || q.synonymIn(st, n.stems) {
					covered[st] = true
				}
			}
		}
	}
	// Then sentences from elsewhere that score nearly as well and say
	// something on the question the answer has not said yet.
	order := make([]int, len(cands))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return cands[order[a]].rel > cands[order[b]].rel })
	for _, i := range order {
		c := cands[i]
		if len(picked) >= max || c.rel < fillShare*bar {
			break
		}
		share := addShare
		if e.fills(q, c, covered) {
			share = fillShare
		}
		if c.rel+e.askedFit(q, c) < share*bar || isPicked(c, picked) || duplicate(c, picked) || (c.passage == first.passage && c.pos < first.pos) {
			continue
		}
		before, ok := antecedents(c)
		if !ok {
			continue
		}
		block := append(before, c)
		n := 0
		for _, b := range block {
			n += len(strings.Fields(b.text))
			if b.pos != c.pos && (isPicked(b, picked) || duplicate(b, picked)) {
				ok = false
			}
		}
		if !ok || len(picked)+len(block) > max || words+n > maxAnswerWords || !e.adds(q, c, covered, picked) {
			continue
		}
		picked = append(picked, block...)
		words += n
		for st := range q.base {
			if c.stems[st] || q.synonymIn(st, c.stems) {
				covered[st] = true
			}
		}
	}
	return readingOrder(picked)
}

// fills says whether c holds a word of the question that the answer lacks
// ("autologous" after a sentence on allogeneic cells).
func (e *Engine) fills(q *query, c candidate, covered map[string]bool) bool {
	for st := range q.own {
		if !covered[st] && !e.rules.aspect[st] && (c.stems[st] || q.synonymIn(st, c.stems)) {
			return true
		}
	}
	return false
}

// adds says whether c says something on the question that the picked
// sentences have not: a word of the question they lack, or another of the
// words that stand for what was asked ("side effects": cytokine release
// syndrome, neurotoxicity).
func (e *Engine) adds(q *query, c candidate, covered map[string]bool, picked []candidate) bool {
	for st := range q.base {
		if !covered[st] && !e.rules.aspect[st] && (c.stems[st] || q.synonymIn(st, c.stems)) {
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
		if !n.step && !n.leans {
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

// askedFit is how much a sentence's form fits what the question asks.
func (e *Engine) askedFit(q *query, c candidate) float64 {
	switch q.asked {
	case askDefine:
		if len(q.define) > 0 && namedAsExample(c.text, q.define) {
			return -exampleMention
		}
	case askWhy:
		if causalCue.MatchString(c.text) {
			return askedBonus
		}
	case askQuantity:
		if numberWord.MatchString(c.text) {
			return askedBonus
		}
	case askSteps:
		if stepStart.MatchString(c.text) {
			return askedBonus
		}
	case askWhich:
		if whichCue.MatchString(c.text) {
			return askedBonus
		}
	case askWhere:
		if whereCue.MatchString(c.text) {
			return askedBonus
		}
	}
	return 0
}

// namedAsExample says whether the first word of the defined term stands in
// the sentence right after a listing cue ("risks like X").
func namedAsExample(text string, define []string) bool {
	toks := words.Tokens(text)
	for _, t := range toks {
		if t.Stem != define[0] {
			continue
		}
		if exampleCue.MatchString(text[:t.Start]) {
			return true
		}
	}
	return false
}

// onlyAside says whether a sentence is advice to see a professional, which
// every reply already ends with (the disclaimer), rather than information.
func (e *Engine) onlyAside(c candidate) bool {
	return consultAside.MatchString(c.text)
}

var consultAside = regexp.MustCompile(`(?i)\b(?:consult|talk to|speak (?:to|with)|discuss (?:with|it with))\b.{0,40}\b(?:doctor|healthcare|professional|care team|physician|specialist)`)

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
