package eval

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/corpus"
)

func TestParseValid(t *testing.T) {
	src := `name: demo
cases:
  - id: auto-vs-allo
    tags: [basics, paraphrase]
    ask: What is the difference between autologous and allogeneic cell therapy?
    expect:
      kind: answer
      evidence: ["own body", "someone other than the patient"]
      sources: [asgct-cell-therapy-basics]
      mentions: ["donor"]
      forbid: ["no side effects"]
  - id: car-t-follow-up
    turns:
      - ask: What is CAR-T therapy?
        expect: {kind: answer}
      - ask: What are its side effects?
        expect: {kind: [answer, referral], evidence: ["cytokine release syndrome"]}
  - id: bare
    ask: Hello
`
	s, err := Parse("demo.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "demo" || len(s.Cases) != 3 {
		t.Fatalf("got name %q, %d cases", s.Name, len(s.Cases))
	}
	c := s.Cases[0]
	if c.ID != "auto-vs-allo" || !slices.Equal(c.Tags, []string{"basics", "paraphrase"}) || len(c.Turns) != 1 {
		t.Errorf("case 0 = %+v", c)
	}
	e := c.Turns[0].Expect
	if !slices.Equal(e.Kinds, []chat.Kind{chat.KindAnswer}) || len(e.Evidence) != 2 || e.Sources[0] != "asgct-cell-therapy-basics" ||
		e.Mentions[0] != "donor" || e.Forbid[0] != "no side effects" {
		t.Errorf("expect = %+v", e)
	}
	conv := s.Cases[1]
	if len(conv.Turns) != 2 || conv.Turns[1].Ask != "What are its side effects?" ||
		!slices.Equal(conv.Turns[1].Expect.Kinds, []chat.Kind{chat.KindAnswer, chat.KindReferral}) {
		t.Errorf("conversation = %+v", conv)
	}
	if conv.Turns[1].Line != 16 {
		t.Errorf("turn line = %d, want 16", conv.Turns[1].Line)
	}
	if len(s.Cases[2].Turns[0].Expect.Kinds) != 0 {
		t.Errorf("case without expect has expectations: %+v", s.Cases[2].Turns[0].Expect)
	}
}

func TestParseAnchors(t *testing.T) {
	s, err := Parse("a.yaml", []byte(`cases:
  - id: a
    ask: What is CAR-T?
    expect: &car-t {kind: answer, evidence: ["chimeric antigen receptor"]}
  - id: b
    ask: what is car t
    expect: *car-t
`))
	if err != nil {
		t.Fatal(err)
	}
	if e := s.Cases[1].Turns[0].Expect; len(e.Kinds) != 1 || e.Evidence[0] != "chimeric antigen receptor" {
		t.Errorf("aliased expect = %+v", e)
	}
}

func TestParseErrorsNameCaseAndLine(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // each must appear in the error
	}{
		{"unknown case field", `cases:
  - id: a
    ask: hi
    expcet: {kind: answer}
`, []string{`x.yaml:4: case "a": unknown field "expcet" in case`}},
		{"unknown expect field", `cases:
  - id: a
    ask: hi
    expect:
      kinds: answer
`, []string{`x.yaml:5: case "a": unknown field "kinds" in expect`}},
		{"unknown top-level field", `name: x
questions: []
cases:
  - {id: a, ask: hi}
`, []string{`x.yaml:2: unknown field "questions"`}},
		{"missing ask", `cases:
  - id: a
    expect: {kind: answer}
`, []string{`x.yaml:2: case "a": missing ask`}},
		{"empty ask", `cases:
  - id: a
    ask: ""
`, []string{`x.yaml:3: case "a": missing ask`}},
		{"missing ask in turn", `cases:
  - id: conv
    turns:
      - ask: What is CAR-T?
      - expect: {kind: answer}
`, []string{`x.yaml:5: case "conv": missing ask`}},
		{"unknown kind", `cases:
  - id: a
    ask: hi
    expect: {kind: answr}
`, []string{`x.yaml:4: case "a": unknown kind "answr"`}},
		{"unknown kind in list", `cases:
  - id: a
    ask: hi
    expect:
      kind: [answer, emergancy]
`, []string{`x.yaml:5: case "a": unknown kind "emergancy"`}},
		{"duplicate id", `cases:
  - id: a
    ask: hi
  - id: b
    ask: hello
  - id: a
    ask: hey
`, []string{`x.yaml:6: case "a": duplicate id (first used on line 2)`}},
		{"duplicate of a case with its own error", `cases:
  - id: a
    ask: hi
    expect: {kind: nope}
  - id: a
    ask: hey
`, []string{`x.yaml:4: case "a": unknown kind "nope"`, `x.yaml:5: case "a": duplicate id (first used on line 2)`}},
		{"both ask and turns", `cases:
  - id: a
    ask: hi
    turns:
      - ask: hello
`, []string{`x.yaml:2: case "a": has both turns and ask/expect`}},
		{"missing id", `cases:
  - ask: hi
  - id: b
    ask: hello
`, []string{`x.yaml:2: case "#1": missing id`}},
		{"evidence not a list", `cases:
  - id: a
    ask: hi
    expect: {evidence: own body}
`, []string{`x.yaml:4: case "a": evidence must be a list`}},
		{"field twice", `cases:
  - id: a
    ask: hi
    ask: hello
`, []string{`x.yaml:4: case "a": field "ask" given twice`}},
		{"no cases", `name: empty
`, []string{"missing cases"}},
		{"not yaml", "cases: [\n", []string{"x.yaml"}},
		{"several problems at once", `cases:
  - id: a
    ask: hi
    expect: {kind: nope}
  - id: b
    turns: []
`, []string{`x.yaml:4: case "a": unknown kind "nope"`, `x.yaml:6: case "b": turns must be a non-empty list`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.src))
			if err == nil {
				t.Fatal("no error")
			}
			if !IsParseError(err) {
				t.Errorf("error %T is not a ParseError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%s\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ text, phrase string }{
		{"the patient\u2019s own cells", "patient's own cells"},
		{"\u201cmatched\u201d donor", `"matched" donor`},
		{"Cytokine\n  Release\tSyndrome", "cytokine release syndrome"},
		{"\uff23\uff21\uff32-T cells", "car-t cells"},                    // full-width letters, NFKC
		{"ﬁnd a donor", "find a donor"},                                  // ligature, NFKC
		{"CAR\u2013T cells \u2014 a therapy", "car-t cells - a therapy"}, // dashes as hyphens
	}
	for _, tt := range tests {
		if !containsPhrase(tt.text, tt.phrase) {
			t.Errorf("%q does not match in %q", tt.phrase, tt.text)
		}
	}
	if containsPhrase("own body", "someone else") || containsPhrase("anything", "  ") {
		t.Error("unrelated or empty phrase matched")
	}
}

// The project's own sets must parse, be big enough, cover every kind, and
// every evidence phrase must be article text of a document the case names,
// so a failing case is the bot's fault and not the set's.
func TestProjectSets(t *testing.T) {
	// Every set in this folder: the development and held-out sets and the
	// extra tuning set must all quote the corpus and share no ids.
	paths, err := filepath.Glob("*.yaml")
	if err != nil || len(paths) < 3 {
		t.Fatalf("question sets in eval/: %v %v", paths, err)
	}
	total, evidenceTurns, kinds := checkSets(t, "../corpus", paths)
	if total < 120 || evidenceTurns < 40 {
		t.Errorf("sets have %d cases and %d evidence turns; want at least 120 and 40", total, evidenceTurns)
	}
	for _, k := range chat.Kinds {
		if !kinds[k] {
			t.Errorf("no case expects kind %s", k)
		}
	}
}

// The clinic-handout set quotes the handouts it is run on, has at least
// 40 cases, and expects every kind but the greeting.
func TestHandoutSet(t *testing.T) {
	total, evidenceTurns, kinds := checkSets(t, "../corpus/testdata/handouts", []string{"handouts/questions.yaml"})
	if total < 40 || evidenceTurns < 25 {
		t.Errorf("%d cases and %d evidence turns; want at least 40 and 25", total, evidenceTurns)
	}
	for _, k := range []chat.Kind{chat.KindAnswer, chat.KindNoAnswer, chat.KindEmergency, chat.KindReferral} {
		if !kinds[k] {
			t.Errorf("no case expects kind %s", k)
		}
	}
}

// checkSets loads the sets at paths and checks them against the corpus in
// dir: ids unique across the sets, sources documents of the corpus, and
// every evidence phrase in a chunk of a document the case names. It
// returns the number of cases, of turns with evidence, and the kinds
// expected.
func checkSets(t *testing.T, dir string, paths []string) (total, evidenceTurns int, kinds map[chat.Kind]bool) {
	t.Helper()
	corp, err := corpus.Load(dir)
	if err != nil {
		t.Fatalf("load corpus: %v", err)
	}
	chunksOf := map[string][]string{}
	for _, ch := range corp.Chunks {
		chunksOf[ch.DocID] = append(chunksOf[ch.DocID], Normalize(ch.Text))
	}
	kinds = map[chat.Kind]bool{}
	ids := map[string]string{}
	for _, path := range paths {
		s, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		total += len(s.Cases)
		for _, c := range s.Cases {
			if other, dup := ids[c.ID]; dup {
				t.Errorf("%s: case %q also in %s: the sets must be disjoint", path, c.ID, other)
			}
			ids[c.ID] = path
			for _, turn := range c.Turns {
				for _, k := range turn.Expect.Kinds {
					kinds[k] = true
				}
				for _, src := range turn.Expect.Sources {
					if chunksOf[src] == nil {
						t.Errorf("%s: case %q: source %q is not a corpus document", path, c.ID, src)
					}
				}
				if len(turn.Expect.Evidence) > 0 {
					evidenceTurns++
				}
				docs := turn.Expect.Sources
				if len(docs) == 0 {
					for id := range chunksOf {
						docs = append(docs, id)
					}
				}
				for _, ph := range turn.Expect.Evidence {
					found := false
					for _, d := range docs {
						for _, text := range chunksOf[d] {
							found = found || strings.Contains(text, Normalize(ph))
						}
					}
					if !found {
						t.Errorf("%s: case %q: evidence %q is in no chunk of %v", path, c.ID, ph, docs)
					}
				}
			}
		}
	}
	return total, evidenceTurns, kinds
}
