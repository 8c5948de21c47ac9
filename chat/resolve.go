package chat

import (
	"regexp"
	"strings"
	"unicode"
)

// A sentence opening with "It" or "They" is about the subject of the
// sentence before it ("HCT is used to treat leukemia ... It is also used
// for Hurler syndrome"). Said with that subject in place of the pronoun,
// it answers by itself: it can lead an answer, or stand after a sentence
// from elsewhere, without the sentence before it.
var (
	// pronounSubject matches "It" or "They" as a sentence's subject: a
	// word after it that starts a verb phrase, not "It's important".
	pronounSubject = regexp.MustCompile(`^(It|They) [a-z]`)
	// subjectEnd matches the verb that ends a sentence's subject: a
	// copula, an auxiliary or a common verb of definitions and uses.
	subjectEnd = regexp.MustCompile(`\s(?:is|are|was|were|has|have|had|can|could|may|might|will|would|should|must|involves?|uses?|requires?|means?|works?|helps?|refers?|consists?|includes?|occurs?|arises?|targets?|provides?|offers?|needs?|takes?|allows?|leverages?)\b`)
	// appositive drops what renames a subject between commas (", also known
	// as X,", ", sometimes known as X,"): the name before it is enough.
	appositive = regexp.MustCompile(`,[^,]*,\s*$`)
)

// Referent is a subject an answer names in place of the pronoun its source
// sentence opened with.
type Referent struct {
	Pronoun string `json:"pronoun"` // as the source wrote it: "It" or "They"
	Subject string `json:"subject"` // what the answer says instead
	// Nth counts the sentences before it that open with Subject too
	// (which it is among them: 0, the first).
	Nth int `json:"nth,omitempty"`
}

// WithoutReferents gives back the source's wording of text (glosses
// already removed): each referent's subject, where it opens a sentence, is
// the pronoun again.
func WithoutReferents(text string, refs []Referent) string {
	// Last first: a referent's Nth counts the sentences before it as the
	// reply shows them, before any of theirs is put back.
	for k := len(refs) - 1; k >= 0; k-- {
		r := refs[k]
		skip := r.Nth
		for from := 0; ; {
			i := strings.Index(text[from:], r.Subject+" ")
			if i < 0 {
				break
			}
			i += from
			from = i + 1
			// A sentence opens the text, follows a marker, or follows the
			// colon that introduces a referral's background.
			before := strings.TrimRight(text[:i], " ")
			if before != "" && !strings.HasSuffix(before, "]") && !strings.HasSuffix(before, ":") {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			text = text[:i] + r.Pronoun + text[i+len(r.Subject):]
			break
		}
	}
	return text
}

// notedThat matches an expletive opening that puts the subject after
// "that" ("It is important to note that ...").
var notedThat = regexp.MustCompile(`^It(?:'s|’s| is) (?:\w+ )?(?:important|worth|crucial|essential) (?:to )?(?:note|noting|remember|know|understand|say)? ?that `)

// Bounds on a subject that can stand in for a pronoun.
const maxSubjectWords = 8 // a longer subject is a clause, not a name

// notSubjectStart are words that open a sentence without its subject
// coming first ("If ...", "After ...", "One example is ..."): what follows
// them up to the verb is not the thing "It" refers to.
var notSubjectStart = map[string]bool{
	"if": true, "when": true, "after": true, "before": true, "in": true, "prior": true, "despite": true,
	"because": true, "although": true, "during": true, "for": true, "with": true, "once": true,
	"one": true, "some": true, "many": true, "most": true, "this": true, "these": true, "those": true,
	"that": true, "it": true, "its": true, "they": true, "their": true, "there": true, "here": true,
	"while": true, "as": true, "by": true, "to": true, "on": true, "at": true, "from": true,
	"however": true, "therefore": true, "also": true, "then": true, "so": true, "such": true, "each": true,
	"all": true, "both": true, "other": true, "another": true, "what": true, "how": true, "why": true,
	"who": true, "which": true, "where": true, "since": true, "unlike": true, "like": true,
}

// relative are the words that open a clause within a subject.
var relative = map[string]bool{"that": true, "which": true, "who": true, "whom": true, "whose": true, "where": true, "when": true}

// subjectOf returns the subject of a sentence that names what it is about
// first ("CAR-T therapy, also known as ..., is ..." -> "CAR-T therapy"),
// and whether it is plural. ok is false when the sentence does not open
// with a short noun phrase.
func subjectOf(s string) (subject string, plural, ok bool) {
	if m := notedThat.FindStringIndex(s); m != nil {
		// "It is important to note that CAR-T therapy is ...": the
		// sentence is about what follows "that".
		s = strings.ToUpper(s[m[1]:m[1]+1]) + s[m[1]+1:]
	}
	loc := subjectEnd.FindStringIndex(s)
	if loc == nil {
		return "", false, false
	}
	np := strings.TrimSpace(s[:loc[0]])
	if strings.HasSuffix(np, ",") {
		np = strings.TrimSpace(appositive.ReplaceAllString(np, ""))
	}
	ws := strings.Fields(np)
	if len(ws) == 0 || len(ws) > maxSubjectWords || strings.ContainsAny(np, ",:;\"“") {
		return "", false, false
	}
	for _, w := range ws[1:] {
		if relative[strings.ToLower(w)] || w == "and" || w == "or" {
			// "The cells that were collected", "X stands for Y and is":
			// the verb found is a clause's, or the sentence's second.
			return "", false, false
		}
	}
	first := strings.ToLower(strings.Trim(ws[0], "(\"“"))
	if notSubjectStart[first] || !unicode.IsUpper([]rune(ws[0])[0]) {
		return "", false, false
	}
	head := ws[len(ws)-1]
	if strings.HasPrefix(head, "(") && len(ws) > 1 {
		head = ws[len(ws)-2] // "stem cell transplantation (HSCT)": the head is before the acronym
	}
	plural = strings.HasSuffix(head, "s") && !strings.HasSuffix(head, "ss") && !strings.HasSuffix(head, "sis") && !isAcronym(head)
	return np, plural, true
}

func isAcronym(w string) bool {
	upper := 0
	for _, r := range w {
		if unicode.IsUpper(r) {
			upper++
		}
	}
	return upper >= 2
}

// demonstrative matches a sentence opening with "These", "This" or "Those"
// and a noun phrase ("These stem cells can be harvested ...").
var demonstrative = regexp.MustCompile(`^(?:These|This|Those) `)

// maxDemonstrativeWords bounds the noun phrase after "These": a longer one
// runs into the verb.
const maxDemonstrativeWords = 3

// resolveDemonstrative returns s with its opening "These X" named as prev
// names X, by the word before it there ("... infusion of hematopoietic stem
// cells" makes "These stem cells" "Hematopoietic stem cells"); ok is false
// when prev does not name X with such a word.
func resolveDemonstrative(s, prev string) (string, bool) {
	m := demonstrative.FindStringIndex(s)
	if m == nil {
		return "", false
	}
	verb := subjectEnd.FindStringIndex(s[m[1]-1:]) // "This is ..." has no noun phrase
	if verb == nil {
		return "", false
	}
	end := m[1] - 1 + verb[0]
	if end <= m[1] {
		return "", false // "This is ...": a pronoun, not a noun phrase
	}
	np := strings.TrimSpace(s[m[1]:end])
	if n := len(strings.Fields(np)); n == 0 || n > maxDemonstrativeWords || strings.ContainsAny(np, ",;:()") {
		return "", false
	}
	// The modifiers must open their noun phrase, after an article or
	// "of": "a chimeric antigen receptor", not "potentially life-saving
	// procedures", which would say less than the sentence meant.
	mod := ""
	for _, at := range regexp.MustCompile(`\b(?:[Tt]he|[Aa]n?|of) ((?:[a-z][a-z-]+ ){1,2})`+regexp.QuoteMeta(np)+`\b`).FindAllStringSubmatch(prev, -1) {
		if modifies(at[1]) {
			mod = at[1]
			break
		}
	}
	if mod == "" {
		return "", false
	}
	if strings.HasPrefix(s, "This ") {
		return "The " + mod + np + s[end:], true // one thing, named as the article before named it
	}
	return strings.ToUpper(mod[:1]) + mod[1:] + np + s[end:], true
}

// modifies says whether words can name a noun's kind: no function words
// ("a pool of cells" does not name the cells).
func modifies(words string) bool {
	for _, w := range strings.Fields(words) {
		if isStop(w) || notSubjectStart[w] {
			return false
		}
	}
	return true
}

// exampleOpening matches "One example is X, which <verb> ...": the sentence
// says X is an example of what the sentence before it named, then what X
// does; quoted elsewhere, "One example" leaves the reader asking of what.
var exampleOpening = regexp.MustCompile(`^(?:One|Another|An) example (?:of this )?is ([^,;:]{2,80}?), which ([a-z]+) `)

// resolveExample returns "X <verb> ..." for "One example is X, which <verb>
// ...", and whether s opens so.
func resolveExample(s string) (string, bool) {
	m := exampleOpening.FindStringSubmatchIndex(s)
	if m == nil {
		return "", false
	}
	return s[m[2]:m[3]] + " " + s[m[4]:], true
}

// resolve returns s standing on its own when it opens with a pronoun or a
// demonstrative whose referent prev names (see resolvePronoun and
// resolveDemonstrative).
func resolve(s, prev string) (string, bool) {
	if r, ok := resolvePronoun(s, prev); ok {
		return r, true
	}
	return resolveDemonstrative(s, prev)
}

// referent says what resolving changed: the words that open said, and
// what text opens with instead, up to where the two go on alike.
func referent(said, text string) Referent {
	n := 0
	for n < len(said) && n < len(text) && said[len(said)-1-n] == text[len(text)-1-n] {
		n++
	}
	same := said[len(said)-n:]
	if i := strings.IndexByte(same, ' '); i >= 0 {
		n -= i // cut between words: "These| stem cells" and "Hematopoietic| stem cells"
	} else {
		n = 0
	}
	return Referent{Pronoun: said[:len(said)-n], Subject: text[:len(text)-n]}
}

// resolvePronoun returns s with its opening "It" or "They" replaced by the
// subject of prev, the sentence before it in its source; ok is false when
// s does not open with such a pronoun or prev's subject does not fit it.
func resolvePronoun(s, prev string) (string, bool) {
	m := pronounSubject.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	subject, plural, ok := subjectOf(prev)
	if !ok || plural != (m[1] == "They") {
		return "", false
	}
	return subject + s[len(m[1]):], true
}
