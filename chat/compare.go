package chat

import (
	"context"
	"regexp"
	"strings"

	"github.com/cellchat/cellchat/retrieval"
)

// comparison matches a question asking how two things differ ("what's the
// difference between a stem cell transplant and CAR-T?", "CRS vs GVHD",
// "are CRS and GVHD the same thing?"): each pair of groups is the two sides.
var comparison = regexp.MustCompile(`(?i)\b(?:difference|diffrence)s? (?:between|of) (.+?) (?:and|&|vs\.?|versus) (.+?)(?:[?.!,;]|$)|^(?:and |so )?(?:is|are) (.+?) (?:and|&) (.+?) (?:the same|different|related|two different)\b|^(?:what (?:about )?)?(.+?) (?:vs\.?|versus|compared (?:to|with)) (.+?)(?:[?.!,;]|$)|\b(?:getting|get|mix(?:ing)?|confus(?:e|ing)) (.+?) (?:and|&|with) (.+?) (?:mixed up|muddled|confused)\b`)

// Comparisons are answered side by side: what each thing is, in a few
// sentences, as no passage may hold both.
const (
	compareSentences = 2 // per side: what it is, and the sentence that goes on with it
	maxSideWords     = 6 // a longer "side" is a clause, not a thing
)

// sideArticle is an article or possessive before a side's noun.
var sideArticle = regexp.MustCompile(`(?i)^(?:a|an|the|my|your|his|her|their|our)\s+`)

// comparisonSides returns the two things a question compares, if it does.
func comparisonSides(question string) (string, string, bool) {
	m := comparison.FindStringSubmatch(strings.TrimSpace(question))
	if m == nil {
		return "", "", false
	}
	for i := 1; i+1 < len(m); i += 2 {
		a, b := cleanSide(m[i]), cleanSide(m[i+1])
		if a != "" && b != "" {
			return a, b, true
		}
	}
	return "", "", false
}

func cleanSide(s string) string {
	s = sideArticle.ReplaceAllString(strings.Trim(strings.TrimSpace(s), `"'“”‘’`), "")
	if n := len(strings.Fields(s)); n == 0 || n > maxSideWords {
		return ""
	}
	return s
}

// compare answers a comparison with what each side is, each from the
// passages on it. It declines (ok false) when either side is not covered
// by the sources, leaving the question to the usual path.
func (e *Engine) compare(ctx context.Context, question string) (draft, bool, error) {
	a, b, ok := comparisonSides(question)
	if !ok || e.cfg.LLM != nil {
		return draft{}, false, nil // a model writes its own comparison from the passages
	}
	if both, err := e.comparedInOne(ctx, question, a, b); err != nil || both {
		return draft{}, false, err
	}
	var (
		picked   []candidate
		passages []retrieval.Passage
		ranked   [][]retrieval.Passage
		conf     = 1.0
	)
	for _, side := range []string{a, b} {
		q := e.newQuery(side, "what is "+side, nil, "")
		if len(q.define) == 0 {
			return draft{}, false, nil
		}
		for _, st := range q.define {
			if !e.stats.known(st) {
				return draft{}, false, nil // "an ordinary cell": the sources cannot say what it is
			}
		}
		ps, rk, err := e.search(ctx, q.search)
		if err != nil {
			return draft{}, false, err
		}
		c := e.confidence(q, ps, 3)
		if c < e.cfg.MinConfidence {
			return draft{}, false, nil
		}
		conf = min(conf, c)
		said := e.compose(q, e.candidates(q, ps), ps, compareSentences)
		if len(said) == 0 {
			return draft{}, false, nil
		}
		for _, s := range said {
			if !sameText(s, picked) {
				s.passage += len(passages)
				picked = append(picked, s)
			}
		}
		passages = append(passages, ps...)
		ranked = append(ranked, rk)
	}
	r := draft{Reply: Reply{Query: question, Retrieved: retrieved(interleave(ranked, e.cfg.ReportK)), Confidence: conf}}
	r.Kind, r.Reason = KindAnswer, "answer.comparison"
	e.quote(&r, cite(picked, passages, 1))
	return r, true, nil
}

// comparedInOne says whether a sentence of the passages found for the
// whole question names both sides ("cell therapy differs from ... gene
// therapy"): it compares them itself, and the usual path quotes it.
func (e *Engine) comparedInOne(ctx context.Context, question, a, b string) (bool, error) {
	ps, _, err := e.search(ctx, question)
	if err != nil {
		return false, err
	}
	sa, sb := contentStems(a), contentStems(b)
	for _, p := range ps {
		for _, s := range e.analyse(p.ID, p.Section, p.Text).sentences {
			if holdsAll(s.stems, sa) && holdsAll(s.stems, sb) {
				return true, nil
			}
		}
	}
	return false, nil
}

// sameText says whether a picked sentence reads as c does (one passage may
// define both sides).
func sameText(c candidate, picked []candidate) bool {
	for _, p := range picked {
		if p.text == c.text {
			return true
		}
	}
	return false
}

// interleave merges rankings turn by turn, each passage once, up to n.
func interleave(lists [][]retrieval.Passage, n int) []retrieval.Passage {
	var out []retrieval.Passage
	seen := map[string]bool{}
	for i := 0; len(out) < n; i++ {
		more := false
		for _, l := range lists {
			if i < len(l) {
				more = true
				if !seen[l[i].ID] && len(out) < n {
					seen[l[i].ID] = true
					out = append(out, l[i])
				}
			}
		}
		if !more {
			break
		}
	}
	return out
}
