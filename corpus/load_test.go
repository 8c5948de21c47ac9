package corpus

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var seedIDs = []string{
	"asgct-cell-therapy-basics",
	"cellular-therapies-explainer",
	"curio-what-is-car-t",
	"dk-cell-therapy-atmp",
	"hct-cellular-therapy-overview",
}

// loadReal loads the project's corpus directory (this package's directory).
func loadReal(t testing.TB) *Corpus {
	t.Helper()
	c, err := Load(".")
	if err != nil {
		t.Fatalf("Load(.): %v", err)
	}
	return c
}

func chunksOf(c *Corpus, docID string) []Chunk {
	var out []Chunk
	for _, ch := range c.Chunks {
		if ch.DocID == docID {
			out = append(out, ch)
		}
	}
	return out
}

func TestLoadSeeds(t *testing.T) {
	c := loadReal(t)
	if len(c.Docs) != len(seedIDs) {
		t.Fatalf("loaded %d documents, want %d", len(c.Docs), len(seedIDs))
	}
	for i, id := range seedIDs {
		d := c.Docs[i]
		if d.ID != id {
			t.Errorf("doc %d: id %q, want %q", i, d.ID, id)
		}
		if d.Title == "" || d.Hash == "" || d.Path == "" || d.Format == "" {
			t.Errorf("%s: missing metadata: %+v", id, d)
		}
		chunks := chunksOf(c, id)
		if len(chunks) < 3 {
			t.Errorf("%s: %d chunks, want at least 3", id, len(chunks))
		}
		for j, ch := range chunks {
			if ch.Ord != j || ch.Title != d.Title || ch.URL != d.URL || !strings.HasPrefix(ch.ID, id+"#") {
				t.Errorf("%s: chunk %d metadata wrong: %+v", id, j, ch)
			}
		}
	}
	asgct := c.Docs[0]
	if asgct.URL != "https://patienteducation.asgct.org/gene-therapy-101/cell-therapy-basics" || asgct.Reviewed != "2023-12-18" || !strings.Contains(asgct.Publisher, "ASGCT") {
		t.Errorf("asgct metadata from the manifest: %+v", asgct)
	}
	if c.Version == "" {
		t.Error("empty corpus version")
	}
}

// The source documents must stay exactly as received.
// TestSeedsUnchanged: the source documents are byte for byte the seeds
// the clinic supplied, as recorded in testdata/seeds.sha256 (sha256sum's
// format), so a clone checks them without the seeds beside it.
func TestSeedsUnchanged(t *testing.T) {
	sums, err := os.ReadFile(filepath.Join("testdata", "seeds.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	want := make(map[string]string)
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("seeds.sha256: %q is not \"SUM  FILE\"", line)
		}
		want[name] = sum
	}
	for _, id := range seedIDs {
		matches, _ := filepath.Glob(id + ".*")
		if len(matches) != 1 {
			t.Fatalf("%s: %d source files", id, len(matches))
		}
		name := matches[0]
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(data)); got != want[name] {
			t.Errorf("%s differs from the seed: sha256 %s, want %q", name, got, want[name])
		}
		delete(want, name)
	}
	if len(want) > 0 {
		t.Errorf("seeds.sha256 lists files that are not seeds: %v", want)
	}
}

func TestNoFurnitureInChunks(t *testing.T) {
	c := loadReal(t)
	forbidden := []string{
		"cookie", "Cookie", "newsletter", "Newsletter", "Subscribe", "subscribe",
		"Was this information helpful", "please share", "Related Pages", "414", "Swenson",
		"Waukesha", "info@asgct", "©", "All rights reserved", "Privacy Policy",
		"Last Updated", "@ASGCTherapy", "Skip to main content", "Keyword search",
		"Navigation", "Gene Therapy 101", "Learn more about", "Next, visit",
		"Get your healthcare questions", "by doctors, scientists", "A free service by Curio",
		"Your team", "AI First Responder", "Verified by Curio", "Hillary Lin", "(Physician)",
		"Please feel free to reach out", "Explore the other ATMPs", "CINXE", "Kentico",
		"Reason One", "Powered by", "marketing", "Personalization", "Analytics",
	}
	for _, ch := range c.Chunks {
		for _, f := range forbidden {
			if strings.Contains(ch.Text, f) || strings.Contains(ch.Section, f) {
				t.Errorf("chunk %s [%s] contains furniture %q: %q", ch.ID, ch.Section, f, ch.Text)
			}
		}
	}
}

func TestArticleTextKept(t *testing.T) {
	c := loadReal(t)
	cases := []struct{ doc, phrase string }{
		{"asgct-cell-therapy-basics", "collected from the individual's own body"},
		{"asgct-cell-therapy-basics", "Autologous cell therapy means the cells"},
		{"asgct-cell-therapy-basics", "someone other than the patient"},
		{"asgct-cell-therapy-basics", "Graft-versus-host disease (GVHD)"},
		{"asgct-cell-therapy-basics", "cytokine release syndrome, individuals may require anti-cytokine therapy"},
		{"asgct-cell-therapy-basics", "Matched donors. Similar to human organ transplants"},
		{"asgct-cell-therapy-basics", "sometimes known as a bone marrow transplant (BMT)"},
		{"curio-what-is-car-t", "leukapheresis"},
		{"curio-what-is-car-t", "Here's how CAR-T therapy works: Collection: First, T cells"},
		{"curio-what-is-car-t", "Infusion: The expanded CAR-T cells"},
		{"curio-what-is-car-t", "cytokine release syndrome (CRS)"},
		{"curio-what-is-car-t", "It is important to note that CAR-T therapy"},
		{"cellular-therapies-explainer", "immune rejection in allogeneic transplants"},
		{"hct-cellular-therapy-overview", "Hurler syndrome"},
		{"dk-cell-therapy-atmp", "Ebvallo"},
		{"dk-cell-therapy-atmp", "ATMP stands for Advanced Therapy Medicinal Products"},
		{"dk-cell-therapy-atmp", "Cell therapy can be autologous or allogeneic: In autologous treatment, you use the patient’s own cells."},
		{"dk-cell-therapy-atmp", "solve a task: They can calm the immune system"},
	}
	for _, tc := range cases {
		found := false
		for _, ch := range chunksOf(c, tc.doc) {
			if strings.Contains(ch.Text, tc.phrase) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s: no chunk contains %q", tc.doc, tc.phrase)
		}
	}
	sections := map[string]bool{}
	for _, ch := range c.Chunks {
		sections[ch.DocID+"|"+ch.Section] = true
	}
	for _, s := range []string{
		"asgct-cell-therapy-basics|Risks", "asgct-cell-therapy-basics|How Cell Therapy Works",
		"cellular-therapies-explainer|Risk", "dk-cell-therapy-atmp|What is ATMP?",
		"dk-cell-therapy-atmp|Safety and control", "hct-cellular-therapy-overview|HCT uses",
		"curio-what-is-car-t|What is CAR-T therapy",
	} {
		if !sections[s] {
			t.Errorf("no chunk in section %q", s)
		}
	}
}

// Passages are clean prose: whole sentences, no bullets, no heading glued
// to the text, a readable length.
func TestChunksAreCleanPassages(t *testing.T) {
	c := loadReal(t)
	headings := map[string][]string{}
	for _, d := range c.Docs {
		for _, s := range d.Sections {
			headings[d.ID] = append(headings[d.ID], s.Heading)
		}
	}
	for _, ch := range c.Chunks {
		n := utf8.RuneCountInString(ch.Text)
		if !utf8.ValidString(ch.Text) || n < 40 || n > mergeLimitChars {
			t.Errorf("%s: %d runes: %q", ch.ID, n, ch.Text)
		}
		if !endsSentence(ch.Text) {
			t.Errorf("%s does not end a sentence: %q", ch.ID, ch.Text)
		}
		first, _ := utf8.DecodeRuneInString(ch.Text)
		if !unicode.IsUpper(first) && !unicode.IsDigit(first) {
			t.Errorf("%s does not start a sentence: %q", ch.ID, ch.Text)
		}
		if strings.ContainsAny(ch.Text, "•\t") || strings.HasPrefix(ch.Text, "- ") || strings.Contains(ch.Text, "\n- ") {
			t.Errorf("%s has a stray bullet: %q", ch.ID, ch.Text)
		}
		for _, h := range headings[ch.DocID] {
			if h == "" || !strings.HasPrefix(ch.Text, h+" ") {
				continue
			}
			next, _ := utf8.DecodeRuneInString(ch.Text[len(h)+1:])
			if unicode.IsUpper(next) {
				t.Errorf("%s starts with heading %q glued to the text: %q", ch.ID, h, ch.Text)
			}
		}
	}
}

// copyCorpus copies the real corpus into a temporary directory so a test
// may change it.
func copyCorpus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range append([]string{ManifestName}, seedFiles(t)...) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func seedFiles(t *testing.T) []string {
	var out []string
	for _, id := range seedIDs {
		m, _ := filepath.Glob(id + ".*")
		if len(m) != 1 {
			t.Fatalf("%s: %v", id, m)
		}
		out = append(out, m[0])
	}
	return out
}

func TestChunkIDsStableAndVersioned(t *testing.T) {
	a := loadReal(t)
	b := loadReal(t)
	if a.Version != b.Version || len(a.Chunks) != len(b.Chunks) {
		t.Fatalf("two loads differ: %s/%d vs %s/%d", a.Version, len(a.Chunks), b.Version, len(b.Chunks))
	}
	ids := map[string]bool{}
	for i := range a.Chunks {
		if a.Chunks[i].ID != b.Chunks[i].ID {
			t.Errorf("chunk %d id %s then %s", i, a.Chunks[i].ID, b.Chunks[i].ID)
		}
		if ids[a.Chunks[i].ID] {
			t.Errorf("duplicate chunk id %s", a.Chunks[i].ID)
		}
		ids[a.Chunks[i].ID] = true
	}

	// Change one sentence of one document: only the chunk holding it gets
	// a new id, the other documents keep their hashes, the version moves.
	dir := copyCorpus(t)
	p := filepath.Join(dir, "hct-cellular-therapy-overview.txt")
	data, _ := os.ReadFile(p)
	changed := bytes.Replace(data, []byte("such as Hurler syndrome"), []byte("such as Hurler syndrome and others"), 1)
	if bytes.Equal(changed, data) {
		t.Fatal("test phrase not found")
	}
	if err := os.WriteFile(p, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version == a.Version {
		t.Error("version did not change when a chunk changed")
	}
	var gone, added int
	newIDs := map[string]bool{}
	for _, ch := range c.Chunks {
		newIDs[ch.ID] = true
		if !ids[ch.ID] {
			added++
			if !strings.Contains(ch.Text, "Hurler syndrome and others") {
				t.Errorf("unexpected new chunk %s: %q", ch.ID, ch.Text)
			}
		}
	}
	for id := range ids {
		if !newIDs[id] {
			gone++
		}
	}
	if gone != 1 || added != 1 {
		t.Errorf("%d chunk ids gone and %d added, want 1 and 1", gone, added)
	}
	for i, d := range c.Docs {
		same := d.Hash == a.Docs[i].Hash
		if want := d.ID != "hct-cellular-therapy-overview"; same != want {
			t.Errorf("%s: hash unchanged=%v, want %v", d.ID, same, want)
		}
	}

	// Metadata the chunks carry changes the document hash too.
	man, _ := os.ReadFile(filepath.Join(dir, ManifestName))
	man = bytes.Replace(man, []byte("title: Cellular Therapies Explained"), []byte("title: Cellular Therapies"), 1)
	os.WriteFile(filepath.Join(dir, ManifestName), man, 0o644)
	c2, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Docs[1].Hash == c.Docs[1].Hash || c2.Docs[1].Title != "Cellular Therapies" {
		t.Errorf("title change not reflected: %+v", c2.Docs[1])
	}
}

func TestChunkIDFormat(t *testing.T) {
	a := chunkID("doc", "Risks", "Some text.")
	if a != chunkID("doc", "Risks", "Some text.") || !strings.HasPrefix(a, "doc#") || len(a) != len("doc#")+12 {
		t.Errorf("chunk id %q", a)
	}
	for _, other := range []string{chunkID("doc", "Risk", "Some text."), chunkID("doc", "Risks", "Some text!"), chunkID("doc2", "Risks", "Some text.")} {
		if other == a {
			t.Errorf("id %q does not depend on all inputs", a)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		c, err := Load(".")
		if err != nil || len(c.Chunks) == 0 {
			b.Fatal(err)
		}
	}
}

// The generic rules alone (furniture.yaml and page structure, no
// per-document options) keep the furniture of the HTML page and the
// cookie tail of the explainer out of the passages.
func TestGenericRulesAlone(t *testing.T) {
	dir := copyCorpus(t)
	os.WriteFile(filepath.Join(dir, ManifestName), []byte("documents: []\n"), 0o644)
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	forbidden := []string{"cookie", "Cookie", "newsletter", "Subscribe", "Was this information helpful",
		"Related Pages", "414", "Swenson", "info@asgct", "©", "Skip to main content", "Keyword search",
		"Learn more about", "Last Updated", "marketing", "Analytics"}
	for _, id := range []string{"asgct-cell-therapy-basics", "cellular-therapies-explainer"} {
		chunks := chunksOf(c, id)
		if len(chunks) < 5 {
			t.Fatalf("%s: %d chunks", id, len(chunks))
		}
		for _, ch := range chunks {
			for _, f := range forbidden {
				if strings.Contains(ch.Text, f) {
					t.Errorf("%s contains %q: %q", ch.ID, f, ch.Text)
				}
			}
		}
	}
	if got := c.Docs[0].Title; got != "Cell Therapy Basics" {
		t.Errorf("derived title %q", got)
	}
}
