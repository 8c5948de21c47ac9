package web

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/transcript"
)

// Websocket protocol v1. The frame shapes below are a published contract
// (issue 5): external clients are written to them, so fields are only ever
// added, never renamed or removed.

// Error codes of protocol v1.
const (
	codeBadRequest  = "bad_request"  // malformed frame; the connection stays usable
	codeTooLarge    = "too_large"    // question or frame over its limit; stays usable
	codeRateLimited = "rate_limited" // over a rate limit; stays usable
	codeBusy        = "busy"         // too many asks waiting, or the server is shutting down
	codeInternal    = "internal"     // the server failed; the patient may retry
)

// clientMsg is any frame a client sends; Type selects which fields matter.
type clientMsg struct {
	Type     string `json:"type"`
	ID       string `json:"id"`        // ask
	Text     string `json:"text"`      // ask
	AnswerID string `json:"answer_id"` // feedback
	Rating   string `json:"rating"`    // feedback
	Comment  string `json:"comment"`   // feedback
}

// protocolError is a request the server refuses, with the protocol code and
// a message meant for the patient (the widget shows it as is).
type protocolError struct {
	code    string
	id      string
	message string
}

func (e *protocolError) Error() string { return e.code + ": " + e.message }

const maxClientIDChars = 64

// decodeClientMsg parses and validates one client frame. It never panics,
// whatever the bytes (see FuzzDecodeClientMsg).
func decodeClientMsg(data []byte, lim Config) (clientMsg, *protocolError) {
	var m clientMsg
	if !utf8.Valid(data) {
		return m, &protocolError{code: codeBadRequest, message: "The message is not valid UTF-8 text."}
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return clientMsg{}, &protocolError{code: codeBadRequest, message: "The message is not valid JSON of protocol v1."}
	}
	switch m.Type {
	case "ask":
		if m.ID == "" {
			return m, &protocolError{code: codeBadRequest, message: `An ask needs an "id".`}
		}
		if utf8.RuneCountInString(m.ID) > maxClientIDChars {
			// The id is not echoed back: it is what is wrong.
			return m, &protocolError{code: codeBadRequest, message: fmt.Sprintf(`The "id" is longer than %d characters.`, maxClientIDChars)}
		}
		if err := validateQuestion(m.Text, lim.MaxQuestionChars); err != nil {
			err.id = m.ID
			return m, err
		}
	case "feedback":
		if !validID(m.AnswerID) {
			return m, &protocolError{code: codeBadRequest, message: `The feedback's "answer_id" is not an answer id.`}
		}
		if m.Rating != "up" && m.Rating != "down" {
			return m, &protocolError{code: codeBadRequest, message: `The feedback's "rating" must be "up" or "down".`}
		}
		if utf8.RuneCountInString(m.Comment) > lim.MaxCommentChars {
			return m, &protocolError{code: codeTooLarge, message: fmt.Sprintf("The comment is longer than %d characters.", lim.MaxCommentChars)}
		}
	case "":
		return m, &protocolError{code: codeBadRequest, message: `The message has no "type".`}
	default:
		return m, &protocolError{code: codeBadRequest, message: fmt.Sprintf("Unknown message type %q.", truncate(m.Type, 32))}
	}
	return m, nil
}

// validateQuestion checks a question's length; the message is the one the
// patient sees.
func validateQuestion(q string, maxChars int) *protocolError {
	if strings.TrimSpace(q) == "" {
		return &protocolError{code: codeBadRequest, message: "The question is empty."}
	}
	if n := utf8.RuneCountInString(q); n > maxChars {
		return &protocolError{code: codeTooLarge, message: fmt.Sprintf("The question is too long (%d characters; at most %d). Please shorten it.", n, maxChars)}
	}
	return nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// SourceDetails are what patients and staff are told about a cited
// document beyond what the answer engine carries: who published it and
// when it was last reviewed (YYYY-MM-DD).
type SourceDetails struct {
	Publisher, Reviewed string
}

// citationBody is a citation on the wire: the engine's citation and, as a
// v1 extension, the source's publisher and review date when known.
type citationBody struct {
	chat.Citation
	Publisher string `json:"publisher,omitempty"`
	Reviewed  string `json:"reviewed,omitempty"`
}

// answerBody is the answer object, shared by the websocket answer frame, the
// hello history and POST /api/ask.
type answerBody struct {
	AnswerID   string         `json:"answer_id"`
	Kind       chat.Kind      `json:"kind"`
	Text       string         `json:"text"`
	Citations  []citationBody `json:"citations"`
	Disclaimer string         `json:"disclaimer"`
	// Glosses (extension) are the abbreviations the text spells out.
	Glosses []chat.Gloss `json:"glosses,omitempty"`
	// Referents (extension) are the subjects the text names for a source's "It" or "They".
	Referents []chat.Referent `json:"referents,omitempty"`
	// CorpusVersion (extension) is the version of the sources the answer
	// came from; it changes when the server reloads its corpus.
	CorpusVersion string `json:"corpus_version,omitempty"`
	// Reviewed (extension) is set when the care team's answer library
	// answered: who reviewed the answer, when, and which entry it is.
	Reviewed *chat.Reviewed `json:"reviewed,omitempty"`
}

// newAnswerBody puts a reply on the wire; details, if not nil, tells each
// cited document's publisher and review date.
func newAnswerBody(answerID string, r chat.Reply, details func(docID string) SourceDetails) answerBody {
	cites := make([]citationBody, len(r.Citations)) // always a list on the wire
	for i, c := range r.Citations {
		cites[i].Citation = c
		if details != nil {
			d := details(c.DocID)
			cites[i].Publisher, cites[i].Reviewed = d.Publisher, d.Reviewed
		}
	}
	return answerBody{AnswerID: answerID, Kind: r.Kind, Text: r.Text, Citations: cites, Disclaimer: r.Disclaimer, Glosses: r.Glosses, Referents: r.Referents, CorpusVersion: r.CorpusVersion, Reviewed: r.Reviewed}
}

type helloFrame struct {
	Type           string        `json:"type"` // "hello"
	ConversationID string        `json:"conversation_id"`
	Disclaimer     string        `json:"disclaimer"`
	History        []historyItem `json:"history"`
	// MaxQuestionChars is the server's question limit, so a client can
	// say a question is too long before sending it.
	MaxQuestionChars int `json:"max_question_chars"`
	// UrgentHelp says how to get urgent help (the emergency message), for
	// a client to show when it cannot reach the server; absent when unset.
	UrgentHelp string `json:"urgent_help,omitempty"`
}

// historyItem is one earlier turn of a resumed conversation.
type historyItem struct {
	Question string     `json:"question"`
	Answer   answerBody `json:"answer"`
	Time     time.Time  `json:"time"`
	// Feedback is the patient's rating of the answer (added to v1; absent
	// when not rated), so a resumed widget shows it rather than asking again.
	Feedback *feedbackState `json:"feedback,omitempty"`
}

// feedbackState is the rating an answer has: the last one sent, with the
// comment given with any of them.
type feedbackState struct {
	Rating  string `json:"rating"`
	Comment string `json:"comment,omitempty"`
}

func newFeedbackState(f *transcript.Feedback) *feedbackState {
	if f == nil {
		return nil
	}
	return &feedbackState{Rating: f.Rating, Comment: f.Comment}
}

type deltaFrame struct {
	Type string `json:"type"` // "delta"
	ID   string `json:"id"`
	Text string `json:"text"`
}

type answerFrame struct {
	Type string `json:"type"` // "answer"
	ID   string `json:"id"`
	answerBody
}

type ackFrame struct {
	Type     string `json:"type"` // "ack"
	AnswerID string `json:"answer_id"`
}

type errorFrame struct {
	Type    string `json:"type"` // "error"
	ID      string `json:"id"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *protocolError) frame() errorFrame {
	return errorFrame{Type: "error", ID: e.id, Code: e.code, Message: e.message}
}
