package corpus

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// checkDocument asserts what must hold for any input: a document (if any)
// whose sections and chunks are valid UTF-8 and non-empty.
func checkDocument(t *testing.T, d *Document) {
	t.Helper()
	if d == nil {
		return
	}
	for _, s := range d.Sections {
		if !utf8.ValidString(s.Heading) || len(s.Paragraphs) == 0 {
			t.Fatalf("bad section %q (%d paragraphs)", s.Heading, len(s.Paragraphs))
		}
		for _, p := range s.Paragraphs {
			if !utf8.ValidString(p) || strings.TrimSpace(p) == "" {
				t.Fatalf("bad paragraph %q", p)
			}
		}
	}
	checkChunks(t, chunkDocument(d))
}

func checkChunks(t *testing.T, chunks []Chunk) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range chunks {
		if !utf8.ValidString(c.Text) || !utf8.ValidString(c.Section) || !hasContent(c.Text) || c.Text != strings.TrimSpace(c.Text) {
			t.Fatalf("bad chunk %q [%q]", c.Text, c.Section)
		}
		if seen[c.ID] {
			t.Fatalf("duplicate chunk id %s", c.ID)
		}
		seen[c.ID] = true
	}
}

func FuzzLoadHTML(f *testing.F) {
	f.Add([]byte(`<html><body><h1>Title</h1><p><b>Autologous</b> means own cells. More text here.</p><ul><li>One</li><li>Two</li></ul></body></html>`))
	f.Add([]byte("junk line\n<!DOCTYPE html><p>Was this information helpful?</p>"))
	f.Add([]byte(`<div><h2><a href="x"><img src="y"></a>Heading</h2><table><tr><td>a</td><td>b</td></tr></table><br><p>Text &amp; more &#0; &nbsp;</p></div>`))
	f.Add([]byte("<p>\xff\xfe invalid</p>"))
	s := source{ID: "fuzz"}
	r := compileRules(cleaning{}, s)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		d, _ := parseDocument(data, "html", s, r)
		checkDocument(t, d)
		// The walker itself must cope with any bytes, also when
		// parseDocument rejects them as binary.
		blocks, _, _ := parseHTML(data, r.prune)
		secs, _, _ := clean(blocks, r)
		checkDocument(t, &Document{ID: "fuzz", Sections: secs})
	})
}

func FuzzLoadText(f *testing.F) {
	f.Add("Heading\nA paragraph.\n-\nItem one.\n• Item two\nLead-in:\nshort line\n", false)
	f.Add("# Title\n\nSome *emphasis* and [a link](http://x).\n\n| a | b |\n|---|---|\n| c | d |\n```\ncode\n```\n", true)
	f.Add("---\nfront: matter\n---\nSetext\n======\ntext\n", true)
	f.Add("\r\n\r\n\t\u00a0\u200b\n-\n-\n", false)
	f.Add("We use cookies.\nDetailed Cookie Preferences\n", false)
	s := source{ID: "fuzz"}
	r := compileRules(cleaning{}, s)
	f.Fuzz(func(t *testing.T, text string, markdown bool) {
		if len(text) > 1<<16 {
			return
		}
		format := "txt"
		if markdown {
			format = "md"
		}
		d, _ := parseDocument([]byte(text), format, s, r)
		checkDocument(t, d)
		secs, _, _ := clean(parseText(text, markdown), r) // also for non-UTF-8 input
		checkDocument(t, &Document{ID: "fuzz", Sections: secs})
	})
}

func FuzzChunk(f *testing.F) {
	f.Add("Risks", "One sentence. Another one! A third?\n\nA new paragraph with e.g. an abbreviation.")
	f.Add("", strings.Repeat("word ", 300))
	f.Add("h", "Matched donors. X.\n\n\n…… ?! .\u2028")
	f.Fuzz(func(t *testing.T, heading, text string) {
		if len(text) > 1<<16 {
			return
		}
		sec := Section{Heading: heading, Paragraphs: strings.Split(text, "\n")}
		for _, c := range chunkSection(sec) {
			if !utf8.ValidString(c) || !hasContent(c) {
				t.Fatalf("bad chunk %q", c)
			}
		}
		checkChunks(t, chunkDocument(&Document{ID: "fuzz", Sections: []Section{sec}}))
	})
}
