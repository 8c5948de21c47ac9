package words

import "strings"

// IsVague reports whether a word (lower case) is one of English's most
// common general words that say how, how much, when or what sort rather
// than what: adjectives and adverbs of degree, time and manner ("far",
// "ago", "main", "random", "properly"), light nouns ("thing", "people",
// "moment", "rest") and the verbs of knowing and saying ("know", "meant"). A question's topic is seldom one of them
// ("is it any good so far", "at the moment", "the rest of the immune
// system"): when the sources never use such a word, that says little
// about whether they answer the question. Nouns that name things ("cat",
// "hair") and verbs ("drive", "hurt") are not vague: a question often
// hinges on them.
func IsVague(word string) bool { return vagueWords[word] }

var vagueWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		good bad great big small little large huge tiny long short high low old new young main major minor
		whole real true proper normal usual ordinary regular general particular certain sure fine okay ok
		wrong different same similar random actual basic simple easy possible likely local full nice best
		better worse worst quick slow early late previous recent current total overall entire exact typical
		average serious obvious clear main whole
		far ago already yet still soon often always never sometimes usually really actually basically
		exactly probably maybe perhaps quite rather pretty just even again anyway honestly literally
		generally normally eventually finally properly quickly slowly together instead ever almost nearly
		mostly mainly simply certainly definitely apparently obviously lately recently currently nowadays
		anymore somewhere anywhere everywhere somehow
		thing things stuff people folks sort sorts bit bits lot lots moment moments rest matter fact idea
		sense whatever something anything everything nothing someone anyone everyone somebody anybody
		everybody
		know knows knew known think thinks thought mean means meant want wants wanted say says said
		wonder wondering guess suppose hope seem seems`) {
		m[w] = true
	}
	return m
}()
