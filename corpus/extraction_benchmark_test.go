package corpus

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/markusmobius/go-trafilatura"
)

// benchmarkDir holds saved web pages with hand-checked article text (see its
// README for the scoring rule), beside the repository as ../shared.
const benchmarkDir = "../../shared/extraction-benchmark"

type benchmarkPage struct {
	id    string
	html  []byte
	truth string
}

func loadBenchmark(tb testing.TB) []benchmarkPage {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(benchmarkDir, "ground-truth.json"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("extraction benchmark missing under CI: %v", err)
		}
		tb.Skipf("extraction benchmark not present (%v)", err)
	}
	var truth map[string]struct {
		ArticleBody string `json:"articleBody"`
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		tb.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(benchmarkDir, "html", "*.html.gz"))
	sort.Strings(files)
	var pages []benchmarkPage
	for _, f := range files {
		id := strings.TrimSuffix(filepath.Base(f), ".html.gz")
		t, ok := truth[id]
		if !ok {
			continue
		}
		fh, err := os.Open(f)
		if err != nil {
			tb.Fatal(err)
		}
		zr, err := gzip.NewReader(fh)
		if err != nil {
			tb.Fatal(err)
		}
		data, err := io.ReadAll(zr)
		fh.Close()
		if err != nil {
			tb.Fatal(err)
		}
		pages = append(pages, benchmarkPage{id: id, html: data, truth: t.ArticleBody})
	}
	if len(pages) == 0 {
		tb.Fatalf("no pages in %s", benchmarkDir)
	}
	return pages
}

// benchmarkToken is Python's \w+ as the benchmark tokenises.
var benchmarkToken = regexp.MustCompile(`[\p{L}\p{N}_]+`)

// shingles is the multiset of 4-token runs of s.
func shingles(s string) map[string]int {
	toks := benchmarkToken.FindAllString(s, -1)
	out := map[string]int{}
	for i := 0; i+4 <= len(toks); i++ {
		out[strings.Join(toks[i:i+4], " ")]++
	}
	return out
}

type benchmarkScore struct {
	precision, recall, f1 float64
	emptied               []string
}

// scoreBenchmark applies the benchmark's rule: per-page shingle precision
// and recall, averaged over pages (empty extractions left out of the
// precision mean), F1 of the two means.
func scoreBenchmark(pages []benchmarkPage, extracted map[string]string) benchmarkScore {
	var sumP, sumR float64
	var nP, nR int
	var sc benchmarkScore
	for _, p := range pages {
		got, want := shingles(extracted[p.id]), shingles(p.truth)
		var tp, nGot, nWant int
		for k, n := range got {
			tp += min(n, want[k])
			nGot += n
		}
		for _, n := range want {
			nWant += n
		}
		if nWant > 0 {
			sumR += float64(tp) / float64(nWant)
			nR++
		}
		if nGot == 0 {
			sc.emptied = append(sc.emptied, p.id)
			continue
		}
		sumP += float64(tp) / float64(nGot)
		nP++
	}
	sc.precision, sc.recall = sumP/float64(nP), sumR/float64(nR)
	sc.f1 = 2 * sc.precision * sc.recall / (sc.precision + sc.recall)
	return sc
}

// docText is a loaded document's text as the benchmark compares it.
func docText(d *Document) string {
	var sb strings.Builder
	for _, s := range d.Sections {
		if len(s.Path) > 0 { // each heading once, not its whole path
			sb.WriteString(s.Path[len(s.Path)-1])
			sb.WriteByte('\n')
		}
		for _, p := range s.Paragraphs {
			sb.WriteString(p)
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

// Floors for the HTML loader on the benchmark pages: just under what it
// scores (docs/ingestion.md has the figures), so a change that loses
// article text or lets furniture in fails here.
const (
	minBenchmarkF1        = 0.958
	minBenchmarkPrecision = 0.95
)

// benchmarkExtract loads every page as the loader does (generic rules, no
// manifest) and returns the text of each document.
func benchmarkExtract(pages []benchmarkPage) map[string]string {
	out := map[string]string{}
	for _, p := range pages {
		if d, _ := parseDocument(p.html, "html", source{ID: p.id}, genericRules); d != nil {
			out[p.id] = docText(d)
		}
	}
	return out
}

// The loader keeps the article and drops furniture on pages nobody here
// wrote: F1 by the benchmark's own rule, no page emptied, and the figure
// beside go-trafilatura alone (default options) for comparison.
func TestExtractionBenchmark(t *testing.T) {
	pages := loadBenchmark(t)
	l := scoreBenchmark(pages, benchmarkExtract(pages))
	alone := map[string]string{}
	for _, p := range pages {
		if res, err := trafilatura.Extract(bytes.NewReader(p.html), trafilatura.Options{}); err == nil && res != nil {
			alone[p.id] = res.ContentText
		}
	}
	a := scoreBenchmark(pages, alone)
	t.Logf("%d pages: loader precision %.4f recall %.4f F1 %.4f; go-trafilatura alone precision %.4f recall %.4f F1 %.4f",
		len(pages), l.precision, l.recall, l.f1, a.precision, a.recall, a.f1)
	if len(l.emptied) > 0 {
		t.Errorf("%d pages emptied: %v", len(l.emptied), l.emptied)
	}
	if l.f1 < minBenchmarkF1 || l.precision < minBenchmarkPrecision {
		t.Errorf("F1 %.4f (floor %.3f), precision %.4f (floor %.3f)", l.f1, minBenchmarkF1, l.precision, minBenchmarkPrecision)
	}
}

// BenchmarkExtractionPages is the time to load and clean all the benchmark
// pages, one after the other (Load runs them in parallel).
func BenchmarkExtractionPages(b *testing.B) {
	pages := loadBenchmark(b)
	for b.Loop() {
		benchmarkExtract(pages)
	}
}
