package chat

import "github.com/cellchat/cellchat/internal/words"

// isStop says whether a word names nothing a source must cover: a stop
// word, question furniture ("explain", "type", "best": kept by the
// searcher, where they help rank) or a negation ("not", "no": it turns a
// sentence round, but a source answering "Is CAR-T not chemo?" need not
// say "not").
func isStop(w string) bool {
	return words.IsStop(w) || words.IsFurniture(w) || negation[w]
}

// contentStems returns the stems of the words of text that name what it
// is about, each once, in order of first appearance.
func contentStems(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range words.Tokens(text) {
		if isStop(t.Word) || seen[t.Stem] {
			continue
		}
		seen[t.Stem] = true
		out = append(out, t.Stem)
	}
	return out
}
