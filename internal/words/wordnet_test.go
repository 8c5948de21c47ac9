package words

import (
	"slices"
	"strings"
	"testing"
)

func TestNamesAction(t *testing.T) {
	for _, w := range []string{"prefer", "organise", "organize", "fuss", "fully", "speak", "mend", "offered"} {
		if !NamesAction(w) {
			t.Errorf("NamesAction(%q) = false, want true: its usual sense is an action or a quality", w)
		}
	}
	for _, w := range []string{
		"hair", "dentist", "diabetes", "bus", "mask", "shops", // things, nouns first on a tie
		"hurt", "smoke", "breastfeed", // of the body
		"cold", "pregnant", "supposed", // adjectives: a quality can be what is asked
		"stranger",                     // the noun, not "strange" compared
		"paracetamol", "tabelecleucel", // unknown to WordNet: a name is a topic
	} {
		if NamesAction(w) {
			t.Errorf("NamesAction(%q) = true, want false: it names what a question can be about", w)
		}
	}
}

func TestWordnetFileParses(t *testing.T) {
	wordnet.once.Do(loadWordnet)
	if n := len(wordnet.lines); n < 50_000 {
		t.Fatalf("wordnet.txt.gz holds %d words, want the tens of thousands WordNet knows", n)
	}
	for _, off := range wordnet.lines {
		w := wordnetWord(off)
		c, _ := wordnetEntry(w)
		if len(c) != 2 || !strings.ContainsRune("nvar", rune(c[0])) || !strings.ContainsRune("TW", rune(c[1])) {
			t.Fatalf("%q has class %q, want a part of speech (n v a r) and T or W", w, c)
		}
	}
}

func TestSynonyms(t *testing.T) {
	for word, want := range map[string]string{"mend": "repair", "radiotherapy": "radiation", "behaviour": "behavior"} {
		if got := Synonyms(word); !slices.Contains(got, want) {
			t.Errorf("Synonyms(%q) = %q, want it to hold %q", word, got, want)
		}
	}
	// Only the commonest sense: "park" the verb ("position") is not a
	// park.
	if got := Synonyms("park"); slices.Contains(got, "position") {
		t.Errorf("Synonyms(park) = %q: a rarer sense's words", got)
	}
	if got := Synonyms("tabelecleucel"); got != nil {
		t.Errorf("Synonyms of a word WordNet does not know = %q", got)
	}
}
