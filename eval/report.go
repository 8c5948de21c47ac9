package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// FormatValue renders a metric value for people: "null" when there is none.
func FormatValue(mi MetricInfo, v *float64) string {
	switch {
	case v == nil:
		return "null"
	case mi.Name == "false_emergencies" || mi.Name == "unsupported_sentences":
		return strconv.FormatFloat(*v, 'f', 0, 64)
	case strings.HasPrefix(mi.Name, "answer_words_"):
		return strconv.FormatFloat(*v, 'f', 0, 64)
	case strings.HasSuffix(mi.Name, "_ms"):
		return strconv.FormatFloat(*v, 'f', 3, 64)
	default:
		return strconv.FormatFloat(*v, 'f', 3, 64)
	}
}

// tagColumns are the metrics shown per tag in the text summary (the JSON and
// HTML reports carry all of them).
var tagColumns = []string{"pass_rate", "kind_accuracy", "retrieval_hit@1", "retrieval_hit@3", "citation_hit"}

// WriteText prints the summary table, the per-tag figures and every failing
// case with what it expected, the reply and the top retrieved passages.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "%s: %d of %d cases passed\n\n", r.Name, r.Passed, r.Cases)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tvalue\t")
	for _, mi := range MetricInfos {
		fmt.Fprintf(tw, "%s\t%s\t\n", mi.Name, FormatValue(mi, mi.Get(&r.Metrics)))
	}
	tw.Flush()

	if len(r.Tags) > 0 {
		fmt.Fprintln(ew, "\nper tag:")
		tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "tag\tcases\t%s\t\n", strings.Join(tagColumns, "\t"))
		counts := r.tagCounts()
		for _, t := range r.TagNames() {
			m := r.Tags[t]
			cells := make([]string, len(tagColumns))
			for i, name := range tagColumns {
				mi, _ := LookupMetric(name)
				cells[i] = FormatValue(mi, mi.Get(&m))
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t\n", t, counts[t], strings.Join(cells, "\t"))
		}
		tw.Flush()
	}

	failing := r.Failing()
	if len(failing) > 0 {
		fmt.Fprintf(ew, "\nfailing cases (%d):\n", len(failing))
	}
	for _, cr := range failing {
		fmt.Fprintf(ew, "\n- %s", cr.ID)
		if len(cr.tags) > 0 {
			fmt.Fprintf(ew, " [%s]", strings.Join(cr.tags, ", "))
		}
		fmt.Fprintln(ew)
		for i, tr := range cr.Turns {
			fmt.Fprintf(ew, "  turn %d: %s\n", i+1, tr.Ask)
			if exp := tr.expect.String(); exp != "" {
				fmt.Fprintf(ew, "    expected: %s\n", exp)
			}
			fmt.Fprintf(ew, "    got:      %s: %s\n", cmpOr(string(tr.Kind), "(no reply)"), clip(tr.Text, 300))
			for _, c := range tr.Citations {
				fmt.Fprintf(ew, "      [%d] %s: %s\n", c.N, c.DocID, clip(c.Passage, 160))
			}
			for _, f := range tr.Failures {
				fmt.Fprintf(ew, "    FAIL %s\n", f)
			}
			if len(tr.Failures) > 0 {
				for j, p := range tr.Retrieved {
					if j == 3 {
						break
					}
					fmt.Fprintf(ew, "    retrieved #%d %.3f %s: %s\n", j+1, p.Score, p.DocID, clip(p.Text, 160))
				}
			}
		}
	}
	return ew.err
}

// Failing returns the cases that did not pass, in run order.
func (r *Report) Failing() []CaseResult {
	var out []CaseResult
	for _, cr := range r.Results {
		if !cr.Passed {
			out = append(out, cr)
		}
	}
	return out
}

func (r *Report) tagCounts() map[string]int {
	counts := map[string]int{}
	for _, cr := range r.Results {
		for _, t := range cr.tags {
			counts[t]++
		}
	}
	return counts
}

// String describes the expectation in one line.
func (e Expect) String() string {
	var parts []string
	if len(e.Kinds) > 0 {
		parts = append(parts, "kind "+kindsText(e.Kinds))
	}
	if len(e.Evidence) > 0 {
		parts = append(parts, "evidence any of "+quoteList(e.Evidence))
	}
	if len(e.Sources) > 0 {
		parts = append(parts, "sources any of ["+strings.Join(e.Sources, ", ")+"]")
	}
	if len(e.Mentions) > 0 {
		parts = append(parts, "mentions "+quoteList(e.Mentions))
	}
	if len(e.Forbid) > 0 {
		parts = append(parts, "forbid "+quoteList(e.Forbid))
	}
	return strings.Join(parts, "; ")
}

// clip shortens s to at most n runes on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "..."
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// WriteJSON writes the report in the --json shape.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadReport reads an earlier --json report, e.g. a --compare baseline.
func ReadReport(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, &ParseError{Path: path, Problems: []string{"not an eval --json report: " + err.Error()}}
	}
	if r.Results == nil && r.Name == "" {
		return nil, &ParseError{Path: path, Problems: []string{"not an eval --json report: no name and no results"}}
	}
	return &r, nil
}
