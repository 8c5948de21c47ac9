package transcript

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// AuditMerged records an event that may repeat in floods (failed or
// refused sign-ins, which anyone can cause): repeats of the same action,
// actor and detail within one clock minute add to one row's count instead
// of adding rows. n is how many times the event happened (at least 1).
func (s *Store) AuditMerged(ctx context.Context, actor, action, detail string, n int) error {
	n = max(n, 1)
	now := time.Now()
	key := auditMergeKey(actor, action, detail, now)
	if err := s.write(ctx, func(ctx context.Context, c *sql.Conn) error {
		_, err := c.ExecContext(ctx, `INSERT INTO audit(time, actor, action, detail, last, merge_key, count) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(merge_key) DO UPDATE SET count = count + excluded.count, last = excluded.last`,
			now.UnixNano(), actor, action, detail, now.UnixNano(), key, n)
		return err
	}); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// auditMergeKey names an event's repeats within one clock minute.
func auditMergeKey(actor, action, detail string, now time.Time) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%d", action, actor, detail, now.Unix()/60)
}

// AuditFilter selects audit rows; zero fields select everything.
type AuditFilter struct {
	Actor    string    // exact (e-mails are stored lower-case)
	Action   string    // exact
	Text     string    // contained in the detail
	From, To time.Time // From inclusive, To exclusive
	Limit    int       // default 100, at most 1000
	Offset   int
}

// AuditQuery returns the audit rows f selects, newest first.
func (s *Store) AuditQuery(ctx context.Context, f AuditFilter) (_ []AuditEntry, err error) {
	ctx, done := s.consoleRead(ctx)
	defer func() { err = done(err) }()
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	var where []string
	var args []any
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, strings.ToLower(strings.TrimSpace(f.Actor)))
	}
	if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	if f.Text != "" {
		where, args = append(where, "instr(lower(detail), lower(?)) > 0"), append(args, f.Text)
	}
	if !f.From.IsZero() {
		where, args = append(where, "last >= ?"), append(args, f.From.UnixNano())
	}
	if !f.To.IsZero() {
		where, args = append(where, "time < ?"), append(args, f.To.UnixNano())
	}
	q := `SELECT id, time, actor, action, detail, count, last FROM audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC LIMIT ? OFFSET ?`
	rows, err := s.rdb.QueryContext(ctx, q, append(args, f.Limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var t, last int64
		if err := rows.Scan(&e.ID, &t, &e.Actor, &e.Action, &e.Detail, &e.Count, &last); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		e.Time, e.Last = time.Unix(0, t), time.Unix(0, max(last, t))
		out = append(out, e)
	}
	return out, rows.Err()
}

// DeleteAuditOlderThan deletes audit rows whose latest event is more than
// days days old; days <= 0 keeps everything.
func (s *Store) DeleteAuditOlderThan(ctx context.Context, days int) (int64, error) {
	if days <= 0 {
		return 0, nil
	}
	cutoff := time.Now().Add(-time.Duration(days) * 24 * time.Hour).UnixNano()
	res, err := s.db.ExecContext(ctx, `DELETE FROM audit WHERE max(time, last) < ?`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("audit retention: %w", err)
	}
	return res.RowsAffected()
}

// RunAuditRetention deletes audit rows older than days days now and then
// every interval (default: hourly) until ctx ends; days <= 0 keeps
// everything and returns at once. Run it in its own goroutine.
func (s *Store) RunAuditRetention(ctx context.Context, days int, every time.Duration, log *slog.Logger) {
	runRetention(ctx, days, every, log, "audit retention", "rows", s.DeleteAuditOlderThan)
}
