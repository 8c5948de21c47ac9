package web

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cellchat/cellchat/chat"
)

func TestDecodeClientMsg(t *testing.T) {
	lim := DefaultConfig()
	tests := []struct {
		name  string
		frame string
		code  string // "" means valid
		id    string
	}{
		{"ask", `{"type":"ask","id":"c1","text":"What is CAR-T?"}`, "", ""},
		{"ask, unknown field ignored", `{"type":"ask","id":"c1","text":"hi","lang":"en"}`, "", ""},
		{"ask id of 64 characters", `{"type":"ask","id":"` + strings.Repeat("é", 64) + `","text":"hi"}`, "", ""},
		{"ask id of 65 characters", `{"type":"ask","id":"` + strings.Repeat("é", 65) + `","text":"hi"}`, codeBadRequest, ""},
		{"question of 2000 characters", `{"type":"ask","id":"c1","text":"` + strings.Repeat("ü", 2000) + `"}`, "", ""},
		{"question of 2001 characters", `{"type":"ask","id":"c1","text":"` + strings.Repeat("ü", 2001) + `"}`, codeTooLarge, "c1"},
		{"feedback", `{"type":"feedback","answer_id":"0123456789abcdef0123456789abcdef","rating":"up","comment":"ok"}`, "", ""},
		{"feedback without comment", `{"type":"feedback","answer_id":"0123456789abcdef0123456789abcdef","rating":"down"}`, "", ""},
		{"null", `null`, codeBadRequest, ""},
		{"number", `42`, codeBadRequest, ""},
		{"empty", ``, codeBadRequest, ""},
		{"type not a string", `{"type":1}`, codeBadRequest, ""},
		{"hello from a client", `{"type":"hello"}`, codeBadRequest, ""},
		{"escaped invalid surrogate", `{"type":"ask","id":"c1","text":"\ud800"}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeClientMsg([]byte(tt.frame), lim)
			switch {
			case tt.code == "" && err != nil:
				t.Errorf("got %v, want valid", err)
			case tt.code != "" && (err == nil || err.code != tt.code || err.id != tt.id):
				t.Errorf("got %v, want %s with id %q", err, tt.code, tt.id)
			}
		})
	}
}

func TestIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := newID()
		if !validID(id) || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
	for _, bad := range []string{"", "abc", strings.Repeat("g", 32), strings.Repeat("A", 32), strings.Repeat("a", 33)} {
		if validID(bad) {
			t.Errorf("validID(%q) = true", bad)
		}
	}
}

// FuzzDecodeClientMsg: whatever a client sends, decoding never panics, an
// accepted frame is within every limit, and every error has a code of
// protocol v1 and a message.
func FuzzDecodeClientMsg(f *testing.F) {
	for _, seed := range []string{
		`{"type":"ask","id":"c1","text":"What is CAR-T?"}`,
		`{"type":"feedback","answer_id":"0123456789abcdef0123456789abcdef","rating":"up","comment":"thanks"}`,
		`{"type":"ask","id":"","text":""}`,
		`{"type":"ask","id":"c1","text":"<img src=x onerror=alert(1)>"}`,
		`{"type":"unknown"}`,
		`{"type":"ask","id":"c1","text":"\u0000\ud800"}`,
		"{\"type\":\"ask\",\"id\":\"c1\",\"text\":\"\xff\"}",
		`[1,2,3]`,
		`{"type":"ask","id":{"x":1}}`,
	} {
		f.Add([]byte(seed))
	}
	lim := DefaultConfig()
	lim.MaxQuestionChars = 50
	lim.MaxCommentChars = 20
	codes := map[string]bool{codeBadRequest: true, codeTooLarge: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeClientMsg(data, lim)
		if err != nil {
			if !codes[err.code] || err.message == "" {
				t.Fatalf("error %+v", err)
			}
			if _, jerr := json.Marshal(err.frame()); jerr != nil {
				t.Fatalf("error frame does not encode: %v", jerr)
			}
			return
		}
		switch m.Type {
		case "ask":
			if m.ID == "" || utf8.RuneCountInString(m.ID) > maxClientIDChars || strings.TrimSpace(m.Text) == "" || utf8.RuneCountInString(m.Text) > lim.MaxQuestionChars {
				t.Fatalf("accepted ask outside the limits: %+v", m)
			}
		case "feedback":
			if !validID(m.AnswerID) || (m.Rating != "up" && m.Rating != "down") || utf8.RuneCountInString(m.Comment) > lim.MaxCommentChars {
				t.Fatalf("accepted feedback outside the limits: %+v", m)
			}
		default:
			t.Fatalf("accepted type %q", m.Type)
		}
	})
}

func TestAnswerBodyCarriesGlosses(t *testing.T) {
	g := []chat.Gloss{{Term: "HCT", Expansion: "hematopoietic cell transplantation"}}
	b, err := json.Marshal(newAnswerBody("a1", chat.Reply{Kind: chat.KindAnswer, Text: "HCT (hematopoietic cell transplantation) is used. [1]", Glosses: g}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"glosses":[{"term":"HCT","expansion":"hematopoietic cell transplantation"}]`) {
		t.Errorf("answer object lacks its glosses: %s", b)
	}
	b, _ = json.Marshal(newAnswerBody("a2", chat.Reply{Kind: chat.KindAnswer, Text: "x"}, nil))
	if strings.Contains(string(b), "glosses") {
		t.Errorf("an answer without glosses names them: %s", b)
	}
}

// Each citation carries its source's publisher and review date (v1
// extension) when the server knows them, beside the engine's fields; a
// reply without citations still has a list; the corpus version is named.
func TestAnswerBodyCitationDetails(t *testing.T) {
	r := chat.Reply{Kind: chat.KindAnswer, Text: "x [1] [2]", CorpusVersion: "v7", Citations: []chat.Citation{
		{N: 1, DocID: "after-car-t", Title: "Going home", URL: "https://clinic.example/a", Section: "Driving", ChunkID: "after-car-t#1", Passage: "Do not drive."},
		{N: 2, DocID: "unknown", Title: "Other", ChunkID: "unknown#1", Passage: "p"},
	}}
	details := func(id string) SourceDetails {
		if id == "after-car-t" {
			return SourceDetails{Publisher: "Riverside Unit", Reviewed: "2026-09-01"}
		}
		return SourceDetails{}
	}
	b, _ := json.Marshal(newAnswerBody("a1", r, details))
	for _, want := range []string{
		`{"n":1,"doc_id":"after-car-t","title":"Going home","url":"https://clinic.example/a","section":"Driving","chunk_id":"after-car-t#1","passage":"Do not drive.","publisher":"Riverside Unit","reviewed":"2026-09-01"}`,
		`{"n":2,"doc_id":"unknown","title":"Other","url":"","section":"","chunk_id":"unknown#1","passage":"p"}`,
		`"corpus_version":"v7"`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("answer object lacks %s:\n%s", want, b)
		}
	}
	b, _ = json.Marshal(newAnswerBody("a2", chat.Reply{Kind: chat.KindNoAnswer, Text: "x"}, details))
	if !strings.Contains(string(b), `"citations":[]`) {
		t.Errorf("no citations list: %s", b)
	}
}
