package chat

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"golang.org/x/text/unicode/norm"
)

// normalize prepares text for the triage rules: NFKC, lower case, straight
// quotes, dashes as hyphens, runs of white space as one space.
func normalize(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := true // drop leading space
	for _, r := range s {
		switch r {
		case '\u2018', '\u2019', '\u201B', '\u2032', '`':
			r = '\''
		case '\u201C', '\u201D', '\u201F', '\u2033':
			r = '"'
		case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212':
			r = '-'
		}
		if unicode.IsSpace(r) {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	// Lower case can compose where upper case did not ("Y̊" has no
	// precomposed form, "ẙ" has): normalise again, so the result is a
	// fixed point (found by FuzzNormalize).
	return norm.NFKC.String(strings.TrimRight(b.String(), " "))
}

// stopWords are words that say nothing about what a question is about.
// Question and request words are included: "tell me about X" is about X, and
// so are closed-class words ("whose", "instead", "since") that no topic hangs on.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all also am an and any are aren't as at be
		because been before being below between both but by can can't cannot could couldn't did didn't do does
		doesn't doing don't down during each either few for from further get gets getting got had hasn't has have
		haven't having he he'd he'll he's her here here's hers herself him himself his how how's however i i'd
		i'll i'm i've if in into is isn't it it's its itself just let's like me more most much must my myself no
		nor not now of off on once only or other ought our ours ourselves out over own please same shall she
		she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves then
		there there's these they they'd they'll they're they've this those through to too under until up upon
		us very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's whether
		which while who who's whom why why's will with won't would wouldn't you you'd you'll you're you've your
		yours yourself yourselves
		tell explain know want wanted wonder wondering mean means meant describe define definition give info
		information thing things kind kinds type types way ways really actually exactly anything something
		someone anyone else hi hello hey thanks thank ok okay yes dear bot question questions answer please
		say says said choose choosing chose decide deciding pick option options best better right go
		including include includes included especially specifically particular certain various
		example examples see seen potential potentially significant significantly important note one two many
		well new make makes made may might also however therefore thus often whether
		whose instead rather since via per without within whatever whenever wherever whichever whoever
		anyway anyhow somehow onto toward towards among across along around beyond behind besides though
		although unless yet even still already always sometimes perhaps maybe quite enough almost simply
		basically kindly anymore ever`) {
		m[w] = true
	}
	// Words that carry meaning here, as the searcher keeps them: "my own
	// cells" is how patients say autologous, "other" and "after" tell
	// donor cells and timing apart. ("not" and "no" stay stop words: they
	// turn a sentence round but name no topic a source must cover.)
	for _, w := range []string{"own", "other", "after", "before", "against"} {
		delete(m, w)
	}
	return m
}()

// token is a word of a text with its stem and where it stands.
type token struct {
	word  string // lower-cased surface form
	stem  string
	start int // byte offsets in the original text
	end   int
}

// tokenize splits text into lower-cased words and stems them. "CAR-T",
// "CAR T" and "CART" are one word, "cart", because the corpus spells the
// therapy all three ways; other one-letter words are dropped.
func tokenize(text string) []token {
	var toks []token
	i := 0
	for i < len(text) {
		r, w := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			i += w
			continue
		}
		j := i
		for j < len(text) {
			r2, w2 := utf8.DecodeRuneInString(text[j:])
			if isWordRune(r2) || (r2 == '\'' && j+w2 < len(text) && isLetter(text[j+w2])) {
				j += w2
				continue
			}
			break
		}
		orig := text[i:j]
		word := strings.ToLower(orig)
		word = strings.TrimSuffix(word, "'s")
		if isAcronymPlural(orig) {
			word = word[:len(word)-1] // "HSCs" is "HSC", as in "HSC’s"
		}
		if word == "t" && len(toks) > 0 && toks[len(toks)-1].word == "car" && toks[len(toks)-1].end >= i-1 {
			last := &toks[len(toks)-1]
			last.word, last.stem, last.end = "cart", "cart", j
			i = j
			continue
		}
		if utf8.RuneCountInString(word) > 1 || unicode.IsDigit(r) {
			toks = append(toks, token{word: word, stem: stem(word), start: i, end: j})
		}
		i = j
	}
	return toks
}

// isAcronymPlural says whether a word is an acronym with a plural s: two or
// more capitals and a final lower-case s ("HSCs", "CARs").
func isAcronymPlural(w string) bool {
	if len(w) < 3 || w[len(w)-1] != 's' {
		return false
	}
	for i := 0; i < len(w)-1; i++ {
		if w[i] < 'A' || w[i] > 'Z' {
			return false
		}
	}
	return true
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
func isLetter(b byte) bool   { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

func stem(word string) string {
	if strings.ContainsAny(word, "0123456789") || len(word) < 4 {
		return word
	}
	if s, ok := stemExceptions[word]; ok {
		return s
	}
	if s, ok := stems.Load(word); ok {
		return s.(string)
	}
	s := english.Stem(word, false)
	if stemCount.Add(1) < maxCachedStems {
		stems.Store(word, s)
	}
	return s
}

// Stemming is the costliest step of scoring; the words of the corpus and of
// questions repeat, so stems are remembered (up to a bound, against a flood
// of made-up words).
var (
	stems     sync.Map
	stemCount atomic.Int64
)

const maxCachedStems = 200_000

// stemExceptions keep apart words the stemmer joins although they mean
// different things here: "conditioning" (the treatment before a transplant)
// is not "conditions" (illnesses).
var stemExceptions = map[string]string{
	"conditioning": "conditioning",
}

// contentStems returns the stems of the words of text that are not stop
// words, each once, in order of first appearance.
func contentStems(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range tokenize(text) {
		if stopWords[t.word] || seen[t.stem] {
			continue
		}
		seen[t.stem] = true
		out = append(out, t.stem)
	}
	return out
}

// span is a sentence's byte range in its passage.
type span struct{ start, end int }

// abbreviations end with a full stop that does not end a sentence.
var abbreviations = map[string]bool{
	"e.g": true, "i.e": true, "etc": true, "vs": true, "dr": true, "mr": true, "mrs": true, "ms": true,
	"prof": true, "st": true, "no": true, "fig": true, "approx": true, "ca": true, "cf": true, "al": true,
	"u.s": true, "u.k": true, "jr": true, "sr": true, "inc": true, "ltd": true, "co": true, "dept": true,
}

// splitSentences cuts a passage into sentences and returns their byte
// ranges, so that every sentence is a verbatim substring of the passage.
// A sentence ends at ., ! or ? followed by white space and a capital, digit,
// quote or bullet (or the end of the text), never inside parentheses or
// after a known abbreviation, a single initial or a decimal point; a line
// break always ends one. Leading bullets and white space are not part of a
// sentence.
func splitSentences(text string) []span {
	var out []span
	add := func(s, e int) {
		for s < e {
			r, w := utf8.DecodeRuneInString(text[s:])
			if unicode.IsSpace(r) || strings.ContainsRune("•·-–—*▪◦‣", r) {
				s += w
				continue
			}
			break
		}
		for e > s {
			r, w := utf8.DecodeLastRuneInString(text[s:e])
			if unicode.IsSpace(r) {
				e -= w
				continue
			}
			break
		}
		if e > s {
			out = append(out, span{s, e})
		}
	}
	start, depth := 0, 0
	for i := 0; i < len(text); {
		r, w := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == '\n':
			add(start, i)
			start, depth = i+w, 0
		case r == '(' || r == '[':
			depth++
		case r == ')' || r == ']':
			if depth > 0 {
				depth--
			}
		case r == ':' && depth == 0 && colonEndsClause(text, i+w):
			// "Here's how it works: Collection: First, ..." reads as a
			// list; each part stands alone.
			add(start, i+w)
			start = i + w
		case (r == '.' || r == '!' || r == '?') && depth == 0:
			end := i + w
			for end < len(text) && strings.ContainsRune(`"')’”.`, rune(text[end])) {
				end++
			}
			if end < len(text) && text[end] >= 0x80 { // closing curly quote
				r2, w2 := utf8.DecodeRuneInString(text[end:])
				if r2 == '’' || r2 == '”' {
					end += w2
				}
			}
			if sentenceEndsAt(text, i, end, r) {
				add(start, end)
				start = end
				i = end
				continue
			}
		}
		i += w
	}
	add(start, len(text))
	return out
}

// colonEndsClause says whether a colon is followed by white space and a
// capital letter, which starts a new sentence or list item.
func colonEndsClause(text string, after int) bool {
	if after >= len(text) || text[after] != ' ' {
		return false
	}
	next, _ := utf8.DecodeRuneInString(text[after+1:])
	return unicode.IsUpper(next)
}

func sentenceEndsAt(text string, dot, after int, mark rune) bool {
	if after >= len(text) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(text[after:])
	if !unicode.IsSpace(r) {
		return false
	}
	j := after
	for j < len(text) {
		r, w := utf8.DecodeRuneInString(text[j:])
		if !unicode.IsSpace(r) {
			break
		}
		if r == '\n' {
			return true
		}
		j += w
	}
	if j >= len(text) {
		return true
	}
	next, _ := utf8.DecodeRuneInString(text[j:])
	if !(unicode.IsUpper(next) || unicode.IsDigit(next) || strings.ContainsRune(`"'“‘(•-`, next)) {
		return false
	}
	if mark != '.' {
		return true
	}
	// The word before the full stop: an abbreviation or an initial does not
	// end a sentence.
	k := dot
	for k > 0 {
		r, w := utf8.DecodeLastRuneInString(text[:k])
		if unicode.IsLetter(r) || r == '.' {
			k -= w
			continue
		}
		break
	}
	prev := strings.ToLower(text[k:dot])
	if abbreviations[prev] {
		return false
	}
	if utf8.RuneCountInString(prev) == 1 && unicode.IsUpper([]rune(text[k:dot])[0]) {
		return false // an initial, as in "J. Smith"
	}
	return true
}
