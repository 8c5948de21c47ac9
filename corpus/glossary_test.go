package corpus

import (
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// glossaryOf builds a glossary from made-up passages, one chunk each.
func glossaryOf(texts ...string) *Glossary {
	var chunks []Chunk
	for i, t := range texts {
		id := "doc" + string(rune('a'+i))
		chunks = append(chunks, Chunk{ID: id + "#0001", DocID: id, Text: t, Ord: 0})
	}
	return BuildGlossary(chunks)
}

func TestGlossaryAbbreviationPatterns(t *testing.T) {
	for _, tc := range []struct {
		name, text, abbr, long string
	}{
		{"parenthesis", "Some patients get cytokine release syndrome (CRS) after treatment.", "CRS", "cytokine release syndrome"},
		{"fewest words", "Many patients receive hematopoietic stem cell transplantation (HSCT) every year.", "HSCT", "hematopoietic stem cell transplantation"},
		{"hyphenated, opening the sentence", "Graft-versus-host disease (GVHD) can follow a transplant.", "GVHD", "graft-versus-host disease"},
		{"a name keeps its capitals", "Some patients develop a disease linked to the Epstein-Barr virus (EBV).", "EBV", "Epstein-Barr virus"},
		{"title case kept", "The European Medicines Agency (EMA) approved it.", "EMA", "European Medicines Agency"},
		{"letters inside a word", "It treats metachromatic leukodystrophy (MLD) in children.", "MLD", "metachromatic leukodystrophy"},
		{"hyphenated first word", "Some get EBV-positive post-transplant lymphoproliferative disease (PTLD).", "PTLD", "post-transplant lymphoproliferative disease"},
		{"plural", "Doctors collect hematopoietic stem cells (HSCs) from the blood.", "HSC", "hematopoietic stem cell"},
		{"plural with apostrophe", "Doctors collect hematopoietic stem cells (HSC’s) from the blood.", "HSC", "hematopoietic stem cell"},
		{"comma or", "Some develop graft-versus-host disease, or GVHD, after a transplant.", "GVHD", "graft-versus-host disease"},
		{"stands for", "ATMP stands for Advanced Therapy Medicinal Products and is a new type of medicine.", "ATMP", "Advanced Therapy Medicinal Products"},
		{"also known as in parentheses", "Doctors collect hematopoietic stem cells (also known as HSCs) from the blood.", "HSC", "hematopoietic stem cell"},
		{"also known as", "Here are the cells used: Hematopoietic (blood forming) stem cells also known as HSC’s are versatile cells that make blood.", "HSC", "hematopoietic stem cell"},
		{"abbreviation first", "CRS (cytokine release syndrome) is a common side effect.", "CRS", "cytokine release syndrome"},
		{"shared last word", "CAR-T therapy, also known as chimeric antigen receptor T-cell therapy, is an innovative form of immunotherapy.", "CAR-T", "chimeric antigen receptor T-cell"},
		{"a stop word inside", "Ask the Department of Health (DoH) for the figures.", "DoH", "Department of Health"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := glossaryOf(tc.text)
			got := g.Abbreviations()
			if got[tc.abbr] != tc.long {
				t.Errorf("%q: Abbreviations()[%q] = %q, want %q (all: %v)", tc.text, tc.abbr, got[tc.abbr], tc.long, got)
			}
			e, ok := g.Lookup(tc.abbr)
			if !ok || e.LongForm != tc.long || e.Source != (Source{ChunkID: "doca#0001", DocID: "doca"}) {
				t.Errorf("Lookup(%q) = %+v, %v", tc.abbr, e, ok)
			}
		})
	}
}

func TestGlossaryAbbreviationNegatives(t *testing.T) {
	for _, text := range []string{
		"The dose is explained later (see below).",
		"The trial results were published (2019).",
		"The results were published (Smith 2019).",
		"It was approved by the agency (EMA) last year.",            // no words before it spell EMA
		"Most donor cells (allogeneic) come from a sibling.",        // a parenthetical, not an abbreviation
		"One example is Ebvallo (tabelecleucel), a T-cell therapy.", // another name, not an abbreviation
		"The Danish Medicines Council (Medicinrådet) reviews it.",
		"The transfer of a specific cell type(s) into a person.",
		"Patients often have blood tests (CBC) before the infusion.", // "blood tests" does not spell CBC
		"Some receive cells from a donor (DN) instead.",              // one word cannot spell it
		"It affects the blood, or RBC, in some cases.",
		"Immune effector cell-associated neurotoxicity syndrome (ICANS) is rare.", // "effector" gives no letter: missed, not guessed
		"Doctors collect hematopoietic stem cells (HSCss) from the blood.",
		"It can cause post-transplant disease (PRD).",                // "r" only from inside a part whose first letter is unused
		"Patients who had chemotherapy, radiation (CR) and surgery.", // "chemotherapy, radiation": a long form does not cross a comma
	} {
		g := glossaryOf(text)
		if a := g.Abbreviations(); len(a) != 0 {
			t.Errorf("%q: abbreviations %v, want none", text, a)
		}
	}
	// An abbreviation no words spell is noted.
	g := glossaryOf("It was approved by the agency (EMA) last year.")
	if n := g.Notes(); len(n) != 1 || n[0].Term != "EMA" || !strings.Contains(n[0].Reason, "do not spell") {
		t.Errorf("notes %+v", n)
	}
}

// The long form starts where its first letter does, not at the sentence
// or clause start, and never crosses a comma.
func TestGlossaryLongFormBounds(t *testing.T) {
	g := glossaryOf(
		"After chemotherapy, patients receive hematopoietic stem cell transplantation (HSCT).",
		"Side effects include fevers, cytokine release syndrome (CRS) and fatigue.",
	)
	want := map[string]string{"HSCT": "hematopoietic stem cell transplantation", "CRS": "cytokine release syndrome"}
	if got := g.Abbreviations(); !reflect.DeepEqual(got, want) {
		t.Errorf("abbreviations %v, want %v", got, want)
	}
}

func TestGlossaryConflicts(t *testing.T) {
	// Two long forms once each: dropped, and said so.
	g := glossaryOf(
		"It treats severe combined immune deficiency (SCID) in infants.",
		"It treats server combined immunodeficiency (SCID) in infants.",
	)
	if _, ok := g.Abbreviations()["SCID"]; ok {
		t.Errorf("ambiguous SCID kept: %v", g.Abbreviations())
	}
	if _, ok := g.Lookup("scid"); ok {
		t.Error("Lookup found the dropped SCID")
	}
	if n := g.Notes(); len(n) != 1 || n[0].Term != "SCID" || !strings.Contains(n[0].Reason, "severe combined immune deficiency") || !strings.Contains(n[0].Reason, "server combined immunodeficiency") {
		t.Errorf("notes %+v", n)
	}
	// The more frequent long form wins; the other is noted. Case and
	// hyphens do not make a long form different.
	g = glossaryOf(
		"Graft-versus-host disease (GVHD) is a risk.",
		"Doctors watch for graft versus host disease (GVHD) closely.",
		"Doctors watch for graft vs host disease (GVHD) closely.",
	)
	if got := g.Abbreviations()["GVHD"]; got != "graft-versus-host disease" {
		t.Errorf("GVHD = %q", got)
	}
	if n := g.Notes(); len(n) != 1 || !strings.Contains(n[0].Reason, `over "graft vs host disease"`) || n[0].Source.DocID != "docc" {
		t.Errorf("notes %+v", n)
	}
}

func TestGlossaryDefinitions(t *testing.T) {
	texts := []string{
		"Leukapheresis is a process that separates white blood cells from the blood. It takes a few hours.",
		"An antigen is a marker on the surface of a cell.",
		"Lymphocytes are white blood cells that fight infection.",
		"Apheresis refers to collecting one part of the blood.",
		"Autologous cell therapy means the cells are collected from your own body.",
		"Cell therapy is the transfer of living cells into a person. Cell therapy is the newest thing.",
		"During CAR-T therapy, immune cells release chemical messengers called cytokines.",
		"Before the infusion you may need a pretreatment called conditioning to calm the immune system.",
		"Here's how it works: Collection: First, T cells are collected through a process called leukapheresis.",
		"Gene modified cell therapy (or ex vivo gene therapy) is a combination of gene and cell therapy.",
		"CAR-T therapy, also known as chimeric antigen receptor T-cell therapy, is an innovative form of immunotherapy.",
		"Graft-versus-host disease (GVHD), a syndrome in which donor cells attack the body, can be serious.",
		"The source of the cells is one of two places: Allogeneic cell therapy means the cells come from a donor.",
	}
	g := glossaryOf(texts...)
	for _, tc := range []struct{ term, alias, def string }{
		{"Leukapheresis", "", "Leukapheresis is a process that separates white blood cells from the blood."},
		{"antigen", "", "An antigen is a marker on the surface of a cell."},
		{"Lymphocytes", "", texts[2]},
		{"Apheresis", "", texts[3]},
		{"Autologous cell therapy", "", texts[4]},
		{"Cell therapy", "", "Cell therapy is the transfer of living cells into a person."},
		{"cytokines", "", texts[6]},
		{"conditioning", "", texts[7]},
		{"Gene modified cell therapy", "ex vivo gene therapy", texts[9]},
		{"CAR-T therapy", "chimeric antigen receptor T-cell therapy", texts[10]},
		{"GVHD", "", texts[11]},
		{"Allogeneic cell therapy", "", "Allogeneic cell therapy means the cells come from a donor."},
	} {
		e, ok := g.Lookup(tc.term)
		if !ok || e.Term != tc.term || e.Alias != tc.alias || e.Definition != tc.def {
			t.Errorf("Lookup(%q) = %+v, %v; want alias %q, definition %q", tc.term, e, ok, tc.alias, tc.def)
		}
		if ok && (e.DefinitionSource.ChunkID == "" || !strings.Contains(texts[e.DefinitionSource.DocID[3]-'a'], e.Definition)) {
			t.Errorf("%s: definition source %+v does not hold %q", tc.term, e.DefinitionSource, e.Definition)
		}
	}
	// leukapheresis is defined twice: by "is a" (first) and by "called".
	if e, _ := g.Lookup("leukapheresis"); e.Source.DocID != "doca" {
		t.Errorf("leukapheresis from %+v, want the first definition", e.Source)
	}
	// "called" in the colon-led clause: the definition is that clause.
	g2 := glossaryOf(texts[8])
	if e, ok := g2.Lookup("leukapheresis"); !ok || e.Definition != "First, T cells are collected through a process called leukapheresis." {
		t.Errorf("leukapheresis: %+v", e)
	}
}

func TestGlossaryDefinitionNegatives(t *testing.T) {
	for _, text := range []string{
		"This is a serious risk for some patients.",
		"It is a good idea to ask your doctor.",
		"There are many cells that can help.",
		"HSCs are usually collected from a donor.",       // "are" without "that/which/who"
		"Cells are monitored closely by the team.",       // same
		"Fever is the most common side effect.",          // a superlative is not a definition
		"Cell and gene therapy is a growing field.",      // two things, not a term
		"Clinically, cellular therapies are a mainstay.", // not a noun phrase opening the sentence
		"Conditioning is often a chemotherapy.",          // hedged: "is often a"
		"The cells used for therapy in most hospitals in the country are ones that work.",
		"The nurse called her doctor right away.",
		"They called the clinic on Monday.",
		"Beware of so-called miracle cures.",
		"A helpful tip to remember is that ‘auto’ means self.",
		"This means that a lot of research goes into it.",
	} {
		g := glossaryOf(text)
		if es := g.Entries(); len(es) != 0 {
			t.Errorf("%q: entries %+v, want none", text, es)
		}
	}
}

func TestGlossaryLookupAndOrder(t *testing.T) {
	g := glossaryOf(
		"Doctors collect hematopoietic stem cells (HSCs) from the blood.",
		"Some develop graft-versus-host disease (GVHD) after a transplant.",
		"An antigen is a marker on a cell.",
		"CAR-T therapy, also known as chimeric antigen receptor T-cell therapy, is an innovative form of immunotherapy.",
	)
	for q, want := range map[string]string{
		"hsc": "HSC", "HSCs": "HSC", "gvhd": "GVHD", "Graft-Versus-Host Disease": "GVHD", "graft versus host disease": "GVHD",
		"Antigen": "antigen", "antigens": "antigen", "chimeric antigen receptor T-cell therapy": "CAR-T therapy", "car-t": "CAR-T",
	} {
		if e, ok := g.Lookup(q); !ok || e.Term != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", q, e.Term, ok, want)
		}
	}
	for _, q := range []string{"", "cells", "blood", "disease"} {
		if e, ok := g.Lookup(q); ok {
			t.Errorf("Lookup(%q) found %+v", q, e)
		}
	}
	var terms []string
	for _, e := range g.Entries() {
		terms = append(terms, e.Term)
	}
	if want := []string{"antigen", "CAR-T", "CAR-T therapy", "GVHD", "HSC"}; !reflect.DeepEqual(terms, want) {
		t.Errorf("entries %q, want %q", terms, want)
	}
}

// The real corpus: every abbreviation it spells out is found, with the
// long form its text gives (each checked by reading the passage), and
// nothing else.
func TestGlossaryRealCorpus(t *testing.T) {
	c := loadReal(t)
	g := BuildGlossary(c.Chunks)
	want := map[string]string{
		"ALL":   "acute lymphoblastic leukemia",                // curio: "acute lymphoblastic leukemia (ALL)"
		"ATMP":  "Advanced Therapy Medicinal Products",         // dk: "ATMP stands for Advanced Therapy Medicinal Products"
		"BMT":   "bone marrow transplant",                      // asgct: "sometimes known as a bone marrow transplant (BMT)"
		"CAR":   "chimeric antigen receptor",                   // curio and hct: "chimeric antigen receptor (CAR)"
		"CAR-T": "chimeric antigen receptor T-cell",            // curio: "CAR-T therapy, also known as chimeric antigen receptor T-cell therapy"
		"CRS":   "cytokine release syndrome",                   // curio: "cytokine release syndrome (CRS)"
		"EBV":   "Epstein-Barr virus",                          // dk: "the Epstein-Barr virus (EBV)"
		"GVHD":  "graft-versus-host disease",                   // asgct: "Graft-versus-host disease (GVHD), a syndrome ..."
		"HCT":   "hematopoietic cell transplantation",          // hct: "Hematopoietic cell transplantation (HCT)"
		"HSC":   "hematopoietic stem cell",                     // asgct: "Hematopoietic (blood forming) stem cells also known as HSC’s"
		"HSCT":  "hematopoietic stem cell transplantation",     // asgct: "A hematopoietic stem cell transplantation (HSCT)"
		"MLD":   "metachromatic leukodystrophy",                // asgct: "metachromatic leukodystrophy (MLD)"
		"PTLD":  "post-transplant lymphoproliferative disease", // dk: "EBV-positive post-transplant lymphoproliferative disease (PTLD)"
	}
	if got := g.Abbreviations(); !reflect.DeepEqual(got, want) {
		t.Errorf("abbreviations:\n got %v\nwant %v", got, want)
	}
	// SCID is spelled two ways ("server combined immunodeficiency" in
	// asgct, a typo, and "severe combined immune deficiency" in hct): left
	// out, and said so.
	var noted []string
	for _, n := range g.Notes() {
		noted = append(noted, n.Term)
	}
	if !reflect.DeepEqual(noted, []string{"SCID"}) {
		t.Errorf("notes %+v, want only SCID", g.Notes())
	}

	// Every parenthesised abbreviation in the corpus is either found or noted.
	paren := regexp.MustCompile(`\(([A-Z][A-Za-z]*[A-Z]s?)\)`)
	for _, ch := range c.Chunks {
		for _, m := range paren.FindAllStringSubmatch(ch.Text, -1) {
			abbr := strings.TrimSuffix(m[1], "s")
			if _, ok := want[abbr]; !ok && abbr != "SCID" {
				t.Errorf("%s: %s neither found nor noted", ch.ID, m[0])
			}
		}
	}

	text := map[string]string{}
	for _, ch := range c.Chunks {
		text[ch.ID] = ch.Text
	}
	for _, e := range g.Entries() {
		src := text[e.Source.ChunkID]
		if src == "" || !strings.HasPrefix(e.Source.ChunkID, e.Source.DocID+"#") {
			t.Errorf("%s: bad source %+v", e.Term, e.Source)
		}
		// Long forms are the passage's words (a capital lowered at the
		// start of a sentence, "(blood forming)" skipped, a plural made singular).
		if e.LongForm != "" {
			norm := strings.ToLower(strings.ReplaceAll(src, " (blood forming)", ""))
			if !strings.Contains(norm, strings.ToLower(e.LongForm)) {
				t.Errorf("%s: long form %q not in %s", e.Term, e.LongForm, e.Source.ChunkID)
			}
		}
		if e.Definition != "" && !strings.Contains(text[e.DefinitionSource.ChunkID], e.Definition) {
			t.Errorf("%s: definition not verbatim in %s: %q", e.Term, e.DefinitionSource.ChunkID, e.Definition)
		}
	}
	for term, def := range map[string]string{
		"Cell therapy":            "Cell therapy is the transfer of a specific cell type(s) into a person to treat or prevent a disease.",
		"Autologous cell therapy": "Autologous cell therapy means the cells are collected from the individual's own body.",
		"cytokines":               "During CAR-T therapy, immune system cells become stimulated and release chemical messengers called cytokines.",
		"HCT":                     "HCT is a type of stem cell transplantation that involves the infusion of hematopoietic stem cells, which are cells that give rise to all of the different types of blood cells in the body.",
		"ATMP":                    "ATMP stands for Advanced Therapy Medicinal Products and is a new type of advanced medicine that uses the body’s own building blocks - genes, cells, and tissue - to repair or change what isn’t working.",
	} {
		if e, ok := g.Lookup(term); !ok || e.Definition != def {
			t.Errorf("Lookup(%q) = %+v, %v; want definition %q", term, e, ok, def)
		}
	}
	if e, _ := g.Lookup("HSCT"); e.Alias != "bone marrow transplant" {
		t.Errorf("HSCT alias %q", e.Alias)
	}
	es := g.Entries()
	if !sort.SliceIsSorted(es, func(i, j int) bool { return strings.ToLower(es[i].Term) < strings.ToLower(es[j].Term) }) {
		t.Error("entries not sorted by term")
	}
}

// BuildGlossary never panics, and whatever it finds comes from the text.
func FuzzBuildGlossary(f *testing.F) {
	for _, s := range []string{
		"Graft-versus-host disease (GVHD), a syndrome that arises when donor cells attack.",
		"ATMP stands for Advanced Therapy Medicinal Products.",
		"Here: Hematopoietic (blood forming) stem cells also known as HSC’s are cells that make blood.",
		"CAR-T therapy, also known as chimeric antigen receptor T-cell therapy, is a treatment.",
		"a (B) c, or DE ((x)) called called : : (AB-) -A- stands for",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // Load hands over valid UTF-8 only
		}
		g := glossaryOf(s)
		for _, e := range g.Entries() {
			if e.Definition != "" && !strings.Contains(s, e.Definition) {
				t.Errorf("definition %q not in the text", e.Definition)
			}
			if _, ok := g.Lookup(e.Term); !ok {
				t.Errorf("Lookup(%q) failed", e.Term)
			}
		}
	})
}

func BenchmarkBuildGlossary(b *testing.B) {
	chunks := loadReal(b).Chunks
	for b.Loop() {
		BuildGlossary(chunks)
	}
}

// Long, hostile passages are still quick: a run-on sentence is skipped,
// many sentences take linear time.
func TestGlossaryLongPassage(t *testing.T) {
	for _, text := range []string{
		strings.Repeat("Some: Cells (AB) called x, or CD are things that: HSC’s stands for a b c. ", 2000),
		strings.Repeat("Some patients get cytokine release syndrome (CRS), or CRS, called x: An antigen is a marker. ", 2000),
	} {
		start := time.Now()
		glossaryOf(text)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%d bytes took %v", len(text), d)
		}
	}
	g := glossaryOf("Some patients get cytokine release syndrome (CRS)" + strings.Repeat(" and more", 200) + ".")
	if len(g.Entries()) != 0 {
		t.Errorf("a %d-byte sentence was read", maxGlossarySentence)
	}
}
