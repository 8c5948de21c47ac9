package chat

import (
	"strings"
	"testing"
)

func TestQuotable(t *testing.T) {
	e, _ := newFakeEngine(t, Config{})
	for s, want := range map[string]bool{
		"Autologous cell therapy means the cells are collected from the individual's own body.": true,
		"Matched donors.":                         false, // a heading
		"Here's how CAR-T therapy works:":         false, // a list stub
		"Learn more about gene therapy basics.":   false, // a call to action
		"and then the cells are returned to you.": false, // a fragment
		"Is CAR-T therapy safe for most people?":  false, // a question
	} {
		if got := e.quotable(s); got != want {
			t.Errorf("quotable(%q) = %v, want %v", s, got, want)
		}
	}
}

// countingSearcher is a searcher whose index reports its own term counts.
type countingSearcher struct {
	fakeSearcher
	n  int
	df map[string]int
}

func (c *countingSearcher) TermStats() (int, map[string]int) { return c.n, c.df }

func TestTermStatsComeFromTheIndex(t *testing.T) {
	s := &countingSearcher{fakeSearcher: fakeSearcher{chunks: fixtureChunks}, n: 10, df: map[string]int{"zebra": 2, "cell": 10}}
	e, err := New(s, Config{Chunks: fixtureChunks})
	if err != nil {
		t.Fatal(err)
	}
	if !e.stats.known("zebra") || e.stats.known("therapi") {
		t.Errorf("the engine did not weigh words by the index's counts: zebra known %v, therapi known %v", e.stats.known("zebra"), e.stats.known("therapi"))
	}
	if e.stats.idf("cell") >= e.stats.idf("zebra") {
		t.Errorf("idf(cell) %v >= idf(zebra) %v: a word in every chunk must weigh least", e.stats.idf("cell"), e.stats.idf("zebra"))
	}
	// Without the counts, the chunks are counted.
	plain, err := New(&fakeSearcher{chunks: fixtureChunks}, Config{Chunks: fixtureChunks})
	if err != nil {
		t.Fatal(err)
	}
	if plain.stats.known("zebra") || !plain.stats.known("therapi") {
		t.Error("an engine without index counts does not count its chunks")
	}
}

func TestDefiningSubject(t *testing.T) {
	for s, want := range map[string]string{
		"HCT is a type of stem cell transplantation.":                   "hct",
		"Conditioning is often a chemotherapy, which can be hard.":      "conditioning",
		"Cell therapy means that living cells are used as a treatment.": "cell therapi",
		"First, T cells are collected from the patient's blood.":        "",
		"The collected T cells are then genetically modified in a lab.": "",
		"HCT is used to treat a variety of medical conditions.":         "",
		"Ebvallo is not recommended by the Danish Medicines Council.":   "",
	} {
		if got := strings.Join(defining(s), " "); got != want {
			t.Errorf("defining(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestAskedOf(t *testing.T) {
	for q, want := range map[string]asked{
		"How are CAR-T cells made?":                    askSteps,
		"What are the steps of CAR-T therapy?":         askSteps,
		"How does CAR-T work?":                         askOther,
		"What happens when donor cells attack?":        askOther,
		"What is GVHD?":                                askDefine,
		"cell therapy meaning":                         askDefine,
		"CRS is short for what?":                       askDefine,
		"define leukapheresis":                         askDefine,
		"Why do I need chemo first?":                   askWhy,
		"How long does CRS last?":                      askQuantity,
		"Do I need a donor for CAR-T?":                 askYesNo,
		"Which cancers can CAR-T treat?":               askWhich,
		"Where do the stem cells come from?":           askWhere,
		"whose cells are used?":                        askWho,
		"And who usually donates them?":                askWho,
		"How is that treated?":                         askTreat,
		"how do doctors treat the rash one":            askTreat,
		"does car t work on evry cancer or only some?": askScope,
		"Is it only for adults?":                       askScope,
		"Is there any risk?":                           askYesNo,
		"What mean autologous?":                        askDefine,
	} {
		if got := askedOf(q); got != want {
			t.Errorf("askedOf(%q) = %d, want %d", q, got, want)
		}
	}
	for q, want := range map[string]string{"What does HSCT stand for?": "HSCT", "what does differentiation mean when people talk about stem cells?": "differentiation", "cell therapy meaning": "cell therapy", "the meaning of conditioning": "conditioning", "CRS is short for what?": "CRS", "What mean autologous?": "autologous", "what is meaning of engraftment": "engraftment"} {
		if got, _ := definedTerm(q); got != want {
			t.Errorf("definedTerm(%q) = %q, want %q", q, got, want)
		}
	}
}

// Misspellings of long words are corrected to the corpus's; short real
// words are not turned into corpus words a letter away ("liver" is not
// "live").
func TestSpellingCorrection(t *testing.T) {
	e := realEngine(t, Config{})
	for word, want := range map[string]string{"lukemia": "leukemia", "liver": "", "drive": "", "leukaferesis": "leukapheresis", "efects": "effects", "efect": "effect", "multiply": "", "autologus": "autologous", "cytokin": "cytokine", "saying": "", "leaflet": "", "leukaemia": "leukemia", "haematopoietic": "hematopoietic", "cels": "cells", "cell": "", "hiv": ""} {
		got := e.spell.correct(word)
		if got != want {
			t.Errorf("correct(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestIsAside(t *testing.T) {
	for s, want := range map[string]bool{
		"If you are considering CAR-T therapy, it is crucial to consult with a healthcare professional who specializes in it.": true,
		"It is important that all aspects of the treatment be thoroughly explained by a healthcare professional.":              true,
		"A member of the research team should review any potential risks and benefits with the individual.":                    false,
		"Conditioning is often a chemotherapy.": false,
	} {
		if got := isAside(s); got != want {
			t.Errorf("isAside(%q) = %v, want %v", s, got, want)
		}
	}
}
