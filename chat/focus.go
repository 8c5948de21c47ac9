package chat

import (
	"regexp"
	"strings"

	"github.com/cellchat/cellchat/internal/words"
)

// A yes/no question may hinge on more than its topic: the quality asked
// about ("Is cell therapy safe for children?") or the patient's own
// activity ("Can I keep working during treatment?"). A reply that does not
// say it answers another question that merely shares the topic's words
// (children's ages, cells "not working properly").
var (
	qualityQuestion = regexp.MustCompile(`(?i)^(?:and |but |so )?(?:is|are|was|were|isn't|aren't|would it be|will it be)\b`)
	returnTo        = regexp.MustCompile(`\b(?:go(?:ing)? back to|get(?:ting)? back to|return(?:ing)? to) ([a-z]+)`)
	// "Can I keep working", "am I allowed to drive", "is it ok for me to
	// fly": the verb, and the gerund or object after it.
	activityQuestion = regexp.MustCompile(`(?i)^(?:and |but |so |when |how soon |how long until )?(?:(?:can|could|may|should|will|would|do|does|did) (?:i|we|he|she|my \w+|our \w+)|(?:am i|are we|is he|is she|is my \w+) (?:allowed|able|ok|okay|safe) to|is it (?:ok|okay|safe|fine|possible|allowed) (?:for (?:me|him|her|us) )?to) (?:be able to |be allowed to |still |ever |also |even |really |safely )?([a-z]+)(?: ([a-z]+))?\b`)
)

// effectQuestion asks whether something has an effect ("Will the chemo
// make my hair fall out?", "Can CAR-T cause a fever?"): the effect, up to
// three words, is what it hinges on.
var effectQuestion = regexp.MustCompile(`\b(?:make|makes|cause|causes|give|gives|leave|leaves) (?:(?:me|my|you|your|him|his|her|them|their|us|our|a|an|the|any|some) )?([a-z]+(?: [a-z]+){0,2})`)

var afterArticle = regexp.MustCompile(`\b(?:a|an|the|one|any|some)\s+$`)

// genericVerbs say nothing of what the patient would do ("Can I have ...",
// "Do I need ...", "Can I get ...").
var genericVerbs = map[string]bool{"have": true, "has": true, "get": true, "go": true, "do": true, "be": true,
	"need": true, "want": true, "take": true, "make": true, "give": true, "come": true, "see": true,
	"know": true, "ask": true, "find": true, "expect": true, "receive": true, "undergo": true, "start": true}

// hinges sets what the question hinges on beyond its topic (see above):
// anyOf, aspect words with related words in rules.yaml, one of which (or
// a related word) an answer must hold; allOf, the words of the patient's
// activity (the patient's or a relative's, not what "they", the staff, do;
// lay wording such as "catch" aside), all of which one sentence of an
// answer must hold.
func (e *Engine) hinges(q *query, asking string) {
	a := strings.TrimSpace(strings.ToLower(asking))
	if qualityQuestion.MatchString(a) {
		toks := words.Tokens(a)
		for i, t := range toks {
			// A quality is an adjective ("safe"), not a noun after an
			// article ("Is fever a symptom of CRS?" hinges on fever and
			// CRS, its topic), nor a word before the noun it picks out
			// ("just another name for CRS").
			if afterArticle.MatchString(a[:t.Start]) {
				continue
			}
			if i+1 < len(toks) && !isStop(toks[i+1].Word) && strings.TrimSpace(a[t.End:toks[i+1].Start]) == "" {
				continue
			}
			if e.rules.aspect[t.Stem] && len(e.rules.related[t.Stem]) > 0 {
				q.anyOf = append(q.anyOf, t.Stem)
			}
		}
	}
	if q.asked == askYesNo {
		if m := effectQuestion.FindStringSubmatch(a); m != nil {
			for _, t := range words.Tokens(m[1]) {
				if !isStop(t.Word) && !words.IsVague(t.Word) && !e.rules.aspect[t.Stem] {
					q.allOf = append(q.allOf, t.Stem)
				}
			}
			if len(q.allOf) > 0 {
				return
			}
		}
	}
	m := activityQuestion.FindStringSubmatch(a)
	if m == nil {
		return
	}
	if r := returnTo.FindStringSubmatch(a); r != nil && !isStop(r[1]) {
		q.allOf = append(q.allOf, words.Stem(r[1])) // "go back to work": the activity is work
		return
	}
	// A verb with a gerund or an object is one activity ("keep working",
	// "give blood"), lay words or not; a verb alone that is lay wording
	// ("catch infections" aside) names none, nor does one that is a stop
	// word ("Can I have CAR-T again?").
	verb, next := m[1], m[2]
	if words.IsStop(verb) {
		return
	}
	object := ""
	if next != "" && !isStop(next) && (strings.HasSuffix(next, "ing") || genericVerbs[verb] || words.IsFurniture(verb)) {
		object = next
	}
	if object == "" && (genericVerbs[verb] || words.IsFurniture(verb) || e.rules.aspect[words.Stem(verb)]) {
		return
	}
	q.allOf = append(q.allOf, words.Stem(verb))
	if object != "" {
		q.allOf = append(q.allOf, words.Stem(object))
	} else if st := words.Stem(next); next != "" && !isStop(next) && !words.IsVague(next) && !keptStems[st] && !e.rules.aspect[st] {
		// "Can I eat cookies?": a sentence on the thing itself ("cookies
		// from bakery counters are not fine") answers it without the verb.
		q.thing = st
	}
}

// holdsFocus says whether the chosen sentences say what the question
// hinges on (true when it hinges on its topic alone).
func (q *query) holdsFocus(picked []candidate) bool {
	if len(q.anyOf) > 0 {
		found := false
		for _, c := range picked {
			for _, st := range q.anyOf {
				found = found || q.matches(st, c.stems) || q.relatedIn(st, c.stems)
			}
		}
		if !found {
			return false
		}
	}
	if len(q.allOf) == 0 {
		return true
	}
	for _, c := range picked {
		all := true
		for _, st := range q.allOf {
			all = all && q.matches(st, c.stems)
		}
		if all || q.thing != "" && (c.stems[q.thing] || q.synonymIn(q.thing, c.stems)) {
			return true
		}
	}
	return false
}
