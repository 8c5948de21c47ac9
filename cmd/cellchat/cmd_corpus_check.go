package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/cellchat/cellchat/corpus"
)

// checkCorpus is `cellchat corpus --check DIR`: what a clinic runs before
// deploying a corpus folder. It lists every document file with its
// passages and dropped paragraphs, every warning and every error, and ends
// with a summary; any error makes it exit 1.
func checkCorpus(c *cli, dir string) error {
	w := c.stdout
	corp, loadErr := corpus.Load(dir)
	fmt.Fprintf(w, "checking %s\n", dir)
	if corp == nil {
		fmt.Fprintf(w, "  ERROR  %v\n", loadErr)
		return &exitError{code: 1, err: errors.New("corpus check: the manifest cannot be used, no file was read")}
	}
	passages := map[string]int{}
	for _, ch := range corp.Chunks {
		passages[ch.DocID]++
	}
	warnings, dropped := 0, 0
	for _, d := range corp.Docs {
		fmt.Fprintf(w, "  ok     %-40s %d passages", relTo(dir, d.Path), passages[d.ID])
		if n := len(d.Dropped); n > 0 {
			fmt.Fprintf(w, ", %d paragraphs dropped", n)
			dropped += n
		}
		fmt.Fprintln(w)
		for _, warn := range d.Warnings(time.Now()) {
			fmt.Fprintf(w, "           warning: %s\n", warn)
			warnings++
		}
	}
	errs := splitErrors(loadErr)
	for _, err := range errs {
		fmt.Fprintf(w, "  ERROR  %s\n", strings.ReplaceAll(relTo(dir, err.Error()), "\n", "\n         "))
	}
	fmt.Fprintf(w, "%d documents loaded (%d passages), %d errors, %d warnings, %d paragraphs dropped by cleaning",
		len(corp.Docs), len(corp.Chunks), len(errs), warnings, dropped)
	if dropped > 0 {
		fmt.Fprintf(w, " (cellchat corpus --corpus %s --dropped lists them)", dir)
	}
	fmt.Fprintln(w)
	if len(errs) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("corpus check: %d errors", len(errs))}
	}
	return nil
}

// splitErrors are the errors a joined error holds, one per file or entry.
func splitErrors(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, splitErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// relTo shortens paths under dir in s to paths relative to dir.
func relTo(dir, s string) string {
	prefix := filepath.Clean(dir) + string(filepath.Separator)
	return strings.ReplaceAll(s, prefix, "")
}
