package chat

import (
	"strings"
	"testing"
)

func TestSplitMessage(t *testing.T) {
	for _, tt := range []struct{ text, question, scene string }{
		{"What is GVHD?", "What is GVHD", ""},
		{"My son had a liver transplant and now the team mentioned Ebvallo. What is that?", "What is that", "My son had a liver transplant and now the team mentioned Ebvallo"},
		{"whats EBV? it keeps coming up in my son's notes ever since his liver transplant", "whats EBV", "it keeps coming up in my son's notes ever since his liver transplant"},
		{"my consent form has neurotoxicity on it as a risk, how do they watch for that?", "how do they watch for that", "my consent form has neurotoxicity on it as a risk"},
		{"i read that you can get stem cells out of fat?? is that true or rubbish", "is that true or rubbish", "i read that you can get stem cells out of fat"},
		{"cell therapy meaning", "cell therapy meaning", ""},
		{"In a donor transplant, whose cells go in?", "whose cells go in", "In a donor transplant"},
		{"for my school project - what does a T cell do?", "what does a T cell do", "for my school project"},
		// The question word stands after a clause saying when; the short
		// guesses after it are scene.
		{"once the drip is done which checks do they run, bloods? x-rays?", "once the drip is done which checks do they run, bloods", "x-rays"},
		// A yes/no question after a wh-question guesses at its answer.
		{"where do they take the stem cells from? is it a needle in the hip?", "where do they take the stem cells from", "is it a needle in the hip"},
		{"When I had my transplant. Did they use my own cells?", "Did they use my own cells", "When I had my transplant"},
		{"Is CAR-T safe? Is it painful?", "Is it painful", "Is CAR-T safe"},
	} {
		m := splitMessage(tt.text)
		if m.question != tt.question || strings.Join(m.scene, " | ") != tt.scene {
			t.Errorf("splitMessage(%q) = %q / %q, want %q / %q", tt.text, m.question, m.scene, tt.question, tt.scene)
		}
	}
}

func TestKeepAcronymPlurals(t *testing.T) {
	if got := keepAcronymPlurals("What are HSCs?", "what are hscs?"); got != "what are hsc?" {
		t.Errorf("keepAcronymPlurals = %q, want %q", got, "what are hsc?")
	}
	if got := keepAcronymPlurals("what are cells?", "what are cells?"); got != "what are cells?" {
		t.Errorf("keepAcronymPlurals changed an ordinary plural: %q", got)
	}
}

func TestMisspeltStop(t *testing.T) {
	for w, want := range map[string]bool{"evryone": true, "becuase": true, "everyone": false, "lymphoma": false, "sushi": false, "cytokin": false,
		"kno": true, "ment": true, "hiv": false, "ivf": false, "gym": false} {
		if got := misspeltStop(w); got != want {
			t.Errorf("misspeltStop(%q) = %v, want %v", w, got, want)
		}
	}
}

func TestGuesses(t *testing.T) {
	for _, tt := range []struct {
		q                      string
		asides, either, orElse string // stems, space-separated
	}{
		{"is it any good for solid tumours like bowel cancer", "bowel cancer", "", ""},
		{"whats different about an atmp compared to normal tablets", "normal tablet", "", ""},
		{"do the cells kill the cancer themselves or do they just point it out to the rest of the immune system", "", "cell kill cancer", "point rest immun system"},
		{"is that something they can organise at short notice, or does it take a lot of planning", "", "organis short notic", "take lot plan"},
		{"do they take the stem cells out of your hip bone or just from blood", "", "hip bone", "blood"},
		{"is the conditioning chemo or radiation", "", "chemo", "radiat"},
		{"does everyone with lymphoma get offered it or only certain people", "", "offer", "peopl"},
		{"what is gvhd", "", "", ""},
	} {
		g := guessesOf(tt.q)
		if got := strings.Join(g.asides, " "); got != tt.asides {
			t.Errorf("guessesOf(%q).asides = %q, want %q", tt.q, got, tt.asides)
		}
		if got := strings.Join(g.either, " ") + "|" + strings.Join(g.orElse, " "); got != tt.either+"|"+tt.orElse {
			t.Errorf("guessesOf(%q) choice = %q, want %q", tt.q, got, tt.either+"|"+tt.orElse)
		}
	}
}
