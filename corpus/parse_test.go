package corpus

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// render shows blocks compactly: "H1 text", "P text", "I text".
func render(blocks []block) string {
	var out []string
	for _, b := range blocks {
		switch b.kind {
		case headingBlock:
			out = append(out, fmt.Sprintf("H%d %s", b.level, normalizeText(b.text)))
		case itemBlock:
			out = append(out, "I "+normalizeText(b.text))
		default:
			out = append(out, "P "+normalizeText(b.text))
		}
	}
	return strings.Join(out, "\n")
}

func TestParseText(t *testing.T) {
	cases := []struct {
		name, in string
		markdown bool
		want     string
	}{
		{
			name: "headings are short lines without terminal punctuation",
			in:   "Context\nThese therapies work in the body.\nWhat is ATMP?\nATMP stands for advanced therapy.\nCell therapy can be autologous or allogeneic:\n",
			want: "H1 Context\nP These therapies work in the body.\nH1 What is ATMP?\nP ATMP stands for advanced therapy.\nP Cell therapy can be autologous or allogeneic:",
		},
		{
			name: "bullets and lone dash lines",
			in:   "Steps:\n-\nCollection: cells are collected.\n-\nInfusion: cells go back.\n• In autologous treatment, your own cells.\n- dash item\n",
			want: "P Steps:\nI Collection: cells are collected.\nI Infusion: cells go back.\nI In autologous treatment, your own cells.\nI dash item",
		},
		{
			name: "lower-case line continues an unfinished one",
			in:   "Get your questions answered\nby doctors and experts\nA new line starts here.\n",
			want: "P Get your questions answered by doctors and experts\nP A new line starts here.",
		},
		{
			name: "hard-wrapped paragraphs",
			in: "Cell therapy is the transfer of a specific cell type into a\n" +
				"person to treat or prevent a disease, and it has many forms.\n\n" +
				"Stem cells\n\n" +
				"Hematopoietic stem cells give rise to all the different blood\n" +
				"cells in the body and can be collected from the blood stream.\n",
			want: "P Cell therapy is the transfer of a specific cell type into a person to treat or prevent a disease, and it has many forms.\n" +
				"H1 Stem cells\n" +
				"P Hematopoietic stem cells give rise to all the different blood cells in the body and can be collected from the blood stream.",
		},
		{
			name: "markdown-style heading in plain text",
			in:   "## Side effects\nFever is common.\n#hashtag line.\n",
			want: "H2 Side effects\nP Fever is common.\nP #hashtag line.",
		},
		{
			name: "hard-wrapped heading right above its text",
			in: "Side effects\n" +
				"CAR-T therapy can cause a fever and a drop in blood pressure in\n" +
				"the first days after the infusion, which the care team watches.\n" +
				"Most patients stay close to the treatment centre for some weeks\n" +
				"after the infusion so that the team can act quickly if needed.\n",
			want: "H1 Side effects\n" +
				"P CAR-T therapy can cause a fever and a drop in blood pressure in the first days after the infusion, which the care team watches. " +
				"Most patients stay close to the treatment centre for some weeks after the infusion so that the team can act quickly if needed.",
		},
		{
			name:     "markdown",
			markdown: true,
			in: "---\ntitle: x\n---\n# Living with **CAR-T**\n\nAfter [CAR-T](https://x.test) you stay *near* the\ncentre. ![pic](a.png)\n\n" +
				"Side effects\n------------\n\n* Fever\n* `CRS`\n\n```\ncode block\n```\n| Drug | Use |\n|---|---|\n| Tocilizumab | CRS |\n",
			want: "H1 Living with CAR-T\nP After CAR-T you stay near the centre.\nH2 Side effects\nI Fever\nI CRS\nP Drug; Use\nP Tocilizumab; CRS",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := render(parseText(tc.in, tc.markdown))
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestParseHTMLKeepsStructure(t *testing.T) {
	page := `CINXE.COM
Saved page |
<!DOCTYPE html><html><head><title>Cell Therapy Basics | Site</title><script>var x = "<p>not text</p>";</script></head><body>
<header><a href="#c">Skip to main content</a><nav><ul><li><a href="/">Home</a></li><li><a href="/a">Gene Therapy 101</a></li></ul></nav></header>
<main id="c"><article>
<h1>Cell Therapy Basics</h1>
<p>Cell therapy is the transfer of a specific cell type into a person to treat or prevent a disease. It is studied in many trials around the world today.</p>
<h2>Sources of cells</h2>
<p>The source of the cells comes from one of two places:</p>
<ul>
<li><p><strong>Autologous cell therapy</strong>
<span> means the cells are collected from the individual's own body. The cells are modified and returned.</span></p></li>
<li><p><span><strong>Allogeneic cell therapy </strong>means the cells are from someone other than the patient, such as a matched donor.</span></p></li>
</ul>
<table><tr><th>Product</th><th>Cells</th></tr><tr><td>CAR-T</td><td>your own T cells</td></tr></table>
<h3>Risks</h3>
<ul><li><strong>Immune responses.</strong>Graft-versus-host disease (GVHD) can happen when donor immune cells attack the body of the person who received them.</li></ul>
<p><strong>Was this information helpful?</strong> If so, please share!</p>
</article></main>
<footer><p>20800 Swenson Dr., Suite 300<br>Waukesha, WI 53186</p><p>Phone: 414.278.1341</p><p>© 2024 All rights reserved.</p></footer>
<div class="CookieConsent">This site uses cookies to offer you a better user experience.</div>
</body></html>`
	s := source{ID: "page"}
	d, err := parseDocument([]byte(page), "html", s, compileRules(cleaning{}, s))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sec := range d.Sections {
		got = append(got, "# "+sec.Heading)
		got = append(got, sec.Paragraphs...)
	}
	want := []string{
		"# Cell Therapy Basics",
		"Cell therapy is the transfer of a specific cell type into a person to treat or prevent a disease. It is studied in many trials around the world today.",
		"# Sources of cells",
		"The source of the cells comes from one of two places: Autologous cell therapy means the cells are collected from the individual's own body. The cells are modified and returned.",
		"Allogeneic cell therapy means the cells are from someone other than the patient, such as a matched donor.",
		"Product; Cells",
		"CAR-T; your own T cells",
		"# Risks",
		"Immune responses. Graft-versus-host disease (GVHD) can happen when donor immune cells attack the body of the person who received them.",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sections\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if d.Title != "Cell Therapy Basics" {
		t.Errorf("derived title %q", d.Title)
	}
}

// TestSentenceUnits: units are whole sentences (words.Sentences), short
// labels stay with the sentence after them, and the units put together are
// the paragraph, bullets included.
func TestSentenceUnits(t *testing.T) {
	long1 := "Autologous cell therapy uses the patient's own cells."
	long2 := "Allogeneic cell therapy uses cells from a matched donor."
	cases := []struct {
		in   string
		want []string
	}{
		{long1 + " " + long2, []string{long1, long2}},
		{"Matched donors. " + long2 + " " + long1, []string{"Matched donors. " + long2, long1}},
		{long1 + " Dr. Smith agrees, e.g. in 2.5 cases out of ten. " + long2, []string{long1, "Dr. Smith agrees, e.g. in 2.5 cases out of ten.", long2}},
		{long1 + " It is rare.", []string{long1 + " It is rare."}},
		{"Here's how it works: Collection: " + long1 + " • " + long2, []string{"Here's how it works: Collection: " + long1, "• " + long2}},
		{"lower. case stays in one sentence, however long it may be", []string{"lower. case stays in one sentence, however long it may be"}},
		{"", nil},
	}
	for _, tc := range cases {
		got := sentenceUnits(tc.in)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("sentenceUnits(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
		if strings.Join(got, " ") != tc.in {
			t.Errorf("sentenceUnits(%q) put together is %q", tc.in, strings.Join(got, " "))
		}
	}
}

func TestChunkSection(t *testing.T) {
	long := strings.Repeat("Cell therapy uses living cells to treat disease in many patients. ", 30)
	cases := []struct {
		name string
		sec  Section
		want func(t *testing.T, chunks []string)
	}{
		{"short paragraphs merge", Section{Heading: "h", Paragraphs: []string{"First short paragraph here.", "Second short paragraph here."}}, func(t *testing.T, c []string) {
			if len(c) != 1 || c[0] != "First short paragraph here.\n\nSecond short paragraph here." {
				t.Errorf("%q", c)
			}
		}},
		{"long paragraph splits between sentences", Section{Paragraphs: []string{long}}, func(t *testing.T, c []string) {
			if len(c) < 3 {
				t.Errorf("%d chunks", len(c))
			}
			for _, x := range c {
				if n := utf8.RuneCountInString(x); n > maxChunkChars || !strings.HasSuffix(x, "patients.") || !strings.HasPrefix(x, "Cell therapy") {
					t.Errorf("chunk of %d runes cut mid-sentence: %q", n, x)
				}
			}
		}},
		{"one huge sentence stays whole", Section{Paragraphs: []string{strings.Repeat("word ", 400) + "end."}}, func(t *testing.T, c []string) {
			if len(c) != 1 || !strings.HasSuffix(c[0], "end.") {
				t.Errorf("%d chunks", len(c))
			}
		}},
		{"label stays with its text", Section{Paragraphs: []string{strings.Repeat("Padding sentence that is fairly long to fill the passage. ", 10) + "Matched donors. Donors must be matched."}}, func(t *testing.T, c []string) {
			for _, x := range c {
				if strings.HasSuffix(x, "Matched donors.") {
					t.Errorf("label cut from its text: %q", x)
				}
			}
		}},
		{"a paragraph leaning on the one before stays with it", Section{Paragraphs: []string{
			strings.Repeat("Padding sentence that is fairly long to fill the passage. ", 9),
			"Here, donor-based T-cell therapy can be used because T cells help the body control the virus.",
			"One example is Ebvallo (tabelecleucel), which has been approved by the EMA for adults and children from 2 years of age with PTLD. Ebvallo is not recommended by the Danish Medicines Council for standard treatment.",
		}}, func(t *testing.T, c []string) {
			for _, x := range c {
				if strings.HasPrefix(x, "One example") {
					t.Errorf("a passage opens on the example of something in another: %q", c)
				}
				if strings.Contains(x, "One example") && !strings.Contains(x, "Here, donor-based T-cell therapy can be used because T cells help the body control the virus.\n\nOne example") {
					t.Errorf("the example is not quoted after what it is an example of, paragraphs kept: %q", x)
				}
			}
		}},
		{"nothing but punctuation", Section{Paragraphs: []string{"- • ...", ""}}, func(t *testing.T, c []string) {
			if len(c) != 0 {
				t.Errorf("%q", c)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.want(t, chunkSection(tc.sec)) })
	}
}

// Pages too small for main-content extraction still load from their body,
// minus the furniture selectors.
func TestParseHTMLSmallPage(t *testing.T) {
	page := `<html><head><title>Tiny | Clinic</title></head><body><nav><a href="/">Home</a> <a href="/x">Other page</a></nav>
<h1>Apheresis</h1><p>Apheresis collects <b>blood</b> cells.</p><footer>Call 555-123-4567</footer></body></html>`
	s := source{ID: "tiny"}
	d, err := parseDocument([]byte(page), "html", s, compileRules(cleaning{}, s))
	if err != nil {
		t.Fatal(err)
	}
	chunks := chunkDocument(d)
	if len(chunks) != 1 || chunks[0].Text != "Apheresis collects blood cells." || chunks[0].Section != "Apheresis" || d.Title != "Apheresis" {
		t.Errorf("title %q, chunks %+v", d.Title, chunks)
	}
}
