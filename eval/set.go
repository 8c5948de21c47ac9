// Package eval scores the bot on question sets: it parses sets written in the
// project's YAML format, asks every case through an Answerer (the engine
// in-process or a running server), and computes the metrics of issue 4.
package eval

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cellchat/cellchat/chat"
)

// Set is one parsed question set.
type Set struct {
	Name  string
	Path  string // file it was read from, for messages
	Cases []Case
}

// Case is one scored unit: a single question or a conversation. It passes
// when every turn meets every expectation.
type Case struct {
	ID    string
	Tags  []string
	Turns []Turn
	Line  int
}

// Turn is one question asked within the case's conversation.
type Turn struct {
	Ask    string
	Expect Expect
	Line   int
}

// Expect is what a turn's reply must satisfy; every field is optional.
type Expect struct {
	Kinds    []chat.Kind // any of them
	Evidence []string    // a cited passage must contain one of them
	Sources  []string    // a citation must come from one of these doc ids
	Mentions []string    // each must appear in the reply text
	Forbid   []string    // none may appear in the reply text
	// Library is the answer-library entry that must answer (its id), or,
	// pointing at 0, that none may ("library: none"); nil: no expectation.
	Library *int64
}

// accepts reports whether kind k meets the expectation (no kinds: any).
func (e Expect) accepts(k chat.Kind) bool {
	return len(e.Kinds) == 0 || slices.Contains(e.Kinds, k)
}

// only reports whether exactly kind k, and nothing else, is expected.
func (e Expect) only(k chat.Kind) bool {
	return len(e.Kinds) == 1 && e.Kinds[0] == k
}

// ParseError is a malformed question set. It lists every problem found, each
// naming the file, line and case.
type ParseError struct {
	Path     string
	Problems []string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s: malformed question set:\n  %s", e.Path, strings.Join(e.Problems, "\n  "))
}

// Load reads and parses the question set at path.
func Load(path string) (*Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read question set: %w", err)
	}
	return Parse(path, data)
}

// Parse parses a question set. It works on the YAML node tree rather than
// decoding into structs so that every error can name its line and case, and
// so that unknown fields (typos such as "expcet") are errors, not silently
// ignored expectations.
func Parse(path string, data []byte) (*Set, error) {
	p := &parser{path: path}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &ParseError{Path: path, Problems: []string{err.Error()}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &ParseError{Path: path, Problems: []string{"empty file: want a mapping with name and cases"}}
	}
	set := p.set(doc.Content[0])
	if len(p.problems) > 0 {
		return nil, &ParseError{Path: path, Problems: p.problems}
	}
	set.Path = path
	return set, nil
}

type parser struct {
	path     string
	problems []string
}

func (p *parser) errorf(n *yaml.Node, caseID string, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if caseID != "" {
		msg = fmt.Sprintf("case %q: %s", caseID, msg)
	}
	p.problems = append(p.problems, fmt.Sprintf("%s:%d: %s", p.path, n.Line, msg))
}

// fields checks that n is a mapping with only the allowed keys, each once,
// and returns key -> value node.
func (p *parser) fields(n *yaml.Node, caseID, what string, allowed ...string) map[string]*yaml.Node {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, caseID, "%s must be a mapping", what)
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case !slices.Contains(allowed, k.Value):
			p.errorf(k, caseID, "unknown field %q in %s (allowed: %s)", k.Value, what, strings.Join(allowed, ", "))
		case out[k.Value] != nil:
			p.errorf(k, caseID, "field %q given twice in %s", k.Value, what)
		default:
			out[k.Value] = v
		}
	}
	return out
}

// resolve follows YAML aliases (*name) to the node they stand for, so sets
// may share expectations through anchors.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func (p *parser) str(n *yaml.Node, caseID, field string) string {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, caseID, "%s must be a string", field)
		return ""
	}
	return strings.TrimSpace(n.Value)
}

func (p *parser) strList(n *yaml.Node, caseID, field string) []string {
	n = resolve(n)
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, caseID, "%s must be a list of strings, e.g. [\"...\"]", field)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, item := range n.Content {
		s := p.str(item, caseID, field+" entry")
		if item.Kind == yaml.ScalarNode && s == "" {
			p.errorf(item, caseID, "%s has an empty entry", field)
			continue
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (p *parser) set(n *yaml.Node) *Set {
	f := p.fields(n, "", "the question set", "name", "cases")
	set := &Set{}
	if f == nil {
		return set
	}
	if v := f["name"]; v != nil {
		set.Name = p.str(v, "", "name")
	}
	cases := f["cases"]
	if cases == nil {
		p.errorf(n, "", "missing cases")
		return set
	}
	if cases.Kind != yaml.SequenceNode {
		p.errorf(cases, "", "cases must be a list")
		return set
	}
	if len(cases.Content) == 0 {
		p.errorf(cases, "", "cases is empty")
	}
	seen := map[string]int{}
	for i, cn := range cases.Content {
		c, ok := p.caseNode(cn, i)
		// A case with errors of its own still claims its id, so a
		// duplicate of it is reported in the same run.
		if line, dup := seen[c.ID]; dup && c.ID != "" {
			p.errorf(cn, c.ID, "duplicate id (first used on line %d)", line)
			continue
		}
		if c.ID != "" {
			seen[c.ID] = c.Line
		}
		if ok {
			set.Cases = append(set.Cases, c)
		}
	}
	return set
}

func (p *parser) caseNode(n *yaml.Node, index int) (Case, bool) {
	c := Case{Line: n.Line}
	before := len(p.problems)
	// Name the case by id where it has one, else by its position.
	label := fmt.Sprintf("#%d", index+1)
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "id" && n.Content[i+1].Kind == yaml.ScalarNode && n.Content[i+1].Value != "" {
				label = n.Content[i+1].Value
			}
		}
	}
	f := p.fields(n, label, "case", "id", "tags", "ask", "expect", "turns")
	if f == nil {
		return c, false
	}
	if v := f["id"]; v != nil {
		c.ID = p.str(v, label, "id")
	}
	if c.ID == "" {
		p.errorf(n, label, "missing id")
	}
	if v := f["tags"]; v != nil {
		c.Tags = p.strList(v, label, "tags")
	}
	switch {
	case f["turns"] != nil && (f["ask"] != nil || f["expect"] != nil):
		p.errorf(n, label, "has both turns and ask/expect: use ask+expect for one question or turns for a conversation, not both")
	case f["turns"] != nil:
		tn := resolve(f["turns"])
		if tn.Kind != yaml.SequenceNode || len(tn.Content) == 0 {
			p.errorf(tn, label, "turns must be a non-empty list of {ask, expect}")
			break
		}
		for _, t := range tn.Content {
			tf := p.fields(t, label, "turn", "ask", "expect")
			if tf == nil {
				continue
			}
			c.Turns = append(c.Turns, p.turn(t, tf, label))
		}
	default:
		if f["ask"] == nil {
			p.errorf(n, label, "missing ask (give ask, or turns for a conversation)")
			break
		}
		c.Turns = append(c.Turns, p.turn(n, f, label))
	}
	return c, len(p.problems) == before
}

// turn reads ask and expect from f, the fields of n (a case or a turn).
func (p *parser) turn(n *yaml.Node, f map[string]*yaml.Node, label string) Turn {
	t := Turn{Line: n.Line}
	if v := f["ask"]; v == nil {
		p.errorf(n, label, "missing ask")
	} else if t.Ask = p.str(v, label, "ask"); t.Ask == "" && v.Kind == yaml.ScalarNode {
		p.errorf(v, label, "missing ask (it is empty)")
	}
	if v := f["expect"]; v != nil {
		t.Expect = p.expect(v, label)
	}
	return t
}

func (p *parser) expect(n *yaml.Node, label string) Expect {
	var e Expect
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return e // "expect:" with nothing: no expectations
	}
	f := p.fields(n, label, "expect", "kind", "evidence", "sources", "mentions", "forbid", "library")
	if f == nil {
		return e
	}
	if v := f["kind"]; v != nil {
		v = resolve(v)
		var names []string
		if v.Kind == yaml.ScalarNode {
			names = []string{p.str(v, label, "kind")}
		} else {
			names = p.strList(v, label, "kind")
			if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				p.errorf(v, label, "kind is an empty list")
			}
		}
		for _, name := range names {
			k := chat.Kind(name)
			if !slices.Contains(chat.Kinds, k) {
				p.errorf(v, label, "unknown kind %q (want one of %s)", name, kindList())
				continue
			}
			if !slices.Contains(e.Kinds, k) {
				e.Kinds = append(e.Kinds, k)
			}
		}
	}
	if v := f["library"]; v != nil {
		e.Library = p.libraryEntry(v, label)
	}
	lists := []struct {
		field string
		dst   *[]string
	}{{"evidence", &e.Evidence}, {"sources", &e.Sources}, {"mentions", &e.Mentions}, {"forbid", &e.Forbid}}
	for _, l := range lists {
		if v := f[l.field]; v != nil {
			*l.dst = p.strList(v, label, l.field)
		}
	}
	return e
}

// libraryEntry reads expect.library: an entry id, or none.
func (p *parser) libraryEntry(n *yaml.Node, label string) *int64 {
	s := p.str(n, label, "library")
	if s == "none" {
		return new(int64)
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		p.errorf(n, label, "library %q: want an entry id (1, 2, ...) or none", s)
		return nil
	}
	return &id
}

func kindList() string {
	names := make([]string, len(chat.Kinds))
	for i, k := range chat.Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// IsParseError reports whether err is (or wraps) a malformed question set.
func IsParseError(err error) bool {
	var pe *ParseError
	return errors.As(err, &pe)
}
