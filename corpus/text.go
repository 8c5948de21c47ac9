package corpus

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	bulletPrefix   = regexp.MustCompile(`^[-•*–·▪●◦‣+]\s+`)
	numberedPrefix = regexp.MustCompile(`^\d{1,3}[.)]\s+`)
	atxHeading     = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	setextLine     = regexp.MustCompile(`^(=+|-+)\s*$`)
	ruleLine       = regexp.MustCompile(`^\s*([-*_]\s*){3,}$`)
	fenceLine      = regexp.MustCompile("^\\s*(```|~~~)")
	tableSepLine   = regexp.MustCompile(`^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$`)

	mdImage      = regexp.MustCompile(`!\[[^\]]*\]\([^)]*\)`)
	mdLink       = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	mdRefLink    = regexp.MustCompile(`\[([^\]]+)\]\[[^\]]*\]`)
	mdStrong     = regexp.MustCompile(`(\*\*|__)(\S(?:.*?\S)?)(\*\*|__)`)
	mdEm         = regexp.MustCompile(`(^|[\s(])[*_](\S(?:[^*_]*?\S)?)[*_]([\s).,;:!?]|$)`)
	mdCode       = regexp.MustCompile("`([^`]*)`")
	mdHTMLTag    = regexp.MustCompile(`</?[a-zA-Z][^>]*>`)
	mdEscape     = regexp.MustCompile(`\\([\\` + "`" + `*_{}\[\]()#+\-.!|>])`)
	mdRefDef     = regexp.MustCompile(`^\s*\[[^\]]+\]:\s+\S+`)
	mdAutoLink   = regexp.MustCompile(`<(https?://[^>]+)>`)
	mdBlockquote = regexp.MustCompile(`^\s*>\s?`)
)

// parseText turns a plain-text or Markdown file into blocks.
//
// Plain text: every non-blank line is a block, except that a line starting
// with a lower-case letter continues the line before it when that line did
// not end a sentence, and a hard-wrapped file (most lines 50-100 characters,
// none longer) is read as paragraphs separated by blank lines. A short line
// without terminal punctuation is a heading. "- ", "• " and friends start a
// list item, and so does the line after a lone "-"; "# Heading" is a heading.
//
// Markdown adds underlined headings, soft-wrapped paragraphs,
// fenced code (dropped), tables (cells joined) and inline markup (removed).
func parseText(src string, markdown bool) []block {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	src = strings.ReplaceAll(src, "\r", "\n")
	lines := strings.Split(src, "\n")
	if markdown {
		lines = stripFrontMatter(lines)
	}
	wrapped := markdown || isHardWrapped(lines)

	var blocks []block
	pendingItem := false // a lone bullet line introduced the next line
	open := false        // the last block may still take continuation lines
	inFence := false
	prevLen := 0 // length of the previous non-blank line
	for i := 0; i < len(lines); i++ {
		if i > 0 {
			if l := strings.TrimSpace(lines[i-1]); l != "" {
				prevLen = utf8.RuneCountInString(l)
			}
		}
		line := strings.TrimRightFunc(lines[i], unicode.IsSpace)
		trimmed := strings.TrimSpace(line)
		if markdown {
			if fenceLine.MatchString(line) {
				inFence = !inFence
				open = false
				continue
			}
			if inFence || mdRefDef.MatchString(line) {
				continue
			}
			trimmed = strings.TrimSpace(mdBlockquote.ReplaceAllString(trimmed, ""))
		}
		if trimmed == "" {
			open = false
			continue
		}
		if isBulletOnly(trimmed) && !ruleLine.MatchString(trimmed) || trimmed == "-" {
			pendingItem = true
			open = false
			continue
		}
		// "# Heading" is a heading in plain text too: people write it there.
		if m := atxHeading.FindStringSubmatch(trimmed); m != nil && hasContent(m[2]) {
			blocks = append(blocks, block{kind: headingBlock, level: len(m[1]), text: stripInlineMarkdown(m[2])})
			open, pendingItem = false, false
			continue
		}
		if markdown {
			if setextLine.MatchString(trimmed) && open && len(blocks) > 0 && blocks[len(blocks)-1].kind == paragraphBlock {
				last := &blocks[len(blocks)-1]
				last.kind, last.level = headingBlock, 1
				if trimmed[0] == '-' {
					last.level = 2
				}
				open = false
				continue
			}
			if ruleLine.MatchString(trimmed) || tableSepLine.MatchString(trimmed) {
				open = false
				continue
			}
			if strings.HasPrefix(trimmed, "|") {
				cells := strings.Split(strings.Trim(trimmed, "|"), "|")
				for k := range cells {
					cells[k] = strings.TrimSpace(cells[k])
				}
				// A table row is data, never a heading.
				blocks = append(blocks, block{kind: paragraphBlock, text: stripInlineMarkdown(strings.Join(cells, "; ")), joined: true})
				open = false
				continue
			}
			trimmed = stripInlineMarkdown(trimmed)
		}
		switch {
		case bulletPrefix.MatchString(trimmed):
			blocks = append(blocks, block{kind: itemBlock, text: bulletPrefix.ReplaceAllString(trimmed, "")})
			open, pendingItem = true, false
		case numberedPrefix.MatchString(trimmed):
			blocks = append(blocks, block{kind: itemBlock, text: trimmed})
			open, pendingItem = true, false
		case open && len(blocks) > 0 && continues(blocks[len(blocks)-1], prevLen, trimmed, markdown, wrapped):
			last := &blocks[len(blocks)-1]
			last.text += " " + trimmed
			last.joined = true
		default:
			kind := paragraphBlock
			if pendingItem {
				kind = itemBlock
			}
			blocks = append(blocks, block{kind: kind, text: trimmed})
			open, pendingItem = true, false
		}
	}
	// Plain-text headings: a short standalone line without terminal
	// punctuation (after markdown ones, which are explicit). The last line
	// heads nothing: it is text ("Transplant unit: 617 555 0142").
	for i := range blocks[:max(len(blocks)-1, 0)] {
		b := &blocks[i]
		if b.kind == paragraphBlock && !b.joined && looksLikeHeading(b.text) {
			b.kind, b.level = headingBlock, 1
			if markdown {
				b.level = 6 // below every explicit markdown heading
			}
		}
	}
	return blocks
}

// continues reports whether line continues the block before it rather than
// starting a new one. Markdown paragraphs run to the next blank line. In a
// hard-wrapped file a line continues only a line that reached the wrap
// width, so a short heading line is never glued to the text under it.
func continues(prev block, prevLen int, line string, markdown, wrapped bool) bool {
	if prev.kind == headingBlock {
		return false
	}
	if markdown {
		return true
	}
	if wrapped && prevLen >= wrapMinChars {
		return true
	}
	first, _ := utf8.DecodeRuneInString(line)
	return unicode.IsLower(first) && !endsSentence(prev.text) && !strings.HasSuffix(prev.text, ":")
}

// wrapMinChars is the shortest line counted as reaching a wrap width.
const wrapMinChars = 50

// isHardWrapped reports whether a plain-text file is wrapped at a fixed
// width, so that its paragraphs are separated by blank lines rather than
// being one per line.
func isHardWrapped(lines []string) bool {
	var n, mid int
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		c := utf8.RuneCountInString(l)
		if c > 100 {
			return false
		}
		n++
		if c >= wrapMinChars {
			mid++
		}
	}
	return n >= 4 && mid*10 >= n*6
}

func stripFrontMatter(lines []string) []string {
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "---" {
		return lines
	}
	for i := 1; i < len(lines); i++ {
		if t := strings.TrimSpace(lines[i]); t == "---" || t == "..." {
			return lines[i+1:]
		}
	}
	return lines
}

// stripInlineMarkdown removes Markdown inline markup, keeping the words.
func stripInlineMarkdown(s string) string {
	s = mdImage.ReplaceAllString(s, "")
	s = mdLink.ReplaceAllString(s, "$1")
	s = mdRefLink.ReplaceAllString(s, "$1")
	s = mdAutoLink.ReplaceAllString(s, "$1")
	s = mdCode.ReplaceAllString(s, "$1")
	s = mdHTMLTag.ReplaceAllString(s, "")
	for range 2 { // nested emphasis
		s = mdStrong.ReplaceAllString(s, "$2")
		s = mdEm.ReplaceAllString(s, "$1$2$3")
	}
	s = mdEscape.ReplaceAllString(s, "$1")
	return strings.TrimSpace(s)
}
