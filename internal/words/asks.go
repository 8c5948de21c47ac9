package words

// Question forms: what a question asks for, whatever its topic. Two
// questions on one topic but of different forms ("What is CRS?", "How is
// CRS treated?") want different answers; stop lists drop exactly the words
// that tell them apart.
const (
	FormWhat     = "what"     // what, which, tell me about, explain
	FormHow      = "how"      // how (a way or a process)
	FormWhy      = "why"      // why, what for
	FormWhere    = "where"    // where
	FormWhen     = "when"     // when, what time
	FormWho      = "who"      // who, whom, whose
	FormDuration = "duration" // how long, how soon
	FormAmount   = "amount"   // how much, how many, how often
)

// formWords are the words that give a question its form, with the form.
var formWords = map[string]string{
	"what": FormWhat, "which": FormWhat, "whats": FormWhat, "what's": FormWhat,
	"how": FormHow, "why": FormWhy, "where": FormWhere, "when": FormWhen,
	"who": FormWho, "whom": FormWho, "whose": FormWho,
}

// IsQuestionWord says whether a word (as Tokens gives it) gives a
// question its form: "what", "how", "whats", ...
func IsQuestionWord(word string) bool {
	_, ok := formWords[word]
	return ok
}

// requestWords open a request that asks what something is ("Tell me about
// Ebvallo", "Explain gene therapy").
var requestWords = map[string]bool{"tell": true, "explain": true, "describe": true, "define": true}

// QuestionForm returns the form of a question: its first question word,
// as one of the Form constants, with "how long" and "how much" told apart
// from "how". A yes/no question ("Can I ...?", "Is it ...?") and a bare
// topic ("CAR-T side effects") have no form: "".
func QuestionForm(text string) string {
	toks := Tokens(Normalize(text))
	for i, t := range toks {
		form, ok := formWords[t.Word]
		if !ok {
			continue
		}
		next := ""
		if i+1 < len(toks) {
			next = toks[i+1].Word
		}
		switch {
		case form == FormHow && (next == "long" || next == "soon"):
			return FormDuration
		case form == FormHow && (next == "much" || next == "many" || next == "often"):
			return FormAmount
		case form == FormWhat && next == "time":
			return FormWhen
		}
		return form
	}
	if len(toks) > 0 && requestWords[toks[0].Word] {
		return FormWhat
	}
	return ""
}
