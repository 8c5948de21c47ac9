package chat

import (
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/cellchat/cellchat/corpus"
	"github.com/cellchat/cellchat/retrieval"
)

// Gloss is an abbreviation a reply spelled out on its first use, as the
// sources define it: the reply text holds Term followed by " (Expansion)".
// The words quoted from the sources are otherwise verbatim, so a reader
// (or eval) that removes the glosses gets the source sentences back.
type Gloss struct {
	Term      string `json:"term"`
	Expansion string `json:"expansion"`
}

// Text is what the gloss inserted after its term.
func (g Gloss) Text() string { return " (" + g.Expansion + ")" }

// glossary finds the abbreviations the sources spell out in a reply.
type glossary struct {
	long map[string]string // abbreviation -> long form
	re   *regexp.Regexp    // any abbreviation (or its plural) as a whole word
}

func newGlossary(abbrevs map[string]string) *glossary {
	if len(abbrevs) == 0 {
		return nil
	}
	terms := make([]string, 0, len(abbrevs))
	for t := range abbrevs {
		terms = append(terms, regexp.QuoteMeta(t))
	}
	// Longest first, so "CAR-T" wins over "CAR".
	sort.Slice(terms, func(i, j int) bool { return len(terms[i]) > len(terms[j]) })
	// A term is a whole word: not part of a longer one ("CAR" in "CAR-T"
	// is matched as CAR-T or not at all) and not a word of another case.
	re := regexp.MustCompile(`(?:^|[^\pL\pN-])((?:` + strings.Join(terms, "|") + `)s?)(?:$|[^\pL\pN-])`)
	return &glossary{long: abbrevs, re: re}
}

// namedAlias matches the words that give a term as another name for what
// comes before them.
var namedAlias = regexp.MustCompile(`(?i)\b(?:also known as|known as|also called|or simply)\s*$`)

// capsWord matches a word written in capitals.
var capsWord = regexp.MustCompile(`\b[A-Z]{2,}\b`)

// spellOutStopAbbreviations adds its long form after an abbreviation the
// sources define that is also an everyday word dropped as a stop word
// ("what does ALL stand for?"): written in capitals it is the term, and
// without its long form the question would have no words left to search.
func (e *Engine) spellOutStopAbbreviations(question string) string {
	return capsWord.ReplaceAllStringFunc(question, func(w string) string {
		long, ok := e.cfg.Glossary[w]
		if !ok || !isStop(strings.ToLower(w)) {
			return w
		}
		return w + " (" + long + ")"
	})
}

// longForm returns what an abbreviation as a patient typed it ("crs",
// "HSCs") stands for in the sources.
func (g *glossary) longForm(term string) (string, bool) {
	if g == nil {
		return "", false
	}
	t := strings.ToUpper(strings.TrimSpace(term))
	if long, ok := g.long[t]; ok {
		return long, true
	}
	long, ok := g.long[strings.TrimSuffix(t, "S")]
	return long, ok
}

// spellsOut says whether a sentence writes an abbreviation's long form with
// the abbreviation next to it, in either order ("cytokine release syndrome
// (CRS)", "HCT (hematopoietic cell transplantation)").
func spellsOut(s, abbreviation, longForm string) bool {
	l := strings.ToLower(s)
	a, lf := strings.ToLower(abbreviation), strings.ToLower(longForm)
	return strings.Contains(l, lf+" ("+a) || strings.Contains(l, a+" ("+lf)
}

// explain spells out each abbreviation on its first use in the sentences,
// unless the reply already says what it stands for.
func (g *glossary) explain(sentences []string) ([]string, []Gloss) {
	if g == nil {
		return sentences, nil
	}
	seen := map[string]bool{}
	var glosses []Gloss
	out := make([]string, len(sentences))
	for i, s := range sentences {
		var b strings.Builder
		last := 0
		for _, m := range g.re.FindAllStringSubmatchIndex(s, -1) {
			start, end := m[2], m[3]
			term := s[start:end]
			plural := false
			if _, ok := g.long[term]; !ok {
				term, plural = strings.TrimSuffix(term, "s"), true
			}
			long, ok := g.long[term]
			if plural {
				long += "s" // "HSCs (hematopoietic stem cells)"
			}
			if !ok || seen[term] {
				continue
			}
			seen[term] = true
			// Said already, or said here by the sources' own words: a
			// later sentence that spells it out comes too late.
			said := strings.ToLower(strings.Join(sentences[:i+1], " "))
			if strings.Contains(said, strings.ToLower(long)) || strings.HasPrefix(s[end:], " (") {
				continue
			}
			// "... stem cells also known as HSC's": named as the other
			// name of what the sentence has just spelled out.
			if namedAlias.MatchString(s[:start]) || strings.HasPrefix(s[end:], "'s") || strings.HasPrefix(s[end:], "’s") {
				continue
			}
			gl := Gloss{Term: term, Expansion: long}
			b.WriteString(s[last:end])
			b.WriteString(gl.Text())
			last = end
			glosses = append(glosses, gl)
		}
		b.WriteString(s[last:])
		out[i] = b.String()
	}
	return out, glosses
}

// WithoutGlosses gives back the text as the sources wrote it: each gloss's
// " (expansion)" removed from right after its term.
func WithoutGlosses(text string, glosses []Gloss) string {
	for _, g := range glosses {
		ins := g.Text()
		at := strings.Index(text, g.Term+ins)
		if at < 0 {
			at = strings.Index(text, g.Term+"s"+ins)
			if at < 0 {
				continue
			}
			at++
		}
		at += len(g.Term)
		text = text[:at] + text[at+len(ins):]
	}
	return text
}

// strip removes every gloss this glossary could have added, for text whose
// list of glosses is not known (a reply read back from the log).
func (g *glossary) strip(text string) string {
	if g == nil {
		return text
	}
	for term, long := range g.long {
		text = strings.ReplaceAll(text, term+Gloss{Term: term, Expansion: long}.Text(), term)
		text = strings.ReplaceAll(text, term+"s"+Gloss{Term: term, Expansion: long + "s"}.Text(), term+"s")
	}
	return text
}

// termStemsOf returns the stems of the words of the terms a glossary
// defines and of its abbreviations.
func termStemsOf(g *corpus.Glossary) map[string]bool {
	m := map[string]bool{}
	for _, e := range g.Entries() {
		for _, st := range contentStems(e.Term) {
			m[st] = true
		}
	}
	return m
}

// definition is a term the sources define in a sentence: its content stems
// and the passage that holds the sentence.
type definition struct {
	stems []string
	chunk string
}

func definitionsOf(g *corpus.Glossary) []definition {
	var out []definition
	for _, e := range g.Entries() {
		if e.Definition != "" && e.DefinitionSource.ChunkID != "" {
			out = append(out, definition{contentStems(e.Term), e.DefinitionSource.ChunkID})
		}
	}
	return out
}

// withDefinition adds to the passages of a definition question the one
// that defines its term, when the search missed it: "what does
// hematopoietic mean?" is answered by "Hematopoietic (blood forming) stem
// cells ... are ...", which a search for a word found in every passage of
// a transplant leaflet need not rank first. The term asked about must
// open the defined term ("hematopoietic" of "hematopoietic stem cells").
func (e *Engine) withDefinition(q *query, passages []retrieval.Passage) []retrieval.Passage {
	if len(q.define) == 0 || len(passages) == 0 {
		return passages
	}
	var best *definition
	for i, d := range e.definitions {
		if len(d.stems) < len(q.define) || !slices.Equal(d.stems[:len(q.define)], q.define) {
			continue
		}
		for _, p := range passages {
			if p.ID == d.chunk {
				return passages // a passage found defines it already
			}
		}
		if _, ok := e.chunks.byID[d.chunk]; ok && (best == nil || len(d.stems) < len(best.stems)) {
			best = &e.definitions[i] // the term itself before a longer one that opens with it
		}
	}
	if best != nil {
		// Ranked just under the best passage: the definition leads
		// through its defining bonus, not through a borrowed score.
		found := retrieval.Passage{Chunk: e.chunks.byID[best.chunk], Score: passages[0].Score}
		out := append([]retrieval.Passage{passages[0], found}, passages[1:]...)
		return out[:max(len(passages), 2)]
	}
	return passages
}
