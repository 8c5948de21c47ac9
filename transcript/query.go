package transcript

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
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
	// Before, when set, starts the list after this place (keyset paging:
	// as fast on the thousandth page as on the first); Offset then counts from it.
	Before Cursor
}

// Cursor is a place in the list of replies, which runs newest first: the
// time and rowid of the reply before it.
type Cursor struct{ time, row int64 }

// IsZero reports whether c is the start of the list.
func (c Cursor) IsZero() bool { return c == Cursor{} }

// String is the cursor as a URL parameter takes it.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d-%d", c.time, c.row)
}

// ParseCursor reads a cursor written by Cursor.String.
func ParseCursor(s string) (Cursor, error) {
	t, r, ok := strings.Cut(s, "-")
	var c Cursor
	var err1, err2 error
	c.time, err1 = strconv.ParseInt(t, 10, 64)
	c.row, err2 = strconv.ParseInt(r, 10, 64)
	if !ok || err1 != nil || err2 != nil || c.row <= 0 {
		return Cursor{}, fmt.Errorf("cursor %q: not one this list gave", s)
	}
	return c, nil
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
	cursor         Cursor
}

// Cursor is the place after this row: Filter.Before set to it lists the
// rows that follow.
func (r ReplyRow) Cursor() Cursor { return r.cursor }

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
	if !f.Before.IsZero() {
		// The first term bounds the time index, so the list starts at the
		// cursor instead of reading down to it.
		conds = append(conds, "t.time <= ? AND (t.time < ? OR t.rowid < ?)")
		args = append(args, f.Before.time, f.Before.time, f.Before.row)
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

// ListReplies returns the replies f selects, newest first. It finds the
// page's rows first, by time and rowid alone, then reads the columns and
// counts of those rows only. Stopped at the statement time limit, it
// returns ErrTooSlow.
func (s *Store) ListReplies(ctx context.Context, f Filter) (_ []ReplyRow, err error) {
	ctx, done := s.consoleRead(ctx)
	defer func() { err = done(err) }()
	where, args, err := f.where()
	if err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	src, err := s.listSource(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list replies: %w", err)
	}
	if src.where != "" {
		where, args = joinWhere(where, src.where), append(args, src.args...)
	}
	q := `SELECT t.rowid, t.answer_id, t.conversation_id, t.time, t.question, t.kind, t.text, t.mode, t.reason, t.confidence,
		t.corpus_version, t.latency_ns,
		json_array_length(t.citation_refs),
		(SELECT COUNT(*) FROM feedback fb WHERE fb.answer_id = t.answer_id AND fb.rating = 'up'),
		(SELECT COUNT(*) FROM feedback fb WHERE fb.answer_id = t.answer_id AND fb.rating = 'down'),
		(SELECT COUNT(*) FROM feedback fb WHERE fb.answer_id = t.answer_id AND fb.comment <> ''),
		COALESCE(` + latestReview + `, '')
		FROM (SELECT t.rowid AS id FROM ` + src.from + where + src.order + ` LIMIT ? OFFSET ?) page
		CROSS JOIN turns t ON t.rowid = page.id
		ORDER BY t.time DESC, t.rowid DESC`
	args = append(append(src.fromArgs, args...), limit, max(f.Offset, 0))
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list replies: %w", err)
	}
	defer rows.Close()
	var out []ReplyRow
	for rows.Next() {
		var r ReplyRow
		var t, lat int64
		if err := rows.Scan(&r.cursor.row, &r.AnswerID, &r.ConversationID, &t, &r.Question, &r.Kind, &r.Text, &r.Mode, &r.Reason,
			&r.Confidence, &r.CorpusVersion, &lat, &r.Citations, &r.FeedbackUp, &r.FeedbackDown, &r.Comments, &r.ReviewStatus); err != nil {
			return nil, fmt.Errorf("list replies: %w", err)
		}
		r.cursor.time = t
		r.Time = time.Unix(0, t)
		r.LatencyMS = float64(lat) / 1e6
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list replies: %w", err)
	}
	return out, nil
}

// maxSearchCandidates is how many rows the text search index may offer
// for a search before the list is read newest first instead, testing each
// row: a search this common fills a page within a few thousand rows,
// while sorting every match by time would read them all.
var maxSearchCandidates = 5_000

// listSource is where a list's rows come from: the FROM clause, with its
// parameters; conditions of its own beside the filter's; and the order,
// which is always the turns' time and rowid, newest first.
type listSource struct {
	from     string
	fromArgs []any
	where    string // ANDed to the filter's conditions, with args
	args     []any
	order    string
}

// byTime is the list's order read from the turns (by the time or kind index).
const byTime = ` ORDER BY t.time DESC, t.rowid DESC`

// listSource chooses where f's rows come from: the turns themselves, or,
// for a filter that only a few turns pass, the table or index that holds
// those few (CROSS JOIN keeps SQLite to that order). Feedback and reviews
// are walked newest first by the time of their turn (turn_time, turn: the
// same order as the turns'), so a page stops after its last row.
func (s *Store) listSource(ctx context.Context, f Filter) (listSource, error) {
	src, err := s.filterSource(ctx, f)
	if err != nil || !s.windowed(f.Search) {
		return src, err
	}
	if src.from == "turns t" {
		// The window's rows by rowid, not the whole time index tested row by row.
		src.from = `(SELECT rowid AS id FROM turns WHERE rowid > (SELECT MAX(rowid) FROM turns) - ?) d CROSS JOIN turns t ON t.rowid = d.id`
		src.fromArgs = []any{s.shortSearch}
		return src, nil
	}
	cond := "t.rowid > (SELECT MAX(rowid) FROM turns) - ?"
	if src.where != "" {
		cond = src.where + " AND " + cond
	}
	src.where, src.args = cond, append(src.args, s.shortSearch)
	return src, nil
}

// filterSource is listSource before a short search's window.
func (s *Store) filterSource(ctx context.Context, f Filter) (listSource, error) {
	switch {
	case f.ConversationID != "":
		// Along its chain by rowid; left to itself, the planner would
		// rather scan an index of the other filters (say every turn of a
		// kind) and test each row against the chain.
		return listSource{from: "turns t NOT INDEXED", order: byTime}, nil
	case f.Review != "" && f.Review != "none":
		return listSource{from: "reviews rv INDEXED BY reviews_turn CROSS JOIN turns t ON t.rowid = rv.turn",
			where: "rv.turn_time >= ? AND rv.turn_time < ?", args: f.walkSpan(),
			order: " GROUP BY rv.turn_time, rv.turn ORDER BY rv.turn_time DESC, rv.turn DESC"}, nil
	case f.Feedback != "" && f.Feedback != "none":
		src := listSource{from: "feedback fb INDEXED BY feedback_turn CROSS JOIN turns t ON t.rowid = fb.turn",
			where: "fb.turn_time >= ? AND fb.turn_time < ?", args: f.walkSpan(),
			order: " GROUP BY fb.turn_time, fb.turn ORDER BY fb.turn_time DESC, fb.turn DESC"}
		switch f.Feedback {
		case "up", "down":
			src.where, src.args = src.where+" AND fb.rating = ?", append(src.args, f.Feedback)
		case "comment":
			src.where += " AND fb.comment <> ''"
		}
		return src, nil
	}
	if match, ok := trigramQuery(f.Search); ok {
		few, err := s.fewSearchMatches(ctx, match)
		if err != nil {
			return listSource{}, err
		}
		if few {
			// The turns not yet indexed (turns_fts_pending) are candidates too.
			return listSource{from: `(SELECT rowid AS id FROM turns_fts WHERE turns_fts MATCH ? UNION ALL SELECT turn FROM turns_fts_pending) d
				CROSS JOIN turns t ON t.rowid = d.id`,
				fromArgs: []any{match}, order: byTime}, nil
		}
	}
	return listSource{from: "turns t", order: byTime}, nil
}

// joinWhere adds cond to a WHERE clause (which may be empty).
func joinWhere(where, cond string) string {
	if where == "" {
		return " WHERE " + cond
	}
	return where + " AND " + cond
}

// span is [From, To) in unix nanoseconds, the open ends as far as they go.
func (f Filter) span() []any {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !f.From.IsZero() {
		lo = f.From.UnixNano()
	}
	if !f.To.IsZero() {
		hi = f.To.UnixNano()
	}
	return []any{lo, hi}
}

// walkSpan is span, ending at the cursor when there is one: the feedback
// and review indexes are walked by their turn's time, so a page after a
// cursor starts there rather than at the newest and reading down to it
// (which made a long export by feedback slower page after page).
func (f Filter) walkSpan() []any {
	span := f.span()
	if !f.Before.IsZero() {
		span[1] = min(span[1].(int64), f.Before.time+1)
	}
	return span
}

// minIndexedSearch is the shortest search (in characters) the text index
// serves: its terms are trigrams.
const minIndexedSearch = 3

// DefaultShortSearchReplies is how many of the newest replies a search
// shorter than minIndexedSearch reads when Options.ShortSearchReplies is
// 0: reading each row's question and reply costs some microseconds (on
// PostgreSQL, whose turn rows are wider, several), so this many stay
// within the console's 300 ms on a busy two-core machine on either.
const DefaultShortSearchReplies = 20_000

// windowed reports whether a search is too short for the text index and
// so reads only the newest replies (see SearchWindow).
func (s *Store) windowed(search string) bool {
	n := len([]rune(strings.TrimSpace(search)))
	return n > 0 && n < minIndexedSearch && s.shortSearch > 0
}

// SearchWindow is the part of the log a search too short for the text
// index reads: the newest Replies replies, logged since about Since.
type SearchWindow struct {
	Replies int       `json:"replies"`
	Since   time.Time `json:"since"`
}

// ShortSearchWindow returns the window a search reads, and false if the
// search reads the whole log (it is empty or long enough for the index).
func (s *Store) ShortSearchWindow(ctx context.Context, search string) (_ SearchWindow, _ bool, err error) {
	if !s.windowed(search) {
		return SearchWindow{}, false, nil
	}
	ctx, done := s.consoleRead(ctx)
	defer func() { err = done(err) }()
	var since int64
	err = s.rdb.QueryRowContext(ctx, `SELECT COALESCE((SELECT time FROM turns WHERE rowid > (SELECT MAX(rowid) FROM turns) - ?
		ORDER BY rowid LIMIT 1), 0)`, s.shortSearch).Scan(&since)
	if err != nil {
		return SearchWindow{}, false, fmt.Errorf("search window: %w", err)
	}
	w := SearchWindow{Replies: s.shortSearch}
	if since != 0 {
		w.Since = time.Unix(0, since).UTC()
	}
	return w, true, nil
}

// trigramQuery is the full-text query for the turns holding every
// three-character piece of a search, if it has any: a superset of the
// turns holding the search itself, which the list's own condition then
// tests. (The index keeps no positions, so it cannot match the pieces
// as one phrase.)
func trigramQuery(search string) (string, bool) {
	r := []rune(strings.TrimSpace(search)) // the tokenizer folds case, in the query as in the index
	if len(r) < minIndexedSearch {
		return "", false
	}
	seen := map[string]bool{}
	var terms []string
	for i := 0; i+3 <= len(r); i++ {
		tri := string(r[i : i+3])
		if !seen[tri] {
			seen[tri] = true
			terms = append(terms, `"`+strings.ReplaceAll(tri, `"`, `""`)+`"`)
		}
	}
	return strings.Join(terms, " AND "), true
}

// fewSearchMatches reports whether the text search index, with the turns
// not yet in it, offers at most maxSearchCandidates turns for match.
func (s *Store) fewSearchMatches(ctx context.Context, match string) (bool, error) {
	var n int
	err := s.rdb.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM turns_fts WHERE turns_fts MATCH ?1 LIMIT ?2))
		+ (SELECT COUNT(*) FROM (SELECT 1 FROM turns_fts_pending LIMIT ?2))`,
		match, maxSearchCandidates+1).Scan(&n)
	return n <= maxSearchCandidates, err
}

// TurnDetail is everything logged about one reply, for the conversation view.
type TurnDetail struct {
	Record
	Feedback []Feedback `json:"feedback"`
	Reviews  []Review   `json:"reviews"`
}

// TurnQuery picks a page of a conversation's turns. Pages are counted back
// from the newest turn, so a page's Before is the oldest turn of the page
// after it.
type TurnQuery struct {
	// Before is the answer id of a turn of the conversation: only turns
	// older than it. Empty: from the newest.
	Before string
	// Answer is the answer id of a turn of the conversation: the page,
	// of Limit turns counted from the newest, that holds it. It overrides
	// Before.
	Answer string
	// Limit is the most turns a page holds; every turn when <= 0.
	Limit int
}

// TurnPage is a page of a conversation's turns, oldest first.
type TurnPage struct {
	Turns []TurnDetail
	// Older says turns older than Turns[0] exist: ask with Before set to
	// Turns[0].AnswerID.
	Older bool
	// Newer is the answer id of the turn just newer than the page's
	// newest, "" when the page holds the newest turn: ask with Answer set
	// to it for the page after this one.
	Newer string
}

// ErrNoSuchTurn is a TurnQuery naming an answer that is not a turn of
// the conversation.
var ErrNoSuchTurn = errors.New("transcript: no such turn in the conversation")

// Conversation returns every turn of a conversation, oldest first, with
// citations, retrieved passages, feedback and reviews; ErrNotFound if none.
func (s *Store) Conversation(ctx context.Context, conversationID string) ([]TurnDetail, error) {
	p, err := s.ConversationPage(ctx, conversationID, TurnQuery{})
	return p.Turns, err
}

// ConversationPage returns the page q picks of a conversation's turns,
// with what Conversation gives of each; ErrNotFound if there is no such
// conversation, ErrNoSuchTurn if q names an answer not in it. The turns
// are found by walking the conversation's chain (see conversationTurns),
// so a page costs its own turns, however long the conversation, but for
// an Answer that far back, whose walk passes the newer turns' rowids.
func (s *Store) ConversationPage(ctx context.Context, conversationID string, q TurnQuery) (_ TurnPage, err error) {
	ctx, done := s.consoleRead(ctx)
	defer func() { err = done(err) }()
	recs, older, newer, err := s.historyPage(ctx, conversationID, q)
	if err != nil {
		return TurnPage{}, err
	}
	out, err := s.turnDetails(ctx, recs)
	if err != nil {
		return TurnPage{}, fmt.Errorf("conversation: %w", err)
	}
	return TurnPage{Turns: out, Older: older, Newer: newer}, nil
}

// turnDetails adds to recs their retrieved passages, feedback and
// reviews, each read for all of them at once.
func (s *Store) turnDetails(ctx context.Context, recs []Record) ([]TurnDetail, error) {
	out := make([]TurnDetail, len(recs))
	if len(recs) == 0 {
		return out, nil
	}
	at := make(map[string]*TurnDetail, len(recs))
	ids := make([]string, len(recs))
	for i, r := range recs {
		out[i].Record = r
		at[r.AnswerID], ids[i] = &out[i], r.AnswerID
	}
	list, _ := json.Marshal(ids)
	if err := s.retrievedOf(ctx, string(list), at); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT answer_id, rating, comment, time FROM feedback
		WHERE answer_id IN (SELECT value FROM json_each(?)) ORDER BY time, id`, string(list))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var f Feedback
		var t int64
		if err := rows.Scan(&f.AnswerID, &f.Rating, &f.Comment, &t); err != nil {
			rows.Close()
			return nil, err
		}
		f.Time = time.Unix(0, t)
		at[f.AnswerID].Feedback = append(at[f.AnswerID].Feedback, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.rdb.QueryContext(ctx, `SELECT id, answer_id, reviewer, status, note, corrected, time FROM reviews
		WHERE answer_id IN (SELECT value FROM json_each(?)) ORDER BY time, id`, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var rv Review
		var t int64
		if err := rows.Scan(&rv.ID, &rv.AnswerID, &rv.Reviewer, &rv.Status, &rv.Note, &rv.Corrected, &t); err != nil {
			return nil, err
		}
		rv.Time = time.Unix(0, t)
		at[rv.AnswerID].Reviews = append(at[rv.AnswerID].Reviews, rv)
	}
	return out, rows.Err()
}

// retrievedOf sets the retrieved passages of the turns at, whose answer
// ids list (a JSON array) names, reading their passages in one query.
func (s *Store) retrievedOf(ctx context.Context, list string, at map[string]*TurnDetail) error {
	rows, err := s.rdb.QueryContext(ctx, `SELECT answer_id, retrieved_refs FROM turns WHERE answer_id IN (SELECT value FROM json_each(?))`, list)
	if err != nil {
		return err
	}
	refs := map[string][]retrievedRef{}
	var pids []int64
	for rows.Next() {
		var id, data string
		if err := rows.Scan(&id, &data); err != nil {
			rows.Close()
			return err
		}
		r, err := decodeRetrievedRefs(data)
		if err != nil {
			rows.Close()
			return fmt.Errorf("%s: %w", id, err)
		}
		refs[id] = r
		for _, p := range r {
			pids = append(pids, p.pid)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	texts, err := passageTexts(ctx, s.rdb, pids)
	if err != nil {
		return err
	}
	for id, rs := range refs {
		if len(rs) == 0 {
			continue
		}
		got := make([]chat.Retrieved, len(rs))
		for i, r := range rs {
			p, ok := texts[r.pid]
			if !ok {
				return fmt.Errorf("%s: passage %d missing", id, r.pid)
			}
			got[i] = r.p
			got[i].ChunkID, got[i].Text = p.chunkID, p.text
		}
		at[id].Reply.Retrieved = got
	}
	return nil
}

// historyPage reads the turns q picks, oldest first, as history does,
// whether older ones exist and the turn just newer (TurnPage.Newer).
func (s *Store) historyPage(ctx context.Context, conversationID string, q TurnQuery) (_ []Record, older bool, newer string, _ error) {
	var newest sql.NullInt64 // the rowid of the page's newest turn
	err := s.rdb.QueryRowContext(ctx, `SELECT last_turn FROM conversations WHERE id = ?`, conversationID).Scan(&newest)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, "", ErrNotFound
	}
	if err != nil {
		return nil, false, "", fmt.Errorf("conversation: %w", err)
	}
	switch {
	case q.Answer != "":
		var turn int64
		err := s.rdb.QueryRowContext(ctx, `SELECT rowid FROM turns WHERE answer_id = ? AND conversation_id = ?`, q.Answer, conversationID).Scan(&turn)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, "", ErrNoSuchTurn
		}
		if err != nil {
			return nil, false, "", fmt.Errorf("conversation: %w", err)
		}
		if q.Limit > 0 {
			var after sql.NullInt64
			if newest, after, err = s.pageHolding(ctx, newest, turn, q.Limit); err != nil {
				return nil, false, "", err
			}
			if after.Valid {
				if err := s.rdb.QueryRowContext(ctx, `SELECT answer_id FROM turns WHERE rowid = ?`, after.Int64).Scan(&newer); err != nil {
					return nil, false, "", fmt.Errorf("conversation: %w", err)
				}
			}
		}
	case q.Before != "":
		err := s.rdb.QueryRowContext(ctx, `SELECT prev FROM turns WHERE answer_id = ? AND conversation_id = ?`, q.Before, conversationID).Scan(&newest)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, "", ErrNoSuchTurn
		}
		if err != nil {
			return nil, false, "", fmt.Errorf("conversation: %w", err)
		}
		newer = q.Before
	}
	limit := int64(math.MaxInt64)
	if q.Limit > 0 {
		limit = int64(q.Limit) + 1 // one more, to tell whether older turns exist
	}
	var chain []int64
	if newest.Valid {
		if chain, err = s.chainFrom(ctx, newest.Int64, limit, 0); err != nil {
			return nil, false, "", fmt.Errorf("conversation: %w", err)
		}
	}
	older = q.Limit > 0 && len(chain) > q.Limit
	if older {
		chain = chain[:q.Limit]
	}
	list, _ := json.Marshal(chain)
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+turnColumns+` FROM turns WHERE rowid IN (SELECT value FROM json_each(?))
		ORDER BY time, rowid`, string(list))
	if err != nil {
		return nil, false, "", fmt.Errorf("conversation: %w", err)
	}
	recs, cited, err := scanRecords(rows)
	if err != nil {
		return nil, false, "", fmt.Errorf("conversation: %w", err)
	}
	if err := resolveCitations(ctx, s.rdb, recs, cited); err != nil {
		return nil, false, "", fmt.Errorf("conversation: %w", err)
	}
	if err := ratings(ctx, s.rdb, recs); err != nil {
		return nil, false, "", fmt.Errorf("conversation: %w", err)
	}
	return recs, older, newer, nil
}

// pageHolding returns the rowid of the newest turn of the page that holds
// turn, pages of limit turns counted back from newest, and of the turn
// just newer than that page (none for the newest page).
func (s *Store) pageHolding(ctx context.Context, newest sql.NullInt64, turn int64, limit int) (first, after sql.NullInt64, _ error) {
	if !newest.Valid {
		return first, after, ErrNoSuchTurn
	}
	chain, err := s.chainFrom(ctx, newest.Int64, math.MaxInt64, turn)
	if err != nil {
		return first, after, fmt.Errorf("conversation: %w", err)
	}
	if len(chain) == 0 || chain[len(chain)-1] != turn {
		return first, after, ErrNoSuchTurn // not on the chain: a damaged one
	}
	at := (len(chain) - 1) / limit * limit
	if at > 0 {
		after = sql.NullInt64{Int64: chain[at-1], Valid: true}
	}
	return sql.NullInt64{Int64: chain[at], Valid: true}, after, nil
}

// chainFrom returns the rowids of a conversation's turns from turn back,
// newest first: at most limit, and none older than downTo.
func (s *Store) chainFrom(ctx context.Context, turn, limit, downTo int64) ([]int64, error) {
	rows, err := s.rdb.QueryContext(ctx, `WITH RECURSIVE chain(turn, n) AS (
			SELECT ?1, 1
			UNION ALL
			SELECT t.prev, chain.n + 1 FROM chain JOIN turns t ON t.rowid = chain.turn
			WHERE t.prev < t.rowid AND t.prev >= ?3 AND chain.n < ?2
		) SELECT turn FROM chain ORDER BY n`, turn, limit, downTo)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
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

// nsPerDay is one UTC day in the log's time unit (unix nanoseconds).
const nsPerDay = int64(24 * time.Hour)

// Stats computes the dashboard figures for replies in [from, to) (zero:
// unbounded). Replies are counted from the daily roll-up (turn_days) for
// whole days and from the turns themselves only for the part-days at
// either end; feedback and reviews by the time of the turn they are of
// (their own indexes).
func (s *Store) Stats(ctx context.Context, from, to time.Time) (_ Stats, err error) {
	ctx, done := s.consoleRead(ctx)
	defer func() { err = done(err) }()
	span := Filter{From: from, To: to}.span()
	lo, hi := span[0].(int64), span[1].(int64)
	var st Stats
	if err := s.dayCounts(ctx, &st, lo, hi); err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	var reviewed int
	err = s.rdb.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM feedback WHERE rating = 'up' AND turn_time >= ?1 AND turn_time < ?2),
		(SELECT COUNT(*) FROM feedback WHERE rating = 'down' AND turn_time >= ?1 AND turn_time < ?2),
		(SELECT COUNT(DISTINCT answer_id) FROM reviews WHERE turn_time >= ?1 AND turn_time < ?2),
		(SELECT COUNT(DISTINCT fb.turn) FROM feedback fb WHERE fb.rating = 'down' AND fb.turn_time >= ?1 AND fb.turn_time < ?2
			AND NOT EXISTS (SELECT 1 FROM reviews rv WHERE rv.turn_time = fb.turn_time AND rv.turn = fb.turn)),
		(SELECT COUNT(*) FROM (SELECT DISTINCT answer_id FROM reviews WHERE turn_time >= ?1 AND turn_time < ?2) t
			WHERE `+latestReview+` IN ('needs_correction', 'wrong'))`,
		lo, hi).Scan(&st.FeedbackUp, &st.FeedbackDown, &reviewed, &st.DownNoReview, &st.NeedsFollowUp)
	st.Unreviewed = st.Replies - reviewed
	if err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	return st, nil
}

// dayCounts adds the replies in [lo, hi) to st by day and kind.
func (s *Store) dayCounts(ctx context.Context, st *Stats, lo, hi int64) error {
	whole, parts := splitDays(lo, hi)
	if err := s.turnCounts(ctx, st, parts[0][0], parts[0][1]); err != nil {
		return err
	}
	if whole[0] < whole[1] {
		rows, err := s.rdb.QueryContext(ctx, `SELECT day, kind, n FROM turn_days WHERE day >= ? AND day < ? AND n > 0 ORDER BY day`, whole[0], whole[1])
		if err != nil {
			return err
		}
		err = addDayCounts(st, rows)
		rows.Close()
		if err != nil {
			return err
		}
	}
	return s.turnCounts(ctx, st, parts[1][0], parts[1][1])
}

// splitDays splits [lo, hi) into the whole UTC days in it, [first, end)
// in days since the epoch, counted from the roll-up, and the part-days
// before and after them, [lo, hi) each (empty when lo == hi), counted from
// the turns. A span holding no whole day is all in the first part.
func splitDays(lo, hi int64) (whole [2]int64, parts [2][2]int64) {
	firstDay, endDay := ceilDiv(lo, nsPerDay), floorDiv(hi, nsPerDay)
	if firstDay >= endDay {
		return [2]int64{}, [2][2]int64{{lo, hi}, {hi, hi}}
	}
	return [2]int64{firstDay, endDay}, [2][2]int64{{lo, firstDay * nsPerDay}, {endDay * nsPerDay, hi}}
}

// turnCounts adds the replies in [lo, hi) to st, counted from the turns.
func (s *Store) turnCounts(ctx context.Context, st *Stats, lo, hi int64) error {
	if lo >= hi {
		return nil
	}
	// Days as integer division (UTC days since the epoch): much cheaper per
	// row than SQLite's date().
	rows, err := s.rdb.QueryContext(ctx, `SELECT t.time / ?3 AS day, t.kind, COUNT(*) FROM turns t
		WHERE t.time >= ?1 AND t.time < ?2 GROUP BY day, t.kind ORDER BY day`, lo, hi, nsPerDay)
	if err != nil {
		return err
	}
	return addDayCounts(st, rows)
}

// dayRows are rows of (day, kind, count): *sql.Rows or pgx.Rows.
type dayRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// addDayCounts adds rows of (day, kind, count), in order of day, to st.
// The caller closes rows.
func addDayCounts(st *Stats, rows dayRows) error {
	for rows.Next() {
		var dayNum int64
		var kind string
		var n int
		if err := rows.Scan(&dayNum, &kind, &n); err != nil {
			return err
		}
		addDayCount(st, dayNum, kind, n)
	}
	return rows.Err()
}

// addDayCount adds n replies of kind on day dayNum (UTC days since the
// epoch) to st; days come in order.
func addDayCount(st *Stats, dayNum int64, kind string, n int) {
	day := time.Unix(dayNum*86400, 0).UTC().Format("2006-01-02")
	if len(st.Days) == 0 || st.Days[len(st.Days)-1].Day != day {
		st.Days = append(st.Days, DayCount{Day: day, ByKind: map[string]int{}})
	}
	d := &st.Days[len(st.Days)-1]
	d.ByKind[kind] += n
	d.Total += n
	st.Replies += n
	switch chat.Kind(kind) {
	case chat.KindNoAnswer:
		st.NoAnswers += n
	case chat.KindEmergency:
		st.Emergencies += n
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a > 0 {
		q++
	}
	return q
}
