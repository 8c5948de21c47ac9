package chat

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
)

// pattern is a compiled rule pattern with a literal prefilter: need lists
// strings one of which occurs in every text the pattern matches, so a text
// containing none of them is rejected with a few substring searches instead
// of running the regexp. Most rule patterns are long alternations of words
// that a typical question does not contain; the regexp engine, which has no
// such shortcut for patterns starting with \b, would otherwise try every
// position of every sentence. An empty need means no prefilter.
type pattern struct {
	*regexp.Regexp
	need []string
}

func newPattern(re *regexp.Regexp) pattern {
	p := pattern{Regexp: re}
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return p // compiled already, so this does not happen; no prefilter then
	}
	if lits, ok := requiredLiterals(parsed.Simplify()); ok {
		p.need = lits
	}
	return p
}

// MatchString reports whether the pattern matches s, checking the
// prefilter first.
func (p pattern) MatchString(s string) bool {
	return p.mayMatch(s) && p.Regexp.MatchString(s)
}

// FindStringIndex is regexp.FindStringIndex behind the prefilter.
func (p pattern) FindStringIndex(s string) []int {
	if !p.mayMatch(s) {
		return nil
	}
	return p.Regexp.FindStringIndex(s)
}

// ReplaceAllString is regexp.ReplaceAllString behind the prefilter.
func (p pattern) ReplaceAllString(src, repl string) string {
	if !p.mayMatch(src) {
		return src
	}
	return p.Regexp.ReplaceAllString(src, repl)
}

// mayMatch is false only when the pattern cannot match s.
func (p pattern) mayMatch(s string) bool {
	if p.need == nil {
		return true
	}
	for _, lit := range p.need {
		if strings.Contains(s, lit) {
			return true
		}
	}
	return false
}

// maxNeed caps the literals of one prefilter: beyond that the substring
// searches cost about as much as the regexp.
const maxNeed = 64

// requiredLiterals returns a set of literals at least one of which is a
// substring of every match of re, or ok=false when it finds none. It only
// ever errs towards ok=false: a case-folded literal, a character class or an
// optional part gives no requirement.
func requiredLiterals(re *syntax.Regexp) (lits []string, ok bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 || len(re.Rune) == 0 {
			return nil, false
		}
		return []string{string(re.Rune)}, true
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min < 1 {
			return nil, false
		}
		return requiredLiterals(re.Sub[0])
	case syntax.OpConcat:
		// Any one child's requirement holds for the whole; take the most
		// selective (longest shortest literal, then fewest literals).
		var best []string
		for _, sub := range re.Sub {
			l, ok := requiredLiterals(sub)
			if ok && better(l, best) {
				best = l
			}
		}
		return best, best != nil
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			l, ok := requiredLiterals(sub)
			if !ok {
				return nil, false
			}
			all = append(all, l...)
		}
		slices.Sort(all)
		all = slices.Compact(all)
		if len(all) > maxNeed {
			return nil, false
		}
		return all, true
	}
	return nil, false
}

// better says whether literal set a is more selective than b (nil: none).
func better(a, b []string) bool {
	if b == nil {
		return true
	}
	sa, sb := shortest(a), shortest(b)
	if sa != sb {
		return sa > sb
	}
	return len(a) < len(b)
}

func shortest(lits []string) int {
	n := len(lits[0])
	for _, l := range lits[1:] {
		n = min(n, len(l))
	}
	return n
}
