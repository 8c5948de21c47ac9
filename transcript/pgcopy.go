package transcript

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// copyBatch is how many rows one transaction of a copy writes: few round
// trips, and a failure redoes little.
const copyBatch = 1000

// CopyCount is one table's rows in the SQLite log and how many of them the
// PostgreSQL database holds after a copy.
type CopyCount struct {
	Table  string `json:"table"`
	Source int    `json:"source"`
	Found  int    `json:"found"`
}

// copyTable copies one table: its rows read from SQLite, written with an
// INSERT that skips a row already there (by its stable key: e-mail, token
// hash, conversation or answer id, the row id and time of feedback,
// reviews and audit rows, entry and version), and checked by key.
type copyTable struct {
	name   string
	src    string // SQLite query of the rows, ordered by rowid
	dst    string // PostgreSQL INSERT ... ON CONFLICT DO NOTHING of one row
	conv   func(row []any) []any
	key    []int  // the columns of row that find it again
	verify string // counts the rows of the key arrays $1.. found
}

var copyTables = []copyTable{
	{name: "staff", src: `SELECT email, password_hash, created, role FROM staff ORDER BY rowid`,
		dst: `INSERT INTO staff(email, password_hash, created, role) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		key: []int{0}, verify: `SELECT COUNT(*) FROM staff WHERE email = ANY($1::text[])`},
	{name: "sessions", src: `SELECT token_hash, email, csrf, created, expires FROM sessions ORDER BY rowid`,
		dst: `INSERT INTO sessions(token_hash, email, csrf, created, expires) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		key: []int{0}, verify: `SELECT COUNT(*) FROM sessions WHERE token_hash = ANY($1::text[])`},
	{name: "conversations", src: `SELECT id, started, last FROM conversations ORDER BY rowid`,
		dst: `INSERT INTO conversations(id, started, last) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		key: []int{0}, verify: `SELECT COUNT(*) FROM conversations WHERE id = ANY($1::text[])`},
	{name: "turns"}, // copyTurns
	{name: "feedback", src: `SELECT id, answer_id, rating, comment, time FROM feedback ORDER BY id`,
		dst: `INSERT INTO feedback(id, answer_id, rating, comment, time, turn_time, turn)
			SELECT $1, $2, $3, $4, $5, t.time, t.id FROM turns t WHERE t.answer_id = $2 ON CONFLICT DO NOTHING`,
		key: []int{0, 4}, verify: `SELECT COUNT(*) FROM feedback f JOIN unnest($1::bigint[], $2::bigint[]) k(id, time) ON f.id = k.id AND f.time = k.time`},
	{name: "reviews", src: `SELECT id, answer_id, reviewer, status, note, corrected, time FROM reviews ORDER BY id`,
		dst: `INSERT INTO reviews(id, answer_id, reviewer, status, note, corrected, time, turn_time, turn)
			SELECT $1, $2, $3, $4, $5, $6, $7, t.time, t.id FROM turns t WHERE t.answer_id = $2 ON CONFLICT DO NOTHING`,
		key: []int{0, 6}, verify: `SELECT COUNT(*) FROM reviews r JOIN unnest($1::bigint[], $2::bigint[]) k(id, time) ON r.id = k.id AND r.time = k.time`},
	{name: "audit", src: `SELECT id, time, actor, action, detail, count, last, merge_key FROM audit ORDER BY id`,
		dst: `INSERT INTO audit(id, time, actor, action, detail, count, last, merge_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
		conv: func(row []any) []any {
			if k, ok := row[7].(string); ok { // hashed, as PGStore.AuditMerged keys its rows
				sum := sha256.Sum256([]byte(k))
				row[7] = hex.EncodeToString(sum[:])
			}
			return row
		},
		key: []int{0, 1}, verify: `SELECT COUNT(*) FROM audit a JOIN unnest($1::bigint[], $2::bigint[]) k(id, time) ON a.id = k.id AND a.time = k.time`},
	{name: "library_entries", src: `SELECT id, version FROM library_entries ORDER BY id`,
		dst: `INSERT INTO library_entries(id, version) VALUES ($1, $2)
			ON CONFLICT (id) DO UPDATE SET version = GREATEST(library_entries.version, EXCLUDED.version)`,
		key: []int{0}, verify: `SELECT COUNT(*) FROM library_entries WHERE id = ANY($1::bigint[])`},
	{name: "library_versions", src: `SELECT entry_id, version, status, question, variants, answer, citations, own, author, approver,
			created, updated, approved, corpus_version, saved_by FROM library_versions ORDER BY entry_id, version`,
		dst: `INSERT INTO library_versions(entry_id, version, status, question, variants, answer, citations, own, author, approver,
			created, updated, approved, corpus_version, saved_by)
			VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7::text::jsonb, $8::bigint <> 0, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT DO NOTHING`,
		key: []int{0, 1}, verify: `SELECT COUNT(*) FROM library_versions v JOIN unnest($1::bigint[], $2::bigint[]) k(e, n) ON v.entry_id = k.e AND v.version = k.n`},
}

// CopyTo copies everything in this log to the PostgreSQL log dst: staff
// and sessions, conversations and turns, feedback, reviews, the audit log
// and the answer library. Rows already in dst (by their stable keys) are
// skipped, so a copy interrupted or run again finishes the job and adds
// nothing twice. It then checks that every row of this log is in dst and
// returns the counts; a row missing is an error. Run it before replicas
// write to dst: feedback, review and audit rows keep their ids, and an id
// taken there by another row is reported as missing, not overwritten.
func (s *Store) CopyTo(ctx context.Context, dst *PGStore) ([]CopyCount, error) {
	var counts []CopyCount
	for _, t := range copyTables {
		var c CopyCount
		var err error
		if t.name == "turns" {
			c, err = s.copyTurns(ctx, dst)
		} else {
			c, err = s.copyRows(ctx, dst, t)
		}
		if err != nil {
			return counts, fmt.Errorf("copy %s: %w", t.name, err)
		}
		counts = append(counts, c)
	}
	// The daily roll-up from the turns as they now are, and the identities
	// ahead of the ids copied.
	err := pgx.BeginFunc(ctx, dst.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`DELETE FROM turn_days`)
		b.Queue(`INSERT INTO turn_days(day, kind, shard, n) SELECT time / $1, kind, 0, COUNT(*) FROM turns GROUP BY 1, 2`, nsPerDay)
		for _, table := range []string{"feedback", "reviews", "audit", "library_entries"} {
			b.Queue(`SELECT setval(pg_get_serial_sequence('` + table + `', 'id'), GREATEST((SELECT MAX(id) FROM ` + table + `), 1))`)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return counts, fmt.Errorf("copy: roll-up and identities: %w", err)
	}
	var missing []string
	for _, c := range counts {
		if c.Found != c.Source {
			missing = append(missing, fmt.Sprintf("%s: %d of %d", c.Table, c.Found, c.Source))
		}
	}
	if len(missing) > 0 {
		return counts, fmt.Errorf("copy: rows not found in the database after the copy (%s): was it written to by another log?", strings.Join(missing, "; "))
	}
	return counts, nil
}

// copyRows copies and checks one table, a batch at a time.
func (s *Store) copyRows(ctx context.Context, dst *PGStore, t copyTable) (CopyCount, error) {
	c := CopyCount{Table: t.name}
	rows, err := s.db.QueryContext(ctx, t.src)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return c, err
	}
	var batch [][]any
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		b := &pgx.Batch{}
		for _, row := range batch {
			b.Queue(t.dst, row...)
		}
		if err := pgx.BeginFunc(ctx, dst.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() }); err != nil {
			return err
		}
		found, err := countKeys(ctx, dst, t, batch)
		c.Source, c.Found, batch = c.Source+len(batch), c.Found+found, batch[:0]
		return err
	}
	for rows.Next() {
		row := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return c, err
		}
		for i, v := range row {
			switch v := v.(type) {
			case []byte:
				row[i] = pgText(string(v))
			case string:
				row[i] = pgText(v)
			}
		}
		if t.conv != nil {
			row = t.conv(row)
		}
		if batch = append(batch, row); len(batch) == copyBatch {
			if err := flush(); err != nil {
				return c, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return c, err
	}
	return c, flush()
}

// countKeys counts the rows of batch that dst holds, by t's key.
func countKeys(ctx context.Context, dst *PGStore, t copyTable, batch [][]any) (int, error) {
	args := make([]any, len(t.key))
	for k, col := range t.key {
		if _, ok := batch[0][col].(string); ok {
			keys := make([]string, len(batch))
			for i, row := range batch {
				keys[i] = row[col].(string)
			}
			args[k] = keys
			continue
		}
		keys := make([]int64, len(batch))
		for i, row := range batch {
			keys[i], _ = row[col].(int64)
		}
		args[k] = keys
	}
	var n int
	err := dst.pool.QueryRow(ctx, t.verify, args...).Scan(&n)
	return n, err
}

// copyTurns copies the turns with their citations and retrieved passages
// resolved from the passages table, a batch at a time by rowid.
func (s *Store) copyTurns(ctx context.Context, dst *PGStore) (CopyCount, error) {
	c := CopyCount{Table: "turns"}
	const insert = pgSQLTurn + ` ON CONFLICT (answer_id) DO NOTHING`
	for after := int64(0); ; {
		var last sql.NullInt64
		if err := s.db.QueryRowContext(ctx, `SELECT MAX(rowid) FROM (SELECT rowid FROM turns WHERE rowid > ? ORDER BY rowid LIMIT ?)`,
			after, copyBatch).Scan(&last); err != nil {
			return c, err
		}
		if !last.Valid {
			return c, nil
		}
		rows, err := s.db.QueryContext(ctx, `SELECT `+turnColumns+` FROM turns WHERE rowid > ? AND rowid <= ? ORDER BY rowid`, after, last.Int64)
		if err != nil {
			return c, err
		}
		recs, cited, err := scanRecords(rows)
		if err != nil {
			return c, err
		}
		if err := resolveCitations(ctx, s.db, recs, cited); err != nil {
			return c, err
		}
		b := &pgx.Batch{}
		ids := make([]string, len(recs))
		for i := range recs {
			if recs[i].Reply.Retrieved, err = s.retrieved(ctx, recs[i].AnswerID); err != nil {
				return c, err
			}
			if err := queueTurn(b, recs[i], insert); err != nil {
				return c, fmt.Errorf("%s: %w", recs[i].AnswerID, err)
			}
			ids[i] = recs[i].AnswerID
		}
		if err := pgx.BeginFunc(ctx, dst.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() }); err != nil {
			return c, err
		}
		var found int
		if err := dst.pool.QueryRow(ctx, `SELECT COUNT(*) FROM turns WHERE answer_id = ANY($1)`, ids).Scan(&found); err != nil {
			return c, err
		}
		c.Source, c.Found, after = c.Source+len(recs), c.Found+found, last.Int64
	}
}
