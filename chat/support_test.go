package chat

import (
	"context"
	"strings"
	"testing"

	"github.com/cellchat/cellchat/internal/llmtest"
	"github.com/cellchat/cellchat/retrieval"
)

// fixture returns the fixture chunk with this id as a passage.
func fixture(t testing.TB, id string) retrieval.Passage {
	t.Helper()
	for _, c := range fixtureChunks {
		if c.ID == id {
			return retrieval.Passage{Chunk: c}
		}
	}
	t.Fatalf("no fixture chunk %s", id)
	return retrieval.Passage{}
}

// mapLexicon expands each listed term to its synonyms.
type mapLexicon map[string][]string

func (l mapLexicon) Expand(text string) []string { return l[strings.ToLower(text)] }

func TestSupportChecks(t *testing.T) {
	e, _ := newFakeEngine(t, Config{Lexicon: mapLexicon{"chemo": {"chemotherapy"}}, Glossary: map[string]string{"CRS": "cytokine release syndrome"}})
	passages := []retrieval.Passage{
		fixture(t, "curio-what-is-car-t#1"), // [1]
		fixture(t, "curio-what-is-car-t#2"), // [2]
		fixture(t, "asgct#risks"),           // [3]
		fixture(t, "asgct#auto"),            // [4]
		fixture(t, "asgct#allo"),            // [5]
		fixture(t, "dk#auto-allo"),          // [6]
		fixture(t, "hct#stem"),              // [7]
	}
	tests := []struct {
		sentence string
		want     string // "" supported, else a part of the reason
	}{
		{"CAR-T therapy is a form of immunotherapy used to treat certain types of cancer [1].", ""},
		{"It can have significant side effects, such as cytokine release syndrome [2].", ""},
		{"CAR-T therapy is an immunotherapy [1][2].", ""},
		{"CAR-T therapy is an immunotherapy [1, 2].", ""},
		// Numbers, by value, words or digits.
		{"The cells come from one of 2 places [4].", ""},
		{"CAR-T therapy treats 3 types of cancer [1].", `number "3"`},
		{"CAR-T therapy helps about 40% of patients [2].", `share "%"`},
		{"CAR-T therapy helps about forty percent of patients [2].", `number "forty"`},
		{"Conditioning takes about a week [5].", `duration or share "week"`},
		{"The usual dose is given as chemotherapy [5].", `dose, duration or share "dose"`},
		// Names.
		{"CAR-T therapy is approved by the FDA [1].", `name "FDA"`},
		{"CAR-T cytokine release syndrome is treated with tocilizumab [3].", `name "tocilizumab"`},
		{"In the case of CRS, individuals may require anti-cytokine therapy [3].", ""}, // the sources' abbreviation
		{"Conditioning is often chemo [5].", ""},                                       // a lay term of the lexicon
		// Absolutes, by word family.
		{"CAR-T therapy cures cancer [1].", `absolute "cures"`},
		{"CAR-T always attacks cancer cells [1].", `absolute "always"`},
		{"Using your own cells is completely free of immune responses [4].", `absolute "completely"`},
		// Frequency and advice.
		{"CAR-T therapy usually treats blood cancers [2].", `frequency "usually"`},
		{"You should ask for CAR-T therapy [1].", `advice "should"`},
		// Negations.
		{"CAR-T therapy has no side effects [2].", `negation "no"`},
		{"Immune cells never release cytokines [3].", `absolute "never"`},
		{"Using your own cells will not always be a viable option [4].", ""},
		{"Your own cells are not always a viable choice [4].", ""},
		{"CAR-T cells do not attack cancer cells [1].", `negation "not" the passage does not make`},
		{"CAR-T therapy has not shown success in blood cancers [2].", `negation "not"`},
		{"CAR-T is classified as gene therapy, not cell therapy [6].", ""},
		{"CAR-T is classified as cell therapy, not gene therapy [6].", `negation "not" of what the passage affirms`},
		{"Stem cells are harvested from the bone marrow and washed with special enzymes [7].", "of its content words"},
		{"CAR-T is classified as gene therapy rather than cell therapy [6].", ""},
		// Coverage, and where the marker is.
		{"CAR-T therapy helps people with diabetes and heart disease recover [1].", "of its content words"},
		{"CAR-T therapy can cause cytokine release syndrome [7].", "not in [1]"},
		{"CAR-T therapy is an immunotherapy [1]. It is the best choice.", "no citation marker"},
		{"Yes [1].", "no content words"},
	}
	for _, tt := range tests {
		c, why := validate(tt.sentence, passages)
		if why != "" {
			t.Fatalf("%q: %s", tt.sentence, why)
		}
		got := e.unsupported(c.sentences[len(c.sentences)-1], c.citations)
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("%q: %q, want %q", tt.sentence, got, cmpOr(tt.want, "supported"))
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestMinSupport(t *testing.T) {
	passages := []retrieval.Passage{fixture(t, "asgct#risks")}
	sentence := "Too many cytokines can cause fever and breathing problems in people [1]." // 3 of its 6 content stems in the passage
	c, _ := validate(sentence, passages)
	for _, tt := range []struct {
		min  float64
		want bool
	}{{0, false}, {0.75, false}, {0.5, true}, {0.4, true}} {
		e, _ := newFakeEngine(t, Config{MinSupport: tt.min})
		if got := e.unsupported(c.sentences[0], c.citations) == ""; got != tt.want {
			t.Errorf("MinSupport %v: supported %v, want %v (%s)", tt.min, got, tt.want, e.unsupported(c.sentences[0], c.citations))
		}
	}
	for _, bad := range []float64{-0.1, 1.5} {
		if _, err := New(newFakeSearcher(), Config{MinSupport: bad}); err == nil {
			t.Errorf("MinSupport %v accepted", bad)
		}
	}
}

func TestSupportFallbackReason(t *testing.T) {
	srv := llmtest.NewOllama(t, func(llmtest.Prompt) string {
		return "CAR-T therapy is a form of immunotherapy [1]. CAR-T therapy cures every cancer within one week and has no side effects, whatever the stage, the age of the patient or the hospital [1]."
	})
	e := llmEngine(t, "ollama", srv.URL, Config{})
	r := answer(t, e, nil, "What is CAR-T therapy?")
	want := `unsupported: "CAR-T therapy cures every cancer within one week and has no side effects, whatev…" (absolute "cures" not in [1])`
	if r.Mode != "extractive" || r.Fallback != want || r.Unsupported != 1 {
		t.Errorf("mode %q, unsupported %d, fallback\n%s\nwant\n%s", r.Mode, r.Unsupported, r.Fallback, want)
	}
	if strings.Contains(r.Text, "cures") {
		t.Errorf("the refused sentence was shown: %q", r.Text)
	}
}

func TestKeepSupported(t *testing.T) {
	const (
		defines = "[@also known as chimeric antigen receptor]"
		effects = "[@significant side effects]"
		risks   = "[@Organ toxicities]"
	)
	tests := []struct {
		name, reply string
		mode        string // "llm" or "extractive"
		text        string // the text shown, for llm
		unsupported int
		fallback    string
	}{
		{"drops the unsupported sentence",
			"CAR-T therapy can cause cytokine release syndrome " + effects + ". CAR-T therapy is chimeric antigen receptor T-cell therapy, a form of immunotherapy " + defines + ". It cures every cancer " + defines + ".",
			"llm", "CAR-T therapy can cause cytokine release syndrome [1]. CAR-T therapy is chimeric antigen receptor T-cell therapy, a form of immunotherapy [2].", 1, ""},
		{"renumbers the citations left",
			"It cures every cancer " + effects + ". CAR-T therapy is chimeric antigen receptor T-cell therapy, a form of immunotherapy " + defines + ".",
			"llm", "CAR-T therapy is chimeric antigen receptor T-cell therapy, a form of immunotherapy [1].", 1, ""},
		{"nothing supported", "It cures every cancer " + defines + ". It has no side effects " + effects + ".", "extractive", "", 2, `unsupported: "It cures every cancer."`},
		{"what is left does not answer", "It cures every cancer " + defines + ". Immune cells release cytokines " + risks + ".", "extractive", "", 1, "the supported sentences alone do not answer the question"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewOpenAI(t, func(p llmtest.Prompt) string {
				text, missing := p.Cite(tt.reply)
				if missing != nil {
					t.Errorf("passages not shown: %q", missing)
				}
				return text
			})
			env := srv.Env()
			m, name, err := LLMFromEnv(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			e, _ := newFakeEngine(t, Config{LLM: m, LLMName: name, KeepSupported: true})
			r := answer(t, e, nil, "What is CAR-T therapy?")
			if r.Unsupported != tt.unsupported {
				t.Errorf("unsupported %d, want %d", r.Unsupported, tt.unsupported)
			}
			switch tt.mode {
			case "llm":
				if !strings.HasPrefix(r.Mode, "llm:") || r.Fallback != "" || r.Text != tt.text {
					t.Fatalf("mode %q, fallback %q, text\n%q\nwant\n%q", r.Mode, r.Fallback, r.Text, tt.text)
				}
				for i, c := range r.Citations {
					if c.N != i+1 {
						t.Errorf("citation %d numbered %d", i, c.N)
					}
				}
			default:
				if r.Mode != "extractive" || !strings.Contains(r.Fallback, tt.fallback) || strings.Contains(r.Text, "cures") {
					t.Errorf("mode %q, fallback %q, text %q", r.Mode, r.Fallback, r.Text)
				}
			}
		})
	}
}

// BenchmarkSupportCheck times the support check of a typical generated
// answer (three sentences, two passages) on the real corpus and lexicon.
func BenchmarkSupportCheck(b *testing.B) {
	e := realEngine(b, Config{})
	ix, _ := realIndex(b)
	passages, err := ix.Search(context.Background(), "How does CAR-T therapy work?", DefaultTopK)
	if err != nil {
		b.Fatal(err)
	}
	p := llmtest.Prompt{}
	for i, ps := range passages {
		p.Passages = append(p.Passages, "["+string(rune('1'+i))+"] "+ps.Text)
	}
	reply, missing := p.Cite("First, T cells are collected from the patient's blood in a process called leukapheresis [@also known as chimeric antigen receptor]. " +
		"In a laboratory, the T cells are genetically modified by inserting a gene for a chimeric antigen receptor (CAR) [@Genetic modification]. " +
		"The modified cells are grown in large numbers and then infused back into the patient's bloodstream [@Genetic modification].")
	if missing != nil {
		b.Fatalf("passages not retrieved: %q", missing)
	}
	c, why := validate(reply, passages)
	if why != "" {
		b.Fatal(why)
	}
	if v := e.checkSupport(c); len(v.failing) > 0 {
		b.Fatalf("the benchmark's answer is refused: %s", v.reasons[0])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		e.checkSupport(c)
	}
}
