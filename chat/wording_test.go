package chat

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cellchat/cellchat/internal/words"
)

// The no-answer confidence weighs what a question is about, not how it is
// worded: everyday words ("doctors", "instead", "in simple words", "my
// dad ... next month") leave an answerable question answerable, while a
// question whose asked-for thing the sources never name ("What steroids",
// "How do I register") or that needs a number they never state ("How
// many", "How much time") is declined although its other words are covered.
func TestConfidenceFollowsTopicNotWording(t *testing.T) {
	e := realEngine(t, Config{})
	tests := []struct {
		q    string
		want Kind
	}{
		{"Why would doctors use my own cells instead of a donor's?", KindAnswer},
		{"What are stem cells, in simple words?", KindAnswer},
		{"My dad is getting CAR-T next month. What side effects can it have?", KindAnswer},
		{"Whose cells are used in an autologous treatment?", KindAnswer},
		{"What is cytokine release syndrome after CAR-T?", KindAnswer},
		{"I heard CAR-T uses your own immune cells. Is that true?", KindAnswer},
		{"Are my own cells safer than a donor's?", KindAnswer},
		// Many lay words together still do not outweigh the topic; who said
		// something is not what is asked; "against" names nothing here.
		{"Can you explain, step by step and from start to finish, how CAR-T is done?", KindAnswer},
		{"A lady at my church told me CAR-T causes brain problems. Is that real?", KindAnswer},
		{"How does CAR-T fight against lymphoma?", KindAnswer},
		{"I read that stem cells come from fat. Is that true or a myth?", KindAnswer},
		{"can ebvallo be used when other treatment hasnt worked?", KindAnswer},
		// A verb the sources never use is how the patient puts it, not a
		// topic they lack; a thing, a bodily feeling or a quality is.
		{"Why would the doctors prefer to use my own cells?", KindAnswer},
		{"Does leukapheresis hurt?", KindNoAnswer},
		{"Why is there such a fuss about keeping the cells cold?", KindNoAnswer},
		// "radiotherapy" is the sources' "radiation" in other words.
		{"Do some patients get radiotherapy before a stem cell transplant?", KindAnswer},
		{"Can I eat sushi after CAR-T?", KindNoAnswer},
		{"My nurse said to ask you: is CAR-T covered by insurance?", KindNoAnswer},
		{"Where do I park when I come for my infusion?", KindNoAnswer},
		{"What steroids are used to treat graft-versus-host disease?", KindNoAnswer},
		{"How do I register as a bone marrow donor?", KindNoAnswer},
		{"Is there a vaccine for EBV that prevents PTLD after a transplant?", KindNoAnswer},
		{"How many patients get cytokine release syndrome after CAR-T?", KindNoAnswer},
		{"How much time off work will I need after CAR-T?", KindNoAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			r, err := e.Answer(context.Background(), nil, tt.q, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != tt.want {
				t.Errorf("kind %s (confidence %.3f, reason %s), want %s", r.Kind, r.Confidence, r.Reason, tt.want)
			}
		})
	}
}

func TestQuantityQuestionNeedsANumber(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"How many patients get CRS?", true},
		{"How long until I can go back to work?", true},
		{"What percentage are cured?", true},
		{"At what age can a child donate?", true},
		{"How does CAR-T work?", false},
		{"What is a bone marrow transplant?", false},
		{"When is conditioning given?", false},
	}
	for _, tt := range tests {
		if got := quantityQuestion.MatchString(tt.text); got != tt.want {
			t.Errorf("quantityQuestion(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
	for text, want := range map[string]bool{
		"for adults and children from 2 years of age": true,
		"one of two places":                           true,
		"One example of cellular therapy is CAR-T.":   false,
		"thousands of genes":                          true,
	} {
		if got := numberWord.MatchString(text); got != want {
			t.Errorf("numberWord(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestPredicateStems(t *testing.T) {
	tests := []struct {
		q    string
		want []string
	}{
		{"I heard CAR-T uses your own immune cells. Is that true?", []string{words.Stem("heard"), words.Stem("true")}},
		{"Are my own cells safer than a donor's?", []string{words.Stem("safer")}},
		{"Do they grow the cells in a lab?", []string{words.Stem("grow")}},
		{"Does CAR-T make your hair fall out?", nil},
		{"Is asthma treated with stem cells?", nil},
	}
	for _, tt := range tests {
		if got := predicateStems(tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("predicateStems(%q) = %q, want %q", tt.q, got, tt.want)
		}
	}
}

// A referral's background must name what the question is about: a sentence
// sharing only a stem-alike ("medical" for "medication") or the patient's
// wording is off the subject.
func TestReferralBackgroundOnSubject(t *testing.T) {
	e := realEngine(t, Config{})
	q := e.newQuery("my medication", "my medication", nil, "")
	on := candidate{stems: stemSet("The medications used to suppress an individual's immune system can be hard on the body.")}
	off := candidate{stems: stemSet("Cellular therapies are applied across various medical specialties, including orthopedics.")}
	if !e.onSubject(q, []candidate{on}) {
		t.Error("a sentence on medications is not on the subject of 'my medication'")
	}
	if e.onSubject(q, []candidate{off}) {
		t.Error("a sentence on medical specialties counts as on the subject of 'my medication'")
	}
	if e.onSubject(q, nil) {
		t.Error("no sentence is on the subject")
	}
}

// A yes/no question that hinges on a quality ("safe") or on the patient's
// own activity ("keep working") is answered only by sentences that say it,
// not by sentences sharing its topic's words.
func TestAnswersHoldWhatTheQuestionHingesOn(t *testing.T) {
	e := realEngine(t, Config{})
	for _, tt := range []struct {
		q        string
		kind     Kind
		offFocus bool // declined for want of what it hinges on
	}{
		{"Is cell therapy safe for children?", KindNoAnswer, true},
		{"Can I keep working during my treatment?", KindNoAnswer, true},
		{"Could my husband go back to work after CAR-T?", KindNoAnswer, true},
		{"Am I allowed to drive after my transplant?", KindNoAnswer, true},
		{"Am I allowed to give blood after having CAR-T?", KindNoAnswer, true},
		{"Can I donate stem cells to my sister?", KindAnswer, false},
		{"Is CAR-T safe?", KindAnswer, false},
		{"Can I use my own cells?", KindAnswer, false},
		{"Will I catch infections more easily?", KindAnswer, false},
		{"Is a fever a sign of cytokine release syndrome?", KindAnswer, false}, // a noun, not a quality
		{"Is neurotoxicity just another name for CRS?", KindAnswer, false},     // "another" picks out a name
		// An effect asked about is what the answer must say.
		{"Does conditioning make you tired?", KindNoAnswer, true},
		{"Can CAR-T cause a fever?", KindAnswer, false},
	} {
		r, err := e.Answer(context.Background(), nil, tt.q, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Kind != tt.kind || (r.Reason == "no_answer.off_focus") != tt.offFocus {
			t.Errorf("%q: %s (%s), want %s, declined off focus %v", tt.q, r.Kind, r.Reason, tt.kind, tt.offFocus)
		}
	}
}

// However a definition is asked, the answer leads with what the term is;
// the words of the asking ("meaning", "stand for") find nothing.
func TestDefinitionAskedAnyWay(t *testing.T) {
	e := realEngine(t, Config{})
	for q, lead := range map[string]string{
		"cell therapy meaning":                                      "Cell therapy is",
		"What is the meaning of GVHD?":                              "Graft-versus-host disease (GVHD)",
		"define leukapheresis":                                      "leukapheresis",
		"What sort of thing is GVHD?":                               "Graft-versus-host disease (GVHD)",
		"I keep hearing about CAR-T. What type of treatment is it?": "innovative form of immunotherapy",
		// The passage that defines the term is found when the search
		// ranks others first: "hematopoietic" is in every HCT passage.
		"what does hematopoietic mean?": "Hematopoietic (blood forming) stem cells",
		// A guess at the meaning is answered with the meaning.
		"Does autologous mean it's done by a machine?": "Autologous cell therapy means",
	} {
		r, err := e.Answer(context.Background(), nil, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(r.Text, " [")
		if r.Kind != KindAnswer || !strings.Contains(first, lead) {
			t.Errorf("%q: %s, first sentence %q lacks %q", q, r.Kind, first, lead)
		}
	}
}

// "What happens after that?" goes on where the last answer stopped, in its
// source, rather than searching the few words of its own.
func TestWhatHappensNext(t *testing.T) {
	e := realEngine(t, Config{})
	var history []Turn
	for _, step := range []struct{ q, want string }{
		{"what is leukapheresis", "leukapheresis"},
		{"and what do they do with the cells after that?", "genetically modified in a laboratory"},
		{"what happens next?", "grown in large numbers"},
	} {
		r, err := e.Answer(context.Background(), history, step.q, nil)
		if err != nil {
			t.Fatal(err)
		}
		if first, _, _ := strings.Cut(r.Text, " ["); !strings.Contains(first, step.want) {
			t.Errorf("%q: first sentence %q lacks %q", step.q, first, step.want)
		}
		history = append(history, Turn{Question: step.q, Reply: r})
	}
	// Without an answer before it, the question is an ordinary one.
	r, err := e.Answer(context.Background(), nil, "what happens next?", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Reason == "answer.continued" {
		t.Errorf("a first question was answered as a continuation: %q", r.Text)
	}
}

// A follow-up carries the last question's words as that question's own
// were read: spellings corrected, "whats" a stop word.
func TestFollowUpCarriesCorrectedWords(t *testing.T) {
	e := realEngine(t, Config{})
	first, err := e.Answer(context.Background(), nil, "alogeneic cell therapy?", nil)
	if err != nil {
		t.Fatal(err)
	}
	q := e.followUp([]Turn{{Question: "alogeneic cell therapy?", Reply: first}}, "what are the risks with that?")
	if q.base[words.Stem("allogeneic")] == 0 || q.base[words.Stem("alogeneic")] != 0 {
		t.Errorf("follow-up weights %v: want allogeneic carried, not alogeneic", q.base)
	}
	q = e.followUp([]Turn{{Question: "whats conditioning?", Reply: first}}, "and what does it do?")
	if q.base["what"] != 0 {
		t.Errorf("'whats' carried as a topic word: %v", q.base)
	}
}

// A sentence that shares only the scene's words with the question ("the
// consultant says ... I do not understand") says nothing on it and is not
// added to the answer.
func TestSceneWordsAddNoSentence(t *testing.T) {
	e := realEngine(t, Config{})
	r, err := e.Answer(context.Background(), nil, "The consultant says allogeneic but I do not understand the word. What is allogeneic?", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != KindAnswer || !strings.Contains(r.Text, "donor") {
		t.Fatalf("%s: %q, want an answer saying what allogeneic is", r.Kind, r.Text)
	}
	if strings.Contains(r.Text, "consult") || strings.Contains(r.Text, "understand") {
		t.Errorf("the answer holds a sentence on the scene: %q", r.Text)
	}
}

// A follow-up carries the last question's words that name something the
// sources hold, itself or through a word standing for it ("nerve" for
// "neurologic"), not a word that found nothing ("seperate"), which would
// only weigh the follow-up's coverage down.
func TestFollowUpCarriesOnlyWordsThatFindSomething(t *testing.T) {
	e := realEngine(t, Config{})
	first := "is nerve toxicity after car t just another name for crs or a seperate thing?"
	r, err := e.Answer(context.Background(), nil, first, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := e.followUp([]Turn{{Question: first, Reply: r}}, "and which of the two is it that causes fever?")
	if _, ok := q.base[words.Stem("seperate")]; ok {
		t.Errorf("the follow-up carries %q, a word that found nothing", "seperate")
	}
	for _, w := range []string{"nerve", "crs"} {
		if q.base[words.Stem(w)] == 0 {
			t.Errorf("the follow-up lost %q of the last question", w)
		}
	}
}
