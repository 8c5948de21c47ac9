package chat

import (
	"regexp"
	"strings"
)

// A patient's message often sets a scene around its question ("My son had
// a liver transplant and now the team mentioned Ebvallo. What is that?",
// "whats EBV? it keeps coming up in my son's notes"). message separates the
// question from the scene.
type message struct {
	question string   // the clause that asks
	scene    []string // the others, in order
}

// asksWith matches a clause that asks: it opens with a question word or an
// auxiliary verb ("what ...", "is it ...", "can I ...").
var asksWith = regexp.MustCompile(`(?i)^(?:and |but |so |ok |okay |hi |please )?(?:what|whats|what's|why|how|when|where|who|whose|which|is|are|was|were|am|can|could|do|does|did|will|would|should|shall|may|might|has|have|define|tell me|explain)\b`)

// asksWithin matches a clause with a question word inside it.
var asksWithin = regexp.MustCompile(`(?i)\b(?:what|whats|what's|why|how|when|where|who|which)\b`)

// commaQuestion finds a question that follows a comma within a sentence
// ("... on it as a risk, how do they keep an eye out for that?").
var commaQuestion = regexp.MustCompile(`(?i),\s+((?:what|how|why|when|where|who|which|is|are|can|could|do|does|will|would|should)\b.{8,})$`)

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
