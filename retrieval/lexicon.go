package retrieval

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// lexiconFile is the YAML shape of corpus/lexicon.yaml.
type lexiconFile struct {
	// Synonyms are groups of terms that mean the same thing to a patient;
	// a query using any of them is expanded with the others.
	Synonyms [][]string `yaml:"synonyms"`
}

// Lexicon maps lay terms to the corpus's terms for query expansion.
type Lexicon struct {
	groups [][]phrase
	// byFirst maps a stem to the groups (ascending) with a term starting
	// with it: only those can match a query containing the stem, so a
	// query is not compared with every term of every group.
	byFirst map[string][]int
}

// phrase is one lexicon term as analysed token stems (stop words included,
// so "my own cells" must match as written).
type phrase struct {
	text  string
	stems []string
}

// LoadLexicon reads a lexicon file (corpus/lexicon.yaml). A missing file is
// an empty lexicon; a malformed one is an error naming the file.
func LoadLexicon(path string) (*Lexicon, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Lexicon{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lexicon: %w", err)
	}
	lex, err := parseLexicon(data)
	if err != nil {
		return nil, fmt.Errorf("lexicon %s: %w", path, err)
	}
	return lex, nil
}

func parseLexicon(data []byte) (*Lexicon, error) {
	var f lexiconFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) { // an empty file
			return &Lexicon{}, nil
		}
		return nil, err
	}
	lex := &Lexicon{}
	for i, g := range f.Synonyms {
		if len(g) < 2 {
			return nil, fmt.Errorf("synonym group %d (%q): needs at least two terms", i+1, g)
		}
		var group []phrase
		for _, t := range g {
			var stems []string
			for _, tok := range analyze(t) {
				stems = append(stems, tok.Stem)
			}
			if len(stems) == 0 {
				return nil, fmt.Errorf("synonym group %d: term %q has no words", i+1, t)
			}
			group = append(group, phrase{text: t, stems: stems})
		}
		lex.groups = append(lex.groups, group)
	}
	lex.byFirst = map[string][]int{}
	for i, g := range lex.groups {
		for _, p := range g {
			first := p.stems[0]
			if ids := lex.byFirst[first]; len(ids) == 0 || ids[len(ids)-1] != i {
				lex.byFirst[first] = append(ids, i)
			}
		}
	}
	return lex, nil
}

// Len is the number of synonym groups.
func (l *Lexicon) Len() int {
	if l == nil {
		return 0
	}
	return len(l.groups)
}

// Expand returns the terms to add to a query: for every group with a term
// that occurs in the query, the group's other terms.
func (l *Lexicon) Expand(query string) []string {
	var out []string
	for _, g := range l.expandGroups(query) {
		out = append(out, g...)
	}
	return out
}

// expandGroups is Expand with the added terms grouped by synonym group.
func (l *Lexicon) expandGroups(query string) [][]string {
	if l == nil || len(l.groups) == 0 {
		return nil
	}
	toks := analyze(query)
	stems := make([]string, len(toks))
	for i, t := range toks {
		stems[i] = t.Stem
	}
	var out [][]string
	seen := map[string]bool{}
	var maybe []bool // the groups that can match, when byFirst says
	if l.byFirst != nil {
		maybe = make([]bool, len(l.groups))
		for _, st := range stems {
			for _, i := range l.byFirst[st] {
				maybe[i] = true
			}
		}
	}
	for gi, g := range l.groups {
		if maybe != nil && !maybe[gi] {
			continue
		}
		matched := -1
		for i, p := range g {
			if containsSeq(stems, p.stems) {
				matched = i
				break
			}
		}
		if matched < 0 {
			continue
		}
		var added []string
		for i, p := range g {
			if i == matched || containsSeq(stems, p.stems) || seen[p.text] {
				continue
			}
			seen[p.text] = true
			added = append(added, p.text)
		}
		if len(added) > 0 {
			out = append(out, added)
		}
	}
	return out
}

func containsSeq(hay, needle []string) bool {
	if len(needle) == 0 || len(needle) > len(hay) {
		return false
	}
outer:
	for i := 0; i+len(needle) <= len(hay); i++ {
		for j, n := range needle {
			if hay[i+j] != n {
				continue outer
			}
		}
		return true
	}
	return false
}

// String is the lexicon's groups, for debugging.
func (l *Lexicon) String() string {
	var b strings.Builder
	for _, g := range l.groups {
		for i, p := range g {
			if i > 0 {
				b.WriteString(" ~ ")
			}
			b.WriteString(p.text)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
