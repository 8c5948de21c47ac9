package corpus

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// blockKind says what a block of a loaded document is. Every loader turns
// its format into the same flat list of blocks, so the furniture rules and
// the sectioning are written once.
type blockKind uint8

const (
	paragraphBlock blockKind = iota
	headingBlock
	itemBlock // a list item
)

type block struct {
	kind  blockKind
	level int // heading level 1..6 (text headings are level 1)
	text  string
	// joined: the block was assembled from several source lines, so it is
	// never a plain-text heading.
	joined bool
}

// maxLeadInAbsorb is how long a non-list paragraph may be and still be
// absorbed into a preceding lead-in ending with ":" ("The cells ... a task:"
// followed by three short lines). Longer paragraphs stand on their own.
const maxLeadInAbsorb = 200

var (
	invisibles = strings.NewReplacer("\u200b", "", "\u200c", "", "\u200d", "", "\ufeff", "", "\u00ad", "", "\u00a0", " ")
)

// normalizeText makes one block's text canonical: NFC, no invisible
// characters, no control characters, single spaces (any Unicode space). The result is valid
// UTF-8 whatever the input.
func normalizeText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, " ")
	}
	s = invisibles.Replace(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	s = norm.NFC.String(s)
	return strings.Join(strings.Fields(s), " ")
}

// isBulletOnly reports whether s is nothing but list markers or dashes, as
// on a lone "-" line that introduces the next line as a list item.
func isBulletOnly(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune(bulletRunes+" ", r) {
			return false
		}
	}
	return true
}

const bulletRunes = "-•*–—·▪●◦‣+"

// hasContent reports whether s has a letter or digit: a block of only
// punctuation is never a passage.
func hasContent(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			return true
		}
	}
	return false
}

// endsSentence reports whether s ends with terminal punctuation, allowing
// closing quotes and brackets after it.
func endsSentence(s string) bool {
	s = strings.TrimRight(s, `"'”’)]»`)
	r, _ := utf8.DecodeLastRuneInString(s)
	return strings.ContainsRune(".!?…", r)
}

// looksLikeHeading is the plain-text heading test: a short line on its own,
// starting with a capital or digit and without terminal punctuation
// ("Context", "Safety and control", "What is ATMP?").
func looksLikeHeading(s string) bool {
	n := utf8.RuneCountInString(s)
	if n == 0 || n > 80 || len(strings.Fields(s)) > 12 || !hasContent(s) {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	if !unicode.IsUpper(first) && !unicode.IsDigit(first) {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(strings.TrimRight(s, `"'”’)]`))
	return !strings.ContainsRune(".,;:!…", last)
}

// clean applies the furniture rules to a document's blocks and groups what
// is left into sections. A start_after or end_before rule that matches
// nothing is an error: the manifest no longer fits the file, and the
// document may carry furniture.
func clean(blocks []block, r *rules) ([]Section, error) {
	var norm []block
	for _, b := range blocks {
		b.text = normalizeText(b.text)
		if hasContent(b.text) {
			norm = append(norm, b)
		}
	}
	blocks = norm

	if r.startAfter != nil {
		i := indexMatch(blocks, r.startAfter)
		if i < 0 {
			return nil, fmt.Errorf("start_after %q matches no line", r.startAfter.String()[4:])
		}
		blocks = blocks[i+1:]
	}
	if r.endBefore != nil {
		i := indexMatch(blocks, r.endBefore)
		if i < 0 {
			return nil, fmt.Errorf("end_before %q matches no line", r.endBefore.String()[4:])
		}
		blocks = blocks[:i]
	}
	for _, re := range r.endAt {
		if i := indexMatch(blocks, re); i >= 0 {
			blocks = blocks[:i]
		}
	}
	blocks = dropSections(blocks, r.dropSections)
	blocks = dropLines(blocks, r.dropLines)
	blocks = absorbLeadIns(blocks)
	return sectionize(blocks), nil
}

func indexMatch(blocks []block, re *regexp.Regexp) int {
	for i, b := range blocks {
		if re.MatchString(b.text) {
			return i
		}
	}
	return -1
}

func matchAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// dropSections removes a matching heading and everything up to the next
// heading of the same or a higher level.
func dropSections(blocks []block, res []*regexp.Regexp) []block {
	out := blocks[:0:0]
	dropLevel := 0 // 0: not dropping
	for _, b := range blocks {
		if b.kind == headingBlock {
			if dropLevel > 0 && b.level > dropLevel {
				continue // a subsection of the dropped section
			}
			dropLevel = 0
			if matchAny(res, b.text) {
				dropLevel = b.level
				continue
			}
		}
		if dropLevel > 0 {
			continue
		}
		out = append(out, b)
	}
	return out
}

func dropLines(blocks []block, res []*regexp.Regexp) []block {
	out := blocks[:0:0]
	for _, b := range blocks {
		if !matchAny(res, b.text) {
			out = append(out, b)
		}
	}
	return out
}

// absorbLeadIns joins a paragraph ending with ":" with the first item of
// the list that follows it (or with the run of short lines that follows
// it), so "Cell therapy can be autologous or allogeneic:" is never a
// passage on its own. Items without terminal punctuation are joined with
// "; " and closed with ".", so the result reads as sentences.
func absorbLeadIns(blocks []block) []block {
	out := blocks[:0:0]
	for i := 0; i < len(blocks); i++ {
		b := blocks[i]
		if b.kind == headingBlock || !strings.HasSuffix(b.text, ":") {
			out = append(out, b)
			continue
		}
		var items []string
		j := i + 1
		if j < len(blocks) && blocks[j].kind == itemBlock {
			// The lead-in joins the first item; later items stay
			// paragraphs of their own, so a passage boundary falls
			// between items rather than inside one.
			items = append(items, blocks[j].text)
			j++
		} else {
			for ; j < len(blocks) && blocks[j].kind == paragraphBlock && utf8.RuneCountInString(blocks[j].text) <= maxLeadInAbsorb && !strings.HasSuffix(blocks[j].text, ":"); j++ {
				items = append(items, blocks[j].text)
			}
		}
		if len(items) == 0 {
			out = append(out, b)
			continue
		}
		var sb strings.Builder
		sb.WriteString(b.text)
		for k, it := range items {
			sb.WriteByte(' ')
			sb.WriteString(it)
			if !endsSentence(it) {
				if k == len(items)-1 {
					sb.WriteByte('.')
				} else {
					sb.WriteByte(';')
				}
			}
		}
		out = append(out, block{kind: paragraphBlock, text: sb.String()})
		i = j - 1
	}
	return out
}

// sectionize groups blocks under their headings. A heading with no text
// before the next heading gives way to that next, more specific heading;
// sections without paragraphs are dropped.
func sectionize(blocks []block) []Section {
	var secs []Section
	cur := Section{}
	flush := func() {
		if len(cur.Paragraphs) > 0 {
			secs = append(secs, cur)
		}
	}
	for _, b := range blocks {
		if b.kind == headingBlock {
			flush()
			cur = Section{Heading: b.text}
			continue
		}
		cur.Paragraphs = append(cur.Paragraphs, b.text)
	}
	flush()
	return secs
}
