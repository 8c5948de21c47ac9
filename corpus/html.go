package corpus

import (
	"bytes"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
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
// are pruned before extraction. When trafilatura finds no main content
// (very short pages), the pruned body is walked instead. It also returns
// the page's title as trafilatura found it.
func parseHTML(src []byte, prune string) ([]block, string) {
	if loc := markupStart.FindIndex(src); loc != nil && loc[0] > 0 && !bytes.Contains(src[:loc[0]], []byte("<")) {
		src = src[loc[0]:]
	}
	// Parse here rather than in trafilatura.Extract: the loader has
	// checked the bytes are UTF-8, so its charset detection is skipped.
	root, err := html.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, ""
	}
	res, err := trafilatura.ExtractDocument(root, trafilatura.Options{
		// FavorRecall keeps the article's headings; Balanced drops them.
		Focus:           trafilatura.FavorRecall,
		ExcludeComments: true,
		HtmlDateMode:    trafilatura.Disabled,
		PruneSelector:   prune,
	})
	if err == nil && res != nil && res.ContentNode != nil {
		blocks := walkBlocks(res.ContentNode)
		if textLen(blocks) >= minExtractedChars {
			return blocks, normalizeText(res.Metadata.Title)
		}
	}
	// Below this size trafilatura falls back to a flat dump of the page
	// text; walking the pruned body keeps the structure instead.
	return fallbackHTML(src, prune)
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

// fallbackHTML walks the whole body minus the pruned furniture and
// non-content elements.
func fallbackHTML(src []byte, prune string) ([]block, string) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(src))
	if err != nil {
		return nil, ""
	}
	doc.Find("script, style, noscript, template, svg, iframe, object, head, select, textarea").Remove()
	if prune != "" {
		doc.Find(prune).Remove()
	}
	title := normalizeText(doc.Find("title").First().Text())
	body := doc.Find("body").First()
	if body.Length() == 0 {
		return nil, title
	}
	return walkBlocks(body.Get(0)), title
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
}

func walkBlocks(n *html.Node) []block {
	w := &walker{}
	w.walk(n, paragraphBlock)
	w.flush()
	return w.blocks
}

func (w *walker) flush() {
	if t := w.buf.String(); strings.TrimSpace(t) != "" {
		w.blocks = append(w.blocks, block{kind: w.kind, level: w.level, text: t})
	}
	w.buf.Reset()
	w.kind, w.level = paragraphBlock, 0
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
