package corpus

import (
	"github.com/cellchat/cellchat/internal/words"

	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A Glossary is the jargon the corpus itself explains: abbreviations whose
// long form the text spells out ("cytokine release syndrome (CRS)",
// "ATMP stands for Advanced Therapy Medicinal Products") and terms it
// defines ("Cell therapy is the transfer of ...", "chemical messengers
// called cytokines"). Nothing is invented: a long form is a passage's
// words (a capital that only opens the sentence lowered, a plural made
// singular for "HSCs"), a definition a passage sentence, or the part of
// one after a colon, verbatim.
//
// It leans towards leaving a term out, since a wrong expansion misleads: a
// long form is taken only when the words next to the abbreviation spell
// it, every word but "of", "and" and the like giving its first letter, and
// an abbreviation spelled out in different ways keeps the most frequent
// long form, or is dropped when none is (see Notes).
type Glossary struct {
	entries []Entry
	byKey   map[string]int // lower-cased term -> index in entries
	notes   []Note
}

// Source is the passage an entry was read from.
type Source struct {
	ChunkID string
	DocID   string
}

// Entry is one glossary term.
type Entry struct {
	// Term is the abbreviation ("CRS"; a plural "HSCs" is listed as "HSC")
	// or the defined term as written, less a leading article ("Cell therapy").
	Term string
	// LongForm is what an abbreviation stands for, as the corpus writes it
	// ("cytokine release syndrome"); empty for other terms.
	LongForm string
	// Alias is another name the corpus gives the term ("CAR-T therapy, also
	// known as chimeric antigen receptor T-cell therapy").
	Alias string
	// Definition is a corpus sentence (or the part after a colon) defining
	// the term, verbatim, or "". The first found in corpus order is kept.
	Definition string
	// Source is where the term was found: its long form, else its alias or
	// definition.
	Source Source
	// DefinitionSource is where Definition was found (zero when there is none).
	DefinitionSource Source
}

// Note is something the builder found but left out, and why.
type Note struct {
	Term   string
	Reason string
	Source Source
}

// BuildGlossary reads the corpus's own definitions out of the passages.
func BuildGlossary(chunks []Chunk) *Glossary {
	b := &glossaryBuilder{}
	for _, ch := range chunks {
		src := Source{ChunkID: ch.ID, DocID: ch.DocID}
		for _, s := range glossarySentences(ch.Text) {
			b.sentence(s, src)
		}
	}
	return b.build()
}

// Entries are all the terms, sorted by term (case-insensitively).
func (g *Glossary) Entries() []Entry {
	return append([]Entry(nil), g.entries...)
}

// Abbreviations maps each abbreviation the corpus spells out unambiguously
// to its long form.
func (g *Glossary) Abbreviations() map[string]string {
	m := map[string]string{}
	for _, e := range g.entries {
		if e.LongForm != "" {
			m[e.Term] = e.LongForm
		}
	}
	return m
}

// Lookup finds a term case-insensitively; failing that, its singular or
// plural ("HSCs" finds HSC), then an entry whose long form or alias it is
// ("graft-versus-host disease" finds GVHD).
//
// Case-insensitive means "all" finds ALL (acute lymphoblastic leukemia): a
// caller scanning prose for jargon should match abbreviations (entries
// with a LongForm) case-sensitively against Entry.Term.
func (g *Glossary) Lookup(term string) (Entry, bool) {
	key := glossaryKey(term)
	if key == "" {
		return Entry{}, false
	}
	for _, k := range []string{key, strings.TrimSuffix(key, "s"), key + "s"} {
		if i, ok := g.byKey[k]; ok && k != "" {
			return g.entries[i], true
		}
	}
	for _, e := range g.entries {
		if e.LongForm != "" && glossaryKey(e.LongForm) == key {
			return e, true
		}
	}
	for _, e := range g.entries {
		if e.Alias != "" && glossaryKey(e.Alias) == key {
			return e, true
		}
	}
	return Entry{}, false
}

// Notes are what was left out or overruled: abbreviations spelled out in
// different ways, and parenthesised capitals no preceding words spell.
func (g *Glossary) Notes() []Note {
	return append([]Note(nil), g.notes...)
}

// glossarySentences cuts a passage into sentences (words.Sentences, which
// also ends one at a line break).
func glossarySentences(text string) []string {
	var out []string
	for _, sp := range words.Sentences(text) {
		out = append(out, text[sp.Start:sp.End])
	}
	return out
}

// glossaryKey is how terms are compared: lower case, hyphens as spaces,
// curly apostrophes straight, spaces collapsed.
func glossaryKey(s string) string {
	s = strings.ToLower(strings.NewReplacer("-", " ", "‐", " ", "’", "'").Replace(s))
	return strings.Join(strings.Fields(s), " ")
}

type abbrevFind struct {
	abbr, long string
	src        Source
}

type termFind struct {
	term, alias, def string
	src              Source
}

type glossaryBuilder struct {
	abbrevs []abbrevFind
	terms   []termFind
	notes   []Note
}

var (
	parenRe       = regexp.MustCompile(`\(([^()]{1,60})\)`)
	orAbbrRe      = regexp.MustCompile(`,\s+or\s+([\p{L}][\p{L}’'-]*)`)
	standsRe      = regexp.MustCompile(`(?:^|\s)([\p{L}][\p{L}’'-]*)\s+stands\s+for\s+`)
	akaRe         = regexp.MustCompile(`(?:,\s*|\s+)(?:also|sometimes|otherwise|commonly)\s+(?:known\s+as|called|referred\s+to\s+as)\s+`)
	calledRe      = regexp.MustCompile(`(?:^|\s)(\S+)\s+called\s+`)
	copulaRe      = regexp.MustCompile(`^(.+?)\s+(is\s+an?|is\s+the|are|refers\s+to|means)\s+`)
	parenAka      = regexp.MustCompile(`\(\s*(?:or|also\s+known\s+as|also\s+called)\s+([^()]+?)\s*\)`)
	commaAka      = regexp.MustCompile(`,?\s+(?:also|sometimes)\s+(?:known\s+as|called)\s+([^,]+?)\s*(?:,|$)`)
	anyParen      = regexp.MustCompile(`\s*\([^()]*\)`)
	akaPrefix     = regexp.MustCompile(`^(?:also\s+known\s+as|also\s+called|or)\s+(\S+)$`)
	trailingParen = regexp.MustCompile(`\(([^()]+)\)\s*,?\s*$`)
	apposAbbr     = regexp.MustCompile(`^(.+?)\s*\(([^()]+)\),\s+an?\s`)
)

// function words never part of a term; stopWords may sit inside a long
// form without giving a letter ("Department of Health").
var (
	stopWords = set("a", "an", "the", "of", "and", "for", "in", "on", "to", "with", "by", "at", "from", "or", "de", "du", "la", "le", "der", "und")
	notInTerm = set("a", "an", "the", "of", "and", "or", "for", "in", "on", "to", "with", "by", "at", "from", "as", "that", "which", "who",
		"is", "are", "was", "were", "be", "been", "has", "have", "had", "can", "may", "will", "would", "should", "could", "not", "but", "if",
		"when", "because", "so", "than", "then", "also", "such", "into", "about", "like", "it", "its", "this", "these", "those", "there",
		"they", "them", "their", "he", "she", "his", "her", "him", "we", "our", "us", "you", "your", "i", "me", "my", "what", "here",
		"one", "some", "many", "most", "all", "each", "every", "any", "other", "both", "few", "more", "very", "too", "just", "only")
	notCaller  = set("was", "were", "has", "have", "had", "i", "you", "we", "they", "he", "she", "who", "just", "then", "later", "so-called")
	notCalled  = set("her", "him", "them", "you", "me", "us", "it", "back", "out", "off", "up", "for", "on", "upon", "in", "to", "again")
	notDefHead = set("most", "best", "only", "first", "same", "main", "key", "largest", "leading", "one", "second", "last", "lot", "bit", "good", "great", "little")
	notAreHead = set("not", "often", "usually", "also", "then", "sometimes", "typically", "generally", "still", "now", "being", "used", "able")
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// maxGlossarySentence bounds the sentences read, in bytes: a definition
// is a sentence a patient can read, and a run-on "sentence" (a list
// without full stops) is not one; it would also make the backward
// matching quadratic.
const maxGlossarySentence = 1200

func (b *glossaryBuilder) sentence(s string, src Source) {
	if len(s) > maxGlossarySentence {
		return
	}
	// Cheap tests first: the regexps are most of the time taken.
	if strings.Contains(s, "(") {
		b.parens(s, src)
	}
	if strings.Contains(s, " or ") {
		b.orAbbrev(s, src)
	}
	if strings.Contains(s, "stands for") {
		b.standsFor(s, src)
	}
	if strings.Contains(s, " as ") || strings.Contains(s, "called") {
		b.alsoKnownAs(s, src)
	}
	if strings.Contains(s, "called") {
		b.called(s, src)
	}
	for _, c := range clauses(s) {
		b.definition(c, src)
	}
}

// clauses are the sentence and each part of it after a colon that starts
// with a capital: "... one of two places: Autologous cell therapy means ...".
func clauses(s string) []string {
	out := []string{s}
	for i := 0; i < len(s); i++ {
		if s[i] == ':' && i+2 < len(s) && s[i+1] == ' ' {
			if r, _ := utf8.DecodeRuneInString(s[i+2:]); unicode.IsUpper(r) {
				out = append(out, s[i+2:])
			}
		}
	}
	return out
}

// clauseAt is the clause (see clauses) holding byte offset i.
func clauseAt(s string, i int) string {
	c := s
	for _, cl := range clauses(s)[1:] {
		if len(s)-len(cl) <= i {
			c = cl
		}
	}
	return c
}

// parens: "long form (ABBR)" and "ABBR (long form)".
func (b *glossaryBuilder) parens(s string, src Source) {
	for _, m := range parenRe.FindAllStringSubmatchIndex(s, -1) {
		inner := strings.TrimSpace(s[m[2]:m[3]])
		before := s[:m[0]]
		// "hematopoietic stem cells (also known as HSCs)"
		if am := akaPrefix.FindStringSubmatch(inner); am != nil {
			if _, _, ok := abbrevShape(am[1]); ok {
				inner = am[1]
			}
		}
		if abbr, plural, ok := abbrevShape(inner); ok {
			if long, ok := spellBackward(abbr, plural, before); ok {
				b.abbrevs = append(b.abbrevs, abbrevFind{abbr, long, src})
			} else {
				b.notes = append(b.notes, Note{abbr, fmt.Sprintf("%q: the words before it do not spell it", s[m[0]:m[1]]), src})
			}
			continue
		}
		// "CRS (cytokine release syndrome)": the whole parenthesis spells the word before it.
		prev := lastToken(before)
		if abbr, plural, ok := abbrevShape(prev); ok {
			ws := tokenize(inner)
			if len(ws) >= 2 && ws[0].boundary == "" && noBoundaryInside(ws) && spells(letters(abbr), ws) {
				b.abbrevs = append(b.abbrevs, abbrevFind{abbr, longForm(ws, false, plural), src})
			}
		}
	}
}

// orAbbrev: "graft-versus-host disease, or GVHD".
func (b *glossaryBuilder) orAbbrev(s string, src Source) {
	for _, m := range orAbbrRe.FindAllStringSubmatchIndex(s, -1) {
		tok := s[m[2]:m[3]]
		if m[3] < len(s) && !strings.ContainsRune(" ,.;:)!?", rune(s[m[3]])) {
			continue
		}
		if abbr, plural, ok := abbrevShape(tok); ok {
			if long, ok := spellBackward(abbr, plural, s[:m[0]]); ok {
				b.abbrevs = append(b.abbrevs, abbrevFind{abbr, long, src})
			}
		}
	}
}

// standsFor: "ATMP stands for Advanced Therapy Medicinal Products and ...".
// The sentence defines the abbreviation.
func (b *glossaryBuilder) standsFor(s string, src Source) {
	m := standsRe.FindStringSubmatchIndex(s)
	if m == nil {
		return
	}
	abbr, plural, ok := abbrevShape(s[m[2]:m[3]])
	if !ok {
		return
	}
	ws := tokenize(s[m[1]:])
	for i, w := range ws {
		if w.boundary != "" || w.paren {
			ws = ws[:i+1]
			if w.paren {
				ws = ws[:i]
			}
			break
		}
	}
	a := letters(abbr)
	for k := 1; k <= len(ws) && k <= 2*len(a)+1; k++ {
		if spells(a, ws[:k]) {
			b.abbrevs = append(b.abbrevs, abbrevFind{abbr, longForm(ws[:k], false, plural), src})
			if strings.HasPrefix(strings.TrimSpace(s), s[m[2]:m[3]]) {
				b.terms = append(b.terms, termFind{term: abbr, def: s, src: src})
			}
			return
		}
	}
}

// alsoKnownAs: "stem cells also known as HSC’s", "CAR-T therapy, also known
// as chimeric antigen receptor T-cell therapy, is ...".
func (b *glossaryBuilder) alsoKnownAs(s string, src Source) {
	m := akaRe.FindStringIndex(s)
	if m == nil {
		return
	}
	before, after := s[:m[0]], s[m[1]:]
	ws := tokenize(after)
	var alias []word
	for _, w := range ws {
		if w.paren || notInTerm[strings.ToLower(w.text)] && len(alias) > 0 {
			break
		}
		alias = append(alias, w)
		if w.boundary != "" || len(alias) > 6 {
			break
		}
	}
	if len(alias) > 0 && stopWords[strings.ToLower(alias[0].text)] {
		alias = alias[1:]
	}
	if len(alias) == 0 || len(alias) > 6 {
		return
	}
	if len(alias) == 1 {
		if abbr, plural, ok := abbrevShape(alias[0].text); ok {
			if long, ok := spellBackward(abbr, plural, before); ok {
				b.abbrevs = append(b.abbrevs, abbrevFind{abbr, long, src})
			}
			return
		}
	}
	if !nounPhrase(alias) {
		return
	}
	aliasText := joinWords(alias)
	// "A hematopoietic stem cell transplantation (HSCT), sometimes known as
	// a bone marrow transplant": another name for the abbreviation.
	if m := trailingParen.FindStringSubmatchIndex(before); m != nil {
		if abbr, plural, ok := abbrevShape(before[m[2]:m[3]]); ok {
			if _, ok := spellBackward(abbr, plural, before[:m[0]]); ok {
				b.terms = append(b.terms, termFind{term: abbr, alias: aliasText, src: src})
			}
		}
		return
	}
	// Two names for one thing: the subject of the sentence and the alias.
	subject, ok := termPhrase(before)
	if !ok {
		return
	}
	b.terms = append(b.terms, termFind{term: subject, alias: aliasText, src: src})
	// "CAR-T therapy" / "chimeric antigen receptor T-cell therapy": the
	// words they share end both; what is left may be an abbreviation and
	// its long form.
	sw := tokenize(subject)
	for len(sw) > 1 && len(alias) > 1 && strings.EqualFold(sw[len(sw)-1].text, alias[len(alias)-1].text) {
		sw, alias = sw[:len(sw)-1], alias[:len(alias)-1]
	}
	if len(sw) == 1 && len(alias) >= 2 {
		if abbr, plural, ok := abbrevShape(sw[0].text); ok && spells(letters(abbr), alias) {
			b.abbrevs = append(b.abbrevs, abbrevFind{abbr, longForm(alias, false, plural), src})
		}
	}
}

// called: "chemical messengers called cytokines", "this is called
// differentiation". The sentence is the definition.
func (b *glossaryBuilder) called(s string, src Source) {
	for _, m := range calledRe.FindAllStringSubmatchIndex(s, -1) {
		if notCaller[strings.ToLower(strings.Trim(s[m[2]:m[3]], ",;:"))] || strings.HasSuffix(strings.ToLower(s[m[2]:m[3]]), "so-called") {
			continue
		}
		var term []word
		for _, w := range tokenize(s[m[1]:]) {
			if w.paren || notInTerm[strings.ToLower(w.text)] && len(term) > 0 {
				break
			}
			term = append(term, w)
			if w.boundary != "" || len(term) > 4 {
				break
			}
		}
		if len(term) > 0 && (term[0].text == "a" || term[0].text == "an" || term[0].text == "the") {
			term = term[1:]
		}
		if len(term) == 0 || len(term) > 4 || notCalled[strings.ToLower(term[0].text)] || !nounPhrase(term) {
			continue
		}
		b.terms = append(b.terms, termFind{term: joinWords(term), def: clauseAt(s, m[0]), src: src})
	}
}

// definition: a short noun phrase opening the sentence, then "is a",
// "is an", "is the", "are ... that", "refers to" or "means"; and "Long
// form (ABBR), a ..." for the abbreviation.
func (b *glossaryBuilder) definition(s string, src Source) {
	if m := apposAbbr.FindStringSubmatch(prefix(s, 200)); m != nil {
		if abbr, plural, ok := abbrevShape(m[2]); ok {
			if long, ok := spellBackward(abbr, plural, m[1]); ok && glossaryKey(long) == glossaryKey(stripArticle(anyParen.ReplaceAllString(m[1], ""))) {
				b.terms = append(b.terms, termFind{term: abbr, def: s, src: src})
			}
		}
	}
	// The subject is at most five words and an alias: the verb is near the start.
	m := copulaRe.FindStringSubmatchIndex(prefix(s, 200))
	if m == nil {
		return
	}
	subject, verb, rest := s[m[2]:m[3]], strings.Join(strings.Fields(s[m[4]:m[5]]), " "), tokenize(s[m[1]:])
	if len(rest) == 0 {
		return
	}
	head := strings.ToLower(rest[0].text)
	switch verb {
	case "is the":
		if notDefHead[head] {
			return
		}
	case "are":
		if notAreHead[head] {
			return
		}
		rel := false
		for i, w := range rest {
			if i > 5 || w.paren {
				break
			}
			if lw := strings.ToLower(w.text); i > 0 && (lw == "that" || lw == "which" || lw == "who") {
				rel = true
				break
			}
			if w.boundary != "" {
				break
			}
		}
		if !rel {
			return
		}
	case "is a", "is an":
		if notDefHead[head] {
			return
		}
	}
	// Aliases inside the subject: "X (or Y)", "X, also known as Y," ...
	alias := ""
	if am := parenAka.FindStringSubmatch(subject); am != nil {
		alias = am[1]
		subject = strings.Replace(subject, am[0], "", 1)
	} else if am := commaAka.FindStringSubmatch(subject); am != nil {
		alias = am[1]
		subject = strings.Replace(subject, am[0], "", 1)
	}
	term, ok := termPhrase(subject)
	if !ok {
		return
	}
	alias = stripArticle(alias)
	if abbr, _, ok := abbrevShape(alias); ok {
		b.terms = append(b.terms, termFind{term: term, def: s, src: src}, termFind{term: abbr, def: s, src: src})
		return
	}
	if alias != "" && !nounPhrase(tokenize(alias)) {
		alias = ""
	}
	b.terms = append(b.terms, termFind{term: term, alias: alias, def: s, src: src})
}

// prefix is s cut to at most n bytes, on a rune boundary.
func prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// termPhrase is the subject of a sentence as a glossary term: parentheses
// and a leading article dropped, 1-5 words, none of them a function word.
func termPhrase(s string) (string, bool) {
	s = strings.TrimRight(strings.TrimSpace(anyParen.ReplaceAllString(s, "")), ",")
	s = stripArticle(s)
	ws := tokenize(s)
	if len(ws) == 0 || len(ws) > 5 || !nounPhrase(ws) {
		return "", false
	}
	return joinWords(ws), true
}

// nounPhrase: plain words (letters, digits, hyphens, apostrophes) with no
// punctuation between them, no function words, no "-ly" adverbs.
func nounPhrase(ws []word) bool {
	if len(ws) == 0 {
		return false
	}
	for i, w := range ws {
		lw := strings.ToLower(w.text)
		if w.paren || notInTerm[lw] || (w.boundary != "" && i < len(ws)-1) || w.lead != "" || !plainWord(w.text) ||
			(strings.HasSuffix(lw, "ly") && utf8.RuneCountInString(lw) > 4) {
			return false
		}
	}
	return true
}

func plainWord(s string) bool {
	for i, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || (i > 0 && strings.ContainsRune("-‐'’", r))) {
			return false
		}
	}
	return s != ""
}

func stripArticle(s string) string {
	s = strings.TrimSpace(s)
	for _, a := range []string{"a ", "an ", "the ", "A ", "An ", "The "} {
		if strings.HasPrefix(s, a) {
			return strings.TrimSpace(s[len(a):])
		}
	}
	return s
}

// abbrevShape: one token of 2-10 letters (a hyphen allowed: "CAR-T") with
// more capitals than small letters, at least two; a plural "s", "'s" or
// "’s" is taken off ("HSCs", "HSC’s").
func abbrevShape(tok string) (abbr string, plural bool, ok bool) {
	for _, suf := range []string{"’s", "'s", "s"} {
		if a := strings.TrimSuffix(tok, suf); a != tok && singularAbbrev(a) && unicode.IsUpper(lastRune(a)) {
			return a, true, true
		}
	}
	return tok, false, singularAbbrev(tok)
}

func singularAbbrev(tok string) bool {
	upper, lower, n := 0, 0, 0
	for i, r := range tok {
		switch {
		case unicode.IsUpper(r):
			upper++
		case unicode.IsLower(r):
			lower++
		case r == '-' && i > 0 && i < len(tok)-1:
			continue
		default:
			return false
		}
		n++
	}
	return n >= 2 && n <= 10 && upper >= 2 && upper > lower
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// letters are an abbreviation's letters, lower case: "CAR-T" -> "cart".
func letters(abbr string) []rune {
	var out []rune
	for _, r := range abbr {
		if unicode.IsLetter(r) {
			out = append(out, unicode.ToLower(r))
		}
	}
	return out
}

// word is one token of a sentence.
type word struct {
	text     string // without surrounding punctuation
	lead     string // punctuation before it (an opening quote)
	boundary string // punctuation after it that ends a phrase: , ; : . ! ?
	paren    bool   // the token opens or closes a parenthesis
	start    bool   // first word of the sentence, or first after a colon
}

var tokenTrim = `"'“”‘’«»[]`

func tokenize(s string) []word {
	var out []word
	afterColon := true
	for _, f := range strings.Fields(s) {
		w := word{start: afterColon}
		afterColon = false
		if strings.ContainsAny(f, "()") {
			w.paren = true
		}
		core := strings.TrimLeft(f, tokenTrim+"(")
		w.lead = strings.Trim(f[:len(f)-len(core)], "(")
		trimmed := strings.TrimRight(core, tokenTrim+")")
		for len(trimmed) > 0 && strings.ContainsRune(",;:.!?", lastRune(trimmed)) {
			r := lastRune(trimmed)
			w.boundary = string(r) + w.boundary
			trimmed = trimmed[:len(trimmed)-utf8.RuneLen(r)]
			if r == ':' {
				afterColon = true
			}
		}
		// "type(s)": a parenthesis glued to a word.
		w.text = strings.TrimRight(trimmed, tokenTrim+")")
		if w.text == "" {
			continue
		}
		out = append(out, w)
	}
	return out
}

func lastToken(s string) string {
	ws := tokenize(s)
	if len(ws) == 0 || ws[len(ws)-1].boundary != "" || ws[len(ws)-1].paren {
		return ""
	}
	return ws[len(ws)-1].text
}

func noBoundaryInside(ws []word) bool {
	for i, w := range ws {
		if w.paren || (w.boundary != "" && i < len(ws)-1) || !plainWord(w.text) {
			return false
		}
	}
	return true
}

// spellBackward finds the long form of abbr in the words just before it:
// the fewest words, back to the last phrase boundary, that spell it (see
// spells). Parentheses before it are skipped ("Hematopoietic (blood
// forming) stem cells also known as HSC’s").
func spellBackward(abbr string, plural bool, before string) (string, bool) {
	ws := tokenize(anyParen.ReplaceAllString(before, ""))
	// Back to the last comma, colon etc.: a long form does not cross one.
	cut := 0
	for i := len(ws) - 1; i >= 0; i-- {
		if ws[i].boundary != "" || ws[i].paren || !plainWord(ws[i].text) {
			if i == len(ws)-1 && ws[i].boundary == "," && !ws[i].paren && plainWord(ws[i].text) {
				continue // "disease, or GVHD": the comma ends the long form
			}
			cut = i + 1
			break
		}
	}
	ws = ws[cut:]
	a := letters(abbr)
	for k := 1; k <= len(ws) && k <= 2*len(a)+1; k++ {
		span := ws[len(ws)-k:]
		if stopWords[strings.ToLower(span[0].text)] {
			continue
		}
		if spells(a, span) {
			return longForm(span, span[0].start, plural), true
		}
	}
	return "", false
}

// spells reports whether the words spell the letters: every word that is
// not a stop word gives its first letter, in order; further letters may
// come from the start of a later hyphenated part ("graft-versus-host"),
// from a stop word's first letter, or from inside a word or part whose
// first letter was used ("metachromatic leukodystrophy (MLD)"). At least
// two letters must be first letters.
func spells(a []rune, ws []word) bool {
	type slot struct {
		r        rune
		initial  bool
		required bool
	}
	var slots []slot
	for wi, w := range ws {
		stop := stopWords[strings.ToLower(w.text)]
		if wi == 0 && stop {
			return false
		}
		parts := strings.FieldsFunc(w.text, func(r rune) bool { return r == '-' || r == '‐' })
		for pi, p := range parts {
			first := true
			for _, r := range strings.ToLower(p) {
				if !unicode.IsLetter(r) {
					continue
				}
				slots = append(slots, slot{r: r, initial: first, required: first && pi == 0 && !stop})
				first = false
			}
			if first && pi == 0 && !stop {
				return false // a word with no letters: "2019"
			}
		}
	}
	if len(slots) > 200 || len(a) == 0 {
		return false
	}
	// memo[i][s][partUsed][initials used, capped at 2]: 0 unknown, 1 no, 2 yes.
	memo := make([][2][3]int8, (len(a)+1)*(len(slots)+1))
	var rec func(i, s int, partUsed bool, initials int) bool
	rec = func(i, s int, partUsed bool, initials int) bool {
		if initials > 2 {
			initials = 2
		}
		if s == len(slots) {
			return i == len(a) && initials >= 2
		}
		pu := 0
		if partUsed {
			pu = 1
		}
		m := &memo[i*(len(slots)+1)+s][pu][initials]
		if *m != 0 {
			return *m == 2
		}
		sl := slots[s]
		var ok bool
		can := i < len(a) && a[i] == sl.r
		switch {
		case sl.required:
			ok = can && rec(i+1, s+1, true, initials+1)
		case sl.initial:
			ok = (can && rec(i+1, s+1, true, initials+1)) || rec(i, s+1, false, initials)
		default:
			ok = (partUsed && can && rec(i+1, s+1, true, initials)) || rec(i, s+1, partUsed, initials)
		}
		*m = 1
		if ok {
			*m = 2
		}
		return ok
	}
	return rec(0, 0, false, 0)
}

// longForm writes the words back as a phrase. A capital that is only there
// because the phrase opens the sentence is lowered ("Graft-versus-host
// disease" -> "graft-versus-host disease"), but not a name ("Epstein-Barr
// virus") or a title-case phrase ("Advanced Therapy Medicinal Products").
// For a plural abbreviation the last word is made singular ("HSCs":
// "hematopoietic stem cells" -> "hematopoietic stem cell").
func longForm(ws []word, atStart, plural bool) string {
	texts := make([]string, len(ws))
	for i, w := range ws {
		texts[i] = w.text
	}
	if atStart {
		rest := true
		for _, t := range texts[1:] {
			if strings.ToLower(t) != t {
				rest = false
			}
		}
		first := []rune(texts[0])
		if rest && unicode.IsUpper(first[0]) && strings.ToLower(string(first[1:])) == string(first[1:]) {
			first[0] = unicode.ToLower(first[0])
			texts[0] = string(first)
		}
	}
	if plural {
		last := texts[len(texts)-1]
		switch {
		case strings.HasSuffix(last, "ies"):
			texts[len(texts)-1] = strings.TrimSuffix(last, "ies") + "y"
		case strings.HasSuffix(last, "s") && !strings.HasSuffix(last, "ss") && !strings.HasSuffix(last, "us") && !strings.HasSuffix(last, "is"):
			texts[len(texts)-1] = strings.TrimSuffix(last, "s")
		}
	}
	return strings.Join(texts, " ")
}

func joinWords(ws []word) string {
	texts := make([]string, len(ws))
	for i, w := range ws {
		texts[i] = w.text
	}
	return strings.Join(texts, " ")
}

// build settles each abbreviation on one long form, then adds the defined
// terms, keeping the first definition found in corpus order.
func (b *glossaryBuilder) build() *Glossary {
	g := &Glossary{byKey: map[string]int{}, notes: b.notes}
	type variant struct {
		long  string
		src   Source
		count int
	}
	var order []string
	byAbbr := map[string][]*variant{}
	for _, f := range b.abbrevs {
		vs, seen := byAbbr[f.abbr]
		if !seen {
			order = append(order, f.abbr)
		}
		found := false
		for _, v := range vs {
			if glossaryKey(v.long) == glossaryKey(f.long) {
				v.count++
				found = true
			}
		}
		if !found {
			byAbbr[f.abbr] = append(vs, &variant{f.long, f.src, 1})
		}
	}
	var entries []Entry
	for _, abbr := range order {
		vs := byAbbr[abbr]
		sort.SliceStable(vs, func(i, j int) bool { return vs[i].count > vs[j].count })
		if len(vs) > 1 && vs[0].count == vs[1].count {
			var forms []string
			for _, v := range vs {
				forms = append(forms, fmt.Sprintf("%q ×%d (%s)", v.long, v.count, v.src.ChunkID))
			}
			g.notes = append(g.notes, Note{abbr, "dropped: spelled out in different ways, none more often: " + strings.Join(forms, ", "), vs[0].src})
			continue
		}
		if len(vs) > 1 {
			for _, v := range vs[1:] {
				g.notes = append(g.notes, Note{abbr, fmt.Sprintf("kept %q (×%d) over %q (×%d)", vs[0].long, vs[0].count, v.long, v.count), v.src})
			}
		}
		entries = append(entries, Entry{Term: abbr, LongForm: vs[0].long, Source: vs[0].src})
	}
	index := map[string]int{}
	for i, e := range entries {
		index[glossaryKey(e.Term)] = i
	}
	for _, t := range b.terms {
		key := glossaryKey(t.term)
		i, ok := index[key]
		if !ok {
			entries = append(entries, Entry{Term: t.term, Source: t.src})
			i = len(entries) - 1
			index[key] = i
		}
		e := &entries[i]
		if e.Alias == "" && t.alias != "" && glossaryKey(t.alias) != key {
			e.Alias = t.alias
		}
		if e.Definition == "" && t.def != "" {
			e.Definition, e.DefinitionSource = t.def, t.src
		}
	}
	sort.SliceStable(entries, func(i, j int) bool {
		ki, kj := strings.ToLower(entries[i].Term), strings.ToLower(entries[j].Term)
		if ki != kj {
			return ki < kj
		}
		return entries[i].Term < entries[j].Term
	})
	g.entries = entries
	for i, e := range entries {
		if _, dup := g.byKey[glossaryKey(e.Term)]; !dup {
			g.byKey[glossaryKey(e.Term)] = i
		}
	}
	return g
}
