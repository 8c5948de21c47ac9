package transcript

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations are applied in order, each once, each in its own transaction;
// migration i (0-based) brings the schema to version i+1. Never edit a
// migration that has shipped: append a new one.
var migrations = []string{
	// 1: the log of what patients saw.
	`
CREATE TABLE conversations (
	id      TEXT PRIMARY KEY,
	started INTEGER NOT NULL, -- unix nanoseconds
	last    INTEGER NOT NULL
);
CREATE TABLE turns (
	answer_id       TEXT PRIMARY KEY,
	conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
	time            INTEGER NOT NULL,
	question        TEXT NOT NULL,
	kind            TEXT NOT NULL,
	text            TEXT NOT NULL,
	disclaimer      TEXT NOT NULL,
	mode            TEXT NOT NULL,
	reason          TEXT NOT NULL,
	confidence      REAL NOT NULL,
	corpus_version  TEXT NOT NULL,
	latency_ns      INTEGER NOT NULL
);
CREATE INDEX turns_conversation ON turns(conversation_id, time);
CREATE INDEX turns_time ON turns(time);
CREATE TABLE citations (
	answer_id TEXT NOT NULL REFERENCES turns(answer_id) ON DELETE CASCADE,
	n         INTEGER NOT NULL,
	doc_id    TEXT NOT NULL,
	chunk_id  TEXT NOT NULL,
	title     TEXT NOT NULL,
	url       TEXT NOT NULL,
	section   TEXT NOT NULL,
	passage   TEXT NOT NULL,
	PRIMARY KEY (answer_id, n)
);
CREATE TABLE retrieved (
	answer_id TEXT NOT NULL REFERENCES turns(answer_id) ON DELETE CASCADE,
	rank      INTEGER NOT NULL,
	chunk_id  TEXT NOT NULL,
	doc_id    TEXT NOT NULL,
	section   TEXT NOT NULL,
	score     REAL NOT NULL,
	lexical   REAL NOT NULL,
	vector    REAL NOT NULL,
	text      TEXT NOT NULL,
	PRIMARY KEY (answer_id, rank)
);
CREATE TABLE feedback (
	id        INTEGER PRIMARY KEY,
	answer_id TEXT NOT NULL REFERENCES turns(answer_id) ON DELETE CASCADE,
	rating    TEXT NOT NULL CHECK (rating IN ('up', 'down')),
	comment   TEXT NOT NULL,
	time      INTEGER NOT NULL
);
CREATE INDEX feedback_answer ON feedback(answer_id);
`,
	// 2: staff accounts, their sessions, reviews and the audit log.
	`
CREATE TABLE staff (
	email         TEXT PRIMARY KEY,
	password_hash TEXT NOT NULL,
	created       INTEGER NOT NULL
);
CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY, -- sha256 of the cookie value; the value itself is never stored
	email      TEXT NOT NULL REFERENCES staff(email) ON DELETE CASCADE,
	csrf       TEXT NOT NULL,
	created    INTEGER NOT NULL,
	expires    INTEGER NOT NULL
);
CREATE TABLE reviews (
	id        INTEGER PRIMARY KEY,
	answer_id TEXT NOT NULL REFERENCES turns(answer_id) ON DELETE CASCADE,
	reviewer  TEXT NOT NULL,
	status    TEXT NOT NULL CHECK (status IN ('approved', 'needs_correction', 'wrong')),
	note      TEXT NOT NULL,
	corrected TEXT NOT NULL,
	time      INTEGER NOT NULL
);
CREATE INDEX reviews_answer ON reviews(answer_id, time);
CREATE TABLE audit (
	id     INTEGER PRIMARY KEY,
	time   INTEGER NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	detail TEXT NOT NULL
);
`,
	// 3: filters of the staff console by kind and by last activity for retention.
	`
CREATE INDEX turns_kind ON turns(kind, time);
CREATE INDEX conversations_last ON conversations(last);
`,
}

// schemaVersion is the version Open migrates to.
var schemaVersion = len(migrations)

// migrate brings db to version target, applying the missing migrations in
// order. It refuses a database newer than this program knows.
func migrate(ctx context.Context, db *sql.DB, target int) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		applied INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			tx.Rollback()
			return fmt.Errorf("read schema version: %w", err)
		}
		if current > len(migrations) {
			tx.Rollback()
			return fmt.Errorf("database schema version %d is newer than this program (%d)", current, len(migrations))
		}
		if current >= target {
			return tx.Rollback()
		}
		if _, err := tx.ExecContext(ctx, migrations[current]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", current+1, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, applied) VALUES (?, ?)`, current+1, time.Now().UnixNano()); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", current+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: commit: %w", current+1, err)
		}
	}
}
