package transcript

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/library"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/crypto/bcrypt"
)

// AddStaff creates a staff account, as Store.AddStaff does.
func (s *PGStore) AddStaff(ctx context.Context, email, password string) error {
	email, hash, err := newStaff(email, password)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO staff(email, password_hash, created) VALUES ($1, $2, $3)
		ON CONFLICT (email) DO NOTHING`, email, hash, time.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("add staff %s: %w", email, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("staff %s: %w", email, ErrExists)
	}
	return nil
}

// AddStaffRole creates a staff account with a role.
func (s *PGStore) AddStaffRole(ctx context.Context, email, password, role string) error {
	return addStaffRole(ctx, s, email, password, role)
}

// SetRole changes a staff account's role; ErrNotFound if there is none.
func (s *PGStore) SetRole(ctx context.Context, email, role string) error {
	if err := CheckRole(role); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE staff SET role = $1 WHERE email = $2`, role, strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return fmt.Errorf("set role of %s: %w", email, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("staff %s: %w", email, ErrNotFound)
	}
	return nil
}

// RemoveStaff deletes a staff account and its sessions; ErrNotFound if none.
func (s *PGStore) RemoveStaff(ctx context.Context, email string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM staff WHERE email = $1`, strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return fmt.Errorf("remove staff %s: %w", email, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("staff %s: %w", email, ErrNotFound)
	}
	return nil
}

// ListStaff returns the staff accounts by e-mail.
func (s *PGStore) ListStaff(ctx context.Context) ([]Staff, error) {
	rows, err := s.pool.Query(ctx, `SELECT email, created, role FROM staff ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Staff, error) {
		var st Staff
		var created int64
		err := row.Scan(&st.Email, &created, &st.Role)
		st.Created = time.Unix(0, created)
		return st, err
	})
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	return out, nil
}

// Authenticate checks a staff member's password; ErrBadCredentials if wrong.
func (s *PGStore) Authenticate(ctx context.Context, email, password string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	var hash string
	err := s.pool.QueryRow(ctx, `SELECT password_hash FROM staff WHERE email = $1`, email).Scan(&hash)
	if errors.Is(err, pgx.ErrNoRows) {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return ErrBadCredentials
	}
	if err != nil {
		return fmt.Errorf("authenticate: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return ErrBadCredentials
	}
	if better, ok := upgradedHash(hash, password); ok {
		if _, err := s.pool.Exec(ctx, `UPDATE staff SET password_hash = $1 WHERE email = $2 AND password_hash = $3`,
			better, email, hash); err != nil {
			slog.Default().Warn("staff password hash not upgraded; it will be at the next sign-in", "err", err)
		}
	}
	return nil
}

// CreateSession starts a session for a staff member lasting ttl. Sessions
// live in the database, so any replica finds them.
func (s *PGStore) CreateSession(ctx context.Context, email string, ttl time.Duration) (Session, error) {
	sess, err := newSession(email, ttl)
	if err != nil {
		return Session{}, fmt.Errorf("create session: %w", err)
	}
	b := &pgx.Batch{}
	// Sign-ins are rare: a good moment to forget expired sessions.
	b.Queue(`DELETE FROM sessions WHERE expires < $1`, sess.Created.UnixNano())
	b.Queue(`INSERT INTO sessions(token_hash, email, csrf, created, expires) VALUES ($1, $2, $3, $4, $5)`,
		hashToken(sess.Token), sess.Email, sess.CSRF, sess.Created.UnixNano(), sess.Expires.UnixNano())
	if err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() }); err != nil {
		return Session{}, fmt.Errorf("create session: %w", err)
	}
	return sess, nil
}

// LookupSession returns the live session for a cookie value; ErrNotFound
// if there is none or it has expired (or its account was removed).
func (s *PGStore) LookupSession(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, ErrNotFound
	}
	var sess Session
	var created, expires int64
	err := s.pool.QueryRow(ctx, `SELECT s.email, s.csrf, s.created, s.expires, st.role
		FROM sessions s JOIN staff st ON st.email = s.email WHERE s.token_hash = $1`,
		hashToken(token)).Scan(&sess.Email, &sess.CSRF, &created, &expires, &sess.Role)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("lookup session: %w", err)
	}
	sess.Token, sess.Created, sess.Expires = token, time.Unix(0, created), time.Unix(0, expires)
	if !time.Now().Before(sess.Expires) {
		return Session{}, ErrNotFound
	}
	return sess, nil
}

// DeleteSession ends a session (sign-out).
func (s *PGStore) DeleteSession(ctx context.Context, token string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashToken(token)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// AddReview records a review of a reply; ErrNotFound if there is no such reply.
func (s *PGStore) AddReview(ctx context.Context, rv Review) (Review, error) {
	if err := checkReview(&rv); err != nil {
		return Review{}, err
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO reviews(answer_id, reviewer, status, note, corrected, time, turn_time, turn)
		SELECT answer_id, $1, $2, $3, $4, $5, time, id FROM turns WHERE answer_id = $6 RETURNING id`,
		rv.Reviewer, rv.Status, pgText(rv.Note), pgText(rv.Corrected), rv.Time.UnixNano(), rv.AnswerID).Scan(&rv.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Review{}, ErrNotFound
	}
	if err != nil {
		return Review{}, fmt.Errorf("add review: %w", err)
	}
	return rv, nil
}

// Audit appends a row to the audit log of staff actions.
func (s *PGStore) Audit(ctx context.Context, actor, action, detail string) error {
	if err := pgAudit(ctx, s.pool, actor, action, detail); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// pgExecer is a pool or a transaction.
type pgExecer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func pgAudit(ctx context.Context, db pgExecer, actor, action, detail string) error {
	now := time.Now().UnixNano()
	_, err := db.Exec(ctx, `INSERT INTO audit(time, actor, action, detail, last) VALUES ($1, $2, $3, $4, $1)`,
		now, pgText(actor), pgText(action), pgText(detail))
	return err
}

// AuditLog returns the newest audit rows first, at most limit.
func (s *PGStore) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	return s.AuditQuery(ctx, AuditFilter{Limit: limit})
}

// AuditMerged records an event that may repeat in floods, as
// Store.AuditMerged does: repeats within one clock minute add to one row.
func (s *PGStore) AuditMerged(ctx context.Context, actor, action, detail string, n int) error {
	n = max(n, 1)
	now := time.Now()
	// Hashed: the key's NUL separators are not text PostgreSQL holds.
	sum := sha256.Sum256([]byte(auditMergeKey(actor, action, detail, now)))
	key := hex.EncodeToString(sum[:])
	if _, err := s.pool.Exec(ctx, `INSERT INTO audit(time, actor, action, detail, last, merge_key, count) VALUES ($1, $2, $3, $4, $1, $5, $6)
		ON CONFLICT (merge_key) DO UPDATE SET count = audit.count + EXCLUDED.count, last = EXCLUDED.last`,
		now.UnixNano(), pgText(actor), pgText(action), pgText(detail), key, n); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// AuditQuery returns the audit rows f selects, newest first.
func (s *PGStore) AuditQuery(ctx context.Context, f AuditFilter) (_ []AuditEntry, err error) {
	ctx, done, err := s.consoleRead(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { err = done(err) }()
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	var where []string
	var a pgArgs
	if f.Actor != "" {
		where = append(where, "actor = "+a.add(strings.ToLower(strings.TrimSpace(f.Actor))))
	}
	if f.Action != "" {
		where = append(where, "action = "+a.add(f.Action))
	}
	if f.Text != "" {
		where = append(where, "strpos(lower(detail), lower("+a.add(f.Text)+")) > 0")
	}
	if !f.From.IsZero() {
		where = append(where, "last >= "+a.add(f.From.UnixNano()))
	}
	if !f.To.IsZero() {
		where = append(where, "time < "+a.add(f.To.UnixNano()))
	}
	q := `SELECT id, time, actor, action, detail, count, last FROM audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC LIMIT ` + a.add(f.Limit) + ` OFFSET ` + a.add(max(f.Offset, 0))
	rows, err := s.pool.Query(ctx, q, a...)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		var t, last int64
		err := row.Scan(&e.ID, &t, &e.Actor, &e.Action, &e.Detail, &e.Count, &last)
		e.Time, e.Last = time.Unix(0, t), time.Unix(0, max(last, t))
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}

// DeleteAuditOlderThan deletes audit rows whose latest event is more than
// days days old; days <= 0 keeps everything.
func (s *PGStore) DeleteAuditOlderThan(ctx context.Context, days int) (int64, error) {
	if days <= 0 {
		return 0, nil
	}
	cutoff := time.Now().Add(-time.Duration(days) * 24 * time.Hour).UnixNano()
	tag, err := s.pool.Exec(ctx, `DELETE FROM audit WHERE GREATEST(time, last) < $1`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("audit retention: %w", err)
	}
	return tag.RowsAffected(), nil
}

// RunAuditRetention runs DeleteAuditOlderThan now and every interval.
func (s *PGStore) RunAuditRetention(ctx context.Context, days int, every time.Duration, log *slog.Logger) {
	runRetention(ctx, days, every, log, "audit retention", "rows", s.DeleteAuditOlderThan)
}

// RunRetention runs DeleteOlderThan now and every interval.
func (s *PGStore) RunRetention(ctx context.Context, days int, every time.Duration, log *slog.Logger) {
	runRetention(ctx, days, every, log, "transcript retention", "conversations", s.DeleteOlderThan)
}

// DeleteOlderThan deletes conversations whose last turn is older than days
// days (their turns, feedback and reviews with them, and their replies
// from the roll-up), expired staff sessions and sign-in failure counters
// no longer needed.
func (s *PGStore) DeleteOlderThan(ctx context.Context, days int) (int64, error) {
	if days <= 0 {
		return 0, nil
	}
	cutoff := time.Now().Add(-time.Duration(days) * 24 * time.Hour).UnixNano()
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `WITH gone AS (
				DELETE FROM turns WHERE conversation_id IN (SELECT id FROM conversations WHERE last < $1) RETURNING time, kind)
			SELECT time / $2, kind, COUNT(*) FROM gone GROUP BY 1, 2`, cutoff, nsPerDay)
		if err != nil {
			return err
		}
		counts := map[dayKind]int64{}
		var k dayKind
		var c int64
		if _, err := pgx.ForEachRow(rows, []any{&k.day, &k.kind, &c}, func() error { counts[k] = -c; return nil }); err != nil {
			return err
		}
		if err := addRollup(ctx, tx, counts); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM conversations WHERE last < $1`, cutoff)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("retention: %w", err)
	}
	now := time.Now()
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires < $1`, now.UnixNano()); err != nil {
		return n, fmt.Errorf("retention: sessions: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM signin_failures WHERE until < $1 AND last < $2`,
		now.UnixNano(), now.Add(-SignInFailuresKept).UnixNano()); err != nil {
		return n, fmt.Errorf("retention: sign-in failures: %w", err)
	}
	return n, nil
}

// The answer library: every change writes an audit row in its transaction.

const pgLibraryColumns = `v.entry_id, v.version, v.status, v.question, v.variants, v.answer, v.citations, v.own,
	v.author, v.approver, v.created, v.updated, v.approved, v.corpus_version`

var _ library.Store = (*PGStore)(nil)

// SaveEntry implements library.Store, as Store.SaveEntry does.
func (s *PGStore) SaveEntry(ctx context.Context, e library.Entry, actor string) (library.Entry, error) {
	var out library.Entry
	err := s.libraryTx(ctx, func(tx pgx.Tx) error {
		now := time.Now()
		e.Status, e.Approver, e.Approved, e.Updated = library.StatusDraft, "", time.Time{}, now
		action := AuditLibraryEdit
		if e.ID == 0 {
			action, e.Created, e.Author, e.Version = AuditLibraryCreate, now, actor, 0
			if err := tx.QueryRow(ctx, `INSERT INTO library_entries(version) VALUES (0) RETURNING id`).Scan(&e.ID); err != nil {
				return err
			}
		} else {
			cur, err := pgCurrentEntry(ctx, tx, e.ID, true)
			if err != nil {
				return err
			}
			if cur.Version != e.Version {
				return conflict(cur)
			}
			e.Created, e.Author = cur.Created, actor
		}
		out = e
		return pgSaveVersion(ctx, tx, &out, actor, action)
	})
	return out, err
}

// SetStatus implements library.Store.
func (s *PGStore) SetStatus(ctx context.Context, id int64, version int, status, actor, corpusVersion string) (library.Entry, error) {
	action, err := statusAction(status)
	if err != nil {
		return library.Entry{}, err
	}
	var out library.Entry
	err = s.libraryTx(ctx, func(tx pgx.Tx) error {
		e, err := pgCurrentEntry(ctx, tx, id, true)
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
		return pgSaveVersion(ctx, tx, &out, actor, action)
	})
	return out, err
}

// Import implements library.Store: every entry saved as it is, in one transaction.
func (s *PGStore) Import(ctx context.Context, entries []library.Entry, actor string) ([]library.Entry, error) {
	out := make([]library.Entry, 0, len(entries))
	err := s.libraryTx(ctx, func(tx pgx.Tx) error {
		now := time.Now()
		for _, e := range entries {
			cur, err := pgCurrentEntry(ctx, tx, e.ID, true)
			switch {
			case err == nil:
				e.Version, e.Created = cur.Version+1, cur.Created
			case library.CodeOf(err) == library.CodeNotFound:
				if e.ID > 0 {
					_, err = tx.Exec(ctx, `INSERT INTO library_entries(id, version) VALUES ($1, 0)`, e.ID)
					if err == nil {
						// An id given keeps the identity ahead of it.
						_, err = tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('library_entries', 'id'),
							GREATEST((SELECT MAX(id) FROM library_entries), 1))`)
					}
				} else {
					err = tx.QueryRow(ctx, `INSERT INTO library_entries(version) VALUES (0) RETURNING id`).Scan(&e.ID)
				}
				if err != nil {
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
			if err := pgInsertVersion(ctx, tx, e, actor); err != nil {
				return err
			}
			out = append(out, e)
		}
		return pgAudit(ctx, tx, actor, AuditLibraryImport, fmt.Sprintf("%d entries", len(entries)))
	})
	return out, err
}

// Entry implements library.Store.
func (s *PGStore) Entry(ctx context.Context, id int64) (library.Entry, error) {
	return pgCurrentEntry(ctx, s.pool, id, false)
}

// Entries implements library.Store.
func (s *PGStore) Entries(ctx context.Context) ([]library.Entry, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pgLibraryColumns+` FROM library_entries e
		JOIN library_versions v ON v.entry_id = e.id AND v.version = e.version ORDER BY e.id`)
	if err != nil {
		return nil, fmt.Errorf("library entries: %w", err)
	}
	return pgx.CollectRows(rows, scanPGEntry)
}

// Versions implements library.Store.
func (s *PGStore) Versions(ctx context.Context, id int64) ([]library.Entry, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pgLibraryColumns+` FROM library_versions v WHERE v.entry_id = $1 ORDER BY v.version`, id)
	if err != nil {
		return nil, fmt.Errorf("library versions: %w", err)
	}
	return pgx.CollectRows(rows, scanPGEntry)
}

// LibraryUse counts the replies each entry served and their feedback.
func (s *PGStore) LibraryUse(ctx context.Context) (map[int64]EntryUse, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.library_entry, COUNT(DISTINCT t.id),
		COUNT(f.id) FILTER (WHERE f.rating = 'up'), COUNT(f.id) FILTER (WHERE f.rating = 'down')
		FROM turns t LEFT JOIN feedback f ON f.answer_id = t.answer_id
		WHERE t.library_entry IS NOT NULL GROUP BY t.library_entry`)
	if err != nil {
		return nil, fmt.Errorf("library use: %w", err)
	}
	out := map[int64]EntryUse{}
	var id int64
	var u EntryUse
	if _, err := pgx.ForEachRow(rows, []any{&id, &u.Served, &u.Up, &u.Down}, func() error { out[id] = u; return nil }); err != nil {
		return nil, fmt.Errorf("library use: %w", err)
	}
	return out, nil
}

func (s *PGStore) libraryTx(ctx context.Context, f func(pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, s.pool, f)
	var le *library.Error
	if err != nil && !errors.As(err, &le) {
		return fmt.Errorf("library: %w", err)
	}
	return err
}

// pgCurrentEntry reads an entry's current version; locked, in a
// transaction, so two replicas saving it at once take turns and the second
// sees the first's version (a conflict) rather than writing beside it.
func pgCurrentEntry(ctx context.Context, db interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, id int64, lock bool) (library.Entry, error) {
	q := `SELECT ` + pgLibraryColumns + ` FROM library_entries e
		JOIN library_versions v ON v.entry_id = e.id AND v.version = e.version WHERE e.id = $1`
	if lock {
		q += ` FOR UPDATE OF e`
	}
	rows, err := db.Query(ctx, q, id)
	if err != nil {
		return library.Entry{}, err
	}
	list, err := pgx.CollectRows(rows, scanPGEntry)
	if err != nil {
		return library.Entry{}, err
	}
	if len(list) == 0 {
		return library.Entry{}, &library.Error{Code: library.CodeNotFound, Message: fmt.Sprintf("no library entry %d", id)}
	}
	return list[0], nil
}

// pgSaveVersion stores e as the next version of its entry, with its audit row.
func pgSaveVersion(ctx context.Context, tx pgx.Tx, e *library.Entry, actor, action string) error {
	e.Version++
	if err := pgInsertVersion(ctx, tx, *e, actor); err != nil {
		return err
	}
	return pgAudit(ctx, tx, actor, action, entryRef(*e))
}

func pgInsertVersion(ctx context.Context, tx pgx.Tx, e library.Entry, actor string) error {
	variants, cites := append([]string{}, e.Variants...), append([]chat.Citation{}, e.Citations...)
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO library_versions(entry_id, version, status, question, variants, answer,
		citations, own, author, approver, created, updated, approved, corpus_version, saved_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		e.ID, e.Version, e.Status, e.Question, variants, e.Answer, cites, e.Own, e.Author, e.Approver,
		e.Created.UnixNano(), e.Updated.UnixNano(), unixOrZero(e.Approved), e.CorpusVersion, actor)
	b.Queue(`UPDATE library_entries SET version = $1 WHERE id = $2`, e.Version, e.ID)
	return tx.SendBatch(ctx, b).Close()
}

func scanPGEntry(row pgx.CollectableRow) (library.Entry, error) {
	var e library.Entry
	var created, updated, approved int64
	if err := row.Scan(&e.ID, &e.Version, &e.Status, &e.Question, &e.Variants, &e.Answer, &e.Citations, &e.Own,
		&e.Author, &e.Approver, &created, &updated, &approved, &e.CorpusVersion); err != nil {
		return e, err
	}
	e.Created, e.Updated = time.Unix(0, created), time.Unix(0, updated)
	if approved != 0 {
		e.Approved = time.Unix(0, approved)
	}
	return e, nil
}
