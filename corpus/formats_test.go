package corpus

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// textRuns are the runs of text between the tags of an HTML file, spaces
// collapsed: what a reader sees, without the loader's own parser.
func textRuns(html string) []string {
	html = regexp.MustCompile(`(?s)<(head|style)\b.*?</(head|style)>`).ReplaceAllString(html, "")
	var out []string
	for _, run := range regexp.MustCompile(`<[^>]*>`).Split(html, -1) {
		run = strings.Join(strings.Fields(strings.ReplaceAll(run, "&amp;", "&")), " ")
		if len(strings.Fields(run)) >= 2 {
			out = append(out, run)
		}
	}
	return out
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(handoutDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Every format a clinic's handouts come in loads, and every sentence of
// every handout is in the passages: a PDF printed by Chromium, a .docx
// saved by LibreOffice, a page saved by Word in windows-1252, UTF-16 text
// from Notepad, and Markdown in a subfolder.
func TestHandoutFormats(t *testing.T) {
	c, err := Load(handoutDir)
	if err != nil {
		t.Fatal(err)
	}
	text := allText(c)
	word, err := charmap.Windows1252.NewDecoder().String(readFixture(t, "mouth-care.htm"))
	if err != nil {
		t.Fatal(err)
	}
	notepad, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().String(readFixture(t, "tiredness.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"fever-and-infection":   textRuns(readFixture(t, "src/fever-and-infection.html")),
		"going-home":            textRuns(readFixture(t, "src/going-home.html")),
		"mouth-care":            textRuns(word),
		"tiredness":             strings.Split(strings.ReplaceAll(notepad, "\r\n", "\n"), "\n"),
		"after-car-t":           paragraphsOf(t, filepath.Join(handoutDir, "after-car-t.md")),
		"nutrition/eating-well": paragraphsOf(t, filepath.Join(handoutDir, "nutrition/eating-well.md")),
	}
	titles := map[string]string{}
	for _, d := range c.Docs {
		titles[d.ID] = d.Title
	}
	headings := map[string]bool{}
	for _, ch := range c.Chunks {
		headings[ch.Section] = true
		for _, part := range strings.Split(ch.Section, pathSep) {
			headings[part] = true
		}
	}
	for id, runs := range want {
		if titles[id] == "" {
			t.Errorf("%s not loaded", id)
			continue
		}
		n := 0
		for _, r := range runs {
			r = strings.TrimSpace(r)
			if r == "" {
				continue
			}
			n++
			if !strings.Contains(text, r) && !headings[r] && titles[id] != r {
				t.Errorf("%s: %q is not in the passages", id, r)
			}
		}
		if n < 3 {
			t.Errorf("%s: only %d runs of text to check", id, n)
		}
	}
	for id, title := range map[string]string{
		"fever-and-infection": "Fever and infection after your transplant",
		"going-home":          "Going home after CAR-T",
		"mouth-care":          "Mouth care during treatment",
		"tiredness":           "Tiredness after CAR-T",
	} {
		if titles[id] != title {
			t.Errorf("%s titled %q, want %q", id, titles[id], title)
		}
	}
	for _, h := range []string{"First admission > Medicines", "Second admission > Medicines", "What counts as a fever", "Keeping your mouth clean", "Food safety at home"} {
		if !headings[h] {
			t.Errorf("no section %q", h)
		}
	}
	for _, w := range []string{"crème caramel", "children’s toothbrush", "40 °C", "Blood count; to see how your bone marrow recovers"} {
		if !strings.Contains(text, w) {
			t.Errorf("%q lost or mis-decoded", w)
		}
	}
}

// A PDF without a text layer is refused with a message saying so.
func TestScannedPDF(t *testing.T) {
	// A one-page PDF with an empty content stream: what a scan without
	// OCR looks like to a text reader.
	const pdf = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
		"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>endobj\n4 0 obj<</Length 0>>stream\n\nendstream\nendobj\n" +
		"trailer<</Root 1 0 R>>\n%%EOF\n"
	dir := writeCorpus(t, map[string]string{ManifestName: "documents: []\n", "scan.pdf": pdf})
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "scan.pdf: PDF has no text layer (a scanned document?)") {
		t.Fatalf("error %v", err)
	}
}
