package transcript

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/cellchat/cellchat/chat"
)

// Filter selects replies for the staff console and its exports. Zero
// fields select everything. Every value reaches SQL as a parameter.
type Filter struct {
	From, To       time.Time // reply time in [From, To); zero: unbounded
	Kind           string    // a chat.Kind, or "" for any
	Feedback       string    // "up", "down", "comment" (any feedback with a comment), "any", "none" or ""
	Review         string    // "none" (never reviewed), a review status (the newest review's), or ""
	Search         string    // case-insensitive substring of the question or the reply text
	MaxConfidence  float64   // when > 0: only retrieval-based replies whose confidence is below this
	Emergency      bool      // only emergency replies
	ConversationID string    // only this conversation
	Limit, Offset  int       // Limit 0 means 500
}

// ReplyRow is one reply in the console's list and exports.
type ReplyRow struct {
	AnswerID       string    `json:"answer_id"`
	ConversationID string    `json:"conversation_id"`
	Time           time.Time `json:"time"`
	Question       string    `json:"question"`
	Kind           string    `json:"kind"`
	Text           string    `json:"text"`
	Mode           string    `json:"mode"`
	Reason         string    `json:"reason,omitempty"`
	Confidence     float64   `json:"confidence"`
	CorpusVersion  string    `json:"corpus_version"`
	LatencyMS      float64   `json:"latency_ms"`
	Citations      int       `json:"citations"`
	FeedbackUp     int       `json:"feedback_up"`
	FeedbackDown   int       `json:"feedback_down"`
	Comments       int       `json:"feedback_comments"`
	ReviewStatus   string    `json:"review_status,omitempty"` // newest review's status, "" if none
}

const latestReview = `(SELECT status FROM reviews rv WHERE rv.answer_id = t.answer_id ORDER BY rv.time DESC, rv.id DESC LIMIT 1)`

// where builds the WHERE clause for f: fixed SQL text with ? placeholders,
// and the values in args.
func (f Filter) where() (string, []any, error) {
	var conds []string
	var args []any
	if !f.From.IsZero() {
		conds, args = append(conds, "t.time >= ?"), append(args, f.From.UnixNano())
	}
	if !f.To.IsZero() {
		conds, args = append(conds, "t.time < ?"), append(args, f.To.UnixNano())
	}
	if f.Kind != "" {
		conds, args = append(conds, "t.kind = ?"), append(args, f.Kind)
	}
	if f.Emergency {
		conds, args = append(conds, "t.kind = ?"), append(args, string(chat.KindEmergency))
	}
	switch f.Feedback {
	case "":
	case "up", "down":
		conds, args = append(conds, "EXISTS (SELECT 1 FROM feedback fb WHERE fb.answer_id = t.answer_id AND fb.rating = ?)"), append(args, f.Feedback)
	case "comment":
		conds = append(conds, "EXISTS (SELECT 1 FROM feedback fb WHERE fb.answer_id = t.answer_id AND fb.comment <> '')")
	case "any":
		conds = append(conds, "EXISTS (SELECT 1 FROM feedback fb WHERE fb.answer_id = t.answer_id)")
	case "none":
		conds = append(conds, "NOT EXISTS (SELECT 1 FROM feedback fb WHERE fb.answer_id = t.answer_id)")
	default:
		return "", nil, fmt.Errorf("feedback filter %q: want up, down, comment, any or none", f.Feedback)
	}
	switch f.Review {
	case "":
	case "none":
		conds = append(conds, "NOT EXISTS (SELECT 1 FROM reviews rv WHERE rv.answer_id = t.answer_id)")
	case StatusApproved, StatusNeedsCorrection, StatusWrong:
		conds, args = append(conds, latestReview+" = ?"), append(args, f.Review)
	default:
		return "", nil, fmt.Errorf("review filter %q: want none, %s", f.Review, strings.Join(ReviewStatuses, ", "))
	}
	if s := strings.TrimSpace(f.Search); s != "" {
		// instr takes its argument literally: no LIKE wildcards to escape.
		conds = append(conds, "(instr(lower(t.question), lower(?)) > 0 OR instr(lower(t.text), lower(?)) > 0)")
		args = append(args, s, s)
	}
	if f.MaxConfidence > 0 {
		conds = append(conds, "t.confidence < ? AND t.kind IN (?, ?, ?)")
		args = append(args, f.MaxConfidence, string(chat.KindAnswer), string(chat.KindNoAnswer), string(chat.KindReferral))
	}
	if f.ConversationID != "" {
		conds, args = append(conds, "t.rowid IN ("+conversationTurns+")"), append(args, f.ConversationID, math.MaxInt64)
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

// table is the FROM clause of f's queries. A conversation's turns are
// looked up by rowid along its chain; left to itself, the planner would
// rather scan an index of the other filters (say every turn of a kind)
// and test each row against the chain. NOT INDEXED still allows rowid lookups.
func (f Filter) table() string {
	if f.ConversationID != "" {
		return "turns t NOT INDEXED"
	}
	return "turns t"
}

// ListReplies returns the replies f selects, newest first.
func (s *Store) ListReplies(ctx context.Context, f Filter) ([]ReplyRow, error) {
	where, args, err := f.where()
	if err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	q := `SELECT t.answer_id, t.conversation_id, t.time, t.question, t.kind, t.text, t.mode, t.reason, t.confidence,
		t.corpus_version, t.latency_ns,
		json_array_length(t.citation_refs),
		(SELECT COUNT(*) FROM feedback fb WHERE fb.answer_id = t.answer_id AND fb.rating = 'up'),
		(SELECT COUNT(*) FROM feedback fb WHERE fb.answer_id = t.answer_id AND fb.rating = 'down'),
		(SELECT COUNT(*) FROM feedback fb WHERE fb.answer_id = t.answer_id AND fb.comment <> ''),
		COALESCE(` + latestReview + `, '')
		FROM ` + f.table() + where + ` ORDER BY t.time DESC, t.rowid DESC LIMIT ? OFFSET ?`
	rows, err := s.db.QueryContext(ctx, q, append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, fmt.Errorf("list replies: %w", err)
	}
	defer rows.Close()
	var out []ReplyRow
	for rows.Next() {
		var r ReplyRow
		var t, lat int64
		if err := rows.Scan(&r.AnswerID, &r.ConversationID, &t, &r.Question, &r.Kind, &r.Text, &r.Mode, &r.Reason,
			&r.Confidence, &r.CorpusVersion, &lat, &r.Citations, &r.FeedbackUp, &r.FeedbackDown, &r.Comments, &r.ReviewStatus); err != nil {
			return nil, fmt.Errorf("list replies: %w", err)
		}
		r.Time = time.Unix(0, t)
		r.LatencyMS = float64(lat) / 1e6
		out = append(out, r)
	}
	return out, rows.Err()
}

// TurnDetail is everything logged about one reply, for the conversation view.
type TurnDetail struct {
	Record
	Feedback []Feedback `json:"feedback"`
	Reviews  []Review   `json:"reviews"`
}

// Conversation returns every turn of a conversation, oldest first, with
// citations, retrieved passages, feedback and reviews; ErrNotFound if none.
func (s *Store) Conversation(ctx context.Context, conversationID string) ([]TurnDetail, error) {
	recs, err := s.History(ctx, conversationID, 0)
	if err != nil {
		return nil, err
	}
	out := make([]TurnDetail, len(recs))
	for i, r := range recs {
		out[i].Record = r
		if out[i].Reply.Retrieved, err = s.retrieved(ctx, r.AnswerID); err != nil {
			return nil, fmt.Errorf("conversation: %w", err)
		}
		if out[i].Feedback, err = s.feedback(ctx, r.AnswerID); err != nil {
			return nil, fmt.Errorf("conversation: %w", err)
		}
		if out[i].Reviews, err = s.Reviews(ctx, r.AnswerID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) feedback(ctx context.Context, answerID string) ([]Feedback, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT answer_id, rating, comment, time FROM feedback WHERE answer_id = ? ORDER BY time, id`, answerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Feedback
	for rows.Next() {
		var f Feedback
		var t int64
		if err := rows.Scan(&f.AnswerID, &f.Rating, &f.Comment, &t); err != nil {
			return nil, err
		}
		f.Time = time.Unix(0, t)
		out = append(out, f)
	}
	return out, rows.Err()
}

// DayCount is how many replies of each kind were given on one day (UTC).
type DayCount struct {
	Day    string         `json:"day"` // YYYY-MM-DD
	ByKind map[string]int `json:"by_kind"`
	Total  int            `json:"total"`
}

// Stats are the dashboard's figures over a period.
type Stats struct {
	Days          []DayCount `json:"days"`
	Replies       int        `json:"replies"`
	NoAnswers     int        `json:"no_answers"`
	Emergencies   int        `json:"emergencies"`
	FeedbackUp    int        `json:"feedback_up"`
	FeedbackDown  int        `json:"feedback_down"`
	Unreviewed    int        `json:"unreviewed"`      // replies never reviewed
	DownNoReview  int        `json:"down_unreviewed"` // thumbs-down replies never reviewed: the urgent backlog
	NeedsFollowUp int        `json:"needs_follow_up"` // newest review needs_correction or wrong
}

// Stats computes the dashboard figures for replies in [from, to) (zero: unbounded).
func (s *Store) Stats(ctx context.Context, from, to time.Time) (Stats, error) {
	where, args, _ := Filter{From: from, To: to}.where()
	var st Stats
	// Days as integer division (UTC days since the epoch): much cheaper per
	// row than SQLite's date().
	rows, err := s.db.QueryContext(ctx, `SELECT t.time / 86400000000000 AS day, t.kind, COUNT(*)
		FROM turns t`+where+` GROUP BY day, t.kind ORDER BY day`, args...)
	if err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	byDay := map[string]int{}
	for rows.Next() {
		var dayNum int64
		var kind string
		var n int
		if err := rows.Scan(&dayNum, &kind, &n); err != nil {
			rows.Close()
			return st, fmt.Errorf("stats: %w", err)
		}
		day := time.Unix(dayNum*86400, 0).UTC().Format("2006-01-02")
		i, ok := byDay[day]
		if !ok {
			i = len(st.Days)
			byDay[day] = i
			st.Days = append(st.Days, DayCount{Day: day, ByKind: map[string]int{}})
		}
		st.Days[i].ByKind[kind] += n
		st.Days[i].Total += n
		st.Replies += n
		switch chat.Kind(kind) {
		case chat.KindNoAnswer:
			st.NoAnswers += n
		case chat.KindEmergency:
			st.Emergencies += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	and := " WHERE "
	if where != "" {
		and = where + " AND "
	}
	// Each count walks the small table (feedback, reviews) and looks the
	// turn up, rather than probing the small tables once per turn.
	var reviewed int
	err = s.db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM feedback fb JOIN turns t ON t.answer_id = fb.answer_id`+and+`fb.rating = 'up'),
		(SELECT COUNT(*) FROM feedback fb JOIN turns t ON t.answer_id = fb.answer_id`+and+`fb.rating = 'down'),
		(SELECT COUNT(*) FROM (SELECT DISTINCT answer_id FROM reviews) r JOIN turns t ON t.answer_id = r.answer_id`+where+`),
		(SELECT COUNT(*) FROM (SELECT DISTINCT answer_id FROM feedback WHERE rating = 'down') d JOIN turns t ON t.answer_id = d.answer_id`+and+`
			NOT EXISTS (SELECT 1 FROM reviews rv WHERE rv.answer_id = t.answer_id)),
		(SELECT COUNT(*) FROM (SELECT DISTINCT answer_id FROM reviews) r JOIN turns t ON t.answer_id = r.answer_id`+and+latestReview+` IN ('needs_correction', 'wrong'))`,
		repeat(args, 5)...).Scan(&st.FeedbackUp, &st.FeedbackDown, &reviewed, &st.DownNoReview, &st.NeedsFollowUp)
	st.Unreviewed = st.Replies - reviewed
	if err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	return st, nil
}

func repeat(args []any, n int) []any {
	out := make([]any, 0, len(args)*n)
	for range n {
		out = append(out, args...)
	}
	return out
}
