package transcript

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDB(t *testing.T) {
	for _, tt := range []struct{ db, kind, target, err string }{
		{db: "data/transcript.db", kind: "sqlite", target: "data/transcript.db"},
		{db: "/var/lib/cellchat/transcript.db", kind: "sqlite", target: "/var/lib/cellchat/transcript.db"},
		{db: "sqlite:data/t.db", kind: "sqlite", target: "data/t.db"},
		{db: "sqlite:///var/t.db", kind: "sqlite", target: "/var/t.db"},
		{db: "./a:b.db", kind: "sqlite", target: "./a:b.db"},
		{db: "postgres://u@h/db", kind: "postgres", target: "postgres://u@h/db"},
		{db: "postgresql://u@h:5433/db?sslmode=disable", kind: "postgres", target: "postgresql://u@h:5433/db?sslmode=disable"},
		{db: "mysql://root:hunter2@h/db", err: `unknown scheme "mysql"`},
		{db: "sqlite:", err: "no file path"},
		{db: " ", err: "empty"},
	} {
		kind, target, err := ParseDB(tt.db)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseDB(%q) = %v, want an error with %q", tt.db, err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("ParseDB(%q): the error shows the password: %v", tt.db, err)
			}
			continue
		}
		if err != nil || kind != tt.kind || target != tt.target {
			t.Errorf("ParseDB(%q) = %q, %q, %v; want %q, %q", tt.db, kind, target, err, tt.kind, tt.target)
		}
	}
}

// OpenDB opens the back end its argument names, each working.
func TestOpenDB(t *testing.T) {
	ctx := context.Background()
	dbs := []string{filepath.Join(t.TempDir(), FileName), "sqlite:" + filepath.Join(t.TempDir(), FileName)}
	dbs = append(dbs, sharedPG(t).NewDatabase(t))
	for _, db := range dbs {
		s, err := OpenDB(ctx, db, Options{})
		if err != nil {
			t.Fatalf("%s: %v", db, err)
		}
		if err := s.Record(ctx, testRecord("c", 1)); err != nil {
			t.Errorf("%s: %v", db, err)
		}
		if h, err := s.History(ctx, "c", 0); err != nil || len(h) != 1 {
			t.Errorf("%s: history %d, %v", db, len(h), err)
		}
		s.Close()
	}
}
