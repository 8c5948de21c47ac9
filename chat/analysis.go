package chat

import (
	"regexp"
	"strings"
	"sync"

	"github.com/cellchat/cellchat/internal/words"
)

// labelValue matches a list item that is a label and its value ("Weeks one
// to four: once a week."), which says little without the clause above it.
var labelValue = regexp.MustCompile(`^[^:.;]{2,40}: \S`)

// maxLabelWords: a list label ("Genetic modification:") is a few words.
const maxLabelWords = 4

// analysis is what the engine needs of a passage, worked out once: its
// quotable sentences and their stems, and the stems of the whole passage.
type analysis struct {
	section, text string
	stems         map[string]bool // of the section heading and text
	// heading holds the stems of the section heading that its text never
	// uses: what the heading says all its sentences are about ("Challenges").
	heading   map[string]bool
	sentences []sentence
}

// sentence is a quotable sentence of a passage.
type sentence struct {
	pos  int // sentence number within the passage
	last int // that of its last sentence: a short one may finish it
	text string
	// said is the sentence as its source says it when text names the
	// subject its opening pronoun stood for (see resolvePronoun): quoted
	// right after the sentence before it, it reads as written.
	said     string
	referred bool // said opened with a pronoun or "These X" (see candidate)
	stems    map[string]bool
	leans    bool
	aside    bool // advice to see a professional (see onlyAside)
	step     bool
	defines  []string
	// titled holds the stems of the title its paragraph opens with
	// ("Organ toxicities. During CAR-T therapy, ..."): what it is about.
	// titleFirst says it is the sentence right after the title, which
	// says what the title names.
	titled     map[string]bool
	titleFirst bool
	// opens says it is the first sentence of its paragraph, which often
	// states what the paragraph is about.
	opens bool
}

// analyses caches passage analyses by chunk id. Chunk ids carry a hash of
// the text, but the text is compared too, so a reused id never serves a
// stale analysis.
type analyses struct {
	mu    sync.RWMutex
	m     map[string]*analysis
	limit int // entries kept before the cache starts over
}

func (e *Engine) analyse(id, section, text string) *analysis {
	e.cache.mu.RLock()
	a := e.cache.m[id]
	e.cache.mu.RUnlock()
	if a != nil && a.text == text && a.section == section {
		return a
	}
	a = &analysis{section: section, text: text, stems: stemSet(section + " " + text), heading: stemSet(section)}
	for st := range stemSet(text) {
		delete(a.heading, st)
	}
	afterLabel, intro, prev := false, -1, ""
	var title map[string]bool
	titleFirst, end := false, 0
	for i, sp := range words.Sentences(text) {
		s := text[sp.Start:sp.End]
		opens := i == 0 || strings.Contains(text[end:sp.Start], "\n\n")
		if opens {
			title = nil // a new paragraph
		}
		end = sp.End
		if isTitle(s) {
			title, titleFirst = stemSet(s), true
			continue
		}
		said, leans, referred := "", leansBack(s), false
		if leans {
			if r, ok := resolve(s, prev); ok {
				said, s, leans, referred = s, r, false, true
			} else if r, ok := resolveExample(s); ok {
				said, s, leans = s, r, false
			}
		}
		prev = s
		label := afterLabel
		colon := strings.HasSuffix(s, ":")
		afterLabel = colon && len(strings.Fields(s)) <= maxLabelWords
		if item := text[sp.Start:sp.End]; intro >= 0 && !afterLabel && (leansBack(item) || labelValue.MatchString(item)) {
			// A clause introducing a list is quoted with an item that
			// leans on it ("The cells work like helpers: They can ...") or
			// that is a label and its value ("You will be seen in clinic
			// ... less often: Weeks one to four: once a week."); an item
			// that is a sentence of its own is quoted alone.
			s, said, leans = text[intro:sp.End], "", leansBack(text[intro:sp.End])
		}
		intro = -1
		if colon && !afterLabel {
			intro = sp.Start
		}
		if n := len(a.sentences); leans && len(strings.Fields(s)) < minSentenceWords && n > 0 && a.sentences[n-1].pos == i-1 {
			// "This is called mucositis.": too short to quote alone, it
			// finishes the sentence before it, and is quoted with it.
			p := a.sentences[n-1]
			a.sentences[n-1] = e.sentenceOf(p.pos, p.text+" "+s, joined(p.said, s), p.leans, p.step)
			a.sentences[n-1].last, a.sentences[n-1].referred = i, p.referred
			a.sentences[n-1].titled, a.sentences[n-1].titleFirst, a.sentences[n-1].opens = p.titled, p.titleFirst, p.opens
			continue
		}
		if !e.quotable(s) {
			continue
		}
		step := label || stepStart.MatchString(s) || stepThen.MatchString(s)
		sent := e.sentenceOf(i, s, said, leans, step)
		sent.referred = referred
		sent.titled, sent.titleFirst, sent.opens = title, titleFirst, opens
		titleFirst = false
		a.sentences = append(a.sentences, sent)
	}
	e.cache.mu.Lock()
	if e.cache.m == nil || len(e.cache.m) >= e.cache.limit {
		e.cache.m = map[string]*analysis{}
	}
	e.cache.m[id] = a
	e.cache.mu.Unlock()
	return a
}

// isTitle says whether a sentence is a paragraph's title: a few words,
// capitalised, ending in a full stop ("Organ toxicities.", "Informed
// consent.").
func isTitle(s string) bool {
	n := len(strings.Fields(s))
	return n > 0 && n <= maxLabelWords && strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "..") &&
		s[0] >= 'A' && s[0] <= 'Z' && !leansBack(s)
}

// sentenceOf is a quotable sentence of a passage with what the engine
// needs of it.
func (e *Engine) sentenceOf(pos int, text, said string, leans, step bool) sentence {
	return sentence{pos: pos, last: pos, text: text, said: said, stems: stemSet(text), leans: leans, aside: isAside(text), step: step, defines: defining(text)}
}

// joined appends a sentence to the source wording of a resolved one (none
// when it was not resolved).
func joined(said, s string) string {
	if said == "" {
		return ""
	}
	return said + " " + s
}
