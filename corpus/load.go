package corpus

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// MaxFileSize bounds one source file; a larger file is reported, not read.
const MaxFileSize = 8 << 20

// formats maps a file extension to its loader format.
var formats = map[string]string{
	".html": "html",
	".htm":  "html",
	".md":   "md",
	".txt":  "txt",
	".pdf":  "pdf",
	".docx": "docx",
}

// supportedTypes lists the file types for error messages.
const supportedTypes = ".html, .htm, .md, .txt, .pdf, .docx"

// Load reads the manifest (sources.yaml) and every source file in dir,
// cleans and chunks them. Files that cannot be loaded are reported in the
// returned error (one wrapped error per file, naming it); the corpus of the
// files that did load is returned beside it.
//
// Which files are documents: every regular file under dir, in subfolders
// too (its id is its relative path without extension, "nutrition/diet"),
// except hidden files and folders, sources.yaml and what the manifest's
// `ignore` globs match. A document that is not listed in the manifest still
// loads, titled from the file (see derivedTitle), because an operator who
// drops a file into the corpus expects it to be answered from; it only
// lacks publisher, URL and review date. Formats: HTML (UTF-8, or the
// charset it declares), Markdown and text (UTF-8, or UTF-16 with a
// byte-order mark), PDF (its text layer) and Word .docx. Errors (the rest
// still loads):
//   - a manifest entry without a file;
//   - two files with the same id (neither is loaded: which one is meant
//     is ambiguous) or two manifest entries with the same id (the first is
//     used);
//   - an empty, unreadable, too large, binary (NUL bytes) or undecodable
//     file, a PDF without a text layer, or a file of an unsupported type
//     (the message says what to convert it to);
//   - a file with no article text left after cleaning (naming the rules
//     that dropped it), or whose start_after / end_before rule matches
//     nothing (the document still loads, but may carry furniture).
//
// The corpus is nil only when the manifest is missing or broken (bad YAML,
// unknown keys, invalid patterns or dates).
func Load(dir string) (*Corpus, error) {
	manifestPath := filepath.Join(dir, ManifestName)
	data, err := os.ReadFile(manifestPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", manifestPath, reason(err))
	}
	m, entryErrs, err := parseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", manifestPath, err)
	}
	var errs []error
	for _, e := range entryErrs {
		errs = append(errs, fmt.Errorf("%s: %w", manifestPath, e))
	}
	filesByID, err := documentFiles(dir, m)
	if err != nil {
		return nil, err
	}
	listed := map[string]source{}
	for _, s := range m.Documents {
		listed[s.ID] = s
		if len(filesByID[s.ID]) == 0 {
			errs = append(errs, fmt.Errorf("%s: listed in %s as %q but there is no such file", filepath.Join(dir, s.ID+".*"), ManifestName, s.ID))
		}
	}

	ids := make([]string, 0, len(filesByID))
	for id := range filesByID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	base := genericRules.withDefaults(m.Defaults)

	// Documents load in parallel (HTML extraction dominates); results are
	// collected in id order so the corpus is deterministic.
	type result struct {
		doc    *Document
		chunks []Chunk
		err    error
	}
	results := make([]result, len(ids))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, id := range ids {
		names := filesByID[id]
		if len(names) > 1 {
			sort.Strings(names)
			results[i].err = fmt.Errorf("%s: duplicate document id %q: files %s share it (none of them is loaded; rename one)", filepath.Join(dir, names[0]), id, strings.Join(names, ", "))
			continue
		}
		s, ok := listed[id]
		if !ok {
			s = source{ID: id}
		}
		p := filepath.Join(dir, names[0])
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			doc, err := loadFile(p, s, base)
			if err != nil {
				err = fmt.Errorf("%s: %w", p, err)
			}
			results[i] = result{doc: doc, err: err}
			if doc != nil {
				results[i].chunks = chunkDocument(doc)
			}
		})
	}
	wg.Wait()
	c := &Corpus{Covers: strings.Join(strings.Fields(m.Covers), " ")}
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
		}
		if r.doc != nil {
			c.Docs = append(c.Docs, *r.doc)
			c.Chunks = append(c.Chunks, r.chunks...)
		}
	}
	c.Version = versionOf(c.Chunks)
	return c, errors.Join(errs...)
}

// maxFolderDepth bounds how deep below the corpus directory documents are
// looked for; deeper folders are an error rather than a long walk.
const maxFolderDepth = 8

// documentFiles finds the documents under dir, subfolders included, by
// id: the path relative to dir without its extension, with "/" between
// folders ("nutrition/eating-well"). Hidden files and folders, the
// manifest and what its ignore globs match (by name or by relative path)
// are not documents; symbolic links to folders are not followed.
func documentFiles(dir string, m *manifest) (map[string][]string, error) {
	filesByID := map[string][]string{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			return nil // an unreadable subfolder: its files are not reached
		}
		if p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if m.ignored(rel) {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			if strings.Count(rel, "/")+1 > maxFolderDepth {
				return fmt.Errorf("%s: folders deeper than %d levels are not read: move the documents up", p, maxFolderDepth)
			}
			return nil
		}
		id := strings.TrimSuffix(rel, path.Ext(rel))
		filesByID[id] = append(filesByID[id], rel)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, reason(err))
	}
	return filesByID, nil
}

// reason strips the path from an *fs.PathError, since the caller names the
// file already.
func reason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// loadFile reads, checks, parses and cleans one source file. It may return
// a document together with an error (a rule that matched nothing).
func loadFile(path string, s source, base *rules) (*Document, error) {
	format, ok := formats[strings.ToLower(filepath.Ext(path))]
	if !ok {
		return nil, fmt.Errorf("unsupported file type %q (supported: %s): %s", filepath.Ext(path), supportedTypes, howToConvert(filepath.Ext(path)))
	}
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errors.New("file is missing (a dangling link?)")
		}
		return nil, fmt.Errorf("cannot read: %w", reason(err))
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if info.Size() > MaxFileSize {
		return nil, fmt.Errorf("file is too large (%d bytes, limit %d)", info.Size(), MaxFileSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", reason(err))
	}
	doc, err := parseDocument(data, format, s, base.forDocument(s))
	if doc != nil {
		doc.Path = path
	}
	return doc, err
}

// parseDocument turns file content into a cleaned document.
func parseDocument(data []byte, format string, s source, r *rules) (*Document, error) {
	blocks, pageTitle, dropped, err := parseFormat(data, format, r)
	if err != nil {
		return nil, err
	}
	sections, cleanDropped, cleanErr := clean(blocks, r)
	if cleanErr != nil && sections == nil {
		// A rule that matches nothing: load the rest with the generic
		// rules only rather than lose the document.
		r2 := *r
		r2.startAfter, r2.endBefore = nil, nil
		sections, cleanDropped, _ = clean(blocks, &r2)
	}
	dropped = append(dropped, cleanDropped...)
	if len(sections) == 0 {
		return nil, emptiedError(dropped)
	}
	title := s.Title
	if title == "" {
		title = derivedTitle(blocks, sections, plainHeading(pageTitle), s.ID)
	}
	nameSections(sections, title)
	d := &Document{
		ID:          s.ID,
		Title:       title,
		Publisher:   s.Publisher,
		URL:         s.URL,
		Reviewed:    s.Reviewed,
		ReviewEvery: s.ReviewEvery,
		Format:      format,
		Sections:    sections,
		Dropped:     dropped,
	}
	d.Hash = docHash(d)
	return d, cleanErr
}

// parseFormat turns a file's bytes into blocks by its format, with the
// title the file declares and what HTML pruning removed.
func parseFormat(data []byte, format string, r *rules) ([]block, string, []Dropped, error) {
	switch format {
	case "pdf":
		blocks, title, err := parsePDF(data)
		return blocks, title, nil, err
	case "docx":
		blocks, title, err := parseDOCX(data)
		return blocks, title, nil, err
	}
	data, err := decodeText(data, format)
	if err != nil {
		return nil, "", nil, err
	}
	switch format {
	case "html":
		blocks, title, dropped := parseHTML(data, r.prune)
		return blocks, title, dropped, nil
	case "md":
		return parseText(string(data), true), "", nil, nil
	}
	return parseText(string(data), false), "", nil, nil
}

// howToConvert says what to do with a file of a type the loader does not
// read.
func howToConvert(ext string) string {
	switch strings.ToLower(ext) {
	case ".doc", ".rtf", ".odt", ".pages", ".wpd":
		return "save it from its word processor as .docx (or PDF)"
	case ".xls", ".xlsx", ".csv", ".ods", ".ppt", ".pptx", ".odp", ".key":
		return "save the text as .docx or PDF, or export it as .md or .txt"
	case ".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".bmp", ".heic", ".webp":
		return "an image has no text to cite: run text recognition (OCR) on it and save the text as .docx or .txt"
	case ".mht", ".mhtml", ".webarchive":
		return "save the page as .html (\"Web page, HTML only\")"
	case "":
		return "give the file an extension that says its type, or list it under ignore: in " + ManifestName
	}
	return "convert it to one of these, or list it under ignore: in " + ManifestName + " if it is not a document"
}

// emptiedError says why a document has no text left: nothing in it, or
// cleaning dropped all of it (naming each rule that dropped some, most
// first).
func emptiedError(dropped []Dropped) error {
	if len(dropped) == 0 {
		return errors.New("no article text found (empty, or only page furniture)")
	}
	var rules []string
	count := map[string]int{}
	for _, d := range dropped {
		if count[d.Rule] == 0 {
			rules = append(rules, d.Rule)
		}
		count[d.Rule]++
	}
	sort.SliceStable(rules, func(i, j int) bool { return count[rules[i]] > count[rules[j]] })
	by := make([]string, len(rules))
	for i, r := range rules {
		by[i] = fmt.Sprintf("%d by %s", count[r], r)
	}
	return fmt.Errorf("cleaning dropped all of its text (%d paragraphs: %s): change the rule or the file; `cellchat corpus --dropped` lists them", len(dropped), strings.Join(by, "; "))
}

// pathSep joins the headings of a section's path.
const pathSep = " > "

// nameSections sets each section's Heading: its own heading, or, where
// that heading recurs in the document under other parents ("Medicines"
// under "First admission" and under "Second admission"), its heading path,
// "First admission > Medicines". A first heading that repeats the
// document's title is left out of a longer path. The name is what a
// citation shows and what a passage's id is made from, so a document
// without recurring headings keeps the names (and ids) it always had.
func nameSections(sections []Section, title string) {
	count := map[string]int{}
	for _, sec := range sections {
		if n := len(sec.Path); n > 0 {
			count[strings.ToLower(plainHeading(sec.Path[n-1]))]++
		}
	}
	for i, sec := range sections {
		n := len(sec.Path)
		switch {
		case n == 0:
			sections[i].Heading = ""
		case count[strings.ToLower(plainHeading(sec.Path[n-1]))] > 1:
			sections[i].Heading = headingPath(sec.Path, title)
		default:
			sections[i].Heading = plainHeading(sec.Path[n-1])
		}
	}
}

// headingPath is a section's heading path as shown: tags removed, and a
// first heading that repeats the document's title left out when there is
// more below it.
func headingPath(path []string, title string) string {
	parts := make([]string, 0, len(path))
	for _, h := range path {
		parts = append(parts, plainHeading(h))
	}
	if len(parts) > 1 && strings.EqualFold(parts[0], title) {
		parts = parts[1:]
	}
	return strings.Join(parts, pathSep)
}

// derivedTitle titles a document the manifest does not list: its first
// top-level heading (an <h1>, a Markdown "#", a Word "Title" or "Heading 1"
// paragraph, a short first line of a text file), else the title the file
// declares (<title>, document properties), else its first heading, else
// the file name. A subheading or a byline is never the title while the
// document has a better one.
func derivedTitle(blocks []block, sections []Section, pageTitle, id string) string {
	for _, b := range blocks {
		if b.kind == headingBlock && b.level == 1 {
			if t := plainHeading(normalizeText(b.text)); hasContent(t) {
				return t
			}
		}
	}
	if t := strings.Trim(pageTitle, " |-–"); t != "" {
		return t
	}
	for _, sec := range sections {
		if len(sec.Path) > 0 {
			return plainHeading(sec.Path[0])
		}
	}
	return id
}

// markupTag is a complete tag or comment; tagOpening a "<" that an HTML
// parser would take as the start of one, with or without its ">".
var (
	markupTag  = regexp.MustCompile(`<[a-zA-Z/!?][^<>]*>`)
	tagOpening = regexp.MustCompile(`<[a-zA-Z/!?].*$`)
)

// plainHeading removes markup from a heading or page title taken from a
// document's text (an entity-escaped tag in HTML, a tag in a .txt file).
// These reach clients as titles and section names, and a client that puts
// them into a page as HTML must not run them. Unlike manifest fields, which
// the operator writes and are refused with markup, a heading is part of a
// document received from elsewhere: the document still loads. A "<" that
// opens no tag ("age < 18") is kept.
func plainHeading(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	s = markupTag.ReplaceAllString(s, "")
	s = tagOpening.ReplaceAllString(s, "")
	return strings.Join(strings.Fields(s), " ")
}
