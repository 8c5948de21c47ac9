package staff

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/internal/pgtest"
	"github.com/cellchat/cellchat/transcript"
)

// longConversationTurns is the length of the conversation
// BenchmarkLongConversation reads: as long as the longest one-client
// conversation of the 2-million-turn load-test log.
const longConversationTurns = 2500

// longConversationRecord is turn i of conversation conv, about the size of
// a load-test turn: a short question, a reply of a few sentences with two
// citations, and five retrieved passages.
func longConversationRecord(conv string, i int, at time.Time) transcript.Record {
	passage := func(n int) string {
		return fmt.Sprintf("Passage %d of the corpus about CAR-T cell therapy, cytokine release syndrome and what to expect after an infusion. ", n) +
			strings.Repeat("Patients are watched closely for fever and confusion in the first weeks. ", 4)
	}
	r := transcript.Record{AnswerID: fmt.Sprintf("%s-%05d", conv, i), ConversationID: conv, Time: at,
		Question: fmt.Sprintf("What should I watch for after CAR-T, question %d?", i), Latency: 40 * time.Millisecond,
		Reply: chat.Reply{Kind: chat.KindAnswer, Mode: "extractive", Reason: "retrieval", Confidence: 0.7, CorpusVersion: "bench",
			Text:       strings.Repeat("Fever and confusion in the first weeks can be signs of cytokine release syndrome [1]; call your care team [2]. ", 3),
			Disclaimer: strings.Repeat("This is general information, not medical advice. ", 4)}}
	for n := 1; n <= 2; n++ {
		r.Reply.Citations = append(r.Reply.Citations, chat.Citation{N: n, DocID: fmt.Sprint("doc", n), Title: "After CAR-T", URL: "https://example.org/after",
			Section: "Side effects", ChunkID: fmt.Sprintf("doc%d-%d", n, i%50), Passage: passage(i%50 + n)})
	}
	for n := range 5 {
		r.Reply.Retrieved = append(r.Reply.Retrieved, chat.Retrieved{ChunkID: fmt.Sprintf("doc%d-%d", n, (i+n)%50), DocID: fmt.Sprint("doc", n),
			Section: "Side effects", Text: passage((i+n)%50 + n), Score: 0.8 - float64(n)/10, Lexical: 5, Vector: 0.5})
	}
	return r
}

// BenchmarkLongConversation times the conversation page and its API on a
// conversation of longConversationTurns turns, interleaved with as many
// turns of other conversations, on SQLite and on a throwaway PostgreSQL.
func BenchmarkLongConversation(b *testing.B) {
	backends := []struct {
		name string
		open func(b *testing.B) transcript.Backend
	}{
		{"sqlite", func(b *testing.B) transcript.Backend {
			s, err := transcript.Open(context.Background(), filepath.Join(b.TempDir(), transcript.FileName), transcript.Options{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"postgres", func(b *testing.B) transcript.Backend {
			s, err := transcript.OpenPG(context.Background(), pgtest.Start(b).NewDatabase(b), transcript.Options{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	}
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			ctx := context.Background()
			s := be.open(b)
			defer s.Close()
			const conv = "long-conversation"
			start := time.Now().Add(-time.Duration(longConversationTurns) * time.Minute)
			for i := range longConversationTurns {
				at := start.Add(time.Duration(i) * time.Minute)
				if err := s.Record(ctx, longConversationRecord(conv, i, at)); err != nil {
					b.Fatal(err)
				}
				if err := s.Record(ctx, longConversationRecord(fmt.Sprint("other-", i%100), i, at.Add(time.Second))); err != nil {
					b.Fatal(err)
				}
				if i%10 == 0 {
					if err := s.RecordFeedback(ctx, conv, transcript.Feedback{AnswerID: fmt.Sprintf("%s-%05d", conv, i), Rating: "down", Comment: "unclear"}); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := s.AddStaff(ctx, testEmail, testPassword); err != nil {
				b.Fatal(err)
			}
			sess, err := s.CreateSession(ctx, testEmail, time.Hour)
			if err != nil {
				b.Fatal(err)
			}
			h := NewHandler(s, Config{Logger: slog.New(slog.DiscardHandler)})
			for _, r := range longConversationRequests(conv) {
				b.Run(r.name, func(b *testing.B) {
					var size int
					for b.Loop() {
						req := httptest.NewRequest(http.MethodGet, r.path, nil)
						req.AddCookie(&http.Cookie{Name: sessionCookie, Value: sess.Token})
						w := httptest.NewRecorder()
						h.ServeHTTP(w, req)
						if w.Code != http.StatusOK {
							b.Fatalf("%s: %d %.300s", r.path, w.Code, w.Body.String())
						}
						size = w.Body.Len()
					}
					b.ReportMetric(float64(size)/1e3, "kB/op")
				})
			}
		})
	}
}

// longConversationRequests are the reads of conversation conv timed: its
// newest page, an older one, the page of its first answer (found through
// every newer turn), and the API's pages.
func longConversationRequests(conv string) []struct{ name, path string } {
	second := fmt.Sprintf("%s-%05d", conv, longConversationTurns-conversationPageSize) // the newest page's oldest turn
	return []struct{ name, path string }{
		{"page", "/staff/conversations/" + conv},
		{"page-older", "/staff/conversations/" + conv + "?before=" + second},
		{"page-first-answer", "/staff/conversations/" + conv + "?answer=" + conv + "-00000"},
		{"api", "/staff/api/conversations/" + conv},
		{"api-older", "/staff/api/conversations/" + conv + "?before=" + second},
		{"api-limit-1000", "/staff/api/conversations/" + conv + "?limit=1000"},
	}
}
