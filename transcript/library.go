package transcript

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/library"
)

// The transcript log keeps the answer library (migration 9): Store is a
// library.Store. Every change writes an audit row in the same transaction.

var _ library.Store = (*Store)(nil)

// Audit actions of the library.
const (
	AuditLibraryCreate  = "library_create"
	AuditLibraryEdit    = "library_edit"
	AuditLibraryPublish = "library_publish"
	AuditLibraryRetire  = "library_retire"
	AuditLibraryDraft   = "library_draft"
	AuditLibraryImport  = "library_import"
)

const libraryColumns = `v.entry_id, v.version, v.status, v.question, v.variants, v.answer, v.citations, v.own,
	v.author, v.approver, v.created, v.updated, v.approved, v.corpus_version`

// SaveEntry implements library.Store. A saved version is a draft: it is
// served only once published. The caller checks the entry
// (library.Problems) against the limits and corpus it serves with.
func (s *Store) SaveEntry(ctx context.Context, e library.Entry, actor string) (library.Entry, error) {
	var out library.Entry
	err := s.libraryTx(ctx, func(tx *sql.Tx) error {
		now := time.Now()
		e.Status, e.Approver, e.Approved, e.Updated = library.StatusDraft, "", time.Time{}, now
		action := AuditLibraryEdit
		if e.ID == 0 {
			action, e.Created, e.Author, e.Version = AuditLibraryCreate, now, actor, 0
			res, err := tx.ExecContext(ctx, `INSERT INTO library_entries(version) VALUES (0)`)
			if err != nil {
				return err
			}
			if e.ID, err = res.LastInsertId(); err != nil {
				return err
			}
		} else {
			cur, err := currentEntry(ctx, tx, e.ID)
			if err != nil {
				return err
			}
			if cur.Version != e.Version {
				return conflict(cur)
			}
			e.Created, e.Author = cur.Created, actor
		}
		out = e
		return saveVersion(ctx, tx, &out, actor, action)
	})
	return out, err
}

// SetStatus implements library.Store.
func (s *Store) SetStatus(ctx context.Context, id int64, version int, status, actor, corpusVersion string) (library.Entry, error) {
	action, err := statusAction(status)
	if err != nil {
		return library.Entry{}, err
	}
	var out library.Entry
	err = s.libraryTx(ctx, func(tx *sql.Tx) error {
		e, err := currentEntry(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.Version != version {
			return conflict(e)
		}
		now := time.Now()
		e.Status, e.Updated = status, now
		if status == library.StatusPublished {
			e.Approver, e.Approved, e.CorpusVersion = actor, now, corpusVersion
		}
		out = e
		return saveVersion(ctx, tx, &out, actor, action)
	})
	return out, err
}

// statusAction is the audit action of setting an entry's status.
func statusAction(status string) (string, error) {
	action := map[string]string{library.StatusPublished: AuditLibraryPublish, library.StatusRetired: AuditLibraryRetire,
		library.StatusDraft: AuditLibraryDraft}[status]
	if action == "" {
		return "", &library.Error{Code: library.CodeInvalid, Message: fmt.Sprintf("status %q: want published, retired or draft", status)}
	}
	return action, nil
}

// Import implements library.Store: every entry is saved, as it is (status,
// author and approver included), in one transaction.
func (s *Store) Import(ctx context.Context, entries []library.Entry, actor string) ([]library.Entry, error) {
	out := make([]library.Entry, 0, len(entries))
	err := s.libraryTx(ctx, func(tx *sql.Tx) error {
		now := time.Now()
		for _, e := range entries {
			cur, err := currentEntry(ctx, tx, e.ID)
			switch {
			case err == nil:
				e.Version, e.Created = cur.Version+1, cur.Created
			case library.CodeOf(err) == library.CodeNotFound:
				var res sql.Result
				if e.ID > 0 {
					res, err = tx.ExecContext(ctx, `INSERT INTO library_entries(id, version) VALUES (?, 0)`, e.ID)
				} else {
					res, err = tx.ExecContext(ctx, `INSERT INTO library_entries(version) VALUES (0)`)
				}
				if err != nil {
					return err
				}
				if e.ID, err = res.LastInsertId(); err != nil {
					return err
				}
				e.Version = 1
				if e.Created.IsZero() {
					e.Created = now
				}
			default:
				return err
			}
			e.Updated = now
			if e.Status == "" {
				e.Status = library.StatusDraft
			}
			if err := insertVersion(ctx, tx, e, actor); err != nil {
				return err
			}
			out = append(out, e)
		}
		return auditTx(ctx, tx, actor, AuditLibraryImport, fmt.Sprintf("%d entries", len(entries)))
	})
	return out, err
}

// Entry implements library.Store.
func (s *Store) Entry(ctx context.Context, id int64) (library.Entry, error) {
	return currentEntry(ctx, s.rdb, id)
}

// Entries implements library.Store.
func (s *Store) Entries(ctx context.Context) ([]library.Entry, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+libraryColumns+` FROM library_entries e
		JOIN library_versions v ON v.entry_id = e.id AND v.version = e.version ORDER BY e.id`)
	if err != nil {
		return nil, fmt.Errorf("library entries: %w", err)
	}
	return scanEntries(rows)
}

// Versions implements library.Store.
func (s *Store) Versions(ctx context.Context, id int64) ([]library.Entry, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+libraryColumns+` FROM library_versions v
		WHERE v.entry_id = ? ORDER BY v.version`, id)
	if err != nil {
		return nil, fmt.Errorf("library versions: %w", err)
	}
	return scanEntries(rows)
}

// EntryUse is how often an entry answered, and the patients' ratings of
// those answers.
type EntryUse struct {
	Served, Up, Down int
}

// LibraryUse counts the replies each entry served and their feedback.
func (s *Store) LibraryUse(ctx context.Context) (map[int64]EntryUse, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT t.library_entry, COUNT(DISTINCT t.rowid),
		COUNT(f.id) FILTER (WHERE f.rating = 'up'), COUNT(f.id) FILTER (WHERE f.rating = 'down')
		FROM turns t LEFT JOIN feedback f ON f.answer_id = t.answer_id
		WHERE t.library_entry IS NOT NULL GROUP BY t.library_entry`)
	if err != nil {
		return nil, fmt.Errorf("library use: %w", err)
	}
	defer rows.Close()
	out := map[int64]EntryUse{}
	for rows.Next() {
		var id int64
		var u EntryUse
		if err := rows.Scan(&id, &u.Served, &u.Up, &u.Down); err != nil {
			return nil, fmt.Errorf("library use: %w", err)
		}
		out[id] = u
	}
	return out, rows.Err()
}

// libraryTx runs f in a write transaction; a library.Error from f is
// returned as is, other errors are wrapped.
func (s *Store) libraryTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("library: %w", err)
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		var le *library.Error
		if errors.As(err, &le) {
			return err
		}
		return fmt.Errorf("library: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("library: commit: %w", err)
	}
	return nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func currentEntry(ctx context.Context, db querier, id int64) (library.Entry, error) {
	rows, err := db.QueryContext(ctx, `SELECT `+libraryColumns+` FROM library_entries e
		JOIN library_versions v ON v.entry_id = e.id AND v.version = e.version WHERE e.id = ?`, id)
	if err != nil {
		return library.Entry{}, err
	}
	list, err := scanEntries(rows)
	if err != nil {
		return library.Entry{}, err
	}
	if len(list) == 0 {
		return library.Entry{}, &library.Error{Code: library.CodeNotFound, Message: fmt.Sprintf("no library entry %d", id)}
	}
	return list[0], nil
}

func conflict(cur library.Entry) error {
	return &library.Error{Code: library.CodeConflict, Current: &cur,
		Message: fmt.Sprintf("entry %d was saved by %s as version %d meanwhile; your change was not saved (compare with that version and save again)",
			cur.ID, cur.Author, cur.Version)}
}

// saveVersion stores e as the next version of its entry, with its audit row.
func saveVersion(ctx context.Context, tx *sql.Tx, e *library.Entry, actor, action string) error {
	e.Version++
	if err := insertVersion(ctx, tx, *e, actor); err != nil {
		return err
	}
	return auditTx(ctx, tx, actor, action, entryRef(*e))
}

func insertVersion(ctx context.Context, tx *sql.Tx, e library.Entry, actor string) error {
	variants, err := json.Marshal(append([]string{}, e.Variants...))
	if err != nil {
		return err
	}
	cites, err := json.Marshal(append([]chat.Citation{}, e.Citations...))
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO library_versions(entry_id, version, status, question, variants, answer,
		citations, own, author, approver, created, updated, approved, corpus_version, saved_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.Version, e.Status, e.Question, string(variants), e.Answer, string(cites), e.Own, e.Author, e.Approver,
		e.Created.UnixNano(), e.Updated.UnixNano(), unixOrZero(e.Approved), e.CorpusVersion, actor); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE library_entries SET version = ? WHERE id = ?`, e.Version, e.ID)
	return err
}

func scanEntries(rows *sql.Rows) ([]library.Entry, error) {
	defer rows.Close()
	var out []library.Entry
	for rows.Next() {
		var e library.Entry
		var variants, cites string
		var created, updated, approved int64
		if err := rows.Scan(&e.ID, &e.Version, &e.Status, &e.Question, &variants, &e.Answer, &cites, &e.Own,
			&e.Author, &e.Approver, &created, &updated, &approved, &e.CorpusVersion); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(variants), &e.Variants); err != nil {
			return nil, fmt.Errorf("entry %d variants: %w", e.ID, err)
		}
		if err := json.Unmarshal([]byte(cites), &e.Citations); err != nil {
			return nil, fmt.Errorf("entry %d citations: %w", e.ID, err)
		}
		e.Created, e.Updated = time.Unix(0, created), time.Unix(0, updated)
		if approved != 0 {
			e.Approved = time.Unix(0, approved)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func auditTx(ctx context.Context, tx *sql.Tx, actor, action, detail string) error {
	now := time.Now().UnixNano()
	_, err := tx.ExecContext(ctx, `INSERT INTO audit(time, actor, action, detail, last) VALUES (?, ?, ?, ?, ?)`,
		now, actor, action, detail, now)
	return err
}

func entryRef(e library.Entry) string {
	return "entry " + strconv.FormatInt(e.ID, 10) + " v" + strconv.Itoa(e.Version) + ": " + e.Question
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// libraryEntry and libraryDate are the turn columns of a reply's Reviewed.
func libraryEntry(rv *chat.Reviewed) any {
	if rv == nil {
		return nil
	}
	return rv.Entry
}

func libraryDate(rv *chat.Reviewed) string {
	if rv == nil {
		return ""
	}
	return rv.Date
}

// reviewedOf is a logged turn's Reviewed, nil when the library did not answer.
func reviewedOf(entry sql.NullInt64, date string) *chat.Reviewed {
	if !entry.Valid {
		return nil
	}
	return &chat.Reviewed{By: library.ReviewedBy, Date: date, Entry: entry.Int64}
}

// SimilarQuestions returns logged questions whose retrieval found one of
// the passages chunkIDs names: other wordings of what an entry answers,
// for its variants. Only the newest scan turns are looked at, so the
// console's editor stays quick on a large log; at most limit questions,
// each once, newest first.
func (s *Store) SimilarQuestions(ctx context.Context, chunkIDs []string, scan, limit int) (_ []string, err error) {
	if len(chunkIDs) == 0 || scan <= 0 || limit <= 0 {
		return nil, nil
	}
	ctx, done := s.consoleRead(ctx)
	defer func() { err = done(err) }()
	ids, err := json.Marshal(chunkIDs)
	if err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, `WITH wanted AS (SELECT id FROM passages WHERE chunk_id IN (SELECT value FROM json_each(?))),
		recent AS (SELECT rowid, question, retrieved_refs FROM turns ORDER BY rowid DESC LIMIT ?)
		SELECT r.question, MAX(r.rowid) AS newest FROM recent r, json_each(r.retrieved_refs) j
		WHERE json_extract(j.value, '$[5]') IN (SELECT id FROM wanted)
		GROUP BY r.question ORDER BY newest DESC LIMIT ?`, string(ids), scan, limit)
	if err != nil {
		return nil, fmt.Errorf("similar questions: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var q string
		var newest int64
		if err := rows.Scan(&q, &newest); err != nil {
			return nil, fmt.Errorf("similar questions: %w", err)
		}
		out = append(out, q)
	}
	return out, rows.Err()
}
