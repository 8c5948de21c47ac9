package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cellchat/cellchat/internal/pgtest"
	"github.com/cellchat/cellchat/transcript"
)

func runMigrateCLI(args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	c := &cli{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	err := run(context.Background(), append([]string{"cellchat", "migrate-db"}, args...), c)
	return out.String(), errb.String(), err
}

// migrate-db moves a deployment's log to PostgreSQL: what the SQLite log
// held is there after, a second run changes nothing, and bad arguments are
// refused before anything is opened.
func TestMigrateDB(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if _, _, err := runStaffCLI(t, "correct horse battery\n", nil, "add", "nurse@clinic.org", "--data", data); err != nil {
		t.Fatal(err)
	}
	url := pgtest.Start(t).NewDatabase(t)
	from := transcript.PathIn(data)
	for run := range 2 {
		out, msg, err := runMigrateCLI("--from", from, "--to", url)
		if err != nil {
			t.Fatalf("run %d: %v\n%s", run+1, err, out)
		}
		if !regexp.MustCompile(`(?m)^staff +1 +1$`).MatchString(out) || !strings.Contains(msg, "every row is there") {
			t.Errorf("run %d: counts\n%s%s", run+1, out, msg)
		}
	}
	if out, _, err := runStaffCLI(t, "", nil, "list", "--db", url); err != nil || strings.Count(out, "nurse@clinic.org") != 1 {
		t.Errorf("staff in PostgreSQL after two copies: %q, %v", out, err)
	}
	for _, tt := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"--from", from}, "want --from and --to", 2},
		{[]string{"--from", from, "--to", filepath.Join(t.TempDir(), "x.db")}, "want a PostgreSQL URL", 2},
		{[]string{"--from", url, "--to", url}, "want a SQLite log", 2},
		{[]string{"--from", filepath.Join(t.TempDir(), "missing.db"), "--to", url}, "no such file", 1},
	} {
		_, _, err := runMigrateCLI(tt.args...)
		var ee *exitError
		code := 1
		if errors.As(err, &ee) {
			code = ee.code
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || code != tt.code {
			t.Errorf("migrate-db %v: %v (exit %d), want %q (exit %d)", tt.args, err, code, tt.want, tt.code)
		}
	}
}
