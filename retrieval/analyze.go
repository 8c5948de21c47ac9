package retrieval

import "github.com/cellchat/cellchat/internal/words"

// Text becomes words through internal/words, the analysis chat and eval
// share: a passage indexed one way and a question analysed another would
// stop matching without any test failing.

// analyze returns the words of text with their stems.
func analyze(text string) []words.Token { return words.Tokens(text) }

// terms are the stems of the content words of text, in order and repeated
// (BM25 counts them, and adjacent ones make the word pairs).
func terms(text string) []string {
	toks := words.Tokens(text)
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		if !words.IsStop(t.Word) {
			out = append(out, t.Stem)
		}
	}
	return out
}
