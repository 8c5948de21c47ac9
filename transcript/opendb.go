package transcript

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// urlScheme matches the scheme of a URL (RFC 3986), as far as a database
// argument may start with one; a file path has none.
var urlScheme = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*):`)

// OpenDB opens the log that db names: a PostgreSQL URL (postgres:// or
// postgresql://) opens a PGStore; a file path, or one after sqlite:
// (sqlite:data/transcript.db, sqlite:///var/lib/cellchat/transcript.db),
// a SQLite Store. Any other scheme is refused with a clear error, never
// taken for a file name.
func OpenDB(ctx context.Context, db string, opts Options) (Backend, error) {
	kind, target, err := ParseDB(db)
	if err != nil {
		return nil, err
	}
	if kind == "postgres" {
		return OpenPG(ctx, target, opts)
	}
	return Open(ctx, target, opts)
}

// NamesDatabase says whether s is a database URL (postgres://...,
// sqlite:PATH, or any other scheme, which OpenDB refuses) rather than a
// path, such as a data directory.
func NamesDatabase(s string) bool { return urlScheme.MatchString(s) }

// ParseDB says which back end db names ("sqlite" or "postgres") and what
// to open: the file path, or the URL as given.
func ParseDB(db string) (kind, target string, err error) {
	if strings.TrimSpace(db) == "" {
		return "", "", fmt.Errorf("transcript database: empty; want a file path, sqlite:PATH or postgres://...")
	}
	m := urlScheme.FindStringSubmatch(db)
	if m == nil {
		return "sqlite", db, nil
	}
	switch strings.ToLower(m[1]) {
	case "postgres", "postgresql":
		return "postgres", db, nil
	case "sqlite":
		path := strings.TrimPrefix(db[len(m[0]):], "//")
		if path == "" {
			return "", "", fmt.Errorf("transcript database %q: no file path after sqlite:", db)
		}
		return "sqlite", path, nil
	}
	return "", "", fmt.Errorf("transcript database %q: unknown scheme %q: want a file path, sqlite:PATH or postgres://... (a file whose name has a colon: write it as ./NAME)", DisplayDB(db), m[1])
}

// DisplayDB is db as messages show it: without a password it may carry
// (scheme://user:password@host).
func DisplayDB(db string) string {
	if i := strings.Index(db, "://"); i >= 0 {
		rest := db[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if colon := strings.Index(rest[:at], ":"); colon >= 0 {
				return db[:i+3] + rest[:colon] + ":xxxxx" + rest[at:]
			}
		}
	}
	return db
}
