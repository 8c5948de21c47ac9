package chat

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/cellchat/cellchat/corpus"
	"github.com/cellchat/cellchat/retrieval"
)

// nextQuestion matches a follow-up asking what comes after what the last
// answer said ("And what do they do with the cells after that?", "What
// happens next?").
var nextQuestion = regexp.MustCompile(`(?i)\b(?:after that|afterwards|what (?:happens|comes) (?:next|after)|then what|what next|and then\??$|(?:do|does|happens?) (?:\S+ ){0,5}(?:next|after that|afterwards))\b`)

// stepNamed matches a question asking what follows a step it names:
// "After the lab is finished, what happens to the cells?", "what do they
// do with the cells after collection?". Group 1 or 2 is the step.
var (
	stepNamed = regexp.MustCompile(`(?i)^(?:and |so |but )?(?:after|once|when)\s+([^,?.]+?)\s*,|\b(?:after|once)\s+([^,?.]+?)\s*(?:\?|$)`)
	nextAsked = regexp.MustCompile(`(?i)\bwhat\s+(?:happens?|comes|is\s+next|do(?:es)?\s+(?:they|you|we|the\s+\w+)\s+do\s+with)\b`)
)

// minStepMatch is the share of the step's words a source sentence must hold
// to be the step asked about (a synonym counting as synonymWeight of one):
// one of two words said in the sources' own term ("the lab is finished").
const minStepMatch = 0.4

// goesOnCue matches a sentence that goes on with a sequence ("The collected
// T cells are then ...", "Once in the body, ..."): what follows a step, as
// against a sentence that says more about the step itself.
var goesOnCue = regexp.MustCompile(`(?i)\b(?:then|next|once|afterwards?|finally|later|following|subsequently)\b`)

// afterStep answers "what happens after <step>?": the sentences that follow,
// in their source, the sentence among the passages that best names the
// step, of the candidates the answer would otherwise be composed from. It
// returns nothing when no sentence names it.
func (e *Engine) afterStep(q *query, question string, cands []candidate) ([]candidate, []retrieval.Passage) {
	if !nextAsked.MatchString(question) {
		return nil, nil
	}
	m := stepNamed.FindStringSubmatch(question)
	if m == nil {
		return nil, nil
	}
	step := m[1] + m[2]
	var want []string
	for _, st := range contentStems(step) {
		if !e.rules.aspect[st] {
			want = append(want, st)
		}
	}
	if len(want) == 0 || len(want) > maxStepWords {
		return nil, nil
	}
	type named struct {
		c     candidate
		share float64
	}
	var steps []named
	for _, c := range cands {
		held := 0.0
		for _, st := range want {
			switch {
			case c.stems[st]:
				held++
			case q.synonymIn(st, c.stems):
				held += synonymWeight
			}
		}
		if share := held / float64(len(want)); share >= minStepMatch {
			steps = append(steps, named{c, share})
		}
	}
	// Of sentences naming the step as well, one that is itself a step of a
	// sequence ("... are then infused back") is where the sequence goes
	// on, rather than one that names it in passing ("HCT involves the
	// infusion of ...").
	inSequence := func(c candidate) bool { return c.step || goesOnCue.MatchString(c.text) }
	sort.SliceStable(steps, func(i, j int) bool {
		a, b := steps[i], steps[j]
		if a.share != b.share {
			return a.share > b.share
		}
		if inSequence(a.c) != inSequence(b.c) {
			return inSequence(a.c)
		}
		return a.c.rel > b.c.rel
	})
	for _, s := range steps {
		if next, ps := e.following(q, s.c.chunk, s.c.text); len(next) > 0 && (next[0].step || goesOnCue.MatchString(next[0].text)) {
			return next, ps
		}
	}
	return nil, nil
}

// maxStepWords: a longer "after ..." clause is a scene, not a step.
const maxStepWords = 4

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
	return e.following(q, cite.ChunkID, strings.TrimSpace(last[1]))
}

// following returns the sentences after the given one of a passage (into
// the next passage of its section), up to maxContinued.
func (e *Engine) following(q *query, chunkID, said string) ([]candidate, []retrieval.Passage) {
	chunk, ok := e.chunks.byID[chunkID]
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
		if c.passage == 0 && (said == c.text || said == c.said) {
			at = i
		}
	}
	if at < 0 || at+1 >= len(cands) {
		return nil, nil
	}
	var out []candidate
	words := 0
	if next := cands[at+1]; next.leans && next.passage == cands[at].passage && next.pos == cands[at].last+1 {
		// "These procedures have ...": it reads only after the sentence
		// it leans on, which the answer says again.
		out, words = append(out, cands[at]), len(strings.Fields(cands[at].text))
	}
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
