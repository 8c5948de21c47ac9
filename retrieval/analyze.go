package retrieval

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/kljensen/snowball/english"
	"golang.org/x/text/unicode/norm"
	"gopkg.in/yaml.v3"
)

// token is one word of analysed text.
type token struct {
	word string // normalised surface form (lower case, no punctuation)
	stem string // English Snowball stem of word
	stop bool   // a stop word: kept for phrase matching, ignored for scoring
}

// keptWords are Snowball stop words that carry meaning in this domain
// ("my own cells" is how patients say autologous).
var keptWords = map[string]bool{"own": true, "other": true, "after": true, "before": true, "against": true, "not": true, "no": true}

// extraStopWords are question furniture that says nothing about the topic.
var extraStopWords = map[string]bool{
	"can": true, "could": true, "would": true, "should": true, "will": true, "may": true, "might": true,
	"tell": true, "explain": true, "mean": true, "means": true, "please": true, "know": true,
	"get": true, "also": true, "like": true, "much": true, "many": true, "thing": true, "things": true,
	"s": true, "t": true,
}

func isStopWord(w string) bool {
	if keptWords[w] {
		return false
	}
	return english.IsStopWord(w) || extraStopWords[w]
}

// joinedTerms are multi-word spellings folded into one token, so that "CAR T",
// "CAR-T" and "CART" all match (typing variants patients use).
var joinedTerms = map[[2]string]string{
	{"car", "t"}:    "cart",
	{"car", "ts"}:   "cart",
	{"t", "cell"}:   "tcell",
	{"t", "cells"}:  "tcell",
	{"b", "cell"}:   "bcell",
	{"b", "cells"}:  "bcell",
	{"nk", "cell"}:  "nkcell",
	{"nk", "cells"}: "nkcell",
	{"ex", "vivo"}:  "exvivo",
}

var stemCache sync.Map // word -> stem

// stemExceptions keep apart words the Snowball stemmer would merge although
// they mean different things here: "conditioning" (the pre-treatment) is not
// a "condition" (an illness).
var stemExceptions = map[string]string{
	"conditioning": "conditioning",
	"conditioned":  "conditioning",
}

//go:embed wordforms.yaml
var wordFormsYAML []byte

// wordForms maps irregular and derived forms the Snowball stemmer leaves
// apart ("grown", "storage") to their base word ("grow", "store"), which is
// stemmed instead. Data, kept in wordforms.yaml.
var wordForms = mustParseWordForms(wordFormsYAML)

func mustParseWordForms(data []byte) map[string]string {
	var f struct {
		Forms map[string]string `yaml:"forms"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		panic(fmt.Sprintf("retrieval/wordforms.yaml: %v", err))
	}
	return f.Forms
}

func stem(w string) string {
	if c, ok := stemCache.Load(w); ok {
		return c.(string)
	}
	base := w
	if b, ok := wordForms[w]; ok {
		base = b
	}
	s, ok := stemExceptions[base]
	if !ok {
		s = english.Stem(base, false)
	}
	if s == "" {
		s = w
	}
	stemCache.Store(w, s)
	return s
}

// normalize folds text to the form every comparison uses: Unicode NFKC,
// lower case, curly quotes made straight.
func normalize(s string) string {
	s = norm.NFKC.String(s)
	s = straightQuotes.Replace(s)
	return strings.ToLower(s)
}

// straightQuotes is built once: building a Replacer costs more than using it.
var straightQuotes = strings.NewReplacer("\u2019", "'", "\u2018", "'", "\u201c", `"`, "\u201d", `"`, "\u2013", "-", "\u2014", "-")

// words splits normalised text into words: runs of letters and digits.
// An apostrophe ends a word and drops its suffix ("patient's" -> "patient").
func words(s string) []string {
	var out []string
	start := -1
	suffix := false // inside the suffix after an apostrophe
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			if start < 0 && !suffix {
				start = i
			}
			continue
		}
		suffix = false
		if start >= 0 {
			out = append(out, s[start:i])
			start = -1
			suffix = r == '\''
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// analyze turns text into tokens: normalised, split, joined variants folded,
// stemmed, stop words marked.
func analyze(text string) []token {
	ws := words(normalize(text))
	toks := make([]token, 0, len(ws))
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		if i+1 < len(ws) {
			if j, ok := joinedTerms[[2]string{w, ws[i+1]}]; ok {
				w = j
				i++
			}
		}
		switch w {
		case "cars": // "CAR-Ts", plural of the therapy, not vehicles
			w = "cart"
		case "carts":
			w = "cart"
		}
		toks = append(toks, token{word: w, stem: stem(w), stop: isStopWord(w)})
	}
	return toks
}

// terms are the stems of the content words of text, in order.
func terms(text string) []string {
	toks := analyze(text)
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		if !t.stop {
			out = append(out, t.stem)
		}
	}
	return out
}
