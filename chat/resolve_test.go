package chat

import (
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		s, prev string
		want    string // "" when it must stay as written
	}{
		{"It is also used for Hurler syndrome.", "HCT is used to treat leukemia.", "HCT is also used for Hurler syndrome."},
		{"It can have side effects.", "CAR-T therapy, also known as chimeric antigen receptor T-cell therapy, is an innovative form of immunotherapy.", "CAR-T therapy can have side effects."},
		{"They can act like stem cells.", "Mesenchymal stem cells, most commonly found in bone marrow and fat, are the most versatile.", "Mesenchymal stem cells can act like stem cells."},
		{"It can have side effects.", "It is important to note that CAR-T therapy is a complex treatment.", "CAR-T therapy can have side effects."},
		{"It is also used for SCID.", "A hematopoietic stem cell transplantation (HSCT), sometimes known as a bone marrow transplant (BMT), is used to treat blood cancers.", "A hematopoietic stem cell transplantation (HSCT) is also used for SCID."},
		// The number must agree: "They" is not a singular subject.
		{"They can act like stem cells.", "HCT is used to treat leukemia.", ""},
		{"It is also used for SCID.", "Stem cells are found in bone marrow.", ""},
		// A sentence that does not open with its subject names none.
		{"It is also used for SCID.", "After a transplant, some patients may develop PTLD.", ""},
		{"It is also used for SCID.", "One example is Ebvallo, which is approved for PTLD.", ""},
		{"It is also used for SCID.", "In some cases, doctors use it.", ""},
		// A subject too long to be a name is a clause.
		{"It works.", "The cells that were collected from the patient's blood last week in the clinic are frozen.", ""},
		{"It opens up new possibilities.", "ATMP stands for Advanced Therapy Medicinal Products and is a collective term.", ""},
		// Only an opening pronoun is replaced.
		{"These cells can act like stem cells.", "Mesenchymal stem cells are versatile.", ""},
		{"Its side effects are serious.", "CAR-T therapy is an immunotherapy.", ""},
		// "These X" and "This X", named as the sentence before names X.
		{"These stem cells can be harvested from blood.", "HCT involves the infusion of hematopoietic stem cells, which are cells.", "Hematopoietic stem cells can be harvested from blood."},
		{"This receptor is designed to recognize a protein.", "A gene for a special protein called a chimeric antigen receptor (CAR) is inserted.", "The chimeric antigen receptor is designed to recognize a protein."},
		// Named in passing, not at the start of a noun phrase: it would say less.
		{"These procedures require careful planning.", "HCT and cellular therapy are complex and potentially life-saving procedures.", ""},
		{"These changes can be inherited.", "Cells make up every living thing.", ""},
		// "This is" has no noun phrase to name.
		{"This is called differentiation.", "Stem cells divide into many types of cells.", ""},
	}
	for _, tt := range tests {
		got, ok := resolve(tt.s, tt.prev)
		if tt.want == "" {
			if ok {
				t.Errorf("resolve(%q, %q) = %q, want it left as written", tt.s, tt.prev, got)
			}
			continue
		}
		if !ok || got != tt.want {
			t.Errorf("resolve(%q, %q) = %q, %v; want %q", tt.s, tt.prev, got, ok, tt.want)
		}
		r := referent(tt.s, got)
		if back := WithoutReferents(got+" [1]", []Referent{r}); back != tt.s+" [1]" {
			t.Errorf("referent %+v gives back %q, want %q", r, back, tt.s+" [1]")
		}
	}
}

func TestWithoutReferents(t *testing.T) {
	text := "HCT is used to treat leukemia. [1] HCT is also used for Hurler syndrome. [1]"
	// When an earlier sentence opens with the same words, Nth says which.
	got := WithoutReferents(text, []Referent{{Pronoun: "It", Subject: "HCT", Nth: 1}})
	if want := "HCT is used to treat leukemia. [1] It is also used for Hurler syndrome. [1]"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	got = WithoutReferents("Please ask your care team. Some general background from my sources: HCT is also used. [1]", []Referent{{Pronoun: "It", Subject: "HCT"}})
	if want := "Please ask your care team. Some general background from my sources: It is also used. [1]"; got != want {
		t.Errorf("referral background: got %q, want %q", got, want)
	}
	got = WithoutReferents("Stem cells can act like HCT does. [1] HCT is also used. [1]", []Referent{{Pronoun: "It", Subject: "HCT"}})
	if want := "Stem cells can act like HCT does. [1] It is also used. [1]"; got != want {
		t.Errorf("a subject inside a sentence is not a referent: got %q, want %q", got, want)
	}
}

// An answer can lead with a sentence that, in its source, leans on the one
// before it: it names the subject its pronoun stood for, says so in
// Referents, and quotes the source exactly once they are put back.
func TestAnswerLeadsWithResolvedSentence(t *testing.T) {
	e := realEngine(t, Config{})
	r := answer(t, e, nil, "Is HCT used for metabolic disorders?") // checks the quoting
	if r.Kind != KindAnswer {
		t.Fatalf("kind %s (%s): %q", r.Kind, r.Reason, r.Text)
	}
	lead := splitAnswer(t, r.Text)[0].text
	if !strings.Contains(lead, "Hurler syndrome") || strings.HasPrefix(lead, "It ") {
		t.Errorf("lead %q: want the sentence on metabolic disorders, with its subject named", lead)
	}
	if len(r.Referents) == 0 || r.Referents[0].Pronoun != "It" || !strings.HasPrefix(lead, r.Referents[0].Subject+" ") {
		t.Errorf("referents %+v do not name the lead's subject %q", r.Referents, lead)
	}
	// Right after the sentence it leans on, a sentence is quoted as written.
	r = answer(t, e, nil, "What is CAR-T therapy?")
	if strings.Contains(r.Text, "therapy. [1] CAR-T therapy involves") {
		t.Errorf("a sentence after the one it refers to names its subject again: %q", r.Text)
	}
}

// An answer on what an abbreviation is names what it stands for: first,
// when that is what was asked; at all, when the sentences that explain it
// never say it.
func TestAnswerSpellsOutAbbreviation(t *testing.T) {
	e := realEngine(t, Config{})
	r := answer(t, e, nil, "CRS is short for what?")
	if lead := splitAnswer(t, r.Text)[0].text; !strings.Contains(lead, "cytokine release syndrome (CRS)") {
		t.Errorf("lead %q does not say what CRS stands for", lead)
	}
	r = answer(t, e, nil, "what's CRS after car-t?")
	if !strings.Contains(strings.ToLower(r.Text), "cytokine release syndrome") {
		t.Errorf("answer never says what CRS stands for: %q", r.Text)
	}
	if lead := splitAnswer(t, r.Text)[0].text; strings.Contains(lead, "including cytokine release syndrome") {
		t.Errorf("lead %q names CRS only as an example, where a sentence says what it is", lead)
	}
}

func TestNamedAsExampleThroughLongForm(t *testing.T) {
	if !namedAsExample("It can have side effects, including cytokine release syndrome (CRS) and others.", []string{"crs"}) {
		t.Error("an abbreviation after its long form after 'including' is named as an example")
	}
	if namedAsExample("Cytokine release syndrome (CRS) is a reaction.", []string{"crs"}) {
		t.Error("a sentence about CRS names it as an example")
	}
}

// An abbreviation that is also an everyday stop word, written in
// capitals, is the term asked about ("what does ALL stand for?").
func TestStopWordAbbreviation(t *testing.T) {
	e := realEngine(t, Config{})
	r := answer(t, e, nil, "what does ALL stand for?")
	if r.Kind != KindAnswer || !strings.Contains(r.Text, "acute lymphoblastic leukemia") {
		t.Errorf("%s %q: want what ALL stands for", r.Kind, r.Text)
	}
	if got := e.spellOutStopAbbreviations("is it all fine? ALL"); got != "is it all fine? ALL (acute lymphoblastic leukemia)" {
		t.Errorf("spellOutStopAbbreviations = %q", got)
	}
}

func TestResolveExample(t *testing.T) {
	for s, want := range map[string]string{
		"One example is Ebvallo (tabelecleucel), which has been approved by the EMA for children.": "Ebvallo (tabelecleucel) has been approved by the EMA for children.",
		"One example is CAR-T, which requires monitoring to see whether there is a breakdown.":     "CAR-T requires monitoring to see whether there is a breakdown.",
		"One example of cellular therapy is CAR-T cell therapy, which involves modification.":      "", // names its class: reads alone
		"One example is CAR-T.": "",
	} {
		got, ok := resolveExample(s)
		if want == "" {
			if ok {
				t.Errorf("resolveExample(%q) = %q, want it left as written", s, got)
			}
			continue
		}
		if !ok || got != want {
			t.Errorf("resolveExample(%q) = %q, %v; want %q", s, got, ok, want)
		}
		if back := WithoutReferents(got+" [1]", []Referent{referent(s, got)}); back != s+" [1]" {
			t.Errorf("referent gives back %q, want %q", back, s+" [1]")
		}
	}
}
