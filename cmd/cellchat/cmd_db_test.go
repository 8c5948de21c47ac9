package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellchat/cellchat/internal/pgtest"
	"github.com/cellchat/cellchat/transcript"
)

// --db and CELLCHAT_DB choose the transcript log: a PostgreSQL URL puts
// the staff accounts there (and nothing in the data directory), and a
// sqlite: URL names a file; an unknown scheme is refused, not taken for a
// file name.
func TestDBFlagChoosesTheLog(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	url := pgtest.Start(t).NewDatabase(t)
	if _, _, err := runStaffCLI(t, "correct horse battery\n", nil, "add", "nurse@clinic.org", "--data", data, "--db", url); err != nil {
		t.Fatal(err)
	}
	out, _, err := runStaffCLI(t, "", map[string]string{"CELLCHAT_DB": url}, "list", "--data", data)
	if err != nil || !strings.Contains(out, "nurse@clinic.org") {
		t.Fatalf("list through CELLCHAT_DB: %q, %v", out, err)
	}
	if _, err := os.Stat(transcript.PathIn(data)); !os.IsNotExist(err) {
		t.Errorf("a PostgreSQL --db left a log in the data directory: %v", err)
	}

	file := filepath.Join(t.TempDir(), "elsewhere.db")
	if _, _, err := runStaffCLI(t, "correct horse battery\n", nil, "add", "doc@clinic.org", "--db", "sqlite:"+file); err != nil {
		t.Fatal(err)
	}
	if out, _, err := runStaffCLI(t, "", nil, "list", "--db", file); err != nil || !strings.Contains(out, "doc@clinic.org") || strings.Contains(out, "nurse@") {
		t.Errorf("list of the sqlite: file by its path: %q, %v", out, err)
	}

	_, _, err = runStaffCLI(t, "", nil, "list", "--db", "mysql://root:secret@db/cellchat")
	var ee *exitError
	if err == nil || !strings.Contains(err.Error(), `unknown scheme "mysql"`) || strings.Contains(err.Error(), "secret") ||
		!errors.As(err, &ee) || ee.code != 2 {
		t.Errorf("unknown scheme: %v, want a usage error (exit 2)", err)
	}
}
