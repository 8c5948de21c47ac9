package corpus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// handoutDir holds clinic handouts as a clinic would write them.
const handoutDir = "testdata/handouts"

// paragraphsOf are the paragraphs of a Markdown handout (headings left out),
// as the text a patient must find in the passages.
func paragraphsOf(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range strings.Split(string(data), "\n\n") {
		p = strings.Join(strings.Fields(p), " ")
		if p != "" && !strings.HasPrefix(p, "#") {
			out = append(out, p)
		}
	}
	return out
}

// allText is every passage of c, for substring checks.
func allText(c *Corpus) string {
	var sb strings.Builder
	for _, ch := range c.Chunks {
		sb.WriteString(strings.Join(strings.Fields(ch.Text), " "))
		sb.WriteString("\n")
	}
	return sb.String()
}

// The generic rules never drop a handout's sentences for what they
// mention: a phone number, an e-mail address, cookies, "Share", "Learn
// more", "Sign up".
func TestHandoutKeepsEverySentence(t *testing.T) {
	src := filepath.Join(handoutDir, "after-car-t.md")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := writeCorpus(t, map[string]string{ManifestName: "documents: []\n", "after-car-t.md": string(data)})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	text := allText(c)
	paras := paragraphsOf(t, src)
	if len(paras) < 10 {
		t.Fatalf("%d paragraphs in the handout", len(paras))
	}
	for _, p := range paras {
		if !strings.Contains(text, p) {
			t.Errorf("paragraph missing from the passages: %q", p)
		}
	}
	if n := len(c.Docs[0].Dropped); n != 0 {
		t.Errorf("%d paragraphs dropped: %+v", n, c.Docs[0].Dropped)
	}
}

// Furniture lines are still dropped, and each drop names its rule.
func TestDroppedNamesTheRule(t *testing.T) {
	doc := "Skip to content\nAvoiding infection\nWash your hands before you eat and after you use the toilet.\nAccept all cookies\nSign up for our newsletter\nShare\n© 2024 Riverside Hospital\nWas this page helpful?\nYes\nNo\n"
	dir := writeCorpus(t, map[string]string{
		ManifestName:    "documents:\n  - id: infection\n    drop_lines: ['^wash your hands']\n",
		"infection.txt": doc,
	})
	c, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "cleaning dropped all of its text") || !strings.Contains(err.Error(), "sources.yaml infection drop_lines") {
		t.Fatalf("want an error naming the rule that emptied the document, got %v", err)
	}
	dir = writeCorpus(t, map[string]string{ManifestName: "documents: []\n", "infection.txt": doc})
	if c, err = Load(dir); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range c.Docs[0].Dropped {
		got[d.Text] = d.Rule
	}
	for text, rule := range map[string]string{
		"Sign up for our newsletter": "furniture.yaml drop_lines `^((sign up",
		"Share":                      "furniture.yaml drop_sections `^(share",
		"© 2024 Riverside Hospital":  "furniture.yaml drop_sections `^(share",
		"Accept all cookies":         "furniture.yaml drop_lines `\\b(we|this",
		"Skip to content":            "furniture.yaml drop_lines `^(skip to",
		"Was this page helpful?":     "furniture.yaml end_at `^was this",
		"No":                         "furniture.yaml end_at `^was this",
	} {
		if !strings.HasPrefix(got[text], rule) {
			t.Errorf("%q dropped by %q, want %s...", text, got[text], rule)
		}
	}
	if text := allText(c); !strings.Contains(text, "Wash your hands") || strings.Contains(text, "newsletter") {
		t.Errorf("passages %q", text)
	}
}

// A generic end_at or drop_sections rule does not cut a handout's text: a
// "Contact us" section that says when to call stays, and a "Related
// topics" heading early in a handout does not end it.
func TestGenericRulesSpareText(t *testing.T) {
	doc := "# Fever\n\nA temperature of 38 °C or higher needs a call to the unit straight away.\n\n" +
		"## Contact us\n\nCall the unit on (617) 555-0142 at any hour, also at weekends.\n\n" +
		"## Related topics\n\nInfection after transplant is the main danger in the first hundred days, and these pages explain how to lower it.\n\n" +
		"Keep a thermometer at home and measure your temperature twice a day, in the morning and in the evening, and write it down.\n\n" +
		"Bring the list of your temperatures to each clinic visit, so the team can see how you have been doing since the last visit.\n"
	dir := writeCorpus(t, map[string]string{ManifestName: "documents: []\n", "fever.md": doc})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	text := allText(c)
	for _, want := range []string{"(617) 555-0142", "Infection after transplant", "Bring the list"} {
		if !strings.Contains(text, want) {
			t.Errorf("%q dropped; dropped: %+v", want, c.Docs[0].Dropped)
		}
	}
}

// A prune selector never removes the page or its article, even when its
// class says cookie, consent or share; what it removes is reported.
func TestPruneSparesTheArticle(t *testing.T) {
	article := "<h1>Eating well after transplant</h1><p>Your blood counts are low for some weeks after the infusion, so food must be handled with care.</p>" +
		"<p>Cook meat, fish and eggs until they are hot all the way through, and keep cold food in the fridge until you eat it.</p>" +
		"<p>Wash fruit and vegetables under running water, and peel them where you can, before you eat them raw.</p>"
	for name, page := range map[string]string{
		"body class":    `<html><body class="cookie-consent-shown"><main>` + article + `</main><nav class="menu"><a href="/">Home</a> <a href="/a">About</a></nav></body></html>`,
		"article class": `<html><body><div class="social-share-wrapper"><article>` + article + `</article></div><div class="cookie-banner">We use cookies. Accept all</div></body></html>`,
		"wrapper div":   `<html><body><div class="share-container">` + article + `</div><aside><p>Related: stem cells</p></aside></body></html>`,
	} {
		t.Run(name, func(t *testing.T) {
			s := source{ID: "page"}
			d, err := parseDocument([]byte(page), "html", s, compileRules(cleaning{}, s))
			if err != nil {
				t.Fatal(err)
			}
			text := docText(d)
			for _, want := range []string{"Eating well after transplant", "Cook meat, fish and eggs", "Wash fruit and vegetables"} {
				if !strings.Contains(text, want) {
					t.Errorf("%q lost: %q (dropped %+v)", want, text, d.Dropped)
				}
			}
			for _, dr := range d.Dropped {
				if strings.Contains(dr.Text, "Cook meat") {
					t.Errorf("article text reported dropped by %s", dr.Rule)
				}
			}
		})
	}
	page := `<html><body><main>` + article + `</main><div class="cookie-banner"><p>We use cookies to improve this site.</p></div></body></html>`
	s := source{ID: "page"}
	d, _ := parseDocument([]byte(page), "html", s, compileRules(cleaning{}, s))
	if len(d.Dropped) != 1 || d.Dropped[0].Rule != "furniture.yaml html_prune `[class*=cookie i]`" || d.Dropped[0].Text != "We use cookies to improve this site." {
		t.Errorf("dropped %+v", d.Dropped)
	}
}

// Sections carry their heading path, so the same heading (and the same
// text) under two parents stays apart; the document's title heads no path.
func TestHeadingPaths(t *testing.T) {
	doc := "# After your transplant\n\n## First admission\n\n### Medicines\n\nTake your anti-sickness tablets half an hour before each meal.\n\n" +
		"## Second admission\n\n### Medicines\n\nTake your anti-sickness tablets half an hour before each meal.\n\n## Nothing here\n\n## Going home\n\nA nurse calls you on the day after you go home.\n"
	dir := writeCorpus(t, map[string]string{ManifestName: "documents: []\n", "transplant.md": doc})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ch := range c.Chunks {
		got = append(got, ch.Section)
	}
	want := "First admission > Medicines|Second admission > Medicines|Going home"
	if strings.Join(got, "|") != want || c.Docs[0].Title != "After your transplant" {
		t.Errorf("sections %q, title %q; want %q", got, c.Docs[0].Title, want)
	}
	if d := c.Docs[0].Dropped; len(d) != 1 || d[0].Text != "Nothing here" || d[0].Rule != emptyHeadingRule {
		t.Errorf("dropped %+v", d)
	}
}

// An unlisted document is titled by its top-level heading or the title
// it declares, never by a subheading or a byline that comes first.
func TestDerivedTitles(t *testing.T) {
	body := "<p>Your blood counts are low for some weeks after the infusion, so food must be handled with care and cooked well.</p>" +
		"<h2>Cooking</h2><p>Cook meat, fish and eggs until they are hot all the way through, and keep cold food in the fridge.</p>"
	for name, tc := range map[string]struct{ format, src, want string }{
		"byline before h1": {"html", "<html><head><title>Food | Riverside</title></head><body><h4>By Dr Jane Smith</h4><h1>Eating safely</h1>" + body + "</body></html>", "Eating safely"},
		"no h1":            {"html", "<html><head><title>Eating safely at home</title></head><body><h3>In brief</h3>" + body + "</body></html>", "Eating safely at home"},
		"markdown":         {"md", "## Before you start\n\nRead this leaflet with your carer, and keep it where you can find it quickly.\n\n# Eating safely\n\nCook meat, fish and eggs until they are hot all the way through.\n", "Eating safely"},
	} {
		t.Run(name, func(t *testing.T) {
			s := source{ID: "leaflet"}
			d, err := parseDocument([]byte(tc.src), tc.format, s, compileRules(cleaning{}, s))
			if err != nil {
				t.Fatal(err)
			}
			if d.Title != tc.want {
				t.Errorf("title %q, want %q", d.Title, tc.want)
			}
		})
	}
}
