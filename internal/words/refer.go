package words

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// referringBack lists the openings of a sentence that leans on the one
// before it: pronouns and linking words whose meaning is in the previous
// sentence ("It can cause ..." — what can?). Quoted out of its place in the
// source, such a sentence leaves the reader guessing what it refers to.
var referringBack = []string{
	"It", "Its", "They", "Them", "Their", "This", "These", "Those", "That", "Such",
	"However", "Therefore", "Thus", "Hence", "Also", "Then", "So", "He", "She", "Here",
	"Similarly", "Instead", "Additionally", "Furthermore", "Moreover", "Likewise",
	"Otherwise", "Meanwhile", "Consequently",
	"In addition", "As a result", "For this reason", "In this case", "In that case",
	"In these cases", "In such cases", "Because of this", "Because of that",
	"One example of this", "For example", "For instance", "In other words",
	"On the other hand", "Despite this", "Even so", "To do this", "After that",
}

// pointsBackEarly matches a sentence that points back a few words in ("One
// example of this, ...", "Treatments like these ...").
var pointsBackEarly = regexp.MustCompile(`^(?:\S+ ){0,7}(?:of|like) (?:this|these|that)[,.]`)

// namesExample matches a sentence that gives an example of what the one
// before it names ("One example is Ebvallo, ...", "Examples include ..."):
// alone, it leaves the reader asking an example of what. One that names
// its class ("One example of cellular therapy is CAR-T") stands alone.
var namesExample = regexp.MustCompile(`^(?:(?:One|Another|An) example (?:of this |of these |of that )?(?:is|are|was|would be)|Examples (?:of this |of these )?(?:include|are))\b`)

// expletiveIt matches an "it" that points at nothing before it ("It is
// important to note that ..."): such a sentence stands alone.
var expletiveIt = regexp.MustCompile(`^It(?:'s|’s| is| was| can be| may be| would be)(?: also| often| very| always| usually)? (?:important|crucial|essential|necessary|possible|impossible|likely|unlikely|common|rare|difficult|hard|easy|vital|critical|helpful|useful|worth|recommended|advisable|key|best|normal|natural|true|clear|known|thought|believed|estimated) (?:to|that|for|noting)\b`)

// RefersBack reports whether sentence s reads well only after the sentence
// before it: it opens (case-sensitively, after any opening quote) with a
// word or phrase of referringBack as a whole word ("It" matches "It's" but
// not "Items"), or points back early on, unless its "It" is expletive.
func RefersBack(s string) bool {
	s = strings.TrimLeft(s, " \t\n\"'“‘«„")
	if expletiveIt.MatchString(s) {
		return false
	}
	if pointsBackEarly.MatchString(s) || namesExample.MatchString(s) {
		return true
	}
	for _, w := range referringBack {
		if !strings.HasPrefix(s, w) {
			continue
		}
		next, _ := utf8.DecodeRuneInString(s[len(w):])
		if len(s) == len(w) || !(unicode.IsLetter(next) || unicode.IsDigit(next)) {
			return true
		}
	}
	return false
}
