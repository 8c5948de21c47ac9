package chat

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/cellchat/cellchat/corpus"
	"github.com/cellchat/cellchat/retrieval"
)

// nextQuestion matches a follow-up asking what comes after what the last
// answer said ("And what do they do with the cells after that?", "What
// happens next?").
var nextQuestion = regexp.MustCompile(`(?i)\b(?:after that|afterwards|what (?:happens|comes) (?:next|after)|then what|what next|and then\??$|(?:do|does|happens?) (?:\S+ ){0,5}(?:next|after that|afterwards))\b`)

// maxContinued is how many sentences a "what happens next" answer goes on
// with: the next step or two, not the rest of the document.
const maxContinued = 3

// chunkIndex finds the corpus's passages by id and by their place in a
// document, for answers that go on where the last one stopped.
type chunkIndex struct {
	byID  map[string]corpus.Chunk
	byOrd map[docOrd]corpus.Chunk
}

type docOrd struct {
	doc string
	ord int
}

func newChunkIndex(chunks []corpus.Chunk) chunkIndex {
	ix := chunkIndex{byID: map[string]corpus.Chunk{}, byOrd: map[docOrd]corpus.Chunk{}}
	for _, c := range chunks {
		ix.byID[c.ID] = c
		ix.byOrd[docOrd{c.DocID, c.Ord}] = c
	}
	return ix
}

// continuation answers "what happens after that?": the sentences that
// follow, in their source, the last one the previous answer quoted (into
// the next passage of the same section). It returns nothing when that
// sentence cannot be found or nothing follows it.
func (e *Engine) continuation(q *query, prev Reply) ([]candidate, []retrieval.Passage) {
	if len(prev.Citations) == 0 {
		return nil, nil
	}
	sentences := citedSentence.FindAllStringSubmatch(WithoutGlosses(prev.Text, prev.Glosses), -1)
	if len(sentences) == 0 {
		return nil, nil
	}
	last := sentences[len(sentences)-1]
	var cite Citation
	for _, c := range prev.Citations {
		if strconv.Itoa(c.N) == last[2] {
			cite = c
		}
	}
	chunk, ok := e.chunks.byID[cite.ChunkID]
	if !ok {
		return nil, nil
	}
	passages := []retrieval.Passage{{Chunk: chunk}}
	if n, ok := e.chunks.byOrd[docOrd{chunk.DocID, chunk.Ord + 1}]; ok && n.Section == chunk.Section {
		passages = append(passages, retrieval.Passage{Chunk: n})
	}
	cands := e.candidates(q, passages)
	at := -1
	for i, c := range cands {
		if said := strings.TrimSpace(last[1]); c.passage == 0 && (said == c.text || said == c.said) {
			at = i
		}
	}
	if at < 0 || at+1 >= len(cands) {
		return nil, nil
	}
	var out []candidate
	words := 0
	for _, c := range cands[at+1:] {
		n := len(strings.Fields(c.text))
		if len(out) == maxContinued || words+n > maxAnswerWords {
			break
		}
		out = append(out, c)
		words += n
	}
	return out, passages
}
