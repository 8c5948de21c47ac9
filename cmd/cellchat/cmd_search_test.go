package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runRetrievalCLI runs one cellchat command in-process with the given
// environment and returns its stdout, stderr and error.
func runRetrievalCLI(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := &cli{
		getenv: func(k string) string { return env[k] },
		stdin:  strings.NewReader(""),
		stdout: &stdout,
		stderr: &stderr,
	}
	err := run(context.Background(), append([]string{"cellchat"}, args...), c)
	return stdout.String(), stderr.String(), err
}

func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	default:
		return 1
	}
}

var summaryRE = regexp.MustCompile(`^indexed (\d+) documents, (\d+) chunks: (\d+) embedded, (\d+) kept, (\d+) removed \(corpus version (\w+)\) in \S+\n$`)

func TestIngestCommand(t *testing.T) {
	data := t.TempDir()
	out, _, err := runRetrievalCLI(t, nil, "ingest", "--corpus", "../../corpus", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	m := summaryRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("summary line %q", out)
	}
	if m[1] != "5" || m[3] != m[2] || m[4] != "0" || m[2] == "0" {
		t.Fatalf("first ingest: %q", out)
	}
	// Again, by environment: nothing to embed.
	out, _, err = runRetrievalCLI(t, map[string]string{"CELLCHAT_CORPUS": "../../corpus", "CELLCHAT_DATA": data}, "ingest")
	if err != nil {
		t.Fatal(err)
	}
	m2 := summaryRE.FindStringSubmatch(out)
	if m2 == nil || m2[3] != "0" || m2[4] != m[2] || m2[6] != m[6] {
		t.Fatalf("second ingest: %q", out)
	}
	if _, err := os.Stat(filepath.Join(data, "index", "state.json")); err != nil {
		t.Fatalf("no index state in the data directory: %v", err)
	}
}

func TestIngestBrokenFilesIndexesTheRest(t *testing.T) {
	dir := t.TempDir()
	entries, err := os.ReadDir("../../corpus")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		data, err := os.ReadFile(filepath.Join("../../corpus", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "empty.txt"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "binary.txt"), []byte("\x00\x01\x02\x03"), 0o644)

	data := t.TempDir()
	out, _, err := runRetrievalCLI(t, nil, "ingest", "--corpus", dir, "--data", data)
	if exitCode(err) != 1 {
		t.Fatalf("exit code %d (%v), want 1", exitCode(err), err)
	}
	for _, name := range []string{"empty.txt", "binary.txt"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	if m := summaryRE.FindStringSubmatch(out); m == nil || m[1] != "5" {
		t.Fatalf("the good documents were not indexed: %q", out)
	}
	// ... and are searchable.
	out, _, err = runRetrievalCLI(t, nil, "search", "--corpus", dir, "--data", data, "what is ATMP", "-k", "1")
	if err != nil || !strings.Contains(out, "dk-cell-therapy-atmp") {
		t.Fatalf("search after a partly failed ingest: %v %q", err, out)
	}
}

func TestSearchCommand(t *testing.T) {
	data := t.TempDir()
	base := []string{"--corpus", "../../corpus", "--data", data}
	if _, _, err := runRetrievalCLI(t, nil, append([]string{"ingest"}, base...)...); err != nil {
		t.Fatal(err)
	}

	t.Run("text, flags after the question", func(t *testing.T) {
		args := append([]string{"search", "What does ATMP stand for?"}, append(base, "-k", "2")...)
		out, _, err := runRetrievalCLI(t, nil, args...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out, "1. dk-cell-therapy-atmp · ") || !strings.Contains(out, "\n2. ") || strings.Contains(out, "\n3. ") {
			t.Fatalf("output:\n%s", out)
		}
		if !strings.Contains(out, "Advanced Therapy Medicinal Products") || !regexp.MustCompile(`score [\d.]+ \(lexical [\d.]+, vector [\d.]+\)`).MatchString(out) {
			t.Fatalf("output lacks the passage or its scores:\n%s", out)
		}
	})

	t.Run("json, every mode", func(t *testing.T) {
		for _, mode := range []string{"hybrid", "lexical", "vector"} {
			args := append([]string{"search", "--json", "--mode", mode, "-k", "3"}, append(base, "graft-versus-host disease")...)
			out, _, err := runRetrievalCLI(t, nil, args...)
			if err != nil {
				t.Fatal(err)
			}
			var ps []struct {
				ID      string  `json:"id"`
				DocID   string  `json:"doc_id"`
				Title   string  `json:"title"`
				Section string  `json:"section"`
				Text    string  `json:"text"`
				Score   float64 `json:"score"`
				Lexical float64 `json:"lexical"`
				Vector  float64 `json:"vector"`
			}
			if err := json.Unmarshal([]byte(out), &ps); err != nil {
				t.Fatalf("%s: not a JSON array: %v\n%s", mode, err, out)
			}
			if len(ps) != 3 || ps[0].DocID != "asgct-cell-therapy-basics" || !strings.Contains(ps[0].Text, "Graft-versus-host disease") || ps[0].ID == "" {
				t.Fatalf("%s: %+v", mode, ps)
			}
			if (mode == "lexical") != (ps[0].Vector == 0) || (mode == "vector") != (ps[0].Lexical == 0) {
				t.Fatalf("%s: scores of the other mode set: %+v", mode, ps[0])
			}
		}
	})

	t.Run("bad input", func(t *testing.T) {
		tests := []struct {
			name string
			args []string
			want string
		}{
			{"no question", nil, "missing question"},
			{"blank question", []string{"   "}, "missing question"},
			{"punctuation only", []string{"???"}, "empty query"},
			{"huge question", []string{strings.Repeat("cell ", 500)}, "longer than 2000"},
			{"bad k", []string{"cells", "-k", "0"}, "-k must be"},
			{"bad mode", []string{"cells", "--mode", "psychic"}, "unknown search mode"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, _, err := runRetrievalCLI(t, nil, append(append([]string{"search"}, base...), tt.args...)...)
				if exitCode(err) != 2 || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v (exit %d), want exit 2 with %q", err, exitCode(err), tt.want)
				}
			})
		}
	})

	t.Run("help", func(t *testing.T) {
		for _, cmd := range []string{"search", "ingest"} {
			_, stderr, err := runRetrievalCLI(t, nil, cmd, "--help")
			if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr, "usage: cellchat "+cmd) || !strings.Contains(stderr, "-data") {
				t.Fatalf("%s --help: %v %q", cmd, err, stderr)
			}
		}
	})
}
