package corpus

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/responses"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// PDF text comes from PDFium (go-pdfium) run as WebAssembly in wazero: no
// cgo and nothing to install. Compiling the module takes a few seconds, so
// it is done once per process, only when a PDF is loaded, and the compiled
// code is cached in the user's cache directory for the next process.
const (
	// maxPDFWorkers: PDFium instances at once; each holds its own memory
	// (tens of MB), and Load already runs GOMAXPROCS files at once.
	maxPDFWorkers = 2
	// pdfWorkerWait: how long a file waits for a free instance.
	pdfWorkerWait = 2 * time.Minute
	// maxPDFPages bounds the pages read from one file; a handout has a few.
	maxPDFPages = 500
)

// Layout ratios that turn a page's lines into blocks.
const (
	// headingSizeRatio: a line set this much larger than the body text is
	// a heading (where the PDF has no tags, size is all there is).
	headingSizeRatio = 1.15
	// paragraphGapRatio: a vertical gap above a line larger than this
	// share of the body size starts a new paragraph.
	paragraphGapRatio = 0.6
	// shortLineRatio: a line ending a sentence whose right edge stops
	// short of the text column by more than this many body sizes ends its
	// paragraph (the next line starts a new paragraph or list item).
	shortLineRatio = 2.0
	// sameLineRatio: chars whose baselines differ by less than this share
	// of their size are on one line.
	sameLineRatio = 0.5
)

var pdfEngine struct {
	once sync.Once
	pool pdfium.Pool
	err  error
}

// pdfiumPool starts PDFium the first time a PDF is loaded.
func pdfiumPool() (pdfium.Pool, error) {
	pdfEngine.once.Do(func() {
		rc := wazero.NewRuntimeConfig().
			// The bundled module lowers setjmp/longjmp to exception handling.
			WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling)
		if dir, err := os.UserCacheDir(); err == nil {
			if cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(dir, "cellchat", "pdfium")); err == nil {
				rc = rc.WithCompilationCache(cache)
			}
		}
		pdfEngine.pool, pdfEngine.err = webassembly.Init(webassembly.Config{
			MinIdle: 0, MaxIdle: maxPDFWorkers, MaxTotal: maxPDFWorkers,
			RuntimeConfig: rc,
			FSConfig:      wazero.NewFSConfig(), // PDFs are passed as bytes: no file system
			ReuseWorkers:  true,
		})
		if pdfEngine.err != nil {
			pdfEngine.err = fmt.Errorf("starting the PDF reader: %w", pdfEngine.err)
		}
	})
	return pdfEngine.pool, pdfEngine.err
}

// pdfLine is one line of text on a page.
type pdfLine struct {
	text              string
	size              float64 // the font size most of its characters have
	top, bottom, left float64
	right             float64
	page              int
}

// parsePDF reads a PDF's text layer into blocks (headings by font size,
// paragraphs by spacing and line length, list items by bullets) and its
// Title property. A PDF without a text layer is an error saying so.
func parsePDF(data []byte) ([]block, string, error) {
	pool, err := pdfiumPool()
	if err != nil {
		return nil, "", err
	}
	inst, err := pool.GetInstance(pdfWorkerWait)
	if err != nil {
		return nil, "", fmt.Errorf("PDF reader busy: %w", err)
	}
	defer inst.Close()
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &data})
	if err != nil {
		return nil, "", fmt.Errorf("not a readable PDF (%v): save it again as PDF, or as .docx", err)
	}
	defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
	var title string
	if t, err := inst.FPDF_GetMetaText(&requests.FPDF_GetMetaText{Document: doc.Document, Tag: "Title"}); err == nil {
		title = normalizeText(t.Value)
	}
	count, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	if err != nil {
		return nil, "", fmt.Errorf("not a readable PDF: %w", err)
	}
	if count.PageCount > maxPDFPages {
		return nil, "", fmt.Errorf("PDF has %d pages, more than %d: split it", count.PageCount, maxPDFPages)
	}
	var lines []pdfLine
	for p := range count.PageCount {
		res, err := inst.GetPageTextStructured(&requests.GetPageTextStructured{
			Page:                   requests.Page{ByIndex: &requests.PageByIndex{Document: doc.Document, Index: p}},
			Mode:                   requests.GetPageTextStructuredModeChars,
			CollectFontInformation: true,
		})
		if err != nil {
			return nil, "", fmt.Errorf("page %d: %w", p+1, err)
		}
		lines = append(lines, pdfLines(res.Chars, p)...)
	}
	if len(lines) == 0 {
		return nil, "", errors.New("PDF has no text layer (a scanned document?): run text recognition (OCR) on it, or give the text as .docx, .md or .txt")
	}
	return pdfBlocks(lines), title, nil
}

// pdfLines groups a page's characters into lines, in PDFium's order (the
// order the text was written, which is reading order for documents made
// by word processors and browsers). A line ends at a generated line break
// or where the baseline moves.
func pdfLines(chars []*responses.GetPageTextStructuredChar, page int) []pdfLine {
	var lines []pdfLine
	var sb strings.Builder
	sizes := map[float64]int{}
	var cur pdfLine
	flush := func() {
		text := strings.TrimSpace(sb.String())
		if hasContent(text) {
			cur.text, cur.size, cur.page = text, mostCommon(sizes), page
			lines = append(lines, cur)
		}
		sb.Reset()
		clear(sizes)
		cur = pdfLine{}
	}
	for _, c := range chars {
		if c.Text == "\n" || c.Text == "\r" {
			if c.Text == "\n" {
				flush()
			}
			continue
		}
		pos := c.PointPosition
		size := 0.0
		if c.FontInformation != nil {
			size = c.FontInformation.Size
		}
		if sb.Len() > 0 && size > 0 && strings.TrimSpace(c.Text) != "" && math.Abs(pos.Bottom-cur.bottom) > sameLineRatio*size && pos.Left < cur.right {
			flush()
		}
		if strings.TrimSpace(c.Text) == "" {
			sb.WriteString(" ")
			continue
		}
		if sb.Len() == 0 || cur.left > pos.Left {
			cur.left = pos.Left
		}
		if sb.Len() == 0 || pos.Top > cur.top {
			cur.top = pos.Top
		}
		cur.bottom = pos.Bottom
		cur.right = max(cur.right, pos.Right)
		sb.WriteString(c.Text)
		sizes[math.Round(size*2)/2] += utf8.RuneCountInString(c.Text)
	}
	flush()
	return lines
}

func mostCommon(counts map[float64]int) float64 {
	best, n := 0.0, -1
	for v, c := range counts {
		if c > n || c == n && v < best {
			best, n = v, c
		}
	}
	return best
}

// pdfBlocks turns lines into blocks. The body size is the size most text
// is set in; larger lines are headings, ranked by size into levels.
func pdfBlocks(lines []pdfLine) []block {
	chars := map[float64]int{}
	for _, l := range lines {
		chars[l.size] += utf8.RuneCountInString(l.text)
	}
	body := mostCommon(chars)
	var headingSizes []float64
	for s := range chars {
		if s >= body*headingSizeRatio {
			headingSizes = append(headingSizes, s)
		}
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(headingSizes)))
	level := func(size float64) int {
		for i, s := range headingSizes {
			if s == size {
				return min(i+1, 6)
			}
		}
		return 0
	}
	columnRight := map[int]float64{}
	for _, l := range lines {
		if l.size == body {
			columnRight[l.page] = max(columnRight[l.page], l.right)
		}
	}

	var blocks []block
	for i, l := range lines {
		lvl := level(l.size)
		text := l.text
		kind := paragraphBlock
		if lvl > 0 {
			kind = headingBlock
		} else if b := bulletPrefix.FindString(text); b != "" {
			kind, text = itemBlock, text[len(b):]
		} else if strings.HasPrefix(text, "•") {
			kind, text = itemBlock, strings.TrimSpace(strings.TrimPrefix(text, "•"))
		}
		if i > 0 && len(blocks) > 0 && kind != itemBlock && continuesPDF(lines[i-1], l, body, columnRight[lines[i-1].page], level) {
			last := &blocks[len(blocks)-1]
			last.text = joinPDFLine(last.text, text)
			continue
		}
		blocks = append(blocks, block{kind: kind, level: lvl, text: text})
	}
	return blocks
}

// continuesPDF reports whether line cur continues the block of line prev.
func continuesPDF(prev, cur pdfLine, body, columnRight float64, level func(float64) int) bool {
	if prev.page != cur.page || level(prev.size) != level(cur.size) {
		return false
	}
	if gap := prev.bottom - cur.top; gap > paragraphGapRatio*body {
		return false
	}
	if level(cur.size) > 0 {
		return true // a heading wrapped over two lines
	}
	first, _ := utf8.DecodeRuneInString(cur.text)
	short := prev.right < columnRight-shortLineRatio*body
	return !(short && (endsSentence(prev.text) || strings.HasSuffix(prev.text, ":")) && !unicode.IsLower(first))
}

// joinPDFLine joins a wrapped line to the text before it; a word broken
// with a hyphen at the line end is joined whole.
func joinPDFLine(text, line string) string {
	if strings.HasSuffix(text, "-") || strings.HasSuffix(text, "\u00ad") {
		return strings.TrimSuffix(text, "\u00ad") + line
	}
	return text + " " + line
}
