// Package chat turns a patient's question, in the context of a conversation,
// into a reply: grounded and cited, a safety message, a referral or an honest
// "I can't answer that". It knows nothing of websockets or HTML.
package chat

import "time"

// Kind says what sort of reply this is.
type Kind string

const (
	KindAnswer    Kind = "answer"
	KindNoAnswer  Kind = "no_answer"
	KindEmergency Kind = "emergency"
	KindReferral  Kind = "referral"
	KindGreeting  Kind = "greeting"
)

// Kinds lists every reply kind.
var Kinds = []Kind{KindAnswer, KindNoAnswer, KindEmergency, KindReferral, KindGreeting}

// Citation is one numbered source of a reply; Passage is the exact cited text.
type Citation struct {
	N       int    `json:"n"`
	DocID   string `json:"doc_id"`
	Title   string `json:"title"`
	URL     string `json:"url"`
	Section string `json:"section"`
	ChunkID string `json:"chunk_id"`
	Passage string `json:"passage"`
}

// Retrieved is a passage the engine looked at, with its scores, kept for
// logs and evaluation.
type Retrieved struct {
	ChunkID string  `json:"chunk_id"`
	DocID   string  `json:"doc_id"`
	Section string  `json:"section"`
	Text    string  `json:"text"`
	Score   float64 `json:"score"`
	Lexical float64 `json:"lexical"`
	Vector  float64 `json:"vector"`
}

// Reply is the engine's answer to one question.
type Reply struct {
	Kind          Kind          `json:"kind"`
	Text          string        `json:"text"`
	Citations     []Citation    `json:"citations"`
	Disclaimer    string        `json:"disclaimer"`
	Retrieved     []Retrieved   `json:"retrieved,omitempty"`
	Mode          string        `json:"mode"`             // "extractive" or "llm:<model>"
	Reason        string        `json:"reason,omitempty"` // why triage chose this kind (rule name)
	Confidence    float64       `json:"confidence"`       // 0..1: how well the best passage covers the question (the no-answer threshold applies to it)
	CorpusVersion string        `json:"corpus_version"`
	Latency       time.Duration `json:"-"`
	Query         string        `json:"query,omitempty"`    // what the sources were searched for: the question, plus topic words for a follow-up
	Fallback      string        `json:"fallback,omitempty"` // why a generated answer was replaced by the extractive one
	// Unsupported counts the generated sentences their cited passages do
	// not support: the cause of an "unsupported" Fallback, or, with
	// Config.KeepSupported, the sentences left out of a generated answer.
	Unsupported int `json:"unsupported,omitempty"`
	// Glosses are the abbreviations the text spells out on first use, as
	// the sources define them ("HCT (hematopoietic cell transplantation)").
	Glosses []Gloss `json:"glosses,omitempty"`
	// Referents are the subjects the text names where its source sentence
	// opened with a pronoun ("It is also used for ..." said as "HCT is
	// also used for ..."), so that the sentence can stand on its own.
	Referents []Referent `json:"referents,omitempty"`
	// Reviewed is set on a reply served from the care team's answer library.
	Reviewed *Reviewed `json:"reviewed,omitempty"`
}

// Turn is one question and the reply given, as the conversation remembers it.
type Turn struct {
	Question string `json:"question"`
	Reply    Reply  `json:"reply"`
}
