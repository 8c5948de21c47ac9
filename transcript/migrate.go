package transcript

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
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
	// 4: each passage text stored once. Citations and retrieved passages
	// repeated the same few corpus passages (about 600 characters each, 11
	// per reply) in every turn, which made every commit write and fsync
	// some 70 KB; now they point at passages, keyed by chunk id and text
	// (chunk ids name a text, but the pair keeps even a reused id exact).
	// The small rows live in their primary key (WITHOUT ROWID): one B-tree
	// per table to update, not two. Passages are corpus text, never patient
	// data, and are kept when retention deletes conversations.
	`
CREATE TABLE passages (
	id       INTEGER PRIMARY KEY,
	chunk_id TEXT NOT NULL,
	text     TEXT NOT NULL,
	UNIQUE (chunk_id, text)
);
INSERT OR IGNORE INTO passages(chunk_id, text)
	SELECT chunk_id, passage FROM citations UNION ALL SELECT chunk_id, text FROM retrieved;
CREATE TABLE citations_v4 (
	answer_id  TEXT NOT NULL REFERENCES turns(answer_id) ON DELETE CASCADE,
	n          INTEGER NOT NULL,
	doc_id     TEXT NOT NULL,
	title      TEXT NOT NULL,
	url        TEXT NOT NULL,
	section    TEXT NOT NULL,
	passage_id INTEGER NOT NULL REFERENCES passages(id),
	PRIMARY KEY (answer_id, n)
) WITHOUT ROWID;
INSERT INTO citations_v4(answer_id, n, doc_id, title, url, section, passage_id)
	SELECT c.answer_id, c.n, c.doc_id, c.title, c.url, c.section, p.id
	FROM citations c JOIN passages p ON p.chunk_id = c.chunk_id AND p.text = c.passage;
DROP TABLE citations;
ALTER TABLE citations_v4 RENAME TO citations;
CREATE TABLE retrieved_v4 (
	answer_id  TEXT NOT NULL REFERENCES turns(answer_id) ON DELETE CASCADE,
	rank       INTEGER NOT NULL,
	doc_id     TEXT NOT NULL,
	section    TEXT NOT NULL,
	score      REAL NOT NULL,
	lexical    REAL NOT NULL,
	vector     REAL NOT NULL,
	passage_id INTEGER NOT NULL REFERENCES passages(id),
	PRIMARY KEY (answer_id, rank)
) WITHOUT ROWID;
INSERT INTO retrieved_v4(answer_id, rank, doc_id, section, score, lexical, vector, passage_id)
	SELECT r.answer_id, r.rank, r.doc_id, r.section, r.score, r.lexical, r.vector, p.id
	FROM retrieved r JOIN passages p ON p.chunk_id = r.chunk_id AND p.text = r.text;
DROP TABLE retrieved;
ALTER TABLE retrieved_v4 RENAME TO retrieved;
`,
	// 5: a reply's citations and retrieved passages live on its turn row,
	// each as one JSON array (see refs.go): the writer inserts one row per
	// reply instead of a turn, its citations and its ~8 retrieved rows,
	// each B-tree insert costing more than the bytes it adds.
	// citation_refs: [[n, doc_id, title, url, section, passage_id], ...] by n;
	// retrieved_refs: [[doc_id, section, score, lexical, vector, passage_id], ...] by rank.
	`
ALTER TABLE turns ADD COLUMN citation_refs TEXT NOT NULL DEFAULT '[]';
ALTER TABLE turns ADD COLUMN retrieved_refs TEXT NOT NULL DEFAULT '[]';
UPDATE turns SET
	citation_refs = COALESCE((SELECT json_group_array(json_array(c.n, c.doc_id, c.title, c.url, c.section, c.passage_id))
		FROM (SELECT * FROM citations WHERE answer_id = turns.answer_id ORDER BY n) c), '[]'),
	retrieved_refs = COALESCE((SELECT json_group_array(json_array(r.doc_id, r.section, r.score, r.lexical, r.vector, r.passage_id))
		FROM (SELECT * FROM retrieved WHERE answer_id = turns.answer_id ORDER BY rank) r), '[]');
DROP TABLE citations;
DROP TABLE retrieved;
`,
	// 6: a conversation's turns are found through a chain, not an index.
	// Every reply wrote a new entry into turns_conversation, and with many
	// conversations going at once each entry landed on a page of its own:
	// that index made up 60% of what each commit wrote to the WAL (5.4 of
	// 8.7 KB a reply). Now each turn holds the rowid of its conversation's
	// previous turn (prev) and the conversation the rowid of its newest
	// (last_turn), written in the row updates a reply makes anyway.
	// Without an index on turns.conversation_id, a foreign key from turns
	// to conversations would make every deleted conversation scan all
	// turns, so the table is rebuilt without it: the writer and retention
	// keep the two together (see insertRecord and DeleteOlderThan).
	// A chain runs in the order turns were written (rowid), as the writer
	// makes it; readers order what they get by time.
	// Migrations run with foreign keys off (see migrate): dropping the old
	// turns table must not cascade into feedback and reviews.
	`
CREATE TABLE turns_v6 (
	answer_id       TEXT PRIMARY KEY,
	conversation_id TEXT NOT NULL,
	time            INTEGER NOT NULL,
	question        TEXT NOT NULL,
	kind            TEXT NOT NULL,
	text            TEXT NOT NULL,
	disclaimer      TEXT NOT NULL,
	mode            TEXT NOT NULL,
	reason          TEXT NOT NULL,
	confidence      REAL NOT NULL,
	corpus_version  TEXT NOT NULL,
	latency_ns      INTEGER NOT NULL,
	citation_refs   TEXT NOT NULL DEFAULT '[]',
	retrieved_refs  TEXT NOT NULL DEFAULT '[]',
	prev            INTEGER -- rowid of the conversation's previous turn, NULL for its first
);
INSERT INTO turns_v6(rowid, answer_id, conversation_id, time, question, kind, text, disclaimer, mode, reason,
		confidence, corpus_version, latency_ns, citation_refs, retrieved_refs, prev)
	SELECT rowid, answer_id, conversation_id, time, question, kind, text, disclaimer, mode, reason,
		confidence, corpus_version, latency_ns, citation_refs, retrieved_refs,
		LAG(rowid) OVER (PARTITION BY conversation_id ORDER BY rowid)
	FROM turns;
ALTER TABLE conversations ADD COLUMN last_turn INTEGER;
UPDATE conversations SET last_turn = (SELECT MAX(rowid) FROM turns WHERE conversation_id = conversations.id);
DROP TABLE turns;
ALTER TABLE turns_v6 RENAME TO turns;
CREATE INDEX turns_time ON turns(time);
CREATE INDEX turns_kind ON turns(kind, time);
`,
	// 7: repeated audit events are one row with a count (merge_key names
	// the event, actor, detail and minute; NULL for rows never merged), and
	// audit retention deletes by time.
	`
ALTER TABLE audit ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit ADD COLUMN last INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit ADD COLUMN merge_key TEXT;
UPDATE audit SET last = time;
CREATE UNIQUE INDEX audit_merge ON audit(merge_key);
CREATE INDEX audit_time ON audit(time);
`,
	// 8: the staff console reads a large log without scanning it.
	// turn_days counts replies by UTC day and kind, kept by triggers, for
	// the dashboard. feedback and reviews carry the time and rowid of the
	// turn they are of (turn_time, turn), so they are counted by the turn's
	// time from their own index, and the list filtered by them walks that
	// index newest first, looking up only the turns it shows. turns_fts indexes questions and replies by trigram for the
	// text search (a substring search, as before: trigrams serve any
	// substring of three characters or more); detail=none keeps it to
	// about a third of the size positions would take, and SQLite checks
	// each candidate row against the pattern itself.
	`
CREATE TABLE turn_days (
	day  INTEGER NOT NULL, -- UTC days since the epoch
	kind TEXT NOT NULL,
	n    INTEGER NOT NULL,
	PRIMARY KEY (day, kind)
) WITHOUT ROWID;
INSERT INTO turn_days(day, kind, n) SELECT time / 86400000000000, kind, COUNT(*) FROM turns GROUP BY 1, 2;
CREATE TRIGGER turn_days_insert AFTER INSERT ON turns BEGIN
	INSERT INTO turn_days(day, kind, n) VALUES (NEW.time / 86400000000000, NEW.kind, 1)
		ON CONFLICT(day, kind) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER turn_days_delete AFTER DELETE ON turns BEGIN
	UPDATE turn_days SET n = n - 1 WHERE day = OLD.time / 86400000000000 AND kind = OLD.kind;
END;
ALTER TABLE feedback ADD COLUMN turn_time INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feedback ADD COLUMN turn INTEGER NOT NULL DEFAULT 0;
UPDATE feedback SET (turn_time, turn) = (SELECT time, rowid FROM turns WHERE turns.answer_id = feedback.answer_id);
CREATE INDEX feedback_turn ON feedback(turn_time, turn, rating);
ALTER TABLE reviews ADD COLUMN turn_time INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reviews ADD COLUMN turn INTEGER NOT NULL DEFAULT 0;
UPDATE reviews SET (turn_time, turn) = (SELECT time, rowid FROM turns WHERE turns.answer_id = reviews.answer_id);
CREATE INDEX reviews_turn ON reviews(turn_time, turn);
CREATE VIRTUAL TABLE turns_fts USING fts5(question, text, content='turns', content_rowid='rowid',
	tokenize='trigram', detail='none');
INSERT INTO turns_fts(turns_fts) VALUES ('rebuild');
CREATE TRIGGER turns_fts_insert AFTER INSERT ON turns BEGIN
	INSERT INTO turns_fts(rowid, question, text) VALUES (NEW.rowid, NEW.question, NEW.text);
END;
CREATE TRIGGER turns_fts_delete AFTER DELETE ON turns BEGIN
	INSERT INTO turns_fts(turns_fts, rowid, question, text) VALUES ('delete', OLD.rowid, OLD.question, OLD.text);
END;
`,
	// 9: the care team's answer library and staff roles. Every saved
	// version of an entry is a row of library_versions, never changed;
	// library_entries points at each entry's current one. A turn served
	// from the library names its entry (library_entry) and the date the
	// entry was approved (library_date), so a resumed conversation shows
	// the reviewed mark again. Accounts made before roles existed could do
	// everything, so they stay admins.
	`
ALTER TABLE staff ADD COLUMN role TEXT NOT NULL DEFAULT 'admin' CHECK (role IN ('reviewer', 'clinician', 'admin'));
CREATE TABLE library_entries (
	id      INTEGER PRIMARY KEY,
	version INTEGER NOT NULL -- the current version
);
CREATE TABLE library_versions (
	entry_id       INTEGER NOT NULL REFERENCES library_entries(id),
	version        INTEGER NOT NULL,
	status         TEXT NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
	question       TEXT NOT NULL,
	variants       TEXT NOT NULL, -- JSON array of strings
	answer         TEXT NOT NULL,
	citations      TEXT NOT NULL, -- JSON array of chat.Citation, passage text as approved
	own            INTEGER NOT NULL, -- 1: the care team's own words, no citations
	author         TEXT NOT NULL,
	approver       TEXT NOT NULL,
	created        INTEGER NOT NULL, -- unix nanoseconds
	updated        INTEGER NOT NULL,
	approved       INTEGER NOT NULL, -- 0: never
	corpus_version TEXT NOT NULL,
	saved_by       TEXT NOT NULL,
	PRIMARY KEY (entry_id, version)
) WITHOUT ROWID;
ALTER TABLE turns ADD COLUMN library_entry INTEGER;
ALTER TABLE turns ADD COLUMN library_date TEXT NOT NULL DEFAULT '';
CREATE INDEX turns_library ON turns(library_entry) WHERE library_entry IS NOT NULL;
`,
	// 10: the text search index is kept off the commit path. Indexing a
	// reply's trigrams in the reply's own commit doubled the writer's time
	// per reply and its WAL bytes (each small commit wrote a new index
	// segment, and merging them rewrote it again); a turn now only notes
	// its rowid in turns_fts_pending, and the writer indexes the waiting
	// turns in chunks between commits (see indexPending). Searches read the
	// waiting turns directly, so they still find every turn logged. A
	// deleted turn leaves the index if it was in it, and the queue if not.
	`
CREATE TABLE turns_fts_pending (turn INTEGER PRIMARY KEY);
DROP TRIGGER turns_fts_insert;
CREATE TRIGGER turns_fts_pending_insert AFTER INSERT ON turns BEGIN
	INSERT INTO turns_fts_pending(turn) VALUES (NEW.rowid);
END;
DROP TRIGGER turns_fts_delete;
CREATE TRIGGER turns_fts_delete AFTER DELETE ON turns BEGIN
	INSERT INTO turns_fts(turns_fts, rowid, question, text) SELECT 'delete', OLD.rowid, OLD.question, OLD.text
		WHERE NOT EXISTS (SELECT 1 FROM turns_fts_pending WHERE turn = OLD.rowid);
	DELETE FROM turns_fts_pending WHERE turn = OLD.rowid;
END;
`,
}

// schemaVersion is the version Open migrates to.
var schemaVersion = len(migrations)

// migrate brings db to version target, applying the missing migrations in
// order. It refuses a database newer than this program knows.
//
// Migrations run on one connection with foreign keys off, as SQLite's
// procedure for rebuilding a table asks (dropping a parent table would
// otherwise delete its children's rows); each is checked with
// foreign_key_check before it commits.
func migrate(ctx context.Context, db *sql.DB, target int) (err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer func() {
		// The connection goes back to the pool: with foreign keys on
		// again, or not at all.
		if _, ferr := conn.ExecContext(ctx, `PRAGMA foreign_keys = ON`); ferr != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn })
			if err == nil {
				err = fmt.Errorf("migrate: %w", ferr)
			}
		}
		conn.Close()
	}()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		applied INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	from := -1 // the version the database had: 0 for a new one
	for {
		tx, err := conn.BeginTx(ctx, nil)
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
		if from < 0 {
			from = current
		}
		// An upgrade may rewrite a table (migration 6 rewrites turns):
		// on a large log that takes a while, so it is said before and after.
		// A new database is created silently.
		start := time.Now()
		if from > 0 {
			slog.Info("upgrading the transcript schema", "from", current, "to", current+1)
		}
		if _, err := tx.ExecContext(ctx, migrations[current]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", current+1, err)
		}
		if err := foreignKeyCheck(ctx, tx); err != nil {
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
		if from > 0 {
			slog.Info("transcript schema upgraded", "to", current+1, "took", time.Since(start))
		}
	}
}

// foreignKeyCheck reports the first row that breaks a foreign key.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fk int
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return err
		}
		return fmt.Errorf("foreign key broken: %s row %d refers to a missing %s row", table, rowid.Int64, parent)
	}
	return rows.Err()
}
