package words

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"sync"
)

// englishGz is the SCOWL word lists of Debian's wamerican and wbritish
// packages, merged: lower case, letters only, no possessives (see
// english.README for their copyright and how the file was made).
//
//go:embed english.txt.gz
var englishGz []byte

var englishWords struct {
	once  sync.Once
	words map[string]bool
}

// IsEnglish reports whether word (lower case) is an English word, American
// or British spelling. A spelling corrector leaves such words alone: "liver"
// and "saying" are not misspellings of the corpus's "live" and "saving".
func IsEnglish(word string) bool {
	englishWords.once.Do(loadEnglish)
	return englishWords.words[word]
}

func loadEnglish() {
	englishWords.words = map[string]bool{}
	zr, err := gzip.NewReader(bytes.NewReader(englishGz))
	if err != nil {
		panic("words: english.txt.gz: " + err.Error())
	}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		englishWords.words[sc.Text()] = true
	}
	if err := sc.Err(); err != nil {
		panic("words: english.txt.gz: " + err.Error())
	}
}
