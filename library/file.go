package library

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cellchat/cellchat/chat"
)

// The library file is how a clinic keeps its library in version control
// and moves it between deployments: YAML, one entry after another, each
// citation naming its passage by chunk id (the text is taken from the
// corpus on import, and checked against it when served).

// File is a library file.
type File struct {
	Entries []FileEntry `yaml:"entries"`
}

// FileEntry is an entry as the file holds it.
type FileEntry struct {
	ID            int64      `yaml:"id,omitempty"`
	Status        string     `yaml:"status"`
	Question      string     `yaml:"question"`
	Variants      []string   `yaml:"variants,omitempty"`
	Answer        string     `yaml:"answer"`
	Citations     []FileCite `yaml:"citations,omitempty"`
	Own           bool       `yaml:"own,omitempty"`
	Author        string     `yaml:"author,omitempty"`
	Approver      string     `yaml:"approver,omitempty"`
	Approved      string     `yaml:"approved,omitempty"` // RFC 3339, or a date YYYY-MM-DD
	CorpusVersion string     `yaml:"corpus_version,omitempty"`
	line          int
}

// FileCite is a citation as the file holds it.
type FileCite struct {
	N     int    `yaml:"n"`
	Chunk string `yaml:"chunk"`
}

const fileHeader = "# cellchat answer library: `cellchat library import` this file; every entry is checked\n" +
	"# (known chunk ids, [n] markers matching citations, sizes) and a bad file changes nothing.\n"

// dateLayout is the approval date without a time, as a person writes it.
const dateLayout = "2006-01-02"

// Export writes entries as a library file.
func Export(w io.Writer, entries []Entry) error {
	var f File
	for _, e := range entries {
		fe := FileEntry{ID: e.ID, Status: e.Status, Question: e.Question, Variants: e.Variants, Answer: e.Answer, Own: e.Own,
			Author: e.Author, Approver: e.Approver, CorpusVersion: e.CorpusVersion}
		if !e.Approved.IsZero() {
			fe.Approved = e.Approved.UTC().Format(time.RFC3339)
		}
		for _, c := range e.Citations {
			fe.Citations = append(fe.Citations, FileCite{N: c.N, Chunk: c.ChunkID})
		}
		f.Entries = append(f.Entries, fe)
	}
	if _, err := io.WriteString(w, fileHeader); err != nil {
		return err
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("write library file: %w", err)
	}
	return enc.Close()
}

// Parse reads a library file and checks every entry against the limits
// and the passages p (citations are filled from p). It returns every
// problem of the file at once, as one CodeInvalid Error, and no entries
// unless there are none.
func Parse(data []byte, lim Limits, p Passages) ([]Entry, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, &Error{Code: CodeInvalid, Message: "the library file is not valid", Problems: []string{err.Error()}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err == nil {
		lineEntries(&doc, f.Entries)
	}
	var problems []string
	var out []Entry
	ids := map[int64]int{}
	for i, fe := range f.Entries {
		where := fmt.Sprintf("entry %d (line %d)", i+1, fe.line)
		e, errs := fe.entry(p)
		if fe.ID != 0 {
			if first, dup := ids[fe.ID]; dup {
				errs = append(errs, fmt.Sprintf("id %d is also entry %d's", fe.ID, first))
			}
			ids[fe.ID] = i + 1
		}
		if fe.Status == "" {
			errs = append(errs, "no status (draft, published or retired)")
		}
		errs = append(errs, Problems(e, lim, p.Known)...)
		for _, msg := range errs {
			problems = append(problems, where+": "+msg)
		}
		out = append(out, e)
	}
	if len(problems) > 0 {
		return nil, &Error{Code: CodeInvalid, Message: fmt.Sprintf("the library file has %d problem(s); nothing was imported", len(problems)), Problems: problems}
	}
	return out, nil
}

// entry is fe as an entry, its citations filled from p.
func (fe FileEntry) entry(p Passages) (Entry, []string) {
	e := Entry{ID: fe.ID, Status: fe.Status, Question: fe.Question, Variants: fe.Variants, Answer: fe.Answer, Own: fe.Own,
		Author: fe.Author, Approver: fe.Approver, CorpusVersion: fe.CorpusVersion}
	var problems []string
	if fe.Approved != "" {
		t, err := time.Parse(time.RFC3339, fe.Approved)
		if err != nil {
			if t, err = time.Parse(dateLayout, fe.Approved); err != nil {
				problems = append(problems, fmt.Sprintf("approved %q: want a date YYYY-MM-DD or a time as RFC 3339", fe.Approved))
			}
		}
		e.Approved = t
	}
	if e.Status == StatusPublished && e.Approved.IsZero() {
		e.Approved = time.Now()
	}
	for _, c := range fe.Citations {
		e.Citations = append(e.Citations, chat.Citation{N: c.N, ChunkID: c.Chunk})
	}
	return p.Cite(e), problems
}

// lineEntries sets each entry's line from the parsed document.
func lineEntries(doc *yaml.Node, entries []FileEntry) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "entries" {
			continue
		}
		for j, n := range root.Content[i+1].Content {
			if j < len(entries) {
				entries[j].line = n.Line
			}
		}
	}
}
