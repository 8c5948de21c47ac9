package corpus

import (
	"fmt"
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
	// linkChars is how much of text was inside links (HTML only).
	linkChars int
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

// Shape limits of furniture for the generic rules. A generic rule
// (furniture.yaml) drops a block only when the block is shaped like
// furniture as well as matching: link-dense, or a short line that is not a
// sentence ("Share", "Sign up for our newsletter", "© 2024 ASGCT"). Body
// text that merely mentions a cookie, a newsletter or "sign up" is a
// sentence and stays.
const (
	// maxFurnitureWords: a longer block is text, whatever it says.
	maxFurnitureWords = 12
	// maxCutShare: a generic end_at never cuts more of a document's text
	// than this share, unless what it cuts is under maxTailChars (a lone
	// cookie notice); a page's tail is shorter than its article.
	maxCutShare  = 0.5
	maxTailChars = 300
	// maxPointerWords: a sentence this short that holds a link ("Learn
	// more about this in CAR T Basics.") points elsewhere on a site.
	maxPointerWords = 25
)

// furnitureShaped reports whether a generic rule may drop b.
func furnitureShaped(b block) bool {
	n := utf8.RuneCountInString(b.text)
	words := len(strings.Fields(b.text))
	switch {
	case b.linkChars > 0 && (b.linkChars*2 >= n || words <= maxPointerWords):
		return true
	}
	return words <= maxFurnitureWords && !endsSentence(b.text)
}

// cleaner applies rules to one document and remembers what it dropped.
type cleaner struct {
	r       *rules
	dropped []Dropped
}

func (c *cleaner) drop(rule string, bs ...block) {
	for _, b := range bs {
		c.dropped = append(c.dropped, Dropped{Rule: rule, Text: b.text})
	}
}

// clean applies the furniture rules to a document's blocks and groups what
// is left into sections; it also returns every block it dropped with the
// rule that dropped it. A start_after or end_before rule that matches
// nothing is an error: the manifest no longer fits the file, and the
// document may carry furniture.
func clean(blocks []block, r *rules) ([]Section, []Dropped, error) {
	var norm []block
	for _, b := range blocks {
		b.text = normalizeText(b.text)
		if hasContent(b.text) {
			norm = append(norm, b)
		}
	}
	blocks = norm
	c := &cleaner{r: r}

	if r.startAfter != nil {
		i := indexMatch(blocks, r.startAfter)
		if i < 0 {
			return nil, nil, fmt.Errorf("start_after %q matches no line", r.startAfter.re.String()[4:])
		}
		c.drop(r.startAfter.name, blocks[:i+1]...)
		blocks = blocks[i+1:]
	}
	if r.endBefore != nil {
		i := indexMatch(blocks, r.endBefore)
		if i < 0 {
			return nil, nil, fmt.Errorf("end_before %q matches no line", r.endBefore.re.String()[4:])
		}
		c.drop(r.endBefore.name, blocks[i:]...)
		blocks = blocks[:i]
	}
	blocks = c.endAt(blocks)
	blocks = c.dropSections(blocks)
	blocks = c.dropLines(blocks)
	blocks = absorbLeadIns(blocks)
	secs, empty := sectionize(blocks)
	return secs, append(c.dropped, empty...), nil
}

func indexMatch(blocks []block, ru *rule) int {
	for i, b := range blocks {
		if ru.re.MatchString(b.text) {
			return i
		}
	}
	return -1
}

// firstMatch is the first rule matching b that may drop it.
func firstMatch(rs []rule, b block) *rule {
	for i := range rs {
		if rs[i].re.MatchString(b.text) && (!rs[i].generic || furnitureShaped(b)) {
			return &rs[i]
		}
	}
	return nil
}

// endAt cuts the document at the first block an end_at rule matches. A
// generic rule that would cut most of the text is not a page tail and is
// passed over.
func (c *cleaner) endAt(blocks []block) []block {
	total := textLen(blocks)
	for _, ru := range c.r.endAt {
		i := indexMatch(blocks, &ru)
		if i < 0 {
			continue
		}
		if cut := textLen(blocks[i:]); ru.generic && cut > maxTailChars && float64(cut) > maxCutShare*float64(total) {
			continue
		}
		c.drop(ru.name, blocks[i:]...)
		blocks = blocks[:i]
	}
	return blocks
}

// dropSections removes a matching heading and everything up to the next
// heading of the same or a higher level. A generic rule drops a section
// only when all of it is shaped like furniture (a "Contact us" section of
// link lists, not one that says when to call).
func (c *cleaner) dropSections(blocks []block) []block {
	out := blocks[:0:0]
	for i := 0; i < len(blocks); i++ {
		b := blocks[i]
		var ru *rule
		if b.kind == headingBlock {
			ru = matchSection(c.r.dropSections, b)
		}
		if ru == nil {
			out = append(out, b)
			continue
		}
		end := i + 1
		for end < len(blocks) && (blocks[end].kind != headingBlock || blocks[end].level > b.level) {
			end++
		}
		if ru.generic && !allFurniture(blocks[i+1:end]) {
			out = append(out, b)
			continue
		}
		c.drop(ru.name, blocks[i:end]...)
		i = end - 1
	}
	return out
}

func matchSection(rs []rule, heading block) *rule {
	for i := range rs {
		if rs[i].re.MatchString(heading.text) {
			return &rs[i]
		}
	}
	return nil
}

func allFurniture(blocks []block) bool {
	for _, b := range blocks {
		if b.kind != headingBlock && !furnitureShaped(b) {
			return false
		}
	}
	return true
}

func (c *cleaner) dropLines(blocks []block) []block {
	out := blocks[:0:0]
	for _, b := range blocks {
		if ru := firstMatch(c.r.dropLines, b); ru != nil {
			c.drop(ru.name, b)
			continue
		}
		out = append(out, b)
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

// emptyHeadingRule names, in the dropped list, a heading with no text
// under it before the next heading of its level.
const emptyHeadingRule = "heading with no text under it"

// sectionize groups blocks under their heading paths: each heading opens a
// section whose path is the headings above it (by level) and itself, so
// two "Medicines" sections under different parents stay apart. A heading
// with only subheadings under it is part of their paths; one with nothing
// at all under it is returned as dropped.
func sectionize(blocks []block) ([]Section, []Dropped) {
	type open struct {
		level int
		text  string
		used  bool // some paragraph sits under it, directly or deeper
	}
	var secs []Section
	var dropped []Dropped
	var stack []open
	cur := Section{}
	flush := func() {
		if len(cur.Paragraphs) > 0 {
			secs = append(secs, cur)
			for i := range stack {
				stack[i].used = true
			}
		}
	}
	for _, b := range blocks {
		if b.kind != headingBlock {
			cur.Paragraphs = append(cur.Paragraphs, b.text)
			continue
		}
		flush()
		for len(stack) > 0 && stack[len(stack)-1].level >= b.level {
			if top := stack[len(stack)-1]; !top.used {
				dropped = append(dropped, Dropped{Rule: emptyHeadingRule, Text: top.text})
			}
			stack = stack[:len(stack)-1]
		}
		stack = append(stack, open{level: b.level, text: b.text})
		path := make([]string, len(stack))
		for i, o := range stack {
			path[i] = o.text
		}
		cur = Section{Heading: b.text, Path: path}
	}
	flush()
	for _, o := range stack {
		if !o.used {
			dropped = append(dropped, Dropped{Rule: emptyHeadingRule, Text: o.text})
		}
	}
	return secs, dropped
}
