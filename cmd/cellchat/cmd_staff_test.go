package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellchat/cellchat/transcript"
)

func runStaffCLI(t *testing.T, stdin string, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	c := &cli{getenv: func(k string) string { return env[k] }, stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}
	err := run(context.Background(), append([]string{"cellchat", "staff"}, args...), c)
	return out.String(), errb.String(), err
}

func TestStaffCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	steps := []struct {
		name    string
		stdin   string
		args    []string
		wantOut string
		wantErr string
		code    int
	}{
		{"add", "correct horse battery\n", []string{"add", "Nurse@Clinic.org", "--data", data}, "added nurse@clinic.org", "", 0},
		{"flags before args", "another fine password\n", []string{"add", "--data", data, "doc@clinic.org"}, "added doc@clinic.org", "", 0},
		{"duplicate", "correct horse battery\n", []string{"add", "nurse@clinic.org", "--data", data}, "", "already exists", 1},
		{"short password", "short\n", []string{"add", "x@clinic.org", "--data", data}, "", "too short", 1},
		{"common password", "Password1234!\n", []string{"add", "x@clinic.org", "--data", data}, "", "common password", 1},
		{"repeated password", "aaaaaaaaaaaaaaaa\n", []string{"add", "x@clinic.org", "--data", data}, "", "too easy to guess", 1},
		{"no password", "", []string{"add", "x@clinic.org", "--data", data}, "", "no password", 1},
		{"bad email", "correct horse battery\n", []string{"add", "not-an-email", "--data", data}, "", "not an e-mail", 2},
		{"list", "", []string{"list", "--data", data}, "doc@clinic.org", "", 0},
		{"remove", "", []string{"remove", "doc@clinic.org", "--data", data}, "removed doc@clinic.org", "", 0},
		{"remove again", "", []string{"remove", "doc@clinic.org", "--data", data}, "", "not found", 1},
		{"add a reviewer", "a reviewer's passphrase\n", []string{"add", "rev@clinic.org", "--role", "reviewer", "--data", data}, "added rev@clinic.org as reviewer", "", 0},
		{"unknown role", "a reviewer's passphrase\n", []string{"add", "x@clinic.org", "--role", "boss", "--data", data}, "", `role "boss"`, 2},
		{"role needs --role", "", []string{"role", "rev@clinic.org", "--data", data}, "", "--role", 2},
		{"change role", "", []string{"role", "rev@clinic.org", "--role", "clinician", "--data", data}, "rev@clinic.org is now clinician", "", 0},
		{"roles listed", "", []string{"list", "--data", data}, "rev@clinic.org\t", "", 0},
		{"unknown action", "", []string{"promote", "x@y.org"}, "", "unknown action", 2},
		{"missing email", "", []string{"add", "--data", data}, "", "want 1 argument", 2},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			out, _, err := runStaffCLI(t, st.stdin, nil, st.args...)
			if st.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), st.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, st.wantErr)
				}
				code := 1
				var ee *exitError
				if errors.As(err, &ee) {
					code = ee.code
				}
				if code != st.code {
					t.Errorf("exit code %d, want %d", code, st.code)
				}
			}
			if !strings.Contains(out, st.wantOut) {
				t.Errorf("stdout %q, want it to contain %q", out, st.wantOut)
			}
		})
	}
	// The store at DATA/transcript.db holds exactly the remaining account, with a usable password.
	s, err := transcript.Open(context.Background(), filepath.Join(data, "transcript.db"), transcript.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list, _ := s.ListStaff(context.Background())
	if len(list) != 2 || list[0].Email != "nurse@clinic.org" || list[0].Role != transcript.RoleAdmin ||
		list[1].Email != "rev@clinic.org" || list[1].Role != transcript.RoleClinician {
		t.Errorf("accounts = %+v", list)
	}
	if err := s.Authenticate(context.Background(), "nurse@clinic.org", "correct horse battery"); err != nil {
		t.Errorf("password from stdin not usable: %v", err)
	}
	// CELLCHAT_DATA sets the directory too.
	out, _, err := runStaffCLI(t, "", map[string]string{"CELLCHAT_DATA": data}, "list")
	if err != nil || !strings.Contains(out, "nurse@clinic.org") {
		t.Errorf("list via CELLCHAT_DATA: %q, %v", out, err)
	}
}
