package words

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kljensen/snowball/english"
	"gopkg.in/yaml.v3"
)

// Stem returns the stem of a word as Tokens gives it (lower case): the
// English Snowball stem, except that irregular forms are first mapped to
// their base word ("grown" -> "grow", wordforms.yaml), a few words are
// kept apart that Snowball would merge ("conditioning" is not
// "condition"), and words with a digit are left as they are ("cd19",
// "2nd"). Stems are cached, up to a bound.
func Stem(word string) string {
	if s, ok := stems.Load(word); ok {
		return s.(string)
	}
	s := stemUncached(word)
	if stemCount.Load() < maxCachedStems {
		stemCount.Add(1)
		stems.Store(word, s)
	}
	return s
}

func stemUncached(word string) string {
	base := word
	if b, ok := wordForms[word]; ok {
		base = b
	}
	if s, ok := stemExceptions[base]; ok {
		return s
	}
	if strings.ContainsAny(base, "0123456789") {
		return base
	}
	if s := english.Stem(base, false); s != "" {
		if f, ok := formStems[s]; ok {
			return f // "donates" is stemmed as its family's "donation" is
		}
		return s
	}
	return word
}

// formStems carries wordForms over to the other inflections of a listed
// form: the Snowball stem of each form ("donation" -> "donat", shared by
// "donates", "donated") maps to the stem of its base ("donor").
var formStems = func() map[string]string {
	m := map[string]string{}
	for form, base := range wordForms {
		fs, bs := english.Stem(form, false), english.Stem(base, false)
		if _, exception := stemExceptions[form]; exception || fs == bs || fs == "" {
			continue
		}
		if _, isWord := wordForms[fs]; isWord {
			continue
		}
		m[fs] = bs
	}
	return m
}()

// Stemming is the costliest step of analysing text; the words of the corpus
// and of questions repeat, so stems are remembered, up to a bound so that a
// flood of made-up words cannot grow the cache without end.
var (
	stems     sync.Map // word -> stem
	stemCount atomic.Int64
)

const maxCachedStems = 200_000

// stemExceptions keep apart words the stemmer would merge although they mean
// different things here: "conditioning" (the treatment before a transplant
// or CAR-T infusion) is not a "condition" (an illness).
var stemExceptions = map[string]string{
	"conditioning": "conditioning",
	"conditioned":  "conditioning",
	// A "medication" (a drug a patient takes) is not "medical".
	"medication":  "medication",
	"medications": "medication",
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
		panic(fmt.Sprintf("words/wordforms.yaml: %v", err))
	}
	return f.Forms
}
