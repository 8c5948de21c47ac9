package words

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"strings"
	"sync"
)

// wordnetGz says, for each word of english.txt.gz that WordNet 3.0 knows,
// its usual part of speech, whether it usually names a thing and the
// other words of its commonest sense (see wordnet.README for WordNet's
// copyright and how the file was made).
//
//go:embed wordnet.txt.gz
var wordnetGz []byte

var wordnetClasses struct {
	once     sync.Once
	classes  map[string]string
	synonyms map[string][]string
}

// NamesAction reports whether a word (lower case) usually says what is
// done or how, rather than naming what is talked about: by WordNet, its
// usual part of speech is a verb, not one of the body ("hurt", "smoke"),
// or an adverb. "Prefer", "organise", "fuss" and "fully" name actions or
// manners; "hair", "dentist", "diabetes" and "hurt" do not, nor does a
// word WordNet does not know (a drug's name, a place). Adjectives are left
// out: a quality is often what is asked ("kept cold", "safe"). A question
// that uses such a word is seldom about it: when the sources never use it,
// that says little about whether they answer the question.
func NamesAction(word string) bool {
	wordnetClasses.once.Do(loadWordnet)
	c := wordnetClasses.classes[word]
	return len(c) == 2 && c[1] == 'W' && c[0] != 'a'
}

// Synonyms returns the other words of a word's commonest sense, by WordNet
// ("mend": repair, fix, restore; "radiotherapy": radiation): a passage
// that uses one of them may say what a question asks in other words. Its
// rarer senses are left out, as they bring in other topics.
func Synonyms(word string) []string {
	wordnetClasses.once.Do(loadWordnet)
	return wordnetClasses.synonyms[word]
}

func loadWordnet() {
	wordnetClasses.classes = map[string]string{}
	wordnetClasses.synonyms = map[string][]string{}
	zr, err := gzip.NewReader(bytes.NewReader(wordnetGz))
	if err != nil {
		panic("words: wordnet.txt.gz: " + err.Error())
	}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		wordnetClasses.classes[f[0]] = f[1]
		if len(f) > 2 {
			wordnetClasses.synonyms[f[0]] = f[2:]
		}
	}
	if err := sc.Err(); err != nil {
		panic("words: wordnet.txt.gz: " + err.Error())
	}
}

// Preload reads the embedded word lists now rather than on first use, so
// the first question answered does not wait for them.
func Preload() {
	englishWords.once.Do(loadEnglish)
	wordnetClasses.once.Do(loadWordnet)
}
