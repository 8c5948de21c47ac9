package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cellchat/cellchat/corpus"
)

// glossaryEntryJSON is one line of `cellchat glossary --json`.
type glossaryEntryJSON struct {
	Term              string `json:"term"`
	LongForm          string `json:"long_form,omitempty"`
	Alias             string `json:"alias,omitempty"`
	Definition        string `json:"definition,omitempty"`
	ChunkID           string `json:"chunk_id"`
	DocID             string `json:"doc_id"`
	DefinitionChunkID string `json:"definition_chunk_id,omitempty"`
}

// runGlossary lists the glossary built from the corpus's own definitions:
// one entry per line on stdout, what was left out (and why) on stderr.
func runGlossary(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "glossary", "")
	p := addPathFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON object per entry (term, long_form, alias, definition, chunk_id, doc_id, definition_chunk_id)")
	rest, err := parseFlags(fs, c, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		fs.Usage()
		return &exitError{code: 2, err: fmt.Errorf("glossary takes no arguments, got %q", rest)}
	}
	corp, loadErr := corpus.Load(p.corpus)
	if corp == nil {
		return fmt.Errorf("load corpus %s: %w", p.corpus, loadErr)
	}
	g := corpus.BuildGlossary(corp.Chunks)
	entries := g.Entries()
	enc := json.NewEncoder(c.stdout)
	enc.SetEscapeHTML(false)
	for _, e := range entries {
		if *asJSON {
			if err := enc.Encode(glossaryEntryJSON{
				Term: e.Term, LongForm: e.LongForm, Alias: e.Alias, Definition: e.Definition,
				ChunkID: e.Source.ChunkID, DocID: e.Source.DocID, DefinitionChunkID: e.DefinitionSource.ChunkID,
			}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(c.stdout, glossaryLine(e))
	}
	notes := g.Notes()
	if !*asJSON {
		fmt.Fprintf(c.stderr, "%d entries, %d left out\n", len(entries), len(notes))
	}
	for _, n := range notes {
		fmt.Fprintf(c.stderr, "left out %s [%s]: %s\n", n.Term, n.Source.ChunkID, n.Reason)
	}
	if loadErr != nil {
		return &fileErrors{err: loadErr}
	}
	return nil
}

// glossaryLine is one entry on one line:
//
//	CRS = cytokine release syndrome  [chunk]
//	Cell therapy  [chunk]  "Cell therapy is the transfer ..."
func glossaryLine(e corpus.Entry) string {
	s := e.Term
	if e.LongForm != "" {
		s += " = " + e.LongForm
	}
	if e.Alias != "" {
		s += " (also: " + e.Alias + ")"
	}
	s += "  [" + e.Source.ChunkID + "]"
	if e.Definition != "" {
		s += fmt.Sprintf("  %q", e.Definition)
		if e.DefinitionSource.ChunkID != e.Source.ChunkID {
			s += " [" + e.DefinitionSource.ChunkID + "]"
		}
	}
	return s
}
