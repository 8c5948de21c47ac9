package transcript

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/jackc/pgx/v5"
)

// pgArgs collects a query's parameters and names each ($1, $2, ...).
type pgArgs []any

func (a *pgArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

const pgTurnColumns = `t.answer_id, t.conversation_id, t.time, t.question, t.kind, t.text, t.disclaimer, t.mode, t.reason,
	t.confidence, t.corpus_version, t.latency_ns, t.citations, t.library_entry, t.library_date`

// History returns a conversation's turns as Store.History does.
func (s *PGStore) History(ctx context.Context, conversationID string, limit int) ([]Record, error) {
	recs, err := s.history(ctx, conversationID, limit, false)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("history: %w", err)
	}
	return recs, err
}

// history reads a conversation's turns, oldest first, at most limit (the
// newest), with their retrieved passages when withRetrieved.
func (s *PGStore) history(ctx context.Context, conversationID string, limit int, withRetrieved bool) ([]Record, error) {
	recs, _, _, err := s.historyPage(ctx, conversationID, TurnQuery{Limit: limit}, withRetrieved)
	return recs, err
}

// historyPage reads the turns q picks, oldest first, whether older ones
// exist and the turn just newer (TurnPage.Newer), in the index of a
// conversation's turns by time.
func (s *PGStore) historyPage(ctx context.Context, conversationID string, q TurnQuery, withRetrieved bool) (_ []Record, older bool, newer string, _ error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM conversations WHERE id = $1)`, conversationID).Scan(&exists); err != nil {
		return nil, false, "", err
	}
	if !exists {
		return nil, false, "", ErrNotFound
	}
	a := pgArgs{conversationID}
	where := `t.conversation_id = $1`
	var bound [2]int64 // (time, id) of the turn the page is bounded by
	turnOf := func(answer string) error {
		err := s.pool.QueryRow(ctx, `SELECT time, id FROM turns WHERE answer_id = $1 AND conversation_id = $2`,
			answer, conversationID).Scan(&bound[0], &bound[1])
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNoSuchTurn
		}
		return err
	}
	switch {
	case q.Answer != "":
		if err := turnOf(q.Answer); err != nil {
			return nil, false, "", err
		}
		if q.Limit > 0 {
			var newerTurns int64
			if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM turns WHERE conversation_id = $1 AND (time, id) > ($2, $3)`,
				conversationID, bound[0], bound[1]).Scan(&newerTurns); err != nil {
				return nil, false, "", err
			}
			if page := newerTurns / int64(q.Limit); page > 0 {
				// The turn just newer than the page, then the page's newest.
				rows, err := s.pool.Query(ctx, `SELECT time, id, answer_id FROM turns WHERE conversation_id = $1
					ORDER BY time DESC, id DESC OFFSET $2 LIMIT 2`, conversationID, page*int64(q.Limit)-1)
				if err != nil {
					return nil, false, "", err
				}
				edge, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct {
					Time, ID int64
					Answer   string
				}])
				if err != nil {
					return nil, false, "", err
				}
				if len(edge) != 2 {
					return nil, false, "", ErrNoSuchTurn // deleted meanwhile
				}
				newer, bound = edge[0].Answer, [2]int64{edge[1].Time, edge[1].ID}
				where += ` AND (t.time, t.id) <= (` + a.add(bound[0]) + `, ` + a.add(bound[1]) + `)`
			}
		}
	case q.Before != "":
		if err := turnOf(q.Before); err != nil {
			return nil, false, "", err
		}
		where += ` AND (t.time, t.id) < (` + a.add(bound[0]) + `, ` + a.add(bound[1]) + `)`
		newer = q.Before
	}
	limit := math.MaxInt32
	if q.Limit > 0 {
		limit = q.Limit + 1 // one more, to tell whether older turns exist
	}
	cols := pgTurnColumns + `, 'null'::jsonb`
	if withRetrieved {
		cols = pgTurnColumns + `, t.retrieved`
	}
	rows, err := s.pool.Query(ctx, `SELECT `+cols+` FROM turns t WHERE `+where+`
		ORDER BY t.time DESC, t.id DESC LIMIT `+a.add(limit), a...)
	if err != nil {
		return nil, false, "", err
	}
	recs, err := pgx.CollectRows(rows, scanPGRecord)
	if err != nil {
		return nil, false, "", err
	}
	older = q.Limit > 0 && len(recs) > q.Limit
	if older {
		recs = recs[:q.Limit]
	}
	slices.Reverse(recs)
	if err := s.ratings(ctx, recs); err != nil {
		return nil, false, "", err
	}
	return recs, older, newer, nil
}

func scanPGRecord(row pgx.CollectableRow) (Record, error) {
	var r Record
	var t, lat int64
	var kind, libDate string
	var libEntry *int64
	var retrieved []chat.Retrieved
	if err := row.Scan(&r.AnswerID, &r.ConversationID, &t, &r.Question, &kind, &r.Reply.Text, &r.Reply.Disclaimer,
		&r.Reply.Mode, &r.Reply.Reason, &r.Reply.Confidence, &r.Reply.CorpusVersion, &lat, &r.Reply.Citations,
		&libEntry, &libDate, &retrieved); err != nil {
		return r, err
	}
	if libEntry != nil {
		r.Reply.Reviewed = reviewedOf(sql.NullInt64{Int64: *libEntry, Valid: true}, libDate)
	}
	if len(retrieved) > 0 {
		r.Reply.Retrieved = retrieved
	}
	r.Time = time.Unix(0, t)
	r.Reply.Kind = chat.Kind(kind)
	r.Latency = time.Duration(lat)
	r.Reply.Latency = r.Latency
	return r, nil
}

// ratings sets the Rating of each of recs the patient rated: the newest
// row counts, keeping an earlier comment (see readRatings).
func (s *PGStore) ratings(ctx context.Context, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.AnswerID
	}
	fbs, err := s.feedbackOf(ctx, ids, false)
	if err != nil {
		return err
	}
	byID := map[string]*Feedback{}
	for _, f := range fbs {
		if old := byID[f.AnswerID]; old != nil && f.Comment == "" {
			f.Comment = old.Comment
		}
		byID[f.AnswerID] = &f
	}
	for i := range recs {
		recs[i].Rating = byID[recs[i].AnswerID]
	}
	return nil
}

// feedbackOf returns the feedback rows of the answers ids, oldest first;
// only those with a comment when commented.
func (s *PGStore) feedbackOf(ctx context.Context, ids []string, commented bool) ([]Feedback, error) {
	q := `SELECT answer_id, rating, comment, time FROM feedback WHERE answer_id = ANY($1)`
	if commented {
		q += ` AND comment <> ''`
	}
	rows, err := s.pool.Query(ctx, q+` ORDER BY time, id`, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Feedback, error) {
		var f Feedback
		var t int64
		err := row.Scan(&f.AnswerID, &f.Rating, &f.Comment, &t)
		f.Time = time.Unix(0, t)
		return f, err
	})
}

// RecordFeedback stores a patient's rating as Store.RecordFeedback does:
// one rating per answer, the last counts, and a rating without a comment
// keeps the comment already given.
func (s *PGStore) RecordFeedback(ctx context.Context, conversationID string, f Feedback) error {
	if err := prepareFeedback(&f, s.redact); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The turn's row is locked first, so two ratings of one answer
		// (from two replicas) take turns, and retention cannot delete it
		// between the check and the write.
		var turn, turnTime int64
		err := tx.QueryRow(ctx, `SELECT id, time FROM turns WHERE answer_id = $1 AND conversation_id = $2 FOR UPDATE`,
			f.AnswerID, conversationID).Scan(&turn, &turnTime)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE feedback SET rating = $1, time = $2, comment = CASE WHEN $3 <> '' THEN $3
				ELSE (SELECT comment FROM feedback WHERE answer_id = $4 ORDER BY comment <> '' DESC, id DESC LIMIT 1) END
			WHERE id = (SELECT MAX(id) FROM feedback WHERE answer_id = $4)`, f.Rating, f.Time.UnixNano(), pgText(f.Comment), f.AnswerID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			_, err := tx.Exec(ctx, `DELETE FROM feedback WHERE answer_id = $1 AND id < (SELECT MAX(id) FROM feedback WHERE answer_id = $1)`, f.AnswerID)
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO feedback(answer_id, rating, comment, time, turn_time, turn) VALUES ($1, $2, $3, $4, $5, $6)`,
			f.AnswerID, f.Rating, pgText(f.Comment), f.Time.UnixNano(), turnTime, turn)
		return err
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("record feedback: %w", err)
	}
	return err
}

const pgLatestReview = `(SELECT status FROM reviews rv WHERE rv.answer_id = t.answer_id ORDER BY rv.time DESC, rv.id DESC LIMIT 1)`

// where is Filter.where in PostgreSQL's terms.
//
// A listing read from the feedback rows (see byFeedback) gets the
// conditions on the feedback row fb apart, in fbWhere (conditions joined
// by AND, or ""): its time and cursor conditions are on fb's copy of the
// turn's time, which its index holds.
func (s *PGStore) where(f Filter, a *pgArgs, windowStart int64) (where, fbWhere string, err error) {
	var conds, fbConds []string
	turnTime, turnID := "t.time", "t.id"
	if byFeedback(f) {
		turnTime, turnID = "fb.turn_time", "fb.turn"
	}
	timed := func(c string) {
		if byFeedback(f) {
			fbConds = append(fbConds, c)
		} else {
			conds = append(conds, c)
		}
	}
	if !f.From.IsZero() {
		timed(turnTime + " >= " + a.add(f.From.UnixNano()))
	}
	if !f.To.IsZero() {
		timed(turnTime + " < " + a.add(f.To.UnixNano()))
	}
	if f.Kind != "" {
		conds = append(conds, "t.kind = "+a.add(f.Kind))
	}
	if f.Emergency {
		conds = append(conds, "t.kind = "+a.add(string(chat.KindEmergency)))
	}
	// A listing read from the turns asks for the feedback row.
	onFeedback := func(c string) {
		if byFeedback(f) {
			fbConds = append(fbConds, c)
		} else {
			conds = append(conds, "EXISTS (SELECT 1 FROM feedback fb WHERE fb.answer_id = t.answer_id AND "+c+")")
		}
	}
	switch f.Feedback {
	case "":
	case "any":
		if !byFeedback(f) {
			onFeedback("TRUE")
		}
	case "up", "down":
		onFeedback("fb.rating = " + a.add(f.Feedback))
	case "comment":
		onFeedback("fb.comment <> ''")
	case "none":
		conds = append(conds, "NOT EXISTS (SELECT 1 FROM feedback fb WHERE fb.answer_id = t.answer_id)")
	default:
		return "", "", fmt.Errorf("feedback filter %q: want up, down, comment, any or none", f.Feedback)
	}
	switch f.Review {
	case "":
	case "none":
		conds = append(conds, "NOT EXISTS (SELECT 1 FROM reviews rv WHERE rv.answer_id = t.answer_id)")
	case StatusApproved, StatusNeedsCorrection, StatusWrong:
		// The turns ever given that status first (few: the planner starts
		// from them), then the newest review's status of each.
		p := a.add(f.Review)
		conds = append(conds, "t.id IN (SELECT rv.turn FROM reviews rv WHERE rv.status = "+p+")", pgLatestReview+" = "+p)
	default:
		return "", "", fmt.Errorf("review filter %q: want none, %s", f.Review, strings.Join(ReviewStatuses, ", "))
	}
	if search := strings.TrimSpace(f.Search); search != "" {
		conds = append(conds, searchCond(search, a))
		if s.windowed(search) {
			// A number, not a subquery: the planner then knows the
			// range is small and reads it without parallel workers,
			// whose start costs more than the read.
			conds = append(conds, "t.id > "+a.add(windowStart))
		}
	}
	if f.MaxConfidence > 0 {
		conds = append(conds, "t.confidence < "+a.add(f.MaxConfidence)+" AND t.kind IN ("+a.add(string(chat.KindAnswer))+", "+
			a.add(string(chat.KindNoAnswer))+", "+a.add(string(chat.KindReferral))+")")
	}
	if f.ConversationID != "" {
		conds = append(conds, "t.conversation_id = "+a.add(f.ConversationID))
	}
	if !f.Before.IsZero() {
		timed("(" + turnTime + ", " + turnID + ") < (" + a.add(f.Before.time) + ", " + a.add(f.Before.row) + ")")
	}
	fbWhere = strings.Join(fbConds, " AND ")
	if len(conds) == 0 {
		return "", fbWhere, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), fbWhere, nil
}

// byFeedback says whether a listing is read from the feedback rows,
// newest turn first, and their turns joined: feedback is on few replies,
// and walking every turn for the few with feedback reads the whole log
// (a reply keeps one feedback row, so each appears once).
func byFeedback(f Filter) bool {
	switch f.Feedback {
	case "up", "down", "comment", "any":
		return true
	}
	return false
}

// searchCond is a text search's condition: ILIKE with the pattern's
// wildcards escaped, a substring. The trigram indexes serve it from three
// characters on through a looser condition the ILIKE implies: the same
// match on the lower-cased text with its spaces and hyphens made digits,
// so that its trigrams span words as the search's do (pg_trgm reads only
// letters and digits).
func searchCond(search string, a *pgArgs) string {
	p := a.add("%" + likeEscaper.Replace(pgText(strings.TrimSpace(search))) + "%")
	grams := func(col string) string { return "translate(lower(" + col + "), ' -', '01')" }
	return "((t.question ILIKE " + p + " OR t.text ILIKE " + p + ") AND (" +
		grams("t.question") + " LIKE " + grams(p) + " OR " + grams("t.text") + " LIKE " + grams(p) + "))"
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// windowed reports whether a search is too short for the trigram indexes
// and so reads only the newest replies, as Store.windowed does.
func (s *PGStore) windowed(search string) bool {
	n := len([]rune(strings.TrimSpace(search)))
	return n > 0 && n < minIndexedSearch && s.shortSearch > 0
}

// ListReplies returns the replies f selects, newest first (keyset paging
// on time and id), as Store.ListReplies does.
func (s *PGStore) ListReplies(ctx context.Context, f Filter) (_ []ReplyRow, err error) {
	ctx, done, err := s.consoleRead(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { err = done(err) }()
	var windowStart int64
	if s.windowed(f.Search) {
		if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM turns`).Scan(&windowStart); err != nil {
			return nil, fmt.Errorf("list replies: %w", err)
		}
		windowStart -= int64(s.shortSearch)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	if strings.TrimSpace(f.Search) != "" && !s.windowed(f.Search) && !byFeedback(f) {
		// A search that matches many replies fills its page from the
		// newest few thousand; the trigram index would read every match.
		// One that does not fill it is asked of the index, which is fast
		// for the few matches it then has.
		rows, err := s.listReplies(ctx, f, windowStart, limit, newestFirstScan*maxSearchCandidates)
		if err != nil || len(rows) == limit {
			return rows, err
		}
	}
	return s.listReplies(ctx, f, windowStart, limit, 0)
}

// newestFirstScan times maxSearchCandidates is how many of the newest
// replies (that pass the other filters) a text search reads first: with
// 20,000, a term on one reply in 400 fills a 50-row page from them, and a
// rarer one has few matches for the index to read.
const newestFirstScan = 4

// listReplies is ListReplies' query: with scan > 0, the search is tried on
// the newest scan replies that pass the other filters only.
func (s *PGStore) listReplies(ctx context.Context, f Filter, windowStart int64, limit, scan int) ([]ReplyRow, error) {
	var a pgArgs
	search := f
	if scan > 0 {
		search.Search = ""
	}
	where, fbWhere, err := s.where(search, &a, windowStart)
	if err != nil {
		return nil, err
	}
	from, order, offset := "turns t", "t.time DESC, t.id DESC", max(f.Offset, 0)
	if byFeedback(f) {
		// The page's turns chosen from the feedback rows, newest first,
		// their other filters checked on the turn (its kind and confidence
		// in an index of their own), then read whole.
		turnConds := "TRUE"
		if where != "" {
			turnConds = strings.TrimPrefix(where, " WHERE ")
		}
		if fbWhere != "" {
			fbWhere += " AND "
		}
		from = "(SELECT fb.turn FROM feedback fb WHERE " + fbWhere + "EXISTS (SELECT 1 FROM turns t WHERE t.id = fb.turn AND " + turnConds +
			") ORDER BY fb.turn_time DESC, fb.turn DESC LIMIT " + a.add(limit) + " OFFSET " + a.add(offset) + ") pick JOIN turns t ON t.id = pick.turn"
		where, offset = "", 0
	}
	if scan > 0 {
		from = "(SELECT * FROM turns t" + where + " ORDER BY t.time DESC, t.id DESC LIMIT " + a.add(scan) + ") t"
		where = " WHERE " + searchCond(f.Search, &a)
	}
	q := `SELECT t.id, t.answer_id, t.conversation_id, t.time, t.question, t.kind, t.text, t.mode, t.reason, t.confidence,
		t.corpus_version, t.latency_ns, jsonb_array_length(t.citations),
		(SELECT COUNT(*) FROM feedback fb WHERE fb.answer_id = t.answer_id AND fb.rating = 'up'),
		(SELECT COUNT(*) FROM feedback fb WHERE fb.answer_id = t.answer_id AND fb.rating = 'down'),
		(SELECT COUNT(*) FROM feedback fb WHERE fb.answer_id = t.answer_id AND fb.comment <> ''),
		COALESCE(` + pgLatestReview + `, '')
		FROM ` + from + where + ` ORDER BY ` + order + ` LIMIT ` + a.add(limit) + ` OFFSET ` + a.add(offset)
	rows, err := s.pool.Query(ctx, q, a...)
	if err != nil {
		return nil, fmt.Errorf("list replies: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ReplyRow, error) {
		var r ReplyRow
		var lat int64
		err := row.Scan(&r.cursor.row, &r.AnswerID, &r.ConversationID, &r.cursor.time, &r.Question, &r.Kind, &r.Text, &r.Mode, &r.Reason,
			&r.Confidence, &r.CorpusVersion, &lat, &r.Citations, &r.FeedbackUp, &r.FeedbackDown, &r.Comments, &r.ReviewStatus)
		r.Time = time.Unix(0, r.cursor.time)
		r.LatencyMS = float64(lat) / 1e6
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("list replies: %w", err)
	}
	return out, nil
}

// ShortSearchWindow returns the window a short search reads, as
// Store.ShortSearchWindow does.
func (s *PGStore) ShortSearchWindow(ctx context.Context, search string) (_ SearchWindow, _ bool, err error) {
	if !s.windowed(search) {
		return SearchWindow{}, false, nil
	}
	ctx, done, err := s.consoleRead(ctx)
	if err != nil {
		return SearchWindow{}, false, err
	}
	defer func() { err = done(err) }()
	var since int64
	err = s.pool.QueryRow(ctx, `SELECT COALESCE((SELECT time FROM turns WHERE id > (SELECT MAX(id) FROM turns) - $1
		ORDER BY id LIMIT 1), 0)`, s.shortSearch).Scan(&since)
	if err != nil {
		return SearchWindow{}, false, fmt.Errorf("search window: %w", err)
	}
	w := SearchWindow{Replies: s.shortSearch}
	if since != 0 {
		w.Since = time.Unix(0, since).UTC()
	}
	return w, true, nil
}

// Conversation returns every turn of a conversation with its retrieved
// passages, feedback and reviews, as Store.Conversation does.
func (s *PGStore) Conversation(ctx context.Context, conversationID string) ([]TurnDetail, error) {
	p, err := s.ConversationPage(ctx, conversationID, TurnQuery{})
	return p.Turns, err
}

// ConversationPage returns the page q picks of a conversation's turns, as
// Store.ConversationPage does: in the index of the conversation's turns by
// time, so a page costs its own turns (and an Answer far back the count
// of the newer turns' index entries).
func (s *PGStore) ConversationPage(ctx context.Context, conversationID string, q TurnQuery) (_ TurnPage, err error) {
	ctx, done, err := s.consoleRead(ctx)
	if err != nil {
		return TurnPage{}, err
	}
	defer func() { err = done(err) }()
	recs, older, newer, err := s.historyPage(ctx, conversationID, q, true)
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrNoSuchTurn) {
		return TurnPage{}, err
	}
	if err != nil {
		return TurnPage{}, fmt.Errorf("conversation: %w", err)
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.AnswerID
	}
	fbs, err := s.feedbackOf(ctx, ids, false)
	if err != nil {
		return TurnPage{}, fmt.Errorf("conversation: %w", err)
	}
	rvs, err := s.reviewsOf(ctx, ids)
	if err != nil {
		return TurnPage{}, fmt.Errorf("conversation: %w", err)
	}
	out := make([]TurnDetail, len(recs))
	at := map[string]*TurnDetail{}
	for i, r := range recs {
		out[i].Record = r
		at[r.AnswerID] = &out[i]
	}
	for _, f := range fbs {
		at[f.AnswerID].Feedback = append(at[f.AnswerID].Feedback, f)
	}
	for _, rv := range rvs {
		at[rv.AnswerID].Reviews = append(at[rv.AnswerID].Reviews, rv)
	}
	return TurnPage{Turns: out, Older: older, Newer: newer}, nil
}

// Reviews returns the reviews of a reply, oldest first.
func (s *PGStore) Reviews(ctx context.Context, answerID string) ([]Review, error) {
	out, err := s.reviewsOf(ctx, []string{answerID})
	if err != nil {
		return nil, fmt.Errorf("reviews: %w", err)
	}
	return out, nil
}

func (s *PGStore) reviewsOf(ctx context.Context, ids []string) ([]Review, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, answer_id, reviewer, status, note, corrected, time
		FROM reviews WHERE answer_id = ANY($1) ORDER BY time, id`, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Review, error) {
		var rv Review
		var t int64
		err := row.Scan(&rv.ID, &rv.AnswerID, &rv.Reviewer, &rv.Status, &rv.Note, &rv.Corrected, &t)
		rv.Time = time.Unix(0, t)
		return rv, err
	})
}

// Stats computes the dashboard figures as Store.Stats does: whole days
// from the roll-up, the part-days at either end from the turns.
func (s *PGStore) Stats(ctx context.Context, from, to time.Time) (_ Stats, err error) {
	ctx, done, err := s.consoleRead(ctx)
	if err != nil {
		return Stats{}, err
	}
	defer func() { err = done(err) }()
	span := Filter{From: from, To: to}.span()
	lo, hi := span[0].(int64), span[1].(int64)
	var st Stats
	whole, parts := splitDays(lo, hi)
	const byTurns = `SELECT t.time / $3, t.kind, COUNT(*) FROM turns t WHERE t.time >= $1 AND t.time < $2 GROUP BY 1, 2 ORDER BY 1`
	for _, q := range []struct {
		sql    string
		lo, hi int64
	}{
		{byTurns, parts[0][0], parts[0][1]},
		{`SELECT day, kind, SUM(n) FROM turn_days WHERE day >= $1 AND day < $2 AND $3::bigint > 0 GROUP BY 1, 2 HAVING SUM(n) > 0 ORDER BY 1`, whole[0], whole[1]},
		{byTurns, parts[1][0], parts[1][1]},
	} {
		if q.lo >= q.hi {
			continue
		}
		if err := s.addDays(ctx, &st, q.sql, q.lo, q.hi); err != nil {
			return st, fmt.Errorf("stats: %w", err)
		}
	}
	var reviewed int
	err = s.pool.QueryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM feedback WHERE rating = 'up' AND turn_time >= $1 AND turn_time < $2),
		(SELECT COUNT(*) FROM feedback WHERE rating = 'down' AND turn_time >= $1 AND turn_time < $2),
		(SELECT COUNT(DISTINCT answer_id) FROM reviews WHERE turn_time >= $1 AND turn_time < $2),
		(SELECT COUNT(DISTINCT fb.turn) FROM feedback fb WHERE fb.rating = 'down' AND fb.turn_time >= $1 AND fb.turn_time < $2
			AND NOT EXISTS (SELECT 1 FROM reviews rv WHERE rv.turn = fb.turn)),
		(SELECT COUNT(*) FROM (SELECT DISTINCT answer_id FROM reviews WHERE turn_time >= $1 AND turn_time < $2) t
			WHERE `+pgLatestReview+` IN ('needs_correction', 'wrong'))`,
		lo, hi).Scan(&st.FeedbackUp, &st.FeedbackDown, &reviewed, &st.DownNoReview, &st.NeedsFollowUp)
	st.Unreviewed = st.Replies - reviewed
	if err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	return st, nil
}

func (s *PGStore) addDays(ctx context.Context, st *Stats, q string, lo, hi int64) error {
	rows, err := s.pool.Query(ctx, q, lo, hi, nsPerDay)
	if err != nil {
		return err
	}
	defer rows.Close()
	return addDayCounts(st, rows)
}

// ExportDetails adds to rows their newest review, their feedback comments
// and their citations, as Store.ExportDetails does.
func (s *PGStore) ExportDetails(ctx context.Context, rows []ReplyRow) (_ []ExportRow, err error) {
	ctx, done, err := s.consoleRead(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { err = done(err) }()
	return exportInBatches(ctx, rows, s.exportBatch)
}

func (s *PGStore) exportBatch(ctx context.Context, rows []ExportRow) error {
	at := make(map[string]*ExportRow, len(rows))
	ids := make([]string, len(rows))
	for i := range rows {
		at[rows[i].AnswerID] = &rows[i]
		ids[i] = rows[i].AnswerID
	}
	rvs, err := s.reviewsOf(ctx, ids)
	if err != nil {
		return err
	}
	for _, rv := range rvs { // oldest first: the newest is kept
		r, when := at[rv.AnswerID], rv.Time.UTC()
		r.Reviewer, r.ReviewNote, r.ReviewCorrected, r.ReviewTime = rv.Reviewer, rv.Note, rv.Corrected, &when
	}
	fbs, err := s.feedbackOf(ctx, ids, true)
	if err != nil {
		return err
	}
	for _, f := range fbs {
		at[f.AnswerID].CommentTexts = append(at[f.AnswerID].CommentTexts, f.Comment)
	}
	cites, err := s.pool.Query(ctx, `SELECT answer_id, citations FROM turns WHERE answer_id = ANY($1)`, ids)
	if err != nil {
		return err
	}
	defer cites.Close()
	for cites.Next() {
		var id string
		var c []chat.Citation
		if err := cites.Scan(&id, &c); err != nil {
			return err
		}
		at[id].Cited = c
	}
	return cites.Err()
}

// SimilarQuestions returns logged questions whose retrieval found one of
// the passages chunkIDs names, as Store.SimilarQuestions does.
func (s *PGStore) SimilarQuestions(ctx context.Context, chunkIDs []string, scan, limit int) (_ []string, err error) {
	if len(chunkIDs) == 0 || scan <= 0 || limit <= 0 {
		return nil, nil
	}
	ctx, done, err := s.consoleRead(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { err = done(err) }()
	rows, err := s.pool.Query(ctx, `WITH recent AS (SELECT id, question, retrieved FROM turns ORDER BY id DESC LIMIT $2)
		SELECT r.question FROM recent r
		WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(r.retrieved) p WHERE p->>'chunk_id' = ANY($1))
		GROUP BY r.question ORDER BY MAX(r.id) DESC LIMIT $3`, chunkIDs, scan, limit)
	if err != nil {
		return nil, fmt.Errorf("similar questions: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("similar questions: %w", err)
	}
	return out, nil
}

// MissingAnswers returns those of ids that are not in the log.
func (s *PGStore) MissingAnswers(ctx context.Context, ids []string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM unnest($1::text[]) WITH ORDINALITY AS w(id, n)
		WHERE NOT EXISTS (SELECT 1 FROM turns WHERE answer_id = w.id) ORDER BY n`, ids)
	if err != nil {
		return nil, fmt.Errorf("transcript: check answers: %w", err)
	}
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("transcript: check answers: %w", err)
	}
	return missing, nil
}
