package chat

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/cellchat/cellchat/internal/words"
	"github.com/cellchat/cellchat/retrieval"
)

// query is a question analysed for scoring source text.
type query struct {
	search  string              // text sent to the searcher
	topic   string              // the question and the topic words it carries, for the next turn
	base    map[string]float64  // the question's and context's stems and their weights
	own     map[string]bool     // the question's own stems
	related map[string][]string // stem -> related stems (rules.yaml) that stand in for it
	// synonyms: stem -> phrases (as content stems) of the lay-term lexicon
	// that mean the same; a passage holding one covers the stem.
	synonyms map[string][][]string
	// compound maps each stem of a hyphened pair the lexicon reads as one
	// ("grown-ups") to the other: alone, it counts only through the
	// pair's synonyms (see has).
	compound map[string]string
	focus    map[string]float64 // the same stems, weighted for judging coverage (aspect words count less)
	asked    asked              // what the question wants to know
	// after is the last answer, when the question asks what follows it.
	after *Reply
	// anyOf and allOf are what a yes/no question hinges on beyond its
	// topic (see hinges).
	anyOf, allOf []string
	// thing is what the patient's activity is done to ("cookies" in "Can I
	// eat cookies?"): a sentence on it answers as one on the activity does.
	thing string
	// terms are base's stems in sorted order: weights are summed in it, so
	// equal sentences score exactly equal every time.
	terms []string
	// define is set for "what is X" questions: the stems of X. A sentence
	// that defines X ("X is ...", "X means ...") reads best first.
	define []string
	// wordMeaning says the question asks what a word means ("What does
	// autologous mean?"): "Autologous cell therapy means ..." explains it.
	wordMeaning bool
	// abbreviation and longForm are set when the defined term is an
	// abbreviation the sources spell out; expand when the question asks
	// what it stands for ("CRS is short for what?").
	abbreviation, longForm string
	expand                 bool
	// previous is the text of the previous reply and cited the chunks it
	// cited (follow-ups only): repeating them tells the patient little new.
	previous string
	cited    map[string]bool
	// quantity is set for questions answered by a number ("How long ...",
	// "How many ...", "What percentage ..."): only a passage that states a
	// number can answer them.
	quantity bool
	// either and orElse are the two sides of a choice the question offers
	// ("from the hip bone or from blood"): a passage on either side covers
	// it.
	either, orElse []string
	sideWeight     float64 // of a side's weight when the other is judged
	// referent holds the rarer words of the previous answer when the
	// question points at it ("that"): sentences that share them are about
	// what it points at.
	referent map[string]bool
	// point is what a yes/no question asks of its subject ("own donor" in
	// "can you be your own donor for a transplant?"), see pointOf.
	point []string
}

// Weights of the parts of a query, relative to the question's own words.
const (
	lastQuestionWeight = 0.7  // words of the last question, for a follow-up
	olderTopicWeight   = 0.35 // topic words that question carried from earlier ones
	relatedWeight      = 0.5  // related words from rules.yaml
	synonymWeight      = 0.8  // synonyms from the lay-term lexicon
	headingWeight      = 0.5  // a word of the sentence's section heading
	maxQueryTerms      = 64   // a question's words beyond this add nothing but work
	citedAgainPenalty  = 0.15 // for a sentence from a passage the previous answer cited
	repeatPenalty      = 0.2  // for a sentence the previous answer said
	referentBonus      = 0.1  // per word shared with the answer "that" points at, up to 3
)

// answerType matches what a question asks for: the noun of "what X",
// "which X" or "is there an X" ("What steroids ...", "Which hospitals
// ...", "Is there a vaccine ...") or the action of "how do I X" ("How do I
// register ...", "Where do I park ...").
var answerType = regexp.MustCompile(`(?i)(?:^|[.?!] )(?:(?:what|which|how many|how much)(?: kinds?| types?| sorts?)?(?: of)?|(?:how|where|when) (?:do|can|should|would|may) (?:i|we|you|one)|(?:is|are) there (?:an?|any|some)(?: kinds?| types?| sorts?)?(?: of)?) ([a-z]+)`)

// answerTypeFactor multiplies the coverage weight of the noun a question
// asks for when the corpus never uses it: sources that never name what is
// asked for cannot answer it, however well they cover the rest.
const answerTypeFactor = 2

// predicateStems returns the stems of the words a question uses as verbs or
// adjectives, told by where they stand: after a subject pronoun or "to" ("I
// heard", "do they grow", "to keep"), before "than" ("safer than"), or after
// "is it" ("is that true"). A verb or adjective the corpus never uses is
// mostly the patient's wording ("heard", "true", "safer"); the things a
// question is about are nouns ("hair", "alcohol", "asthma"), and keep their
// weight.
func predicateStems(question string) []string {
	// Split by hand: tokenize drops one-letter words, and "I" matters here.
	ws := strings.FieldsFunc(strings.ToLower(question), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
	var out []string
	for i, w := range ws {
		w = strings.TrimSuffix(w, "'s")
		if isStop(w) || len(w) < 2 {
			continue
		}
		prev, prev2, next := "", "", ""
		if i > 0 {
			prev = ws[i-1]
		}
		if i > 1 {
			prev2 = ws[i-2]
		}
		if i+1 < len(ws) {
			next = ws[i+1]
		}
		switch {
		case subjectPronoun[prev], prev == "to", next == "than",
			copula[prev2] && (prev == "it" || prev == "that" || prev == "this" || prev == "they"):
			out = append(out, words.Stem(w))
		}
	}
	return out
}

var (
	subjectPronoun = map[string]bool{"i": true, "you": true, "we": true, "they": true, "he": true, "she": true,
		"i'm": true, "im": true, "you're": true, "we're": true, "they're": true, "he's": true, "she's": true}
	copula = map[string]bool{"is": true, "are": true, "was": true, "were": true, "be": true}
)

// quantityQuestion matches questions whose answer is a number or an amount
// of time; numberWord matches a stated number ("one" is left out: "One
// example is ..." states none).
var (
	quantityQuestion = regexp.MustCompile(`(?i)\b(?:how (?:long|many|much|often|old|soon|quickly|big|large)|(?:what|which) (?:percentage|proportion|share|fraction|age|number)|at what age|what are the (?:odds|chances))\b`)
	numberWord       = regexp.MustCompile(`(?i)\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundreds?|thousands?|millions?|dozens?|half|percent|per cent)\b`)
)

// reportingClause matches the start of a clause up to a verb reporting
// what the patient was told or read: "the nurse told us", "my hospital
// letter says".
var reportingClause = regexp.MustCompile(`^(.*?)\b(?:said|says|say|told|tells|mentioned|mentions|keeps? saying|wrote|writes|heard|brought up|talked about)\b`)

// pointingOpening matches a question opening with a demonstrative ("is that
// a problem?", "are these cell therapies used ...?").
var pointingOpening = regexp.MustCompile(`^(?:and |but |so )?(?:is|are|was|would|will|could|can|does|do) (?:that|this|those|these)\b`)

// pointsAtScene says whether a question points at what its scene names:
// its demonstrative stands for something ("is that a problem?"), rather
// than going with a word of the sources ("are these cell therapies ...").
func (e *Engine) pointsAtScene(question string) bool {
	q := words.Normalize(question)
	m := pointingOpening.FindStringIndex(q)
	if m == nil {
		return false
	}
	// The word right after it, as typed: Tokens would skip "a".
	next := strings.FieldsFunc(q[m[1]:], func(r rune) bool { return !unicode.IsLetter(r) && r != '-' && r != '\'' })
	return len(next) == 0 || isStop(next[0]) || !e.stats.known(words.Stem(next[0]))
}

// speaker returns who a reporting clause says spoke, the words after its
// last comma or conjunction ("she was diagnosed and the specialist" ->
// "the specialist"): what comes before is what they spoke of.
func speaker(clause string) string {
	cut := 0
	for _, sep := range []string{",", " and ", " but ", " so ", " then ", " because "} {
		if i := strings.LastIndex(clause, sep); i >= 0 && i+len(sep) > cut {
			cut = i + len(sep)
		}
	}
	return clause[cut:]
}

// contextStems returns the words of a message that set the scene rather
// than say what is asked (see splitMessage): all the scene's words when
// the question names its own topic ("whats EBV? it keeps coming up in my
// son's notes"); when it does not ("... mentioned Ebvallo. What is
// that?"), only the scene's words the sources never use, since one they
// do use may be what "that" points at. Who said something is scene
// either way ("my support group said ...").
func (e *Engine) contextStems(m message) map[string]bool {
	ctx := map[string]bool{}
	mark := func(text string, all bool) {
		for _, st := range contentStems(text) {
			// A term the sources define ("CAR-T", "GVHD") is the
			// domain's, not the scene's, wherever it stands.
			if (all || !e.stats.known(st)) && !e.terms[st] {
				ctx[st] = true
			}
		}
	}
	ownTopic := false
	for _, st := range contentStems(m.question) {
		ownTopic = ownTopic || e.stats.known(st) && !e.rules.aspect[st]
	}
	// "we have a dog and some chickens, is that a problem after a
	// transplant?": what "that" points at is what is asked about.
	pointing := e.pointsAtScene(m.question)
	for _, p := range m.scene {
		if !pointing {
			mark(p, ownTopic)
		}
	}
	for _, p := range append(m.scene, m.question) {
		if r := reportingClause.FindStringSubmatch(words.Normalize(p)); r != nil {
			mark(speaker(r[1]), true) // who said it is never what is asked
		}
	}
	for _, st := range contentStems(m.question) {
		delete(ctx, st)
	}
	return ctx
}

// definitionQuestion matches the ways a patient asks what something is:
// "What is X?", "What does X mean/stand for?", "X meaning", "meaning of X",
// "define X", "X is short for what?". The term is the one group matched.
var definitionQuestion = regexp.MustCompile(`(?i)^(?:(?:and |so )?what (?:exactly |actually )?does (?:an? |the )?(.+?) (?:mean|stand for)\b.*|(?:and |so )?what(?: is)? (?:mean|means|meaning)(?: of)? (?:an? |the )?(.+?)|(?:and |so )?(?:what|who)(?: exactly| actually| really)?(?: is| are|['’]s| does)(?: an?| the)? (.+?)(?: mean| stand for)?|(?:the )?(?:meaning|definition) of (?:an? |the )?(.+?)|define (?:an?|the )?(.+?)|(?:and |so )?does (?:the word |the term )?['‘"“]?([\pL][\pL-]*)['’"”]? (?:mean|stand for) .+|(?:and |so )?what (?:kind|type|sort)s? of (?:[\pL-]+ )?(?:is|are) (?:an? |the )?(.+?)|(.+?) (?:meaning|definition|means what|is short for what|stands for what|short for what))[?.! ]*$`)

// wordMeaningQuestion matches a definition question that asks what a word
// means rather than what a thing is.
var wordMeaningQuestion = regexp.MustCompile(`(?i)\b(?:mean|means|meaning|stand for|stands for)\b`)

// dropFraming keeps, of a definition question's own words, only the
// term's: "meaning", "stand for", "short" say how it is asked, and would
// otherwise find sentences that use them ("autologous, meaning the
// patient's own"). A question searched on its own with such words is
// searched for the term.
func (q *query) dropFraming(alone bool, asking, term string) {
	if len(q.define) == 0 {
		return
	}
	inTerm := map[string]bool{}
	for _, st := range q.define {
		inTerm[st] = true
	}
	framed := false
	for _, st := range contentStems(asking) {
		if !inTerm[st] && !strings.Contains(strings.ToLower(term), st) {
			delete(q.own, st)
			delete(q.base, st)
			delete(q.focus, st)
			framed = true
		}
	}
	if alone && framed {
		q.search = term
	}
}

// classQuestion matches "Is X (just) a Y?", "Is X another type of Y?":
// group 1 is X, group 2 Y.
var classQuestion = regexp.MustCompile(`(?i)^(?:and |so |but )?(?:is|are) (?:an? |the )?(.+?) (?:just |really |basically |simply |actually |like |also )?(?:an?|another|some|a sort of|a kind of|a type of|a form of) (?:(?:type|kind|form|sort) of )?(.+?)[?.! ]*$`)

// classify reads "Is X a Y?" about a term the sources define as asking
// what X is: the sentence saying what CAR-T is ("a form of immunotherapy")
// answers whether it is chemotherapy, though it never names chemotherapy.
// Y counts as little as an aspect word in judging whether the sources
// cover the question, and still helps choose the sentence. "Is fever a
// symptom of CRS?" asks about CRS, not fever, and is left alone.
func (e *Engine) classify(q *query, asking string) {
	if q.asked != askYesNo {
		return
	}
	m := classQuestion.FindStringSubmatch(strings.TrimSpace(asking))
	if m == nil || strings.Contains(" "+strings.ToLower(m[2])+" ", " of ") {
		return
	}
	x := contentStems(m[1])
	defined := false
	for _, st := range x {
		if !e.stats.known(st) {
			return
		}
		defined = defined || e.terms[st]
	}
	if !defined {
		return
	}
	q.asked, q.define = askDefine, x
	q.anyOf, q.allOf = nil, nil // it hinges on what X is
	for _, st := range contentStems(m[2]) {
		if _, ok := q.focus[st]; ok && !slices.Contains(x, st) {
			q.focus[st] = q.base[st] * e.rules.aspectWeight
		}
	}
}

// bareTerm matches a term typed alone as a question ("SCID?", "organ
// toxicities?"): the patient asks what it is.
var bareTerm = regexp.MustCompile(`^([\pL\pN][\pL\pN'’-]*(?: [\pL\pN][\pL\pN'’-]*){0,2})\s*\?*$`)

// bareTermOf returns the term a bare-term question asks about. Words of
// the stop list mean more is asked ("CAR-T for myeloma?").
func bareTermOf(q string) (string, bool) {
	m := bareTerm.FindStringSubmatch(q)
	if m == nil {
		return "", false
	}
	for _, w := range strings.Fields(m[1]) {
		if isStop(strings.ToLower(w)) {
			return "", false
		}
	}
	return m[1], true
}

// quoted matches a term of up to four words in quotes.
var quoted = regexp.MustCompile(`['‘"“]([\p{L}\p{N}-]+(?: [\p{L}\p{N}-]+){0,3})['’"”]`)

// quotedTerm returns the first term text quotes, or "".
func quotedTerm(text string) string {
	if m := quoted.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return ""
}

// definedTerm returns the term a definition question asks about, and
// whether it is one.
func definedTerm(q string) (string, bool) {
	q = strings.TrimSpace(q)
	m := definitionQuestion.FindStringSubmatch(q)
	if m == nil {
		return bareTermOf(q)
	}
	for _, g := range m[1:] {
		if g != "" {
			return g, true
		}
	}
	return "", true
}

// newQuery analyses the question's own words and the context words a
// follow-up carries over (stem -> weight relative to an own word).
func (e *Engine) newQuery(search, own string, context map[string]float64, previous string) *query {
	q := &query{search: search, topic: search, base: map[string]float64{}, related: map[string][]string{}, focus: map[string]float64{}, previous: previous}
	alone := search == own // not a follow-up searched with its context
	// Words are weighed as the rules read them: "whats" is "what is", not
	// a rare word the sources lack. The search keeps the question as typed.
	own = keepAcronymPlurals(own, e.rules.prepare(own))
	written := map[string]string{} // stem -> the word as the question wrote it
	for _, t := range words.Tokens(own) {
		written[t.Stem] = t.Word
	}
	add := func(st string, factor float64) string {
		// Everyday wording is never "corrected" into a corpus word: "plain"
		// is not a misspelt "plan".
		if !e.stats.known(st) && !e.rules.aspect[st] {
			if c := e.spell.correct(written[st]); c != "" {
				st = words.Stem(c)
			}
		}
		if keptStems[st] && !e.stats.known(st) {
			return st // "against", "without": meaningful only where the sources use them
		}
		if !e.stats.known(st) && misspeltStop(written[st]) {
			return st
		}
		w := e.stats.idf(st) * factor
		if len(q.base) >= maxQueryTerms || w <= q.base[st] {
			return st
		}
		q.base[st], q.focus[st] = w, w
		if e.rules.aspect[st] || !e.stats.known(st) && (words.IsVague(written[st]) || words.NamesAction(written[st])) {
			// Aspect words say what is asked about a topic: they count
			// for little in coverage. In choosing sentences they count
			// fully ("side effects" of CAR-T are what is asked). A word
			// the sources never use that is general ("far") or names an
			// action or quality ("prefer", "organise") is the patient's
			// wording, not a topic they lack.
			q.focus[st] = w * e.rules.aspectWeight
		}
		return st
	}
	q.own = map[string]bool{}
	for _, st := range contentStems(own) {
		q.own[add(st, 1)] = true
	}
	q.synonyms, q.compound = e.synonyms(own)
	e.abbreviationSynonyms(q, own)
	for st, f := range context {
		add(st, f)
	}
	for st := range q.base {
		for _, rel := range e.rules.related[st] {
			if _, own := q.base[rel]; !own {
				q.related[st] = append(q.related[st], rel)
			}
		}
		if !e.stats.known(st) {
			if base, ok := e.unprefixed(written[st]); ok {
				q.related[st] = append(q.related[st], base)
			}
			// A word of the patient's the sources never use may be
			// one of theirs in other words ("radiotherapy" for
			// "radiation").
			for _, syn := range words.Synonyms(written[st]) {
				if s := words.Stem(syn); e.stats.known(s) {
					q.related[st] = append(q.related[st], s)
				}
			}
		}
	}
	asked := ""
	if m := answerType.FindStringSubmatch(own); m != nil && !isStop(strings.ToLower(m[1])) {
		asked = words.Stem(strings.ToLower(m[1]))
	}
	for _, st := range predicateStems(own) {
		if _, ok := q.focus[st]; ok && st != asked && !e.stats.known(st) && !e.rules.aspect[st] {
			q.focus[st] = q.base[st] * e.rules.aspectWeight
		}
	}
	msg := splitMessage(own)
	ctx := e.contextStems(msg)
	g := guessesOf(msg.question)
	for _, st := range g.asides {
		ctx[st] = true
	}
	q.either, q.orElse, q.sideWeight = g.either, g.orElse, e.rules.aspectWeight
	for st := range ctx {
		if _, ok := q.focus[st]; ok && st != asked {
			q.focus[st] = q.base[st] * e.rules.aspectWeight
		}
	}
	if _, ok := q.focus[asked]; ok && !e.stats.known(asked) && !e.rules.aspect[asked] {
		if !words.IsVague(written[asked]) {
			// "How do I register ...": the action asked about is
			// the topic, however often "register" is mere wording.
			q.focus[asked] = q.base[asked]
		}
		q.focus[asked] *= answerTypeFactor
	}
	q.quantity = quantityQuestion.MatchString(own)
	// What is asked is in the question, not in the scene around it.
	asking := msg.question
	q.asked = askedOf(asking)
	if q.asked == askYesNo {
		q.point = e.pointOf(asking)
	}
	e.hinges(q, asking)
	e.classify(q, asking)
	if term, ok := definedTerm(asking); ok {
		q.wordMeaning = wordMeaningQuestion.MatchString(asking)
		for _, st := range contentStems(term) {
			if !e.stats.known(st) {
				if c := e.spell.correct(written[st]); c != "" {
					st = words.Stem(c) // "leukaferesis" defines as "leukapheresis" does
				}
			}
			q.define = append(q.define, st)
		}
		q.dropFraming(alone, asking, term)
		// "What's CRS after CAR-T?", "... watch out for CRS. What is
		// that?": the abbreviation asked about is the term's first, or
		// the scene's.
		var look []string
		switch ws := strings.Fields(term); {
		case len(ws) == 1 && (pronouns[strings.ToLower(ws[0])] || demonstratives[strings.ToLower(ws[0])]):
			look = strings.Fields(strings.Join(msg.scene, " "))
		case len(ws) > 0:
			look = ws[:1]
		}
		for _, w := range look {
			w = strings.Trim(w, ".,;:!?'\"()")
			if long, ok := e.gloss.longForm(w); ok {
				q.abbreviation, q.longForm = strings.ToUpper(w), long
				q.expand = expandQuestion.MatchString(asking)
				break
			}
		}
		if len(q.define) == 0 {
			// "The leaflet mentions 'tissue therapy'. What's that?":
			// what "that" is, is the term the patient quotes.
			term := quotedTerm(strings.Join(msg.scene, " "))
			for _, st := range contentStems(term) {
				if e.stats.known(st) {
					q.define = append(q.define, st)
					q.focus[st] = q.base[st]
				}
			}
			if len(q.define) > 0 && alone {
				q.search = term // the scene around it is not what is asked
			}
		}
		if len(q.define) == 0 && len(msg.scene) > 0 {
			// "... mentioned Ebvallo. What is that?": what "that" is,
			// is what the sources know of the sentences before.
			// A term the sources define is the likelier referent
			// ("getting CAR-T for his lymphoma. What is it?").
			var known, defined []string
			for _, st := range contentStems(strings.Join(msg.scene, " ")) {
				if e.stats.known(st) && !e.rules.aspect[st] {
					known = append(known, st)
					if e.terms[st] {
						defined = append(defined, st)
					}
				}
			}
			q.define = known
			if len(defined) > 0 {
				q.define = defined
				// The term is what "it" is; the rest of the scene
				// ("the consultant kept saying it in clinic") is not.
				for _, st := range known {
					if !e.terms[st] {
						if _, ok := q.focus[st]; ok {
							q.focus[st] = q.base[st] * e.rules.aspectWeight
						}
					}
				}
			}
		}
	}
	q.capDiscounted()
	q.terms = slices.Sorted(maps.Keys(q.base))
	return q
}

// degreePrefixes say how much of something a word means, not what:
// "overreacting" is reacting, too much. (Prefixes that negate, such as
// "un" and "non", are left alone: "unwell" is not "well".)
var degreePrefixes = []string{"over", "under", "hyper", "hypo", "super", "ultra"}

// minUnprefixed is the fewest letters left after a prefix for the rest to
// be a word of its own ("overall" is not "all" done too much).
const minUnprefixed = 4

// unprefixed returns the stem of a word the sources never use less a degree
// prefix, when the sources use that ("overreacting" -> "react").
func (e *Engine) unprefixed(word string) (string, bool) {
	for _, p := range degreePrefixes {
		rest := strings.TrimPrefix(strings.TrimPrefix(word, p), "-")
		if len(rest) >= minUnprefixed && len(rest) < len(word) {
			if st := words.Stem(rest); e.stats.known(st) {
				return st, true
			}
		}
	}
	return "", false
}

// asksFormOnly says whether a question's own words only say what kind of
// answer it wants ("Why does it happen?"), not what about.
func (e *Engine) asksFormOnly(q *query) bool {
	for st := range q.own {
		if !e.rules.aspect[st] {
			return false
		}
	}
	return true
}

// keepAcronymPlurals redoes, in the lower-cased text, what Tokens does to
// an acronym's plural while it has its capitals ("HSCs" is "hsc", not
// "hscs").
func keepAcronymPlurals(original, lowered string) string {
	for _, t := range words.Tokens(original) {
		lw := strings.ToLower(original[t.Start:t.End])
		if lw != t.Word && lw == t.Word+"s" {
			lowered = regexp.MustCompile(`\b`+regexp.QuoteMeta(lw)+`\b`).ReplaceAllString(lowered, t.Word)
		}
	}
	return lowered
}

// keptStems are the stems of the function words that are not stop words
// (words.IsKept).
var keptStems = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range words.Kept() {
		m[words.Stem(w)] = true
	}
	return m
}()

// maxDiscounted is the most that the words discounted in judging coverage
// (aspect words, the patient's wording and scene) may weigh together,
// relative to the words that name the topic: one lay word weighs little,
// but six of them ("walk me through it from start to finish, step by
// step") must not outweigh the topic they are about.
const maxDiscounted = 0.5

// capDiscounted scales the discounted focus weights down to maxDiscounted
// of the topic words' weight. A question with no topic word the sources
// lack keeps its weights: a word they never use ("sushi") is a topic word
// and is not discounted.
func (q *query) capDiscounted() {
	var topic, disc float64
	for st, w := range q.focus {
		if w < q.base[st] {
			disc += w
		} else {
			topic += w
		}
	}
	if topic == 0 || disc <= maxDiscounted*topic {
		return
	}
	f := maxDiscounted * topic / disc
	for st, w := range q.focus {
		if w < q.base[st] {
			q.focus[st] = w * f
		}
	}
}

// coverage is the share of the query's focus weight that text matches;
// of a choice the question offers, one side is enough.
func (q *query) coverage(stems map[string]bool) float64 {
	c := q.coverageBut(stems, nil)
	if len(q.either) > 0 {
		c = max(c, q.coverageBut(stems, q.either), q.coverageBut(stems, q.orElse))
	}
	return c
}

// coverageBut is coverage with the stems of one side of a choice counting
// as little as aspect words do.
func (q *query) coverageBut(stems map[string]bool, side []string) float64 {
	var total, hit float64
	for _, st := range q.terms {
		w := q.focus[st]
		if slices.Contains(side, st) {
			w = min(w, q.base[st]*q.sideWeight)
		}
		total += w
		switch {
		case q.matches(st, stems):
			hit += w
		case q.relatedIn(st, stems):
			hit += relatedWeight * w
		}
	}
	if total == 0 {
		return 0
	}
	return hit / total
}

// relatedIn says whether one of st's related words (rules.yaml) is in stems.
func (q *query) relatedIn(st string, stems map[string]bool) bool {
	for _, rel := range q.related[st] {
		if stems[rel] {
			return true
		}
	}
	return false
}

// otherSynonymIn is synonymIn less the synonyms that are words of the
// question themselves: "conditioning" in a sentence is worth once to
// "is the conditioning chemo?", not once more as a synonym of "chemo".
func (q *query) otherSynonymIn(st string, stems map[string]bool) bool {
	for _, phrase := range q.synonyms[st] {
		all, own := len(phrase) > 0, true
		for _, p := range phrase {
			all = all && stems[p]
			_, inQuery := q.base[p]
			own = own && inQuery
		}
		if all && !own {
			return true
		}
	}
	return false
}

// has says whether stems hold st itself, as the question means it: a word
// of a compound the lexicon reads as a whole ("grown" of "grown-ups") only
// with the compound's other word.
func (q *query) has(st string, stems map[string]bool) bool {
	other, ok := q.compound[st]
	return stems[st] && (!ok || stems[other])
}

// matches says whether stems hold st or one of its synonym phrases.
func (q *query) matches(st string, stems map[string]bool) bool {
	return q.has(st, stems) || q.synonymIn(st, stems)
}

// synonymIn says whether one of st's synonym phrases is wholly in stems.
func (q *query) synonymIn(st string, stems map[string]bool) bool {
	for _, phrase := range q.synonyms[st] {
		all := len(phrase) > 0
		for _, p := range phrase {
			if !stems[p] {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// synonyms looks the question's words and word pairs up in the lay-term
// lexicon ("chemo" -> "chemotherapy", "hospital unit" -> "specialized
// departments") and returns, for each content stem, the phrases that can
// stand in for it.
func (e *Engine) synonyms(text string) (syn map[string][][]string, compound map[string]string) {
	if e.cfg.Lexicon == nil {
		return nil, nil
	}
	out := map[string][][]string{}
	toks := words.Tokens(text)
	single := make([][]expansion, len(toks)) // what each word alone expands to
	for i, t := range toks {
		single[i] = e.expand(t.Word)
		for _, x := range single[i] {
			if len(x.stems) > 0 && !isStop(t.Word) {
				out[t.Stem] = append(out[t.Stem], x.stems)
			}
		}
	}
	// A pair of words ("hospital unit") may mean what neither does alone;
	// only what the pair adds is credited to both its words.
	for i := 0; i+1 < len(toks); i++ {
	pair:
		for _, x := range e.expand(toks[i].Word + " " + toks[i+1].Word) {
			if len(x.stems) == 0 {
				continue
			}
			for _, y := range single[i] {
				if y.syn == x.syn {
					continue pair
				}
			}
			for _, y := range single[i+1] {
				if y.syn == x.syn {
					continue pair
				}
			}
			for _, t := range toks[i : i+2] {
				if !isStop(t.Word) {
					out[t.Stem] = append(out[t.Stem], x.stems)
				}
			}
			if text[toks[i].End:toks[i+1].Start] == "-" {
				// "grown-ups" are adults; a sentence about cells grown
				// in a laboratory says nothing of them.
				if compound == nil {
					compound = map[string]string{}
				}
				compound[toks[i].Stem], compound[toks[i+1].Stem] = toks[i+1].Stem, toks[i].Stem
			}
		}
	}
	// An idiom of three or four words with a function word in it ("get rid
	// of", "keep an eye on"), which no pair of its words holds, is credited
	// in the same way to its words that are not stop words.
	for n := 3; n <= maxPhraseWords; n++ {
		for i := 0; i+n <= len(toks); i++ {
			ws := make([]string, n)
			for j, t := range toks[i : i+n] {
				ws[j] = t.Word
			}
			if !slices.ContainsFunc(ws, isStop) {
				continue
			}
			// What the window without its first or its last word says
			// already (every term within those, single words and pairs
			// included): an idiom is credited only for a match spanning
			// all its words.
			within := map[string]bool{}
			for _, y := range append(e.expand(strings.Join(ws[1:], " ")), e.expand(strings.Join(ws[:n-1], " "))...) {
				within[y.syn] = true
			}
			for _, x := range e.expand(strings.Join(ws, " ")) {
				if len(x.stems) == 0 || within[x.syn] {
					continue
				}
				for _, t := range toks[i : i+n] {
					if !isStop(t.Word) && !slices.ContainsFunc(out[t.Stem], func(s []string) bool { return slices.Equal(s, x.stems) }) {
						out[t.Stem] = append(out[t.Stem], x.stems)
					}
				}
			}
		}
	}
	return out, compound
}

// maxPhraseWords is the longest lexicon phrase looked up in a question
// ("keep an eye on").
const maxPhraseWords = 4

// abbreviationSynonyms lets the long form of an abbreviation the sources
// define stand in for it: a passage saying "hematopoietic stem cell
// transplantation" covers a question saying "HSCT".
func (e *Engine) abbreviationSynonyms(q *query, own string) {
	for _, t := range words.Tokens(own) {
		long, ok := e.cfg.Glossary[strings.ToUpper(t.Word)]
		if !ok || isStop(t.Word) {
			continue
		}
		if q.synonyms == nil {
			q.synonyms = map[string][][]string{}
		}
		q.synonyms[t.Stem] = append(q.synonyms[t.Stem], contentStems(long))
	}
}

// expansion is one synonym the lexicon gives for a word or word pair,
// with its content stems.
type expansion struct {
	syn   string
	stems []string
}

// expansions caches the lexicon's expansions of words and word pairs:
// looking them up (analysing and stemming each synonym) cost about a tenth
// of an answer, and questions reuse the same few thousand words. The
// Engine's lexicon never changes, so entries never go stale. Cached slices
// are shared: read only.
type expansions struct {
	mu sync.RWMutex
	m  map[string][]expansion
}

// maxExpansions bounds the cache (questions are patients' free text).
const maxExpansions = 50_000

func (e *Engine) expand(words string) []expansion {
	c := &e.expansions
	c.mu.RLock()
	xs, ok := c.m[words]
	c.mu.RUnlock()
	if ok {
		return xs
	}
	for _, syn := range e.cfg.Lexicon.Expand(words) {
		xs = append(xs, expansion{syn: syn, stems: contentStems(syn)})
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxExpansions {
		c.m = map[string][]expansion{}
	}
	c.m[words] = xs
	c.mu.Unlock()
	return xs
}

// confidence is how well the best of the top passages covers the question:
// the share of the question's weight (rare words weigh most) found in it.
func (e *Engine) confidence(q *query, passages []retrieval.Passage, top int) float64 {
	best := 0.0
	for i, p := range passages {
		if i == top {
			break
		}
		if q.quantity && !numberWord.MatchString(p.Text) {
			continue
		}
		if c := q.coverage(e.analyse(p.ID, p.Section, p.Text).stems); c > best {
			best = c
		}
	}
	return best
}

func stemSet(text string) map[string]bool {
	m := map[string]bool{}
	for _, t := range words.Tokens(text) {
		if !isStop(t.Word) {
			m[t.Stem] = true
		}
	}
	return m
}

// candidate is a source sentence that may be quoted.
type candidate struct {
	passage int    // index into the passages
	chunk   string // its chunk id
	pos     int    // sentence number within the passage
	last    int    // that of its last sentence, when it joins two (see analyse)
	text    string
	said    string // the sentence as written, when text resolves its opening pronoun
	// referred: the source's sentence opened with a pronoun or "These X"
	// that text names (it goes on from the sentence before it).
	referred bool
	heading  map[string]bool // stems of its section's heading, which says what it is about
	// titled, titleFirst and opens: see sentence.
	titled     map[string]bool
	titleFirst bool
	opens      bool
	stems      map[string]bool
	aside      bool
	rel        float64
	// leans says the sentence starts with "It", "These", ...: it reads well
	// only after the sentence before it.
	leans bool
	// step says the sentence goes on with a sequence of steps: it follows
	// a label ("Expansion: ...") or says "then".
	step    bool
	defines []string // stems before a defining verb ("X is ..."), see defining
}

// Sentence selection. The limits keep fragments, headings and run-on list
// dumps out; the weights were set by reading answers to the question sets.
const (
	priorWeight        = 0.25 // of the passage's retrieval score relative to the best passage's
	defineBonus        = 0.5  // for "X is ..." when the question is "What is X?"
	openingBonus       = 0.05 // for a paragraph's first sentence, which often states its topic
	aspectChoiceWeight = 0.5  // of an aspect word's weight when choosing sentences
	minSentenceWords   = 5
	maxSentenceWords   = 70
	maxAnswerWords     = 140
)

// candidates splits the passages into quotable sentences and scores them.
func (e *Engine) candidates(q *query, passages []retrieval.Passage) []candidate {
	var out []candidate
	maxScore := 0.0
	for _, p := range passages {
		if p.Score > maxScore {
			maxScore = p.Score
		}
	}
	for pi, p := range passages {
		an := e.analyse(p.ID, p.Section, p.Text)
		prior := 1 / float64(pi+1)
		if maxScore > 0 {
			prior = p.Score / maxScore
		}
		var last candidate
		for i, s := range an.sentences {
			c := candidate{passage: pi, chunk: p.ID, heading: an.heading, pos: s.pos, last: s.last, text: s.text, said: s.said, referred: s.referred, stems: s.stems, aside: s.aside, leans: s.leans, step: s.step, defines: s.defines, titled: s.titled, titleFirst: s.titleFirst, opens: s.opens}
			c.rel = e.relevance(q, c, prior)
			if c.leans && i > 0 && last.last == c.pos-1 {
				// "It can have side effects" is about what the sentence
				// before it names ("CAR-T therapy"): scored with its
				// words too, as it is quoted after it.
				merged := c
				merged.stems = union(last.stems, c.stems)
				c.rel = max(c.rel, e.relevance(q, merged, prior))
			}
			out = append(out, c)
			last = c
		}
	}
	return out
}

func union(a, b map[string]bool) map[string]bool {
	m := make(map[string]bool, len(a)+len(b))
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// quotable says whether a source sentence can stand alone in an answer.
func (e *Engine) quotable(s string) bool {
	last, _ := utf8.DecodeLastRuneInString(s)
	if last != '.' && last != '!' && last != '"' && last != '”' && last != ')' {
		return false
	}
	if last == '"' || last == '”' || last == ')' {
		trimmed := strings.TrimRight(s, `"”)`)
		if !strings.HasSuffix(trimmed, ".") && !strings.HasSuffix(trimmed, "!") {
			return false
		}
	}
	first, _ := utf8.DecodeRuneInString(s)
	if !unicode.IsUpper(first) && !unicode.IsDigit(first) {
		return false
	}
	words := len(strings.Fields(s))
	if words < minSentenceWords || words > maxSentenceWords {
		return false
	}
	return !e.rules.rejectSentence(strings.ToLower(s))
}

// leansBack says whether a sentence reads well only after the one before it.
func leansBack(s string) bool { return words.RefersBack(s) }

// relevance scores a sentence for the query: the weighted share of query
// words it holds (synonyms and related words count less), plus a share of
// its passage's retrieval score, a bonus for defining what a "what is"
// question asks about and for opening its passage, and, in a follow-up,
// penalties for repeating the previous answer and a bonus for sharing the
// words of the answer "that" points at. (Sentences leaning on the one before
// are weighed in compose, which knows what else was chosen.)
func (e *Engine) relevance(q *query, c candidate, prior float64) float64 {
	var total, hit float64
	for _, st := range q.terms {
		w := q.base[st]
		if e.rules.aspect[st] || !e.stats.known(st) {
			// What is asked about a topic ("need", "side effects") helps
			// choose among sentences on the topic, but less than the
			// topic; a word the sources never use ("doctor") matches
			// only through related words, and must not outweigh the
			// words they do use.
			w *= aspectChoiceWeight
		}
		total += w
		if q.has(st, c.stems) {
			hit += w
			continue
		}
		if q.otherSynonymIn(st, c.stems) {
			hit += synonymWeight * w
			continue
		}
		if c.heading[st] || c.titleFirst && len(q.define) > 0 && c.titled[st] {
			// "Challenges" over "Matched donors. Similar to human organ
			// transplants, ...": what the section is about.
			hit += headingWeight * w
			continue
		}
		for _, rel := range q.related[st] {
			if c.stems[rel] {
				hit += relatedWeight * w
				break
			}
		}
	}
	if total == 0 || hit == 0 {
		return 0
	}
	rel := hit/total + priorWeight*prior
	if len(q.define) > 0 && (defines(c.defines, q.define) || q.wordMeaning && opensWith(c.defines, q.define) || names(c.text, q.define) || c.titleFirst && holdsAll(c.titled, q.define)) {
		rel += defineBonus
	}
	if c.opens {
		rel += openingBonus
	}
	if q.cited[c.chunk] {
		rel -= citedAgainPenalty
	}
	if q.previous != "" && (strings.Contains(q.previous, c.text) || c.said != "" && strings.Contains(q.previous, c.said)) {
		// Said in the last answer already: worth repeating only when it
		// holds a word of the new question ("Who is it approved for?"
		// after a sentence on its approval) or has the form of what it
		// asks ("Why does it happen?" after a sentence saying it arises
		// when ...), and then only when nothing else answers as well.
		ownHit := e.askedFit(q, c) > 0 && e.asksFormOnly(q)
		for st := range q.own {
			ownHit = ownHit || q.matches(st, c.stems)
		}
		if !ownHit {
			return 0
		}
		rel -= repeatPenalty
	}
	shared := 0
	for st := range q.referent {
		if c.stems[st] {
			shared++
		}
	}
	rel += referentBonus * float64(min(shared, 3))
	return rel
}

// defining returns the content stems before a defining verb ("is",
// "means", ...) near the start of a sentence, or nil if it has none.
func defining(s string) []string {
	var before []string
	toks := words.Tokens(s)
	appositive := false // past a comma or bracket: "X, also known as Y, is ..."
	for i, t := range toks {
		if i > 14 {
			return nil
		}
		if i > 0 && strings.ContainsAny(s[toks[i-1].End:t.Start], ",(") {
			appositive = true
		}
		switch t.Word {
		case "is", "are", "means", "mean", "refers", "involves", "constitute", "constitutes", "stands":
			if i+1 < len(toks) && negation[toks[i+1].Word] {
				return nil // "X is not ..." says what X is not
			}
			if (t.Word == "is" || t.Word == "are") && passive(toks[i+1:]) {
				return nil // "T cells are collected ..." says what is done to X
			}
			return before
		}
		if !isStop(t.Word) && !appositive {
			before = append(before, t.Stem)
		}
	}
	return nil
}

// passive says whether words after "is" or "are" make a passive verb
// ("are then collected", "is used to treat"), which tells what happens to
// the subject rather than what it is.
func passive(after []words.Token) bool {
	for _, t := range after {
		switch {
		case adverbs[t.Word] || strings.HasSuffix(t.Word, "ly"):
			continue
		case irregularParticiples[t.Word]:
			return true
		default:
			return strings.HasSuffix(t.Word, "ed") && len(t.Word) >= 4
		}
	}
	return false
}

var (
	adverbs              = map[string]bool{"often": true, "usually": true, "also": true, "sometimes": true, "typically": true, "generally": true, "then": true, "now": true, "mostly": true, "mainly": true, "commonly": true}
	irregularParticiples = map[string]bool{"given": true, "grown": true, "taken": true, "made": true, "done": true, "seen": true, "shown": true, "chosen": true, "found": true, "known": true, "put": true, "sent": true, "kept": true, "held": true, "led": true}
)

var negation = map[string]bool{"not": true, "no": true, "never": true, "neither": true}

// defines says whether a sentence whose defining subject is `subject`
// defines the question's subject: it names at least half of it, and is
// mostly made of it ("Mesenchymal stem cells are ..." defines a kind of
// stem cell, not stem cells).
func defines(subject, want []string) bool {
	found := 0
	for _, w := range want {
		if slices.Contains(subject, w) {
			found++
		}
	}
	// A word before the term names a kind of it ("Mesenchymal stem
	// cells"), which the sentence defines instead.
	return found > 0 && found*2 >= len(want) && found*2 >= len(subject) && slices.Contains(want, subject[0])
}

// opensWith says whether a defining subject opens with the term: the
// term qualifies what the sentence defines.
func opensWith(subject, term []string) bool {
	return len(subject) > len(term) && slices.Equal(subject[:len(term)], term)
}

// namingCue matches the words that introduce a name ("chemical messengers
// called cytokines"): the name that follows is defined by what precedes.
var namingCue = map[string]bool{"called": true, "named": true, "termed": true, "known": true}

// names says whether the sentence introduces the term by name ("... called
// X", "also known as X").
func names(text string, want []string) bool {
	toks := words.Tokens(text)
	for i, t := range toks {
		if !namingCue[t.Word] {
			continue
		}
		j := i + 1
		if j < len(toks) && toks[j].Word == "as" {
			j++
		}
		found := 0
		for k := j; k < len(toks) && k < j+len(want)+1; k++ {
			if slices.Contains(want, toks[k].Stem) {
				found++
			}
		}
		if found > 0 && found*2 >= len(want) {
			return true
		}
	}
	return false
}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	if len(b) < len(a) {
		a, b = b, a // look the smaller set up in the larger
	}
	inter := 0
	for k := range a {
		if b[k] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

func maxf(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

// cited is composed answer text with its citations.
type cited struct {
	sentences []string // each with its marker, as streamed
	citations []Citation
	referents []Referent
}

// cite numbers the passages of the chosen sentences in order of first use
// and appends each sentence's marker.
func cite(picked []candidate, passages []retrieval.Passage, first int) cited {
	var out cited
	num := map[int]int{}
	for i, c := range picked {
		if c.said != "" && i > 0 && picked[i-1].passage == c.passage && picked[i-1].last == c.pos-1 {
			c.text = c.said // right after the sentence it refers to, as written
		}
		if c.said != "" && c.text != c.said {
			r := referent(c.said, c.text)
			for _, s := range out.sentences {
				if strings.HasPrefix(s, r.Subject+" ") {
					r.Nth++ // an earlier sentence opens with the same words
				}
			}
			out.referents = append(out.referents, r)
		}
		n, ok := num[c.passage]
		if !ok {
			n = first + len(out.citations)
			num[c.passage] = n
			out.citations = append(out.citations, citationFor(n, passages[c.passage]))
		}
		out.sentences = append(out.sentences, c.text+" ["+strconv.Itoa(n)+"]")
	}
	return out
}

func citationFor(n int, p retrieval.Passage) Citation {
	return Citation{N: n, DocID: p.DocID, Title: p.Title, URL: p.URL, Section: p.Place(), ChunkID: p.ID, Passage: p.Text}
}

// goesOn says whether the sentence continues the one before it in its
// source: it refers back, or did before its pronoun was resolved.
func (c candidate) goesOn() bool { return c.leans || c.referred }
