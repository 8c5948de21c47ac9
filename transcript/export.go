package transcript

import (
	"context"
	"fmt"
	"time"

	"github.com/cellchat/cellchat/chat"
)

// ExportRow is a reply as the console's exports write it: its row in the
// list, the review work done on it and what it cited, in full.
type ExportRow struct {
	ReplyRow
	Reviewer        string          `json:"reviewer,omitempty"` // the newest review's, as are the note, correction and time
	ReviewNote      string          `json:"review_note,omitempty"`
	ReviewCorrected string          `json:"review_corrected,omitempty"`
	ReviewTime      *time.Time      `json:"review_time,omitempty"`
	CommentTexts    []string        `json:"feedback_comment_texts,omitempty"` // patients' comments, oldest first
	Cited           []chat.Citation `json:"cited,omitempty"`                  // documents and passages, as the reply cited them
}

// exportBatch is how many replies one detail query reads: well under
// SQLite's limit on parameters, and few queries for a large export.
const exportBatch = 500

// ExportDetails adds to rows their newest review, their feedback comments
// and their citations, reading them a batch of replies at a time.
func (s *Store) ExportDetails(ctx context.Context, rows []ReplyRow) (_ []ExportRow, err error) {
	ctx, done := s.consoleRead(ctx)
	defer func() { err = done(err) }()
	return exportInBatches(ctx, rows, s.exportBatch)
}

// exportInBatches is rows as export rows, their details filled in by
// fill, a batch at a time.
func exportInBatches(ctx context.Context, rows []ReplyRow, fill func(context.Context, []ExportRow) error) ([]ExportRow, error) {
	out := make([]ExportRow, len(rows))
	for i, r := range rows {
		out[i].ReplyRow = r
	}
	for lo := 0; lo < len(out); lo += exportBatch {
		if err := fill(ctx, out[lo:min(lo+exportBatch, len(out))]); err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
	}
	return out, nil
}

// exportBatch fills in the details of rows.
func (s *Store) exportBatch(ctx context.Context, rows []ExportRow) error {
	at := make(map[string]*ExportRow, len(rows))
	ids, turns := make([]any, len(rows)), make([]any, len(rows))
	for i := range rows {
		at[rows[i].AnswerID] = &rows[i]
		ids[i], turns[i] = rows[i].AnswerID, rows[i].cursor.row
	}
	in := "(" + placeholders(len(ids)) + ")"
	if err := s.exportReviews(ctx, in, ids, at); err != nil {
		return err
	}
	if err := s.exportComments(ctx, in, ids, at); err != nil {
		return err
	}
	return s.exportCitations(ctx, in, turns, at)
}

// exportReviews sets each row's newest review: read oldest first, the last
// one read is kept.
func (s *Store) exportReviews(ctx context.Context, in string, ids []any, at map[string]*ExportRow) error {
	rows, err := s.rdb.QueryContext(ctx, `SELECT answer_id, reviewer, note, corrected, time FROM reviews
		WHERE answer_id IN `+in+` ORDER BY time, id`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, reviewer, note, corrected string
		var t int64
		if err := rows.Scan(&id, &reviewer, &note, &corrected, &t); err != nil {
			return err
		}
		when := time.Unix(0, t).UTC()
		r := at[id]
		r.Reviewer, r.ReviewNote, r.ReviewCorrected, r.ReviewTime = reviewer, note, corrected, &when
	}
	return rows.Err()
}

func (s *Store) exportComments(ctx context.Context, in string, ids []any, at map[string]*ExportRow) error {
	rows, err := s.rdb.QueryContext(ctx, `SELECT answer_id, comment FROM feedback
		WHERE answer_id IN `+in+` AND comment <> '' ORDER BY time, id`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, comment string
		if err := rows.Scan(&id, &comment); err != nil {
			return err
		}
		at[id].CommentTexts = append(at[id].CommentTexts, comment)
	}
	return rows.Err()
}

// exportCitations sets each row's citations, reading the turns by rowid
// (the list's own key for them: no lookup in the answer id index).
func (s *Store) exportCitations(ctx context.Context, in string, turns []any, at map[string]*ExportRow) error {
	rows, err := s.rdb.QueryContext(ctx, `SELECT answer_id, citation_refs FROM turns WHERE rowid IN `+in, turns...)
	if err != nil {
		return err
	}
	var recs []Record
	var cited []string
	for rows.Next() {
		var r Record
		var refs string
		if err := rows.Scan(&r.AnswerID, &refs); err != nil {
			rows.Close()
			return err
		}
		recs, cited = append(recs, r), append(cited, refs)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := resolveCitations(ctx, s.rdb, recs, cited); err != nil {
		return err
	}
	for _, r := range recs {
		at[r.AnswerID].Cited = r.Reply.Citations
	}
	return nil
}
