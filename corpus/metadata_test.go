package corpus

import (
	"strings"
	"testing"
	"time"
)

// A manifest whose url is not an absolute http(s) URL, or whose title or
// publisher carries markup, is refused at load, naming the document.
func TestManifestMetadataRefused(t *testing.T) {
	cases := []struct {
		name, entry, wantErr string
	}{
		{"javascript url", "url: 'javascript:alert(1)'", `url "javascript:alert(1)"`},
		{"javascript url, mixed case and space", "url: ' JavaScript:alert(1)'", "is not an http(s) URL"},
		{"data url", "url: 'data:text/html,<script>alert(1)</script>'", "is not an http(s) URL"},
		{"vbscript url", "url: 'vbscript:msgbox'", "is not an http(s) URL"},
		{"relative url", "url: '/leaflets/car-t'", "is not an http(s) URL"},
		{"scheme-relative url", "url: '//evil.example/x'", "is not an http(s) URL"},
		{"no host", "url: 'https:///path'", "is not an http(s) URL"},
		{"ftp url", "url: 'ftp://files.example.org/a.txt'", "is not an http(s) URL"},
		{"quote in url", `url: 'https://example.org/"onmouseover="alert(1)'`, "is not an http(s) URL"},
		{"markup in title", "title: 'CAR-T <img src=x onerror=alert(1)>'", "title"},
		{"script in title", "title: '<script>alert(1)</script>'", "markup"},
		{"markup in publisher", "publisher: '<b>Clinic</b>'", "publisher"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(writeCorpus(t, map[string]string{
				ManifestName: "documents:\n  - id: good\n    " + tc.entry + "\n",
				"good.txt":   goodText,
			}))
			if c != nil {
				t.Errorf("corpus loaded: %+v", c.Docs)
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), `"good"`) {
				t.Errorf("error %v, want it to name the document and contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestManifestMetadataAccepted(t *testing.T) {
	for _, entry := range []string{
		"url: 'https://patienteducation.asgct.org/gene-therapy-101/cell-therapy-basics'",
		"url: 'HTTP://example.org/a?b=c&d=e#f'",
		"url: ''",
		"publisher: 'American Society of Gene & Cell Therapy'",
		"title: 'Side effects: fever > 38 °C'",
	} {
		c, err := Load(writeCorpus(t, map[string]string{
			ManifestName: "documents:\n  - id: good\n    " + entry + "\n",
			"good.txt":   goodText,
		}))
		if err != nil || c == nil || len(c.Docs) != 1 {
			t.Errorf("%s: err %v", entry, err)
		}
	}
}

// Headings come from the documents themselves; tags in them are removed
// rather than the document refused, so what reaches clients as a title or
// section is text.
func TestHeadingMarkupRemoved(t *testing.T) {
	dir := writeCorpus(t, map[string]string{
		ManifestName: "documents: []\n",
		"leaflet.md": "# Living with <img src=x onerror=alert(1)>CAR-T\n\nAfter CAR-T therapy you stay near the treatment centre for some weeks. Your team checks for side effects.\n\n## Fever <script>alert(1)</script>and <a href=\"javascript:x\">infection</a>\n\nA fever after CAR-T therapy needs a call to your team at once. They check for infection.\n\n## Counts <img src=x onerror=alert(1)//\n\nBlood counts are checked every week after therapy. Low counts can last for months.\n",
		"page.html":  "<html><head><title>&lt;svg onload=alert(1)&gt;Page</title></head><body><article><h2>&lt;b&gt;Care&lt;/b&gt; at home</h2><p>After CAR-T therapy you stay near the treatment centre for some weeks. Your team checks for side effects.</p></article></body></html>",
	})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, d := range c.Docs {
		seen = append(seen, d.Title)
		for _, s := range d.Sections {
			seen = append(seen, s.Heading)
		}
	}
	for _, ch := range c.Chunks {
		seen = append(seen, ch.Title, ch.Section)
	}
	for _, s := range seen {
		if strings.Contains(strings.ToLower(s), "onerror") || strings.Contains(s, "<") {
			t.Errorf("markup left in %q", s)
		}
	}
	want := map[string]bool{"Living with CAR-T": false, "Counts": false, "Care at home": false}
	for _, s := range seen {
		if _, ok := want[s]; ok {
			want[s] = true
		}
	}
	for h, ok := range want {
		if !ok {
			t.Errorf("heading %q not found among %q", h, seen)
		}
	}
}

// A document warns about the source details it lacks and a review that is
// due; review_every needs a review date and a sane number of months.
func TestWarningsAndReviewSchedule(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    Document
		want []string
	}{
		{Document{URL: "https://x.example/a", Reviewed: "2026-06-01", ReviewEvery: 12}, nil},
		{Document{URL: "https://x.example/a", Reviewed: "2025-06-01", ReviewEvery: 12}, []string{"review due since 2026-06-01"}},
		{Document{Reviewed: "2026-06-01"}, []string{"no url"}},
		{Document{URL: "https://x.example/a"}, []string{"no reviewed date"}},
	} {
		got := tc.d.Warnings(now)
		if len(got) != len(tc.want) {
			t.Errorf("%+v: warnings %q, want %q", tc.d, got, tc.want)
			continue
		}
		for i := range got {
			if !strings.HasPrefix(got[i], tc.want[i]) {
				t.Errorf("%+v: warning %q, want %q...", tc.d, got[i], tc.want[i])
			}
		}
	}
	for manifest, want := range map[string]string{
		"documents:\n  - id: a\n    review_every: 12\n":                            "review_every needs reviewed",
		"documents:\n  - id: a\n    reviewed: 2026-01-01\n    review_every: -1\n":  "review_every -1",
		"documents:\n  - id: a\n    reviewed: 2026-01-01\n    review_every: 365\n": "review_every 365",
	} {
		if _, _, err := parseManifest([]byte(manifest)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", manifest, err, want)
		}
	}
}

func TestTopics(t *testing.T) {
	chunks := []Chunk{{Title: "Mouth care"}, {Title: "Mouth care"}, {Title: "Tiredness"}, {Title: " "}, {Title: "Eating well"}}
	if got, want := TitleList(chunks), "Mouth care, Tiredness and Eating well"; got != want {
		t.Errorf("TitleList = %q, want %q", got, want)
	}
	if got := TitleList(chunks[:1]); got != "Mouth care" {
		t.Errorf("TitleList of one = %q", got)
	}
	c := &Corpus{Chunks: chunks}
	if c.Topics() != TitleList(chunks) {
		t.Errorf("Topics without covers = %q, want the titles", c.Topics())
	}
	c.Covers = "cell therapy"
	if c.Topics() != "cell therapy" {
		t.Errorf("Topics = %q, want the manifest's covers", c.Topics())
	}
	seed, err := Load(".")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(seed.Topics(), "CAR-T therapy") || strings.Contains(seed.Topics(), "  ") {
		t.Errorf("the seed corpus's covers = %q", seed.Topics())
	}
}

// A section under another heading is shown by its heading path; it is
// still indexed and identified by its own heading.
func TestChunkPath(t *testing.T) {
	c, err := Load(".")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ch := range c.Chunks {
		if ch.Section == "Challenges" {
			found = true
			if ch.Path != "Potentials, Challenges, and Risks of Cell Therapy > Challenges" || ch.Place() != ch.Path {
				t.Errorf("chunk %s: path %q, place %q", ch.ID, ch.Path, ch.Place())
			}
		}
		if ch.Path == "" && ch.Place() != ch.Section {
			t.Errorf("a top-level chunk's place %q is not its section %q", ch.Place(), ch.Section)
		}
	}
	if !found {
		t.Fatal("no chunk under the seed's Challenges heading")
	}
}

func TestEndSentence(t *testing.T) {
	for in, want := range map[string]string{
		"Immunoglobulin level; to decide whether you need antibody infusions": "Immunoglobulin level; to decide whether you need antibody infusions.",
		"Test; Why":          "Test; Why.",
		"Done.":              "Done.",
		"Is it safe?":        "Is it safe?",
		"Weeks one to four:": "Weeks one to four:",
	} {
		if got := endSentence(in); got != want {
			t.Errorf("endSentence(%q) = %q, want %q", in, got, want)
		}
	}
}
