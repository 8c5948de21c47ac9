package words

import "strings"

// britishToAmerican are the spelling differences between British and
// American English that medical words show ("leukaemia", "haematopoietic",
// "oedema", "tumour", "centre", "organise"), as suffix or infix rewrites.
var britishToAmerican = []struct{ from, to string }{
	{"ae", "e"}, {"oe", "e"}, {"our", "or"}, {"ours", "ors"}, {"tre", "ter"}, {"tres", "ters"},
	{"isation", "ization"}, {"ise", "ize"}, {"ised", "ized"}, {"ising", "izing"}, {"yse", "yze"},
	{"ogue", "og"}, {"ll", "l"},
}

// AmericanSpellings returns the American spellings a British-spelt word may
// have (each rewrite applied once, at each place it fits), for matching
// sources written in American English. The result may hold non-words: a
// caller keeps only those it knows.
func AmericanSpellings(word string) []string {
	var out []string
	for _, r := range britishToAmerican {
		for i := 0; ; {
			j := strings.Index(word[i:], r.from)
			if j < 0 {
				break
			}
			j += i
			out = append(out, word[:j]+r.to+word[j+len(r.from):])
			i = j + 1
		}
	}
	return out
}
