package corpus

import (
	"bytes"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/andybalholm/cascadia"
	"github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// leadingJunk finds where the markup of a saved page starts, so stray text
// a save tool put above the doctype does not become part of the body.
var markupStart = regexp.MustCompile(`(?i)<!doctype|<html[\s>]`)

// parseHTML extracts the main content of an HTML page with go-trafilatura
// and walks its structured output (the content node, not the flat text)
// into blocks, keeping headings, paragraphs and list items apart and inline
// elements (<b>, <a>, <em>) inside their paragraph. The furniture selectors
// are pruned before extraction (see prune), and what they removed is
// returned. When trafilatura finds no main content (very short pages), the
// pruned body is walked instead. It also returns the page's title.
func parseHTML(src []byte, prune []pruneRule) ([]block, string, []Dropped) {
	if loc := markupStart.FindIndex(src); loc != nil && loc[0] > 0 && !bytes.Contains(src[:loc[0]], []byte("<")) {
		src = src[loc[0]:]
	}
	// Parse here rather than in trafilatura.Extract: the loader has
	// decoded the bytes to UTF-8, so its charset detection is skipped.
	root, err := html.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, "", nil
	}
	dropped := pruneFurniture(root, prune)
	res, err := trafilatura.ExtractDocument(root, trafilatura.Options{
		// FavorRecall keeps the article's headings; Balanced drops them.
		Focus:           trafilatura.FavorRecall,
		ExcludeComments: true,
		IncludeLinks:    true, // link density tells furniture from text
		HtmlDateMode:    trafilatura.Disabled,
	})
	title := pageTitle(root)
	body := findElement(root, atom.Body)
	if err == nil && res != nil && res.ContentNode != nil {
		blocks := walkBlocks(res.ContentNode)
		if body != nil && !hasHeading(blocks) {
			blocks = restoreHeadings(blocks, walkBlocks(body))
		}
		if textLen(blocks) >= minExtractedChars {
			if t := normalizeText(res.Metadata.Title); t != "" {
				title = t
			}
			return blocks, title, dropped
		}
	}
	// Below this size trafilatura falls back to a flat dump of the page
	// text; walking the pruned body keeps the structure instead.
	if body != nil {
		return walkBlocks(body), title, dropped
	}
	return nil, title, dropped
}

// restoreHeadings puts back the headings trafilatura left out of an
// article it kept none of: it keeps headings inside <main> or <article>,
// but drops all of them when they stand directly in <body> or a plain
// <div>, which is how Word and simple pages write them. A heading (or run
// of headings) of the page is put back before the paragraph that follows
// it on the page, when that paragraph is in the extracted article and the
// heading is not. (Restoring headings also into articles that kept some
// scored lower on the extraction benchmark: those are mostly teasers.)
func restoreHeadings(extracted, page []block) []block {
	at := map[string]int{} // paragraph text -> first index in extracted
	have := map[string]bool{}
	for i, b := range extracted {
		t := normalizeText(b.text)
		if b.kind == headingBlock {
			have[t] = true
		} else if _, ok := at[t]; !ok {
			at[t] = i
		}
	}
	insert := map[int][]block{}
	var run []block
	for _, b := range page {
		t := normalizeText(b.text)
		if b.kind == headingBlock {
			if !have[t] {
				run = append(run, b)
			}
			continue
		}
		if i, ok := at[t]; ok && len(run) > 0 {
			insert[i] = append(insert[i], run...)
			for _, h := range run {
				have[normalizeText(h.text)] = true
			}
		}
		run = nil
	}
	if len(insert) == 0 {
		return extracted
	}
	out := make([]block, 0, len(extracted)+len(insert))
	for i, b := range extracted {
		out = append(out, insert[i]...)
		out = append(out, b)
	}
	return out
}

func hasHeading(blocks []block) bool {
	for _, b := range blocks {
		if b.kind == headingBlock {
			return true
		}
	}
	return false
}

// minExtractedChars is trafilatura's own threshold (Config.MinExtractedSize)
// under which its main-content result is not trusted.
const minExtractedChars = 250

func textLen(blocks []block) int {
	n := 0
	for _, b := range blocks {
		n += utf8.RuneCountInString(b.text)
	}
	return n
}

// maxPruneShare: a prune selector never removes an element holding more
// than this share of the page's text: that is the article, whatever its
// class says ("[class*=consent i]" on <body>, "header" around a post).
const maxPruneShare = 0.5

// neverPruned are the elements that hold the page or its article.
var neverPruned = map[atom.Atom]bool{atom.Html: true, atom.Body: true, atom.Main: true, atom.Article: true}

// pruneFurniture removes the elements the prune selectors match from the
// tree, except the page's own containers and anything holding most of its
// text (or holding <main>), and returns the removed text as dropped blocks.
func pruneFurniture(root *html.Node, prune []pruneRule) []Dropped {
	if len(prune) == 0 {
		return nil
	}
	body := findElement(root, atom.Body)
	if body == nil {
		body = root
	}
	total := nodeTextLen(body)
	var dropped []Dropped
	for _, pr := range prune {
		for _, n := range cascadia.QueryAll(root, pr.sel) {
			if n.Parent == nil || !attached(n, root) || neverPruned[tagOf(n)] || findElement(n, atom.Main) != nil {
				continue
			}
			if float64(nodeTextLen(n)) > maxPruneShare*float64(total) {
				continue
			}
			for _, b := range walkBlocks(n) {
				if t := normalizeText(b.text); hasContent(t) {
					dropped = append(dropped, Dropped{Rule: pr.name, Text: t})
				}
			}
			n.Parent.RemoveChild(n)
		}
	}
	return dropped
}

// attached reports whether n is still in the tree under root (an earlier
// selector may have removed one of its ancestors).
func attached(n, root *html.Node) bool {
	for ; n != nil; n = n.Parent {
		if n == root {
			return true
		}
	}
	return false
}

// nodeTextLen is the length of the text a reader sees in n.
func nodeTextLen(n *html.Node) int {
	switch {
	case n.Type == html.TextNode:
		return utf8.RuneCountInString(strings.TrimSpace(n.Data))
	case n.Type == html.ElementNode && skipTags[tagOf(n)]:
		return 0
	}
	total := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		total += nodeTextLen(c)
	}
	return total
}

// findElement is the first element of the tag a in n's tree, n included.
func findElement(n *html.Node, a atom.Atom) *html.Node {
	if n.Type == html.ElementNode && tagOf(n) == a {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findElement(c, a); f != nil {
			return f
		}
	}
	return nil
}

// pageTitle is the text of the page's <title>.
func pageTitle(root *html.Node) string {
	t := findElement(root, atom.Title)
	if t == nil {
		return ""
	}
	var sb strings.Builder
	for c := t.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			sb.WriteString(c.Data)
		}
	}
	return normalizeText(sb.String())
}

// blockTags are elements whose text is a block of its own.
var blockTags = map[atom.Atom]bool{
	atom.P: true, atom.Li: true, atom.Blockquote: true, atom.Pre: true,
	atom.Dd: true, atom.Dt: true, atom.Figcaption: true, atom.Td: true,
	atom.Th: true, atom.Caption: true, atom.Div: true, atom.Section: true,
	atom.Article: true, atom.Main: true, atom.Body: true, atom.Ul: true,
	atom.Ol: true, atom.Dl: true, atom.Table: true, atom.Tr: true,
	atom.Tbody: true, atom.Thead: true, atom.Tfoot: true, atom.Figure: true,
	atom.Header: true, atom.Footer: true, atom.Nav: true, atom.Aside: true,
	atom.Form: true, atom.Fieldset: true, atom.Details: true, atom.Summary: true,
	atom.Address: true, atom.Hr: true, atom.Html: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
}

// skipTags never contribute text.
var skipTags = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Svg: true, atom.Img: true, atom.Iframe: true, atom.Object: true,
	atom.Head: true, atom.Select: true, atom.Textarea: true, atom.Button: true,
	atom.Input: true, atom.Picture: true, atom.Video: true, atom.Audio: true,
	atom.Math: true,
}

var headingLevel = map[atom.Atom]int{atom.H1: 1, atom.H2: 2, atom.H3: 3, atom.H4: 4, atom.H5: 5, atom.H6: 6}

// walker collects blocks from a DOM tree: inline text accumulates in buf
// until a block boundary flushes it as one block.
type walker struct {
	blocks []block
	buf    strings.Builder
	kind   blockKind // kind of the block being accumulated
	level  int
	depth  int // recursion guard against pathological nesting
	inLink int // depth of <a> elements around the current text
	links  int // characters of the current block inside links
}

func walkBlocks(n *html.Node) []block {
	w := &walker{}
	w.walk(n, paragraphBlock)
	w.flush()
	return w.blocks
}

func (w *walker) flush() {
	if t := w.buf.String(); strings.TrimSpace(t) != "" {
		w.blocks = append(w.blocks, block{kind: w.kind, level: w.level, text: t, linkChars: w.links})
	}
	w.buf.Reset()
	w.kind, w.level, w.links = paragraphBlock, 0, 0
}

// walk visits n; kind is the kind of text directly inside the nearest
// enclosing block element.
func (w *walker) walk(n *html.Node, kind blockKind) {
	w.depth++
	defer func() { w.depth-- }()
	if w.depth > 512 {
		return
	}
	switch n.Type {
	case html.TextNode:
		w.text(n.Data, kind)
		return
	case html.ElementNode:
		tag := tagOf(n)
		if skipTags[tag] {
			return
		}
		if tag == atom.Br {
			w.buf.WriteByte(' ')
			return
		}
		if tag == atom.A {
			w.inLink++
			defer func() { w.inLink-- }()
		}
		if lvl, ok := headingLevel[tag]; ok {
			w.flush()
			w.kind, w.level = headingBlock, lvl
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				w.walk(c, headingBlock)
			}
			w.kind, w.level = headingBlock, lvl // a nested block may have flushed
			w.flush()
			return
		}
		if (tag == atom.Td || tag == atom.Th) && n.Parent != nil && tagOf(n.Parent) == atom.Tr {
			// A table row reads as one line: "Drug; Use".
			if strings.TrimSpace(w.buf.String()) != "" {
				w.buf.WriteString("; ")
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				w.walk(c, kind)
			}
			return
		}
		if blockTags[tag] {
			w.flush()
			inner := kind
			switch tag {
			case atom.Li, atom.Dd:
				inner = itemBlock
			case atom.P, atom.Blockquote, atom.Pre, atom.Td, atom.Th, atom.Dt, atom.Figcaption, atom.Caption:
				if kind != itemBlock { // a <p> inside an <li> is still the item
					inner = paragraphBlock
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				w.walk(c, inner)
			}
			w.kind = inner
			w.flush()
			return
		}
	case html.DocumentNode:
	default:
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c, kind)
	}
}

// tagOf is an element's tag; trafilatura builds its output nodes by name
// only, without the atom.
func tagOf(n *html.Node) atom.Atom {
	if n.DataAtom != 0 || n.Type != html.ElementNode {
		return n.DataAtom
	}
	return atom.Lookup([]byte(strings.ToLower(n.Data)))
}

// text appends inline text. Extraction may drop the whitespace between an
// inline element and the text after it ("<b>Autologous cell therapy</b>means",
// "<b>Hope.</b>Cell"), so a space is put back where a word or a sentence
// would otherwise run into the next word.
func (w *walker) text(s string, kind blockKind) {
	if w.buf.Len() == 0 {
		if strings.TrimSpace(s) == "" {
			return
		}
		if w.kind != headingBlock {
			w.kind = kind
		}
	}
	if cur := w.buf.String(); cur != "" && s != "" {
		last, _ := utf8.DecodeLastRuneInString(cur)
		first, _ := utf8.DecodeRuneInString(s)
		if needsSpace(last, first) {
			w.buf.WriteByte(' ')
		}
	}
	w.buf.WriteString(s)
	if w.inLink > 0 {
		w.links += utf8.RuneCountInString(strings.TrimSpace(s))
	}
}

func needsSpace(last, first rune) bool {
	if unicode.IsSpace(last) || unicode.IsSpace(first) {
		return false
	}
	wordy := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	if !wordy(first) && first != '(' && first != '“' {
		return false
	}
	return wordy(last) || strings.ContainsRune(".,;:!?)]”", last)
}
