package words

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"sort"
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

// wordnet is the decompressed file, kept as one string with the offset of
// each word's line: a map of the 67,000 words and their synonym lists
// would hold some 30 MB in the server for a few lookups a question.
var wordnet struct {
	once  sync.Once
	text  string
	lines []int32 // offsets of the entry lines, in the file's (sorted) order
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
	c, _ := wordnetEntry(word)
	return len(c) == 2 && c[1] == 'W' && c[0] != 'a'
}

// Synonyms returns the other words of a word's commonest sense, by WordNet
// ("mend": repair, fix, restore; "radiotherapy": radiation): a passage
// that uses one of them may say what a question asks in other words. Its
// rarer senses are left out, as they bring in other topics.
func Synonyms(word string) []string {
	_, syn := wordnetEntry(word)
	if syn == "" {
		return nil
	}
	return strings.Fields(syn)
}

// wordnetEntry returns a word's class (part of speech and T or W) and its
// synonyms as written, space-separated; "" when WordNet does not know it.
func wordnetEntry(word string) (class, synonyms string) {
	wordnet.once.Do(loadWordnet)
	lines := wordnet.lines
	i := sort.Search(len(lines), func(i int) bool { return wordnetWord(lines[i]) >= word })
	if i == len(lines) || wordnetWord(lines[i]) != word {
		return "", ""
	}
	line := wordnetLine(lines[i])
	_, rest, _ := strings.Cut(line, " ")
	class, synonyms, _ = strings.Cut(rest, " ")
	return class, synonyms
}

func wordnetLine(off int32) string {
	line := wordnet.text[off:]
	if j := strings.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	return line
}

func wordnetWord(off int32) string {
	w, _, _ := strings.Cut(wordnetLine(off), " ")
	return w
}

func loadWordnet() {
	zr, err := gzip.NewReader(bytes.NewReader(wordnetGz))
	if err != nil {
		panic("words: wordnet.txt.gz: " + err.Error())
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		panic("words: wordnet.txt.gz: " + err.Error())
	}
	wordnet.text = string(data)
	for off := 0; off < len(wordnet.text); {
		end := strings.IndexByte(wordnet.text[off:], '\n')
		if end < 0 {
			end = len(wordnet.text) - off
		}
		if line := wordnet.text[off : off+end]; line != "" && !strings.HasPrefix(line, "#") {
			wordnet.lines = append(wordnet.lines, int32(off))
		}
		off += end + 1
	}
	if !sort.SliceIsSorted(wordnet.lines, func(i, j int) bool {
		return wordnetWord(wordnet.lines[i]) < wordnetWord(wordnet.lines[j])
	}) {
		panic("words: wordnet.txt.gz: not sorted by word")
	}
}

// Preload reads the embedded word lists now rather than on first use, so
// the first question answered does not wait for them.
func Preload() {
	englishWords.once.Do(loadEnglish)
	wordnet.once.Do(loadWordnet)
}
