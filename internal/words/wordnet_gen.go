//go:build ignore

// wordnet_gen writes wordnet.txt: for each word of english.txt.gz that
// WordNet 3.0 knows, what it usually names (see wordnet.go). Run it where
// Debian's wordnet-base package is installed:
//
//	go run wordnet_gen.go /usr/share/wordnet | gzip -9n > wordnet.txt.gz
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// lexnames are WordNet's lexicographer files, numbered as in its data files.
var lexnames = strings.Fields(`adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact
	noun.attribute noun.body noun.cognition noun.communication noun.event noun.feeling noun.food noun.group
	noun.location noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession
	noun.process noun.quantity noun.relation noun.shape noun.state noun.substance noun.time verb.body
	verb.change verb.cognition verb.communication verb.competition verb.consumption verb.contact
	verb.creation verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative
	verb.weather adj.ppl`)

// Verbs of the body and of eating and drinking ("hurt", "smoke",
// "breastfeed") are what a question is about, as things are.
var thingVerbs = map[string]bool{"verb.body": true, "verb.consumption": true}

var parts = []string{"noun", "verb", "adj", "adv"}

// Morphy's detachment rules: how an inflected form reaches its lemma.
var detach = map[string][][2]string{
	"noun": {{"s", ""}, {"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"}, {"shes", "sh"}, {"men", "man"}, {"ies", "y"}},
	"verb": {{"s", ""}, {"ies", "y"}, {"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""}, {"ing", "e"}, {"ing", ""}},
	"adj":  {{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}},
}

type synset struct {
	lex     string
	members []string // its one-word lemmas, lower case
}

type entry struct {
	senses, tagged int
	offsets        []string
}

type wordnet struct {
	synsets    map[string]synset // "noun 01234567"
	index      map[string]map[string]entry
	exceptions map[string]string // "verb ran" -> "run"
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run wordnet_gen.go WORDNET_DIR > wordnet.txt")
		os.Exit(2)
	}
	wn, err := load(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	english, err := englishWords()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintln(w, "# word, its usual part of speech (n v a r) and T (names a thing) or W (wording), then the other words of its commonest sense; see wordnet.README")
	for _, word := range english {
		if c, syn := wn.class(word); c != "" {
			fmt.Fprintln(w, strings.Join(append([]string{word, c}, syn...), " "))
		}
	}
}

func englishWords() ([]string, error) {
	data, err := os.ReadFile("english.txt.gz")
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var out []string
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	sort.Strings(out)
	return out, sc.Err()
}

func load(dir string) (*wordnet, error) {
	wn := &wordnet{synsets: map[string]synset{}, index: map[string]map[string]entry{}, exceptions: map[string]string{}}
	for _, pos := range parts {
		if err := eachLine(filepath.Join(dir, "data."+pos), func(f []string) error {
			n, err := strconv.Atoi(f[1])
			if err != nil || n >= len(lexnames) {
				return fmt.Errorf("bad lexicographer file %q", f[1])
			}
			wc, err := strconv.ParseInt(f[3], 16, 32)
			if err != nil {
				return err
			}
			s := synset{lex: lexnames[n]}
			for i := 0; i < int(wc); i++ {
				m, _, _ := strings.Cut(strings.ToLower(f[4+2*i]), "(") // "(a)": where an adjective stands
				if !strings.Contains(m, "_") {
					s.members = append(s.members, m)
				}
			}
			wn.synsets[pos+" "+f[0]] = s
			return nil
		}); err != nil {
			return nil, err
		}
		if err := eachLine(filepath.Join(dir, "index."+pos), func(f []string) error {
			ptrs, err := strconv.Atoi(f[3])
			if err != nil {
				return err
			}
			rest := f[4+ptrs:]
			senses, err1 := strconv.Atoi(rest[0])
			tagged, err2 := strconv.Atoi(rest[1])
			if err1 != nil || err2 != nil {
				return fmt.Errorf("bad index line for %q", f[0])
			}
			if wn.index[f[0]] == nil {
				wn.index[f[0]] = map[string]entry{}
			}
			wn.index[f[0]][pos] = entry{senses, tagged, rest[2:]}
			return nil
		}); err != nil {
			return nil, err
		}
		if err := eachLine(filepath.Join(dir, pos+".exc"), func(f []string) error {
			if _, ok := wn.exceptions[pos+" "+f[0]]; !ok {
				wn.exceptions[pos+" "+f[0]] = f[1]
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return wn, nil
}

// eachLine calls fn with the fields of every line of a WordNet file but its
// licence header (lines starting with spaces).
func eachLine(path string, fn func([]string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, " ") || line == "" {
			continue
		}
		if err := fn(strings.Fields(line)); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return sc.Err()
}

// lemma is the form of word that WordNet lists for a part of speech, and
// whether it is the word itself.
func (wn *wordnet) lemma(word, pos string) (string, bool, bool) {
	if _, ok := wn.index[word][pos]; ok {
		return word, true, true
	}
	if l, ok := wn.exceptions[pos+" "+word]; ok {
		if _, ok := wn.index[l][pos]; ok {
			return l, false, true
		}
	}
	for _, r := range detach[pos] {
		if base, ok := strings.CutSuffix(word, r[0]); ok {
			l := base + r[1]
			if _, ok := wn.index[l][pos]; ok {
				return l, false, true
			}
		}
	}
	return "", false, false
}

// class is the word's usual part of speech and whether it names a thing.
// The usual part of speech is the one whose senses are most often tagged
// in WordNet's corpus, a word listed as itself before an inflected form
// ("stranger" the noun, not "strange" the adjective), nouns on a tie, then
// the one with more senses.
// Nouns name things; verbs do when their first senses are of the body (see
// thingVerbs); adjectives and adverbs never do.
func (wn *wordnet) class(word string) (string, []string) {
	best, bestScore, lemma := "", -1.0, ""
	var bestEntry entry
	for _, pos := range parts {
		l, exact, ok := wn.lemma(word, pos)
		if !ok {
			continue
		}
		e := wn.index[l][pos]
		score := float64(e.tagged)
		if exact {
			score += 1000
		}
		if pos == "noun" {
			score += 0.5
		}
		score += float64(e.senses) / 1e4 // then the one with more senses
		if score > bestScore {
			best, bestScore, bestEntry, lemma = pos, score, e, l
		}
	}
	if best == "" {
		return "", nil
	}
	thing := false
	switch best {
	case "noun":
		thing = true
	case "verb":
		for _, off := range bestEntry.offsets[:min(2, len(bestEntry.offsets))] {
			thing = thing || thingVerbs[wn.synsets["verb "+off].lex]
		}
	}
	c := map[string]string{"noun": "n", "verb": "v", "adj": "a", "adv": "r"}[best]
	if thing {
		c += "T"
	} else {
		c += "W"
	}
	// Only the commonest sense's synonyms: a word's rarer senses bring in
	// words of other topics ("park" as a verb is "position").
	var syn []string
	for _, m := range wn.synsets[best+" "+bestEntry.offsets[0]].members {
		if m != lemma && m != word && !slices.Contains(syn, m) {
			syn = append(syn, m)
		}
	}
	return c, syn
}
