package chat

import (
	"regexp"
	"strings"

	"github.com/cellchat/cellchat/internal/words"
)

// A patient's message often sets a scene around its question ("My son had
// a liver transplant and now the team mentioned Ebvallo. What is that?",
// "whats EBV? it keeps coming up in my son's notes"). message separates the
// question from the scene.
type message struct {
	question string   // the clause that asks
	scene    []string // the others, in order
}

// clauseOpeners may stand before a clause's question word ("and what ...").
var clauseOpeners = map[string]bool{"and": true, "but": true, "so": true, "ok": true, "okay": true, "hi": true, "please": true}

// opensWithQuestionWord says whether a clause opens with a question word
// ("what", "why", ...), after an opener such as "and".
func opensWithQuestionWord(clause string) bool {
	for _, t := range words.Tokens(words.Normalize(clause)) {
		if !clauseOpeners[t.Word] {
			return words.IsQuestionWord(t.Word)
		}
	}
	return false
}

// asksWith matches a clause that asks: it opens with a question word or an
// auxiliary verb ("what ...", "is it ...", "can I ...").
var asksWith = regexp.MustCompile(`(?i)^(?:and |but |so |ok |okay |hi |please )?(?:what|whats|what's|why|how|when|where|who|whose|which|is|are|was|were|am|can|could|do|does|did|will|would|should|shall|may|might|has|have|define|tell me|explain)\b`)

// A question often carries the patient's guesses around what it asks:
// examples and comparisons ("solid tumours like bowel cancer", "compared to
// normal tablets"), another answer offered as a clause ("... or do they
// just point it out to the rest of the immune system?"), or an alternative
// ("out of your hip bone or just from blood"). A source that answers the
// question need not mention the guesses; of an alternative, it may speak of
// either side.
var (
	example = regexp.MustCompile(`(?i)(?:\b(?:such as|e\.g\.?|for example|for instance|compared (?:to|with)|rather than|instead of|versus|the way)\s+|[a-z]{3,}\s+like\s+)([^,;:?!.]+)`)
	// orClause is "or" and what follows it, up to the clause's end.
	orClause = regexp.MustCompile(`(?i)\bor\s+([^,;:?!.]+)`)
	// clauseOpening says the words after "or" are a clause of their own
	// ("or is that rare", "or do they ..."), not the other side of a choice.
	clauseOpening = regexp.MustCompile(`(?i)^(?:is|are|was|were|do|does|did|can|could|will|would|should|has|have|had|not|what|how|why|when|where)\b`)
	// choiceStart finds where the first side of a choice starts when the
	// second opens with a preposition: after the last preposition before
	// "or" ("take the stem cells out of | your hip bone or just from
	// blood").
	choiceStart = regexp.MustCompile(`(?i)^.*\b(?:of|from|in|into|at|on|for|with|to|by|about|through|via|after|before|during)\s+`)
	preposition = regexp.MustCompile(`(?i)^(?:(?:just|only|also|maybe|perhaps|even|simply|rather|mostly|usually)\s+)*(?:of|from|in|into|at|on|for|with|to|by|about|through|via|after|before|during|out)\b`)
)

// firstSide returns the words before "or" that stand against the words
// after it: from the same preposition, or as many content words.
func firstSide(before, after string) string {
	if preposition.MatchString(after) {
		return before[len(choiceStart.FindString(before)):]
	}
	n := len(contentStems(after))
	ws := strings.Fields(before)
	i := len(ws)
	for i > 0 && n > 0 {
		i--
		if !isStop(strings.ToLower(ws[i])) {
			n--
		}
	}
	return strings.Join(ws[i:], " ")
}

// guesses are the stems of a question's guesses that its main part does not
// use: asides, and the two sides of an alternative.
type guesses struct {
	asides         []string
	either, orElse []string
}

func guessesOf(question string) guesses {
	var g guesses
	main := question
	var asides []string
	for _, m := range example.FindAllStringSubmatchIndex(question, -1) {
		asides = append(asides, question[m[2]:m[3]])
	}
	var either, orElse string
	if m := orClause.FindStringSubmatchIndex(question); m != nil {
		after := question[m[2]:m[3]]
		if clauseOpening.MatchString(after) {
			// "Can they organise it at short notice, or does it take a lot
			// of planning?": the clause is the other answer the patient
			// offers, and a source may speak to either.
			orElse, either = after, question[:m[0]]
		} else {
			orElse = after
			either = firstSide(question[:m[0]], after)
		}
	}
	for _, a := range append(asides, either, orElse) {
		if a != "" {
			main = strings.Replace(main, a, " ", 1)
		}
	}
	inMain := map[string]bool{}
	for _, st := range contentStems(main) {
		inMain[st] = true
	}
	only := func(texts ...string) []string {
		var out []string
		for _, t := range texts {
			for _, st := range contentStems(t) {
				if !inMain[st] {
					out = append(out, st)
				}
			}
		}
		return out
	}
	g.asides = only(asides...)
	if e, o := only(either), only(orElse); len(e) > 0 && len(o) > 0 {
		g.either, g.orElse = e, o
	}
	return g
}

// clauseDash is a dash standing between two clauses.
var clauseDash = regexp.MustCompile(`\s[-–—]\s`)

// asksWithin matches a clause with a question word inside it.
var asksWithin = regexp.MustCompile(`(?i)\b(?:what|whats|what's|why|how|when|where|who|which)\b`)

// commaQuestion finds a question that follows a comma within a sentence
// ("... on it as a risk, how do they keep an eye out for that?").
var commaQuestion = regexp.MustCompile(`(?i),\s+((?:what|how|why|when|where|who|whose|which|is|are|can|could|do|does|will|would|should)\b.{8,})$`)

// splitMessage returns the question of a message and its scene: the last
// clause that opens as a question does, else the last that ended with a
// question mark, else the last clause.
func splitMessage(text string) message {
	type clause struct {
		text string
		mark bool // ended with "?"
	}
	var cs []clause
	start := 0
	// A dash between spaces sets a clause apart as a full stop would
	// ("for my homework - which stem cell is the most versatile?").
	text = clauseDash.ReplaceAllString(text, ";")
	for i, r := range text {
		if r == '.' || r == '?' || r == '!' || r == ';' || r == '\n' {
			if t := strings.TrimSpace(text[start:i]); t != "" {
				cs = append(cs, clause{t, r == '?'})
			} else if r == '?' && len(cs) > 0 {
				cs[len(cs)-1].mark = true // "??"
			}
			start = i + 1
		}
	}
	if t := strings.TrimSpace(text[start:]); t != "" {
		cs = append(cs, clause{t, false})
	}
	var parts []clause
	for _, c := range cs {
		if m := commaQuestion.FindStringSubmatchIndex(c.text); m != nil {
			parts = append(parts, clause{strings.TrimSpace(c.text[:m[0]]), false}, clause{c.text[m[2]:m[3]], c.mark})
			continue
		}
		parts = append(parts, c)
	}
	if len(parts) == 0 {
		return message{}
	}
	q := len(parts) - 1
	found := false
	for i := len(parts) - 1; i >= 0 && !found; i-- {
		if asksWith.MatchString(parts[i].text) {
			q, found = i, true
		}
	}
	if found && !opensWithQuestionWord(parts[q].text) {
		// "Where do they get the stem cells from? Does it have to be a
		// needle in the hip bone?": a yes/no question after a wh-question
		// guesses at its answer; the wh-question is what is asked.
		for i := q - 1; i >= 0; i-- {
			if opensWithQuestionWord(parts[i].text) && parts[i].mark {
				q = i
				break
			}
		}
	}
	for i := len(parts) - 1; i >= 0 && !found; i-- {
		// "after the cells go in what sort of tests do they do?": the
		// question word comes after a clause that says when.
		if parts[i].mark && asksWithin.MatchString(parts[i].text) {
			q, found = i, true
		}
	}
	for i := len(parts) - 1; i >= 0 && !found; i-- {
		if parts[i].mark {
			q, found = i, true
		}
	}
	m := message{question: parts[q].text}
	for i, p := range parts {
		if i != q {
			m.scene = append(m.scene, p.text)
		}
	}
	return m
}
