package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cellchat/cellchat/retrieval"
)

// maxSearchK bounds -k: more passages than this is not a search result.
const maxSearchK = 100

// runSearch prints the passages ranked for a question.
func runSearch(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "search", `"question"`)
	p := addPathFlags(fs)
	k := fs.Int("k", 5, "number of passages to print")
	asJSON := fs.Bool("json", false, "print a JSON array of passages")
	modeName := fs.String("mode", string(retrieval.DefaultMode), "ranking: hybrid, lexical or vector")
	rest, err := parseFlags(fs, c, args)
	if err != nil {
		return err
	}
	query := strings.TrimSpace(strings.Join(rest, " "))
	if query == "" {
		return &exitError{code: 2, err: fmt.Errorf("search: missing question (usage: cellchat search \"question\" [-k 5] [--json])")}
	}
	if err := retrieval.CheckQuery(query); err != nil {
		return &exitError{code: 2, err: fmt.Errorf("search: %w", err)}
	}
	if *k < 1 || *k > maxSearchK {
		return &exitError{code: 2, err: fmt.Errorf("search: -k must be between 1 and %d, got %d", maxSearchK, *k)}
	}
	mode, err := retrieval.ParseMode(*modeName)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("search: %w", err)}
	}

	ix, _, _, loadErr := openIndex(ctx, c, p, nil)
	if ix == nil {
		return loadErr
	}
	defer ix.Close()
	if loadErr != nil {
		fmt.Fprintln(c.stderr, "cellchat: warning:", loadErr)
	}
	passages, err := ix.SearchMode(ctx, query, *k, mode)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(passages)
	}
	if len(passages) == 0 {
		fmt.Fprintln(c.stdout, "no passages found")
		return nil
	}
	for i, ps := range passages {
		section := ps.Section
		if section == "" {
			section = "(no section)"
		}
		fmt.Fprintf(c.stdout, "%d. %s · %s\n   score %.3f (lexical %.3f, vector %.3f) · chunk %s\n",
			i+1, ps.DocID, section, ps.Score, ps.Lexical, ps.Vector, ps.ID)
		for _, line := range wrapPassage(ps.Text, 88) {
			fmt.Fprintln(c.stdout, "   "+line)
		}
		fmt.Fprintln(c.stdout)
	}
	return nil
}

// wrapPassage breaks text into lines of at most width characters at spaces.
func wrapPassage(text string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, w := range strings.Fields(text) {
		if cur.Len() > 0 && cur.Len()+1+len(w) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(w)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}
