package web

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/transcript"
)

// memLog is an in-memory Log with the transcript store's semantics.
type memLog struct {
	mu       sync.Mutex
	convs    map[string][]transcript.Record
	feedback []transcript.Feedback
	// failRecord / failHistory make the next calls fail (a broken disk).
	failRecord  error
	failHistory error
	// recordGate, when set, is waited on by Record before it stores:
	// tests hold a reply in the "commit" to see that no answer is sent.
	recordGate chan struct{}
	commitErr  error // the last Record's or probe's failure
	probes     int
}

func newMemLog() *memLog { return &memLog{convs: map[string][]transcript.Record{}} }

func (l *memLog) Record(ctx context.Context, r transcript.Record) error {
	if l.recordGate != nil {
		select {
		case <-l.recordGate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.commitErr = l.failRecord
	if l.failRecord != nil {
		return l.failRecord
	}
	l.convs[r.ConversationID] = append(l.convs[r.ConversationID], r)
	return nil
}

func (l *memLog) History(ctx context.Context, id string, limit int) ([]transcript.Record, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failHistory != nil {
		return nil, l.failHistory
	}
	recs, ok := l.convs[id]
	if !ok {
		return nil, transcript.ErrNotFound
	}
	if limit > 0 && len(recs) > limit {
		recs = recs[len(recs)-limit:]
	}
	out := append([]transcript.Record(nil), recs...)
	// As the store does: the last rating counts, a comment stays attached.
	for i := range out {
		for _, f := range l.feedback {
			if f.AnswerID != out[i].AnswerID {
				continue
			}
			if f.Comment == "" && out[i].Rating != nil {
				f.Comment = out[i].Rating.Comment
			}
			out[i].Rating = &f
		}
	}
	return out, nil
}

func (l *memLog) RecordFeedback(ctx context.Context, id string, f transcript.Feedback) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.convs[id] {
		if r.AnswerID == f.AnswerID {
			l.feedback = append(l.feedback, f)
			return nil
		}
	}
	return transcript.ErrNotFound
}

func (l *memLog) hasAnswer(answerID string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, recs := range l.convs {
		for _, r := range recs {
			if r.AnswerID == answerID {
				return true
			}
		}
	}
	return false
}

func (l *memLog) feedbackFor(answerID string) []transcript.Feedback {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []transcript.Feedback
	for _, f := range l.feedback {
		if f.AnswerID == answerID {
			out = append(out, f)
		}
	}
	return out
}

const testDisclaimer = "This is general information, not medical advice. Talk to your care team about your own situation."

// fakeAnswerer answers like the extractive engine does: a few cited
// sentences streamed one by one. Some questions trigger test behaviour:
// "panic" panics, "block" waits for release, "fail" errors, "big" returns a
// reply over the frame limit, "long answer" one taller than the panel,
// "one section twice" cites two passages of one section, "emergency" an
// emergency, and anything with "echo:" quotes the question back in the
// reply (markup tests).
type fakeAnswerer struct {
	mu      sync.Mutex
	last    []chat.Turn // the history passed with the latest question
	release chan struct{}
	started chan string // receives the question when "block" starts
	// deltaDelay paces the deltas, so a browser can be seen streaming.
	deltaDelay time.Duration
}

func newFakeAnswerer() *fakeAnswerer {
	return &fakeAnswerer{release: make(chan struct{}), started: make(chan string, 16)}
}

var fakeCitations = []chat.Citation{
	{N: 1, DocID: "asgct-cell-therapy-basics", Title: "Cell Therapy Basics", URL: "https://patienteducation.asgct.org/gene-therapy-101/cell-therapy-basics",
		Section: "What is CAR-T cell therapy?", ChunkID: "asgct-cell-therapy-basics#3f2a", Passage: "CAR-T cell therapy is a type of treatment in which a patient's T cells are changed in the lab so they will attack cancer cells."},
	{N: 2, DocID: "nci-car-t", Title: "CAR T Cells: Engineering Patients' Immune Cells to Treat Their Cancers", URL: "https://www.cancer.gov/about-cancer/treatment/research/car-t-cells",
		Section: "Side effects", ChunkID: "nci-car-t#9b1c", Passage: "The most common side effect is cytokine release syndrome, which can cause high fever and low blood pressure."},
}

func (f *fakeAnswerer) Answer(ctx context.Context, history []chat.Turn, question string, onDelta func(string)) (chat.Reply, error) {
	f.mu.Lock()
	f.last = history
	f.mu.Unlock()
	q := strings.ToLower(question)
	reply := chat.Reply{Kind: chat.KindAnswer, Disclaimer: testDisclaimer, Citations: fakeCitations, Mode: "extractive", CorpusVersion: "test"}
	sentences := []string{
		"CAR-T cell therapy changes a patient's own T cells in the lab so they attack cancer cells [1]. ",
		"The most common side effect is cytokine release syndrome, which can cause a high fever [2].",
	}
	switch {
	case strings.Contains(q, "panic"):
		panic("fake answerer panics on purpose")
	case strings.Contains(q, "fail"):
		return chat.Reply{}, errors.New("fake answerer fails on purpose")
	case strings.Contains(q, "block"):
		f.started <- question
		select {
		case <-f.release:
		case <-ctx.Done():
			return chat.Reply{}, ctx.Err()
		}
	case strings.Contains(q, "long answer"):
		sentences = nil
		for i := 1; i <= 14; i++ {
			sentences = append(sentences, fmt.Sprintf("Sentence %d of a long answer about what happens during and after CAR-T cell therapy [1]. ", i))
		}
	case strings.Contains(q, "one section twice"):
		third := fakeCitations[0]
		third.N, third.ChunkID, third.Passage = 3, "asgct-cell-therapy-basics#4d7e", "The changed T cells are given back to the patient by infusion."
		reply.Citations = append(append([]chat.Citation(nil), fakeCitations...), third)
		sentences = append(sentences, " The cells go back in by infusion [3].")
	case strings.Contains(q, "big"):
		sentences = []string{strings.Repeat("A long answer sentence about cell therapy [1]. ", 2000)}
	case strings.Contains(q, "emergency") || strings.Contains(q, "can't breathe"):
		reply.Kind = chat.KindEmergency
		reply.Citations = nil
		sentences = []string{"This sounds like it could be an emergency. Call 911 or your local emergency number now, or go to the nearest emergency room."}
	case strings.Contains(q, "hostile model"):
		// The engine refused what a model wrote and answered extractively.
		reply.Fallback = `unsupported: "CAR-T therapy cures every cancer within one week." (absolute "cures" not in [1])`
		reply.Unsupported = 2
	case strings.Contains(q, "timid model"):
		reply.Fallback = "llm_timeout"
	case strings.Contains(q, "careless model"):
		// The engine showed what a model wrote, less a sentence.
		reply.Mode = "llm:fake"
		reply.Unsupported = 1
	case strings.Contains(q, "reviewed"):
		// The care team's answer library answered.
		reply.Reason, reply.Mode = chat.ReasonLibrary, "library"
		reply.Reviewed = &chat.Reviewed{By: "care team", Date: "2026-11-30", Entry: 12}
		reply.Citations = fakeCitations[:1]
		sentences = []string{"Your care team says: CAR-T uses your own T cells, changed in a lab <b>to attack cancer</b> [1]."}
	case strings.Contains(q, "weather"):
		reply.Kind = chat.KindNoAnswer
		reply.Citations = nil
		sentences = []string{"I'm sorry, I can't answer that from my sources. I can help with questions about cell therapy; your care team can help with anything else."}
	}
	if i := strings.Index(question, "echo:"); i >= 0 {
		sentences = append(sentences, fmt.Sprintf(" You wrote: %s", question[i+5:]))
	}
	for i, s := range sentences {
		if i > 0 && f.deltaDelay > 0 {
			time.Sleep(f.deltaDelay)
		}
		if onDelta != nil {
			onDelta(s)
		}
		reply.Text += s
	}
	return reply, nil
}

func (f *fakeAnswerer) lastHistory() []chat.Turn {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// waitStarted waits for a "block" question to reach the answerer.
func (f *fakeAnswerer) waitStarted() string {
	select {
	case q := <-f.started:
		return q
	case <-time.After(10 * time.Second):
		panic("blocked question never reached the answerer")
	}
}

// CommitErr and ProbeCommit make memLog report commit failures as
// transcript.Store does: the last Record's failure, until one succeeds.
func (l *memLog) CommitErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.commitErr
}

func (l *memLog) ProbeCommit(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.probes++
	l.commitErr = l.failRecord
	return l.failRecord
}
