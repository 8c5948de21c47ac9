package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cellchat/cellchat/corpus"
)

// corpusChunkJSON is one line of `cellchat corpus --json`.
type corpusChunkJSON struct {
	ID      string `json:"id"`
	DocID   string `json:"doc_id"`
	Title   string `json:"title"`
	Section string `json:"section"`
	Path    string `json:"path,omitempty"` // heading path, when under another heading
	Text    string `json:"text"`
	URL     string `json:"url,omitempty"`
	Ord     int    `json:"ord"`
}

// corpusDroppedJSON is one line of `cellchat corpus --dropped --json`.
type corpusDroppedJSON struct {
	DocID string `json:"doc_id"`
	Rule  string `json:"rule"`
	Text  string `json:"text"`
}

// runCorpus lists the documents and their chunks as loaded and cleaned,
// so an operator can see exactly which passages the bot may cite. Files
// that failed are reported after what loaded, and the exit code is 1.
func runCorpus(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "corpus", "")
	p := addPathFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON object per chunk (id, doc_id, title, section, text)")
	check := fs.String("check", "", "check the corpus folder `DIR` as before deploying it: every file with its passages, dropped paragraphs, warnings and errors; exit 1 on any error")
	dropped := fs.Bool("dropped", false, "list every paragraph cleaning dropped, with the rule that dropped it (with --json: one object per paragraph: doc_id, rule, text, instead of the chunks)")
	rest, err := parseFlags(fs, c, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		fs.Usage()
		return &exitError{code: 2, err: fmt.Errorf("corpus takes no arguments, got %q", rest)}
	}
	if *check != "" {
		return checkCorpus(c, *check)
	}
	corp, loadErr := corpus.Load(p.corpus)
	if corp == nil {
		return fmt.Errorf("load corpus %s: %w", p.corpus, loadErr)
	}
	if *asJSON && *dropped {
		enc := json.NewEncoder(c.stdout)
		enc.SetEscapeHTML(false)
		for _, d := range corp.Docs {
			for _, dr := range d.Dropped {
				if err := enc.Encode(corpusDroppedJSON{DocID: d.ID, Rule: dr.Rule, Text: dr.Text}); err != nil {
					return err
				}
			}
		}
	} else if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetEscapeHTML(false)
		for _, ch := range corp.Chunks {
			if err := enc.Encode(corpusChunkJSON{ID: ch.ID, DocID: ch.DocID, Title: ch.Title, Section: ch.Section, Path: ch.Path, Text: ch.Text, URL: ch.URL, Ord: ch.Ord}); err != nil {
				return err
			}
		}
	} else {
		printCorpus(c, corp, *dropped)
	}
	if loadErr != nil {
		return &fileErrors{err: loadErr}
	}
	return nil
}

func printCorpus(c *cli, corp *corpus.Corpus, showDropped bool) {
	byDoc := map[string][]corpus.Chunk{}
	for _, ch := range corp.Chunks {
		byDoc[ch.DocID] = append(byDoc[ch.DocID], ch)
	}
	w := c.stdout
	for _, d := range corp.Docs {
		chunks := byDoc[d.ID]
		fmt.Fprintf(w, "%s  %q\n", d.ID, d.Title)
		if d.Publisher != "" {
			fmt.Fprintf(w, "  publisher: %s\n", d.Publisher)
		}
		if d.URL != "" {
			fmt.Fprintf(w, "  url:       %s\n", d.URL)
		}
		if d.Reviewed != "" {
			fmt.Fprintf(w, "  reviewed:  %s\n", d.Reviewed)
		}
		fmt.Fprintf(w, "  file:      %s (%s), %d sections, %d chunks\n", d.Path, d.Format, len(d.Sections), len(chunks))
		for _, ch := range chunks {
			section := ch.Section
			if section == "" {
				section = "(introduction)"
			}
			fmt.Fprintf(w, "    %s  [%s]\n      %s\n", ch.ID, section, preview(ch.Text, 110))
		}
		printDropped(w, d, showDropped)
		for _, warn := range d.Warnings(time.Now()) {
			fmt.Fprintf(w, "  warning:   %s\n", warn)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%d documents, %d chunks, corpus version %s\n", len(corp.Docs), len(corp.Chunks), corp.Version)
	if n, docs := droppedCount(corp); n > 0 && !showDropped {
		fmt.Fprintf(w, "cleaning dropped %d paragraphs from %d documents (--dropped lists them)\n", n, docs)
	}
}

// printDropped says how much cleaning dropped from d, by rule, and with
// all, every dropped paragraph.
func printDropped(w io.Writer, d corpus.Document, all bool) {
	if len(d.Dropped) == 0 {
		return
	}
	var rules []string
	byRule := map[string]int{}
	for _, dr := range d.Dropped {
		if byRule[dr.Rule] == 0 {
			rules = append(rules, dr.Rule)
		}
		byRule[dr.Rule]++
	}
	fmt.Fprintf(w, "  dropped:   %d paragraphs\n", len(d.Dropped))
	for _, r := range rules {
		fmt.Fprintf(w, "    %3d by %s\n", byRule[r], r)
		if !all {
			continue
		}
		for _, dr := range d.Dropped {
			if dr.Rule == r {
				fmt.Fprintf(w, "        - %s\n", preview(dr.Text, 200))
			}
		}
	}
}

// droppedCount is how many paragraphs cleaning dropped, from how many
// documents.
func droppedCount(corp *corpus.Corpus) (paragraphs, docs int) {
	for _, d := range corp.Docs {
		if len(d.Dropped) > 0 {
			paragraphs += len(d.Dropped)
			docs++
		}
	}
	return paragraphs, docs
}

// preview is the first n characters of a passage on one line.
func preview(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n])) + "…"
}

// fileErrors reports the corpus files that failed, one per line, keeping
// the underlying errors reachable for errors.Is / errors.As.
type fileErrors struct{ err error }

func (e *fileErrors) Error() string {
	return "some corpus files failed to load:\n  " + strings.ReplaceAll(e.err.Error(), "\n", "\n  ")
}

func (e *fileErrors) Unwrap() error { return e.err }
