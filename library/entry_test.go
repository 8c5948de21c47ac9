package library

import (
	"strings"
	"testing"

	"github.com/cellchat/cellchat/chat"
)

func TestProblemsListsEverything(t *testing.T) {
	known := func(id string) bool { return id == "doc#1" || id == "doc#2" }
	good := Entry{Question: "What is CAR-T?", Answer: "It uses your own T cells [1]. It is made in a laboratory [2].",
		Citations: []chat.Citation{{N: 1, ChunkID: "doc#1"}, {N: 2, ChunkID: "doc#2"}}}
	if p := Problems(good, Limits{}, known); p != nil {
		t.Fatalf("a good entry: %v", p)
	}
	own := Entry{Question: "When is the clinic open?", Answer: "<b>Weekdays</b> 8 to 6.", Own: true}
	if p := Problems(own, Limits{}, known); p != nil {
		t.Fatalf("an entry in the care team's own words: %v", p)
	}
	cases := []struct {
		name string
		e    Entry
		lim  Limits
		want []string // each in some problem
	}{
		{"empty", Entry{Variants: []string{" "}}, Limits{}, []string{"question is empty", "variant 1 is empty", "answer is empty", "no citations"}},
		{"oversized", Entry{Question: strings.Repeat("a", 11), Answer: strings.Repeat("b", 21) + " [1]", Variants: []string{"x", "y", "z"},
			Citations: []chat.Citation{{N: 1, ChunkID: "doc#1"}, {N: 1, ChunkID: "doc#2"}}},
			Limits{QuestionChars: 10, AnswerChars: 20, Variants: 2, Citations: 1},
			[]string{"question has 11 characters, at most 10", "answer has 25 characters, at most 20", "3 variants, at most 2", "2 citations, at most 1", "number 1 is used twice"}},
		{"markers", Entry{Question: "q", Answer: "one [1] three [3]", Citations: []chat.Citation{{N: 1, ChunkID: "doc#1"}, {N: 2, ChunkID: "gone#9"}}},
			Limits{}, []string{`unknown chunk id "gone#9"`, "citation [2] is not marked", "marker [3] in the answer has no citation"}},
		{"own with citations", Entry{Question: "q", Answer: "a [1]", Own: true, Citations: []chat.Citation{{N: 1, ChunkID: "doc#1"}}},
			Limits{}, []string{"cites no passages", "has no [n] markers"}},
		{"status", Entry{Question: "q", Answer: "a", Own: true, Status: "live"}, Limits{}, []string{`status "live"`}},
	}
	for _, c := range cases {
		p := Problems(c.e, c.lim, known)
		all := strings.Join(p, "\n")
		for _, w := range c.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s: no problem says %q in:\n%s", c.name, w, all)
			}
		}
		if len(p) != len(c.want) {
			t.Errorf("%s: %d problems, want %d:\n%s", c.name, len(p), len(c.want), all)
		}
	}
}

func TestMarkers(t *testing.T) {
	if got := Markers("a [2] b [1][2] c [x] [12]"); len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 12 {
		t.Fatalf("Markers: %v", got)
	}
}
