package words

import "strings"

// IsStop reports whether a word (as Tokens gives it: lower case, straight
// apostrophes) says nothing about what a question or passage is about:
// function words, and the furniture of questions and requests ("tell me
// about X" is about X; so is "what kind of X is best").
//
// A few words that most stop lists drop are kept because they carry meaning
// here (keptWords).
func IsStop(word string) bool { return stopWords[word] }

// keptWords are words of the usual English stop lists that carry meaning in
// this domain: "my own cells" is how patients say autologous, "cells from
// another person" allogeneic; "before" and "after" tell the stages of a
// treatment apart, and "not" and "no" turn a statement around.
var keptWords = []string{"own", "other", "after", "before", "against", "not", "no"}

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	// The Snowball English stop list and its contracted forms.
	for _, w := range strings.Fields(`a about above after again against all also am an and any are aren't as at be
		because been before being below between both but by can can't cannot could couldn't did didn't do does
		doesn't doing don don't down during each either few for from further get gets getting got had hasn't has have
		haven't having he he'd he'll he's her here here's hers herself him himself his how how's however i i'd
		i'll i'm i've if in into is isn't it it's its itself just let let's like me more most much must my myself no
		nor not now of off on once only or other ought our ours ourselves out over own please same shall she
		she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves then
		there there's these they they'd they'll they're they've this those through to too under until up upon
		us very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's whether
		which while who who's whom why why's will with won't would wouldn't you you'd you'll you're you've your
		yours yourself yourselves`) {
		m[w] = true
	}
	// Question and request furniture, and closed-class words ("whose",
	// "instead", "since") that no topic hangs on.
	for _, w := range strings.Fields(`tell explain know want wanted wonder wondering mean means meant describe
		define definition give info information thing things kind kinds type types way ways really actually
		exactly anything something someone anyone else hi hello hey thanks thank ok okay yes dear bot question
		questions answer please say says said choose choosing chose decide deciding pick option options best
		better right go including include includes included especially specifically particular certain various
		example examples see seen potential potentially significant significantly important note one two many
		well new make makes made may might also however therefore thus often whether whose instead rather since
		via per without within whatever whenever wherever whichever whoever anyway anyhow somehow onto toward
		towards among across along around beyond behind besides though although unless yet even still already
		always sometimes perhaps maybe quite enough almost simply basically kindly anymore ever`) {
		m[w] = true
	}
	for _, w := range keptWords {
		delete(m, w)
	}
	return m
}()
