package chat

import (
	"slices"
	"strings"
	"testing"

	"github.com/cellchat/cellchat/corpus"
	"github.com/cellchat/cellchat/internal/words"
	"github.com/cellchat/cellchat/retrieval"
)

// A word of the sentence counts once: "conditioning" matches the question's
// "conditioning", and is not counted again as the lexicon's synonym of its
// "chemo". The sentence that also says chemotherapy answers first.
func TestLeadCountsASentenceWordOnce(t *testing.T) {
	e := realEngine(t, Config{})
	r := answer(t, e, nil, "is the conditioning always chemo?")
	if lead := splitAnswer(t, r.Text)[0].text; !strings.Contains(lead, "chemotherapy") {
		t.Errorf("lead %q does not say what conditioning is made of", lead)
	}
}

func TestOtherSynonymIn(t *testing.T) {
	q := &query{
		base:     map[string]float64{"chemo": 1, "conditioning": 1},
		synonyms: map[string][][]string{"chemo": {{"conditioning"}, {"chemotherapi"}}},
	}
	if q.otherSynonymIn("chemo", map[string]bool{"conditioning": true}) {
		t.Error("a synonym that is itself a word of the question counted")
	}
	if !q.otherSynonymIn("chemo", map[string]bool{"chemotherapi": true}) {
		t.Error("a synonym that is not a word of the question did not count")
	}
}

// A hyphened pair the lexicon reads as one word means what the pair means:
// "grown-ups" are adults, whom a sentence about cells grown in a
// laboratory does not mention; a sentence saying "life-threatening" still
// says it.
func TestCompoundCountsAsAWhole(t *testing.T) {
	e := realEngine(t, Config{})
	q := e.followUp(nil, "do grown-ups have stem cells?")
	if len(q.compound) == 0 {
		t.Fatal(`"grown-ups" is not read as one word`)
	}
	grown := stemSet("The modified T cells are grown in large numbers in the laboratory.")
	adults := stemSet("Stem cells are found in adults too.")
	for _, st := range q.terms {
		if _, ok := q.compound[st]; ok && q.matches(st, grown) {
			t.Errorf("%q of grown-ups found in a sentence about cells grown in a laboratory", st)
		}
	}
	if q.coverage(grown) >= q.coverage(adults) {
		t.Errorf("cells grown in a laboratory cover the question %.2f, adults %.2f", q.coverage(grown), q.coverage(adults))
	}
	q = e.followUp(nil, "can CRS be life-threatening?")
	said := stemSet("Too many cytokines can result in fever and can be life-threatening.")
	for _, st := range []string{"life", "threaten"} {
		if _, ok := q.compound[st]; !ok {
			t.Errorf("%q of life-threatening is not read as part of one word", st)
		} else if !q.has(st, said) {
			t.Errorf("%q of life-threatening not found in a sentence saying life-threatening", st)
		}
	}
}

// A follow-up asking why repeats the last answer's sentence when that
// sentence is the one saying how it arises, rather than answering from
// passages that only share a word with it.
func TestWhyFollowUpRepeatsTheCause(t *testing.T) {
	e := realEngine(t, Config{})
	first := answer(t, e, nil, "What is graft-versus-host disease?")
	r := answer(t, e, []Turn{{Question: "What is graft-versus-host disease?", Reply: first}}, "Why does it happen?")
	if !strings.Contains(r.Text, "recognize the recipient") {
		t.Errorf("why follow-up does not say why: %q", r.Text)
	}
}

func TestUnprefixed(t *testing.T) {
	e := realEngine(t, Config{})
	if st, ok := e.unprefixed("overreacting"); !ok || st != words.Stem("reacts") {
		t.Errorf("unprefixed(overreacting) = %q, %v; want the stem of react", st, ok)
	}
	for _, w := range []string{"overall", "unwell", "nonsense", "sushi"} {
		if st, ok := e.unprefixed(w); ok {
			t.Errorf("unprefixed(%q) = %q, want none", w, st)
		}
	}
}

// A question that points at its scene ("is that a problem?") asks about
// what the scene names: answered when the sources cover it, declined when
// they do not.
func TestQuestionPointingAtScene(t *testing.T) {
	e := realEngine(t, Config{})
	for q, want := range map[string]Kind{
		"We keep two rabbits in the garden. Is that a problem after CAR-T?": KindNoAnswer,
		"My son has Hurler syndrome. Is that treated with a transplant?":    KindAnswer,
		// "these" goes with "cell therapies" here: it points at nothing.
		"I am 70 and have myeloma. Are these cell therapies ever used for that?": KindAnswer,
	} {
		if r := answer(t, e, nil, q); r.Kind != want {
			t.Errorf("%q: %s (%s), want %s", q, r.Kind, r.Reason, want)
		}
	}
}

// The reply to a question the sources do not answer names what they cover:
// what the operator says, else the documents' titles.
func TestNoAnswerNamesWhatTheSourcesCover(t *testing.T) {
	e := realEngine(t, Config{Covers: "mouth care and tiredness"})
	r := answer(t, e, nil, "How do I bake sourdough bread?")
	if r.Kind != KindNoAnswer || !strings.Contains(r.Text, "questions about mouth care and tiredness.") {
		t.Errorf("%s: %q", r.Kind, r.Text)
	}
	e = realEngine(t, Config{})
	r = answer(t, e, nil, "How do I bake sourdough bread?")
	if !strings.Contains(r.Text, "Cell Therapy Basics") || strings.Contains(r.Text, "{covers}") {
		t.Errorf("without covers the titles should be named: %q", r.Text)
	}
}

// A sentence too short to quote alone that finishes the one before it
// ("This is called mucositis.") is quoted with it, and what comes after
// both still finds what it leans on.
func TestShortSentenceJoinsTheOneBefore(t *testing.T) {
	e, _ := newFakeEngine(t, Config{})
	a := e.analyse("p1", "", "Chemotherapy before a transplant can make the lining of your mouth sore. This is called mucositis. It usually heals within two to three weeks.")
	if len(a.sentences) != 2 {
		t.Fatalf("sentences %+v, want the first two joined and the third", a.sentences)
	}
	if got := a.sentences[0].text; got != "Chemotherapy before a transplant can make the lining of your mouth sore. This is called mucositis." || a.sentences[0].last != 1 {
		t.Errorf("joined sentence %q (last %d)", got, a.sentences[0].last)
	}
	if !a.sentences[0].stems[words.Stem("mucositis")] {
		t.Errorf("joined sentence lacks the term it names: %v", a.sentences[0].stems)
	}
	src := newSourceOrder([]candidate{
		{passage: 0, pos: a.sentences[0].pos, last: a.sentences[0].last, text: a.sentences[0].text},
		{passage: 0, pos: a.sentences[1].pos, last: a.sentences[1].last, text: a.sentences[1].text, leans: a.sentences[1].leans},
	}, nil)
	if before, ok := src.antecedents(src.cands[1]); !ok || len(before) != 1 {
		t.Errorf("the sentence after the joined one finds no antecedent: %v %v", before, ok)
	}
}

// "Should I ...?" is referred to the care team, unless the sources give
// everyone the advice asked for: then the advice answers.
func TestAdviceTheSourcesGiveAnswersShouldI(t *testing.T) {
	handout := func(text string) *Engine {
		chunks := []corpus.Chunk{
			{ID: "fever#1", DocID: "fever", Title: "Fever", Section: "Fever", Text: text},
			{ID: "food#1", DocID: "food", Title: "Food", Section: "Food", Text: "Keep cold food in the fridge and eat leftovers within one day."},
		}
		return engineOn(t, chunks)
	}
	r := answer(t, handout("Do not take paracetamol to bring a fever down before you have called the unit, because it can hide an infection."), nil, "Should I take paracetamol for a fever?")
	if r.Kind != KindAnswer || r.Reason != "answer.advice" || !strings.HasPrefix(r.Text, "Do not take paracetamol") {
		t.Errorf("%s %s: %q", r.Kind, r.Reason, r.Text)
	}
	r = answer(t, handout("Paracetamol is a common medicine that many people take for a fever at home."), nil, "Should I take paracetamol for a fever?")
	if r.Kind != KindReferral {
		t.Errorf("no advice in the sources: %s %s: %q", r.Kind, r.Reason, r.Text)
	}
}

// What a clinic's own handouts say answers questions the seed pages'
// rules would refuse or refer:
//   - one about an e-mail address, when the sources give one (declined, for
//     that reason, when they do not);
//   - "Can I eat cookies?", by a sentence on the cookies themselves (not by
//     one on eating something else).
func TestHandoutAnswers(t *testing.T) {
	e := engineOn(t, []corpus.Chunk{
		{ID: "contact#1", DocID: "contact", Title: "Contact", Section: "Contact", Text: "Email questions that are not urgent to nurses@clinic.example and a nurse will reply within one working day."},
		{ID: "food#1", DocID: "food", Title: "Food", Section: "Food", Text: "Homemade cookies and cakes are fine; cream-filled cakes and cookies from bakery counters are not."},
		{ID: "food#2", DocID: "food", Title: "Food", Section: "Appetite", Text: "Eat small meals or snacks every two to three hours instead of three large meals."},
	})
	for _, tt := range []struct {
		q, reason, has string
		kind           Kind
	}{
		{"Where can I email a question that is not urgent?", "", "nurses@clinic.example", KindAnswer},
		{"How do I subscribe to the newsletter?", "out_of_scope.site", "", KindNoAnswer},
		{"Can I eat cookies from the bakery?", "", "bakery counters", KindAnswer},
		{"Can I eat sushi from the market?", "", "", KindNoAnswer},
	} {
		r := answer(t, e, nil, tt.q)
		if r.Kind != tt.kind || tt.reason != "" && r.Reason != tt.reason || !strings.Contains(r.Text, tt.has) {
			t.Errorf("%q: %s %s: %q", tt.q, r.Kind, r.Reason, r.Text)
		}
	}
}

// engineOn is an engine whose sources are the chunks, as a clinic's own
// handouts would be.
func engineOn(t *testing.T, chunks []corpus.Chunk) *Engine {
	t.Helper()
	e, err := New(&fakeSearcher{chunks: chunks, stats: newTermStats(chunks)}, Config{Chunks: chunks})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// A follow-up's search is judged by whether it found what the conversation
// is about: a word the question before named that the sources rarely use.
func TestHoldsCarried(t *testing.T) {
	e := realEngine(t, Config{})
	first := answer(t, e, nil, "What is GVHD?")
	q := e.followUp([]Turn{{Question: "What is GVHD?", Reply: first}}, "how is that treated?")
	gvhd := retrieval.Passage{Chunk: corpus.Chunk{ID: "a", Section: "Risks", Text: "Graft-versus-host disease (GVHD) is a syndrome."}}
	other := retrieval.Passage{Chunk: corpus.Chunk{ID: "b", Section: "CAR-T", Text: "CAR-T therapy has shown success in treating blood cancers."}}
	if e.holdsCarried(q, []retrieval.Passage{other}) {
		t.Error("passages without GVHD hold what the conversation is about")
	}
	if !e.holdsCarried(q, []retrieval.Passage{other, gvhd}) {
		t.Error("a passage on GVHD does not count")
	}
	if !e.holdsCarried(e.followUp(nil, "What is GVHD?"), []retrieval.Passage{other}) {
		t.Error("a question that carried nothing must be satisfied")
	}
}

// A clause introducing a list is quoted with an item that is a label and
// its value, which says little alone; an item that is a sentence of its own
// is quoted alone.
func TestListIntroduction(t *testing.T) {
	e, _ := newFakeEngine(t, Config{})
	a := e.analyse("visits", "", "You will be seen in clinic every week for the first month and then less often: Weeks one to four: once a week. Months two and three: every two weeks.")
	if len(a.sentences) == 0 || !strings.HasPrefix(a.sentences[0].text, "You will be seen in clinic") || !strings.Contains(a.sentences[0].text, "once a week") {
		t.Errorf("sentences %q: want the introduction quoted with its first item", texts(a.sentences))
	}
	a = e.analyse("types", "", "Here are a few commonly used types: Hematopoietic stem cells are versatile cells that can turn into any blood cell.")
	if len(a.sentences) != 1 || strings.HasPrefix(a.sentences[0].text, "Here") {
		t.Errorf("sentences %q: want the item alone", texts(a.sentences))
	}
}

func texts(ss []sentence) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.text)
	}
	return out
}

// "Is it for every cancer or only some?" is answered by the sentence that
// names the limit ("certain types of cancer"), not by what CAR-T is.
func TestScopeQuestionLeadsWithTheLimit(t *testing.T) {
	e := realEngine(t, Config{})
	q := "does car t work on evry cancer or only some?"
	r := answer(t, e, nil, q)
	first, _, _ := strings.Cut(r.Text, " [1]")
	if r.Kind != KindAnswer || !scopeCue.MatchString(first) {
		t.Errorf("%q: lead %q names no limit", q, first)
	}
}

// A yes/no question is answered by the sentence saying what it asks of its
// subject ("be your own donor"), not by the one naming its frame best ("a
// bone marrow transplant ... is used to treat ...").
func TestYesNoLeadsWithItsPoint(t *testing.T) {
	e := realEngine(t, Config{})
	for q, want := range map[string][]string{
		"can you be your own donor for a bone marrow transplant?": {"own", "donor"},
		"Is CAR-T used for myeloma?":                              {"myeloma"},
		"Is CAR-T a good idea?":                                   nil, // the subject is no pronoun
		"can they grow new cells for you?":                        {"grow"},
	} {
		if got := e.pointOf(q); !slices.Equal(got, want) {
			t.Errorf("pointOf(%q) = %v, want %v", q, got, want)
		}
	}
	for q, want := range map[string][]string{
		"can you be your own donor for a bone marrow transplant?": {"donor", "own body"},
		"can a stem cell transplant be used for myeloma?":         {"myeloma"},
		"can cytokine release syndrome be life-threatening?":      {"life-threatening"},
	} {
		r := answer(t, e, nil, q)
		first, _, _ := strings.Cut(r.Text, " [1]")
		for _, w := range want {
			if !strings.Contains(first, w) {
				t.Errorf("%q: lead %q does not say %q", q, first, w)
			}
		}
	}
}

// "Is CAR-T just another type of chemo?" asks what CAR-T is: the sentence
// saying so answers it, though the sources never compare it with chemo.
// "Is fever a symptom of CRS?" is about CRS and is not read that way.
func TestClassQuestionAsksWhatItIs(t *testing.T) {
	e := realEngine(t, Config{})
	q := "Is CAR-T just another type of chemo?"
	r := answer(t, e, nil, q)
	first, _, _ := strings.Cut(r.Text, " [1]")
	if r.Kind != KindAnswer || !strings.Contains(first, "form of immunotherapy") {
		t.Errorf("%q: %s (%s), lead %q, want what CAR-T is", q, r.Kind, r.Reason, first)
	}
	for _, q := range []string{"Is fever a symptom of CRS?", "Is my cat a risk?"} {
		qu := e.newQuery(q, q, nil, "")
		if qu.asked == askDefine {
			t.Errorf("%q read as asking what %v is", q, qu.define)
		}
	}
}

// A paragraph opening with a title ("Organ toxicities. During CAR-T
// therapy, ...") defines it in the sentence after it, though that sentence
// never repeats the title's words.
func TestTitledParagraphDefinesItsTitle(t *testing.T) {
	e := realEngine(t, Config{})
	r := answer(t, e, nil, "organ toxicities?")
	first, _, _ := strings.Cut(r.Text, " [1]")
	if r.Kind != KindAnswer || !strings.Contains(first, "release chemical messengers called cytokines") {
		t.Errorf("lead %q, want the sentence after the title", first)
	}
	if !isTitle("Organ toxicities.") || isTitle("It is short.") || isTitle("The cells are returned to the patient.") {
		t.Error("isTitle: a title is a few capitalised words that refer back to nothing")
	}
}

// A paragraph's first sentence, which often says what the paragraph is
// about, is marked wherever the paragraph starts in its passage.
func TestParagraphOpenings(t *testing.T) {
	e := realEngine(t, Config{})
	a := e.analyse("test#opens", "", "Cells make up every living thing. They divide.\n\nOne example is Ebvallo (tabelecleucel), which is approved for PTLD. It is given by infusion.")
	var opens []string
	for _, s := range a.sentences {
		if s.opens {
			opens = append(opens, s.text)
		}
	}
	want := []string{"Cells make up every living thing. They divide.", "Ebvallo (tabelecleucel) is approved for PTLD."}
	if !slices.Equal(opens, want) {
		t.Errorf("paragraph openings %q, want %q", opens, want)
	}
}

// A term the patient quotes from what they read is what "that" asks
// about, over a term of the sources the scene also names ("CAR-T").
func TestQuotedTermIsWhatThatIs(t *testing.T) {
	e := realEngine(t, Config{})
	r := answer(t, e, nil, "My CAR-T consent form mentions 'leukapheresis'. What is that?")
	if lead := splitAnswer(t, r.Text)[0].text; !strings.Contains(lead, "leukapheresis") {
		t.Errorf("lead %q does not say what leukapheresis is", lead)
	}
}

// "What does X mean?" asks what a word means: a sentence saying what
// "X cell therapy" means explains it, however the question is worded.
func TestWordMeaningLeadsWithItsExplanation(t *testing.T) {
	e := realEngine(t, Config{})
	for _, q := range []string{"what does allogeneic mean", "What mean autologous? My doctor say this word many time but I not understand"} {
		r := answer(t, e, nil, q)
		if lead := splitAnswer(t, r.Text)[0].text; !strings.Contains(lead, "cell therapy means") {
			t.Errorf("%q: lead %q does not say what the word means", q, lead)
		}
	}
}

// An idiom of the lexicon with a function word in it ("get rid of") is a
// synonym of its words; a longer window holding a shorter term is not.
func TestIdiomSynonyms(t *testing.T) {
	e := realEngine(t, Config{})
	q := e.followUp(nil, "how do the cells get rid of the cancer?")
	if !q.synonymIn("rid", map[string]bool{"elimin": true}) {
		t.Errorf("\"get rid of\" does not stand for eliminate: %q", q.synonyms["rid"])
	}
	q = e.followUp(nil, "Where can hematopoietic stem cells be collected from?")
	for _, st := range []string{"collect", "be"} {
		for _, syn := range q.synonyms[st] {
			if slices.Contains(syn, "hsc") {
				t.Errorf("%q credited with %q, a term of the words before it", st, syn)
			}
		}
	}
}

// A follow-up carries the last question's topic, not the scene around it:
// "ward" and "nurse" weighed little there and weigh little after it.
func TestFollowUpCarriesTopicNotScene(t *testing.T) {
	e := realEngine(t, Config{})
	first := "My nephew had a heart transplant and the nurse on the ward keeps talking about EBV. What is that?"
	r := answer(t, e, nil, first)
	q := e.followUp([]Turn{{Question: first, Reply: r}}, "is there any treatment for it that uses cells?")
	if q.focus["ward"] >= q.focus["ebv"]/2 {
		t.Errorf("the scene's \"ward\" weighs %.2f, the topic \"ebv\" %.2f", q.focus["ward"], q.focus["ebv"])
	}
}
