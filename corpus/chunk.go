package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/tmc/langchaingo/textsplitter"

	"github.com/cellchat/cellchat/internal/words"
)

// Chunk sizes in characters (runes). A passage is what a patient reads as a
// citation: a few sentences. Splits happen only between paragraphs and
// between sentences, never inside a sentence; a single sentence longer than
// maxChunkChars stays whole.
const (
	maxChunkChars = 650
	// minChunkChars: a trailing piece shorter than this is merged into the
	// passage before it when the two together stay under mergeLimitChars.
	minChunkChars   = 160
	mergeLimitChars = 820
)

const (
	paragraphSep = "\n\n"
	sentenceSep  = "\n"
	// keptBreak marks a paragraph break the splitter must not cut at; it
	// becomes paragraphSep again in the passage text.
	keptBreak = "\uE000"
)

// splitter is langchaingo's recursive character splitter over paragraph
// and sentence separators, measuring characters (never tokens: the token
// splitter downloads its encoding).
var splitter = textsplitter.NewRecursiveCharacter(
	textsplitter.WithChunkSize(maxChunkChars),
	textsplitter.WithChunkOverlap(0),
	textsplitter.WithSeparators([]string{paragraphSep, sentenceSep}),
	textsplitter.WithLenFunc(utf8.RuneCountInString),
)

// chunkSection cuts one section into passages. Sentences are marked with
// single newlines and paragraphs with blank lines, so the splitter cuts
// only there; in the passage text sentences are joined by a space and
// paragraphs by a blank line.
func chunkSection(sec Section) []string {
	paras := keepTogether(sec.Paragraphs)
	if len(paras) == 0 {
		return nil
	}
	full := strings.Join(paras, paragraphSep)
	pieces, err := splitter.SplitText(full)
	if err != nil { // the recursive splitter never fails; keep paragraphs whole if it does
		pieces = paras
	}
	type passage struct {
		text     string
		paraEnds bool // the passage ends a paragraph
	}
	var out []passage
	pos := 0
	for _, p := range pieces {
		paraEnds := true
		if i := strings.Index(full[pos:], p); i >= 0 {
			pos += i + len(p)
			paraEnds = pos >= len(full) || strings.HasPrefix(full[pos:], paragraphSep)
		}
		ps := strings.Split(p, paragraphSep)
		for i := range ps {
			ps[i] = strings.TrimSpace(strings.ReplaceAll(ps[i], sentenceSep, " "))
		}
		text := strings.ReplaceAll(strings.TrimSpace(strings.Join(nonEmpty(ps), paragraphSep)), keptBreak, paragraphSep)
		if hasContent(text) {
			out = append(out, passage{text, paraEnds})
		}
	}
	// Merge a short piece ("It is rare.") into its neighbour so no passage
	// is a lone fragment.
	for i := 1; i < len(out); i++ {
		a, b := utf8.RuneCountInString(out[i-1].text), utf8.RuneCountInString(out[i].text)
		if (b < minChunkChars || a < minChunkChars) && a+b+2 <= mergeLimitChars {
			sep := " "
			if out[i-1].paraEnds {
				sep = paragraphSep
			}
			out[i-1] = passage{out[i-1].text + sep + out[i].text, out[i].paraEnds}
			out = append(out[:i], out[i+1:]...)
			i--
		}
	}
	texts := make([]string, len(out))
	for i, p := range out {
		texts[i] = p.text
	}
	return texts
}

// keepTogether returns a section's paragraphs, cleaned and with their
// sentences marked, joined by keptBreak where a paragraph leans on the one
// before it ("One example is Ebvallo ..."), so that no passage opens on a
// sentence whose meaning is in another. A run of such paragraphs too long
// for one passage gives up its first paragraphs.
func keepTogether(paragraphs []string) []string {
	var out, run []string // run: the paragraphs kept together so far
	size := 0
	flush := func() {
		if len(run) > 0 {
			out = append(out, strings.Join(run, keptBreak))
		}
		run, size = nil, 0
	}
	for _, p := range paragraphs {
		p = normalizeText(p)
		if p == "" {
			continue
		}
		units := sentenceUnits(p)
		if !words.RefersBack(units[0]) {
			flush()
		}
		run = append(run, strings.Join(units, sentenceSep))
		size += utf8.RuneCountInString(p)
		for len(run) > 1 && size > maxChunkChars {
			size -= utf8.RuneCountInString(run[0])
			out = append(out, run[0])
			run = run[1:]
		}
	}
	flush()
	return out
}

func nonEmpty(ss []string) []string {
	out := ss[:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// minSentenceChars: a shorter "sentence" (a list label such as "Matched
// donors.") is kept with the sentence after it, so a cut never separates
// a label from what it labels.
const minSentenceChars = 40

// sentenceUnits are the sentences of a paragraph that a passage boundary
// may fall between. Each unit runs from the end of the sentence before it
// to the end of its own, so the units put together are the paragraph: a
// bullet or dash that words.Sentences leaves out of a sentence stays in
// the passage text.
func sentenceUnits(p string) []string {
	spans := words.Sentences(p)
	ss := make([]string, 0, len(spans))
	prev := 0
	for i, sp := range spans {
		end := sp.End
		if i == len(spans)-1 {
			end = len(p)
		}
		if s := strings.TrimSpace(p[prev:end]); s != "" {
			ss = append(ss, s)
		}
		prev = end
	}
	out := ss[:0]
	carry := ""
	for _, s := range ss {
		if carry != "" {
			s = carry + " " + s
			carry = ""
		}
		if utf8.RuneCountInString(s) < minSentenceChars {
			carry = s
			continue
		}
		out = append(out, s)
	}
	if carry != "" {
		if len(out) > 0 {
			out[len(out)-1] += " " + carry
		} else {
			out = append(out, carry)
		}
	}
	return withAntecedents(out)
}

// withAntecedents joins a sentence that leans on the one before it ("One
// example is Ebvallo ...", "These cells ...") to that one, so a passage
// boundary never falls between them and no passage opens on a sentence
// whose meaning is in another; a run that would outgrow a passage is cut
// where it must be.
func withAntecedents(units []string) []string {
	out := units[:0]
	for _, u := range units {
		n := len(out)
		if n > 0 && words.RefersBack(u) && utf8.RuneCountInString(out[n-1])+1+utf8.RuneCountInString(u) <= maxChunkChars {
			out[n-1] += " " + u
			continue
		}
		out = append(out, u)
	}
	return out
}

// chunkID is stable for a given document, section and text, so a logged
// citation keeps pointing at the same words across re-ingests.
func chunkID(docID, section, text string) string {
	sum := sha256.Sum256([]byte(section + "\x00" + text))
	return docID + "#" + hex.EncodeToString(sum[:6])
}

// versionOf hashes the sorted chunk ids: it changes when any chunk changes,
// appears or disappears.
func versionOf(chunks []Chunk) string {
	ids := make([]string, len(chunks))
	for i, c := range chunks {
		ids[i] = c.ID
	}
	sort.Strings(ids)
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// docHash hashes a document's cleaned content and its metadata, so a
// changed title or URL (which chunks carry) also counts as a change.
func docHash(d *Document) string {
	h := sha256.New()
	for _, f := range []string{d.ID, d.Title, d.Publisher, d.URL, d.Reviewed} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	for _, s := range d.Sections {
		h.Write([]byte{1})
		h.Write([]byte(s.Heading))
		for _, p := range s.Paragraphs {
			h.Write([]byte{0})
			h.Write([]byte(p))
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// chunkDocument cuts every section of d into chunks carrying the section
// heading and the document's metadata. Identical passages in the same
// section (same id) are kept once.
func chunkDocument(d *Document) []Chunk {
	var out []Chunk
	seen := map[string]bool{}
	for _, sec := range d.Sections {
		sec.Heading = normalizeText(sec.Heading)
		for _, text := range chunkSection(sec) {
			id := chunkID(d.ID, sec.Heading, text)
			if seen[id] {
				continue
			}
			seen[id] = true
			out = append(out, Chunk{
				ID:      id,
				DocID:   d.ID,
				Title:   d.Title,
				URL:     d.URL,
				Section: sec.Heading,
				Path:    chunkPath(sec, d.Title),
				Text:    text,
				Ord:     len(out),
			})
		}
	}
	return out
}

// chunkPath is a section's heading path as shown when it says more than its
// own heading ("After you go home > Medicines"), else "".
func chunkPath(sec Section, title string) string {
	if len(sec.Path) < 2 {
		return ""
	}
	p := normalizeText(headingPath(sec.Path, title))
	if !strings.Contains(p, pathSep) || p == sec.Heading {
		return ""
	}
	return p
}
