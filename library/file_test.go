package library

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cellchat/cellchat/chat"
)

var filePassages = Passages{
	"doc#1": {DocID: "doc", Title: "Doc", ChunkID: "doc#1", Passage: "CAR-T uses your own T cells."},
	"doc#2": {DocID: "doc", Title: "Doc", ChunkID: "doc#2", Passage: "GVHD is when donor cells attack."},
}

func TestFileRoundTrip(t *testing.T) {
	entries := []Entry{
		filePassages.Cite(Entry{ID: 3, Status: StatusPublished, Question: "What is CAR-T?", Variants: []string{"car t?"},
			Answer: "It uses your own T cells [1].", Citations: []chat.Citation{{N: 1, ChunkID: "doc#1"}}, Author: "a@x.org",
			Approver: "b@x.org", Approved: published(0, "").Approved, CorpusVersion: "c1"}),
		{ID: 4, Status: StatusDraft, Question: "When is the clinic open?", Answer: "<b>8 to 6</b>, weekdays.", Own: true},
	}
	var buf bytes.Buffer
	if err := Export(&buf, entries); err != nil {
		t.Fatal(err)
	}
	got, err := Parse(buf.Bytes(), Limits{}, filePassages)
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(got) != 2 || got[0].Citations[0].Passage != filePassages["doc#1"].Passage || got[0].Approved != entries[0].Approved ||
		got[0].Variants[0] != "car t?" || got[1].Answer != entries[1].Answer || !got[1].Own || got[0].Approver != "b@x.org" {
		t.Fatalf("round trip:\n%+v\nfrom\n%s", got, buf.String())
	}
}

func TestParseRefusesABadFileWhole(t *testing.T) {
	file := `entries:
  - id: 1
    status: published
    question: What is CAR-T?
    answer: It uses your own T cells [1].
    citations: [{n: 1, chunk: "doc#1"}]
  - id: 1
    status: published
    question: ""
    answer: GVHD is when donor cells attack [2].
    citations: [{n: 1, chunk: "doc#9"}]
  - question: What is CRS?
    answer: "` + strings.Repeat("x", 31) + `"
    own: true
`
	_, err := Parse([]byte(file), Limits{AnswerChars: 30}, filePassages)
	if CodeOf(err) != CodeInvalid {
		t.Fatalf("want an invalid-file error, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"entry 2 (line 7): id 1 is also entry 1's",
		"entry 2 (line 7): question is empty",
		`entry 2 (line 7): citation [1]: unknown chunk id "doc#9"`,
		"entry 2 (line 7): citation [1] is not marked in the answer",
		"entry 2 (line 7): marker [2] in the answer has no citation",
		"entry 3 (line 12): no status",
		"entry 3 (line 12): answer has 31 characters, at most 30",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "entry 1 ") {
		t.Errorf("the good entry is reported:\n%s", msg)
	}
	if _, err := Parse([]byte("entries:\n  - question: q\n    answr: typo\n"), Limits{}, filePassages); CodeOf(err) != CodeInvalid ||
		!strings.Contains(err.Error(), "answr") {
		t.Fatalf("an unknown field: %v", err)
	}
}
