package words

import "strings"

// IsStop reports whether a word (as Tokens gives it: lower case, straight
// apostrophes) says nothing about what a question or passage is about:
// function words, contractions, modal verbs, greetings and the request
// words of questions ("tell me about X" is about X). Everything that
// compares texts by their words (retrieval's index and queries, chat's
// question analysis) drops these.
//
// A few words that most stop lists drop are not stop words here, because
// they carry meaning in this domain (keptWords).
func IsStop(word string) bool { return stopWords[word] }

// IsFurniture reports whether a word is question furniture that IsStop
// keeps: open-class words ("type", "best", "explain", "example", "new")
// that in a patient's question seldom name its topic ("what type of
// treatment is best") but in a passage often do ("the type of cells used").
// They are a second set rather than stop words because retrieval measured
// worse without them in passages and queries (hybrid hit@1 on
// tuning-extra.yaml 0.786 -> 0.690, on questions.yaml 0.872 -> 0.851, when
// they were stop words); the answer engine, which looks for what a question
// is about, drops both sets.
func IsFurniture(word string) bool { return furnitureWords[word] }

// keptWords are words of the usual English stop lists that carry meaning
// here: "my own cells" is how patients say autologous, "someone else's" or
// "other people's cells" allogeneic; "before" and "after" tell the stages
// of a treatment apart, and "not", "no" and "without" turn a statement
// around ("CAR-T without chemo").
var keptWords = []string{"own", "other", "else", "after", "before", "against", "not", "no", "without"}

// Kept returns the words of the usual stop lists that are not stop words
// here (see keptWords).
func Kept() []string { return append([]string(nil), keptWords...) }

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	// The Snowball English stop list, its contractions, and closed-class
	// words it lacks ("whose", "instead", "since") that no topic hangs on.
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
		yours yourself yourselves
		may might tell explain mean means know thing things many really actually exactly anything something
		someone anyone else hi hello hey thanks thank ok okay yes dear therefore thus often whose instead
		rather since via per within whatever whenever wherever whichever whoever anyway anyhow somehow onto
		toward towards among across along around beyond behind besides though although unless yet even still
		already always sometimes perhaps maybe quite enough almost simply basically kindly anymore ever
		especially every everybody everyone everything everywhere`) {
		m[w] = true
	}
	for _, w := range keptWords {
		delete(m, w)
	}
	return m
}()

// furnitureWords: see IsFurniture. "specifically" is here and not a stop
// word because its stem is that of "specific", which passages use for
// meaning ("recognize a specific protein").
var furnitureWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`want wanted wonder wondering meant describe define definition give info
		information kind kinds type types way ways bot question questions answer say says said choose choosing
		chose decide deciding pick option options best better right go including include includes included
		specifically particular certain various example examples see seen potential potentially significant
		significantly important note one two new make makes made well`) {
		m[w] = true
	}
	return m
}()
