// Package transcript is the durable log of every reply a patient saw, their
// feedback, and staff reviews, kept in SQLite (modernc.org/sqlite, WAL).
package transcript

import (
	"time"

	"github.com/cellchat/cellchat/chat"
)

// Record is one logged turn: a question and the reply the patient was shown.
type Record struct {
	AnswerID       string        `json:"answer_id"`
	ConversationID string        `json:"conversation_id"`
	Time           time.Time     `json:"time"`
	Question       string        `json:"question"` // redacted when redaction is on
	Reply          chat.Reply    `json:"reply"`
	Latency        time.Duration `json:"latency_ns"`
	// Rating is the patient's rating of the reply, as History returns it
	// (nil: not rated); Record ignores it. Not in JSON: TurnDetail carries
	// every feedback row there.
	Rating *Feedback `json:"-"`
}

// Feedback is a patient's rating of one answer.
type Feedback struct {
	AnswerID string    `json:"answer_id"`
	Rating   string    `json:"rating"` // "up" or "down"
	Comment  string    `json:"comment,omitempty"`
	Time     time.Time `json:"time"`
}
