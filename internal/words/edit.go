package words

import "slices"

// EditDistance is the optimal-string-alignment distance of a and b, counted
// in bytes: the fewest insertions, deletions, substitutions and swaps of
// neighbouring bytes that turn one into the other ("leukemia" and
// "lukemia" are 1 apart, "allogenic" and "allogeniec" 1). Any distance above
// limit is returned as limit+1, which lets the computation stop early.
// Stems are ASCII in practice; other text is compared byte by byte.
func EditDistance(a, b string, limit int) int {
	if limit < 0 {
		return 0
	}
	if abs(len(a)-len(b)) > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit+1)
}

// WithinOneEdit reports whether EditDistance(a, b, 1) <= 1, without a
// table: it is asked of every word of the vocabulary of about the same
// length as an unknown word.
func WithinOneEdit(a, b string) bool {
	if a == b {
		return true
	}
	la, lb := len(a), len(b)
	if la > lb {
		a, b, la, lb = b, a, lb, la
	}
	if lb-la > 1 {
		return false
	}
	i := 0
	for i < la && a[i] == b[i] {
		i++
	}
	if la == lb {
		if a[i+1:] == b[i+1:] {
			return true // substitution
		}
		return i+1 < la && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:] // swap
	}
	return a[i:] == b[i+1:] // insertion
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Vocabulary is a set of known words (stems, in practice) indexed for
// finding the ones a misspelling may have meant.
type Vocabulary struct {
	byLen map[int][]string // sorted, so ties come out in the same order every time
	all   map[string]bool
}

// NewVocabulary indexes the words (duplicates are kept once).
func NewVocabulary(words []string) *Vocabulary {
	v := &Vocabulary{byLen: map[int][]string{}, all: make(map[string]bool, len(words))}
	for _, w := range words {
		if w == "" || v.all[w] {
			continue
		}
		v.all[w] = true
		v.byLen[len(w)] = append(v.byLen[len(w)], w)
	}
	for _, ws := range v.byLen {
		slices.Sort(ws)
	}
	return v
}

// Has reports whether w is in the vocabulary.
func (v *Vocabulary) Has(w string) bool { return v != nil && v.all[w] }

// Len is the number of words.
func (v *Vocabulary) Len() int {
	if v == nil {
		return 0
	}
	return len(v.all)
}

// Near returns the words closest to w within maxDist edits (EditDistance)
// that start with the same byte as w, shortest first and then in byte
// order, and their distance; none if no word is that close. Typos seldom change the first letter, and
// requiring it halves the false finds ("catch" is not "match"). w itself
// counts, at distance 0, if it is in the vocabulary.
func (v *Vocabulary) Near(w string, maxDist int) ([]string, int) {
	if v == nil || w == "" || maxDist < 0 {
		return nil, 0
	}
	var best []string
	bestD := maxDist + 1
	for l := len(w) - maxDist; l <= len(w)+maxDist; l++ {
		for _, cand := range v.byLen[l] {
			if cand[0] != w[0] {
				continue
			}
			switch d := EditDistance(w, cand, min(maxDist, bestD)); {
			case d < bestD:
				best, bestD = append(best[:0], cand), d
			case d == bestD && d <= maxDist:
				best = append(best, cand)
			}
		}
	}
	if len(best) == 0 {
		return nil, 0
	}
	return best, bestD
}
