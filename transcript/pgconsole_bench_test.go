package transcript

import (
	"context"
	"strings"
	"testing"
	"time"
)

// BenchmarkPGConsole times the staff console's reads on a PostgreSQL log
// of pgConsoleTurns synthetic turns over a year (written by SQL, not
// Record, to be quick), one sub-benchmark per filter: whether each finds
// its page through an index rather than a scan of the log.
func BenchmarkPGConsole(b *testing.B) {
	const pgConsoleTurns = 500_000
	s := openPGTest(b, Options{ReadTimeout: -1})
	ctx := context.Background()
	now := time.Now().UnixNano()
	year := int64(365 * 24 * time.Hour)
	fill := []string{
		`INSERT INTO conversations(id, started, last) SELECT 'c' || g, $1::bigint - g * ($2::bigint / $3), $1::bigint - g * ($2::bigint / $3)
			FROM generate_series(1, $3 / 4 + 1) g`,
		`INSERT INTO turns(answer_id, conversation_id, time, question, kind, text, disclaimer, mode, reason, confidence,
			corpus_version, latency_ns, citations, retrieved)
			SELECT 'a' || g, 'c' || (g / 4 + 1), $1::bigint - g * ($2::bigint / $3),
				(ARRAY['What is CAR-T?', 'How long does GVHD last?', 'Can I drive after infusion?', 'What is CRS?'])[g % 4 + 1] || ' ' || g,
				(ARRAY['answer', 'answer', 'answer', 'no_answer', 'referral', 'emergency'])[g % 6 + 1],
				'CAR-T cell therapy uses your own T cells, changed in a lab to find cancer cells [1]. ' || md5(g::text),
				'Ask your care team.', 'extractive', 'retrieval', (g % 100) / 100.0, 'v1', 70000,
				'[{"n":1,"doc_id":"asgct","title":"Basics","url":"https://example.org","section":"CAR-T","chunk_id":"asgct-1","passage":"CAR-T uses T cells."}]',
				'[]'
			FROM generate_series(1, $3) g`,
		`INSERT INTO feedback(answer_id, rating, comment, time, turn_time, turn)
			SELECT answer_id, CASE WHEN id % 3 = 0 THEN 'down' ELSE 'up' END, CASE WHEN id % 9 = 0 THEN 'unclear' ELSE '' END, time, time, id
			FROM turns WHERE id % 33 = 0`,
		`INSERT INTO reviews(answer_id, reviewer, status, note, corrected, time, turn_time, turn)
			SELECT answer_id, 'doc@clinic.org', (ARRAY['approved', 'needs_correction', 'wrong'])[id % 3 + 1], '', '', time, time, id
			FROM turns WHERE id % 250 = 0`,
		`INSERT INTO turn_days(day, kind, shard, n) SELECT time / 86400000000000, kind, 0, COUNT(*) FROM turns GROUP BY 1, 2`,
		`ANALYZE`,
	}
	for _, q := range fill {
		var args []any
		if strings.Contains(q, "$3") {
			args = []any{now, year, pgConsoleTurns}
		}
		if _, err := s.pool.Exec(ctx, q, args...); err != nil {
			b.Fatal(err)
		}
	}
	month := time.Now().AddDate(0, -1, 0)
	for _, bc := range []struct {
		name string
		f    Filter
	}{
		{"list", Filter{Limit: 50}},
		{"kind", Filter{Kind: "referral", Limit: 50}},
		{"month", Filter{From: month, Limit: 50}},
		{"search-many", Filter{Search: "drive", Limit: 50}},
		{"search-none", Filter{Search: "leukapheresis", Limit: 50}},
		{"search-short", Filter{Search: "ca", Limit: 50}},
		{"feedback-down", Filter{Feedback: "down", Limit: 50}},
		{"feedback-comment", Filter{Feedback: "comment", Limit: 50}},
		{"review-wrong", Filter{Review: StatusWrong, Limit: 50}},
		{"review-none", Filter{Review: "none", Limit: 50}},
		{"low-confidence", Filter{MaxConfidence: 0.05, Limit: 50}},
		{"rare-combination", Filter{Kind: "emergency", Feedback: "comment", Review: StatusApproved, Limit: 50}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.ListReplies(ctx, bc.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, days := range []int{30, 3650} {
		b.Run("stats-"+map[int]string{30: "month", 3650: "10y"}[days], func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Stats(ctx, time.Now().AddDate(0, 0, -days), time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("conversation", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Conversation(ctx, "c777"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
