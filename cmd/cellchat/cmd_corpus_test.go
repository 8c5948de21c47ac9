package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCorpusCmd runs `cellchat corpus args...` in-process.
func runCorpusCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	c := &cli{
		getenv: func(k string) string { return env[k] },
		stdin:  strings.NewReader(""),
		stdout: &out,
		stderr: &errOut,
	}
	err = run(context.Background(), append([]string{"cellchat", "corpus"}, args...), c)
	return out.String(), errOut.String(), err
}

const realCorpus = "../../corpus"

func TestCorpusJSON(t *testing.T) {
	// Flags before and after; --corpus also from the environment.
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"flags", nil, []string{"--corpus", realCorpus, "--json"}},
		{"env", map[string]string{"CELLCHAT_CORPUS": realCorpus}, []string{"-json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := runCorpusCmd(t, tc.env, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) < 20 {
				t.Fatalf("%d chunks printed", len(lines))
			}
			docs := map[string]int{}
			ids := map[string]bool{}
			for _, l := range lines {
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatalf("line %q: %v", l, err)
				}
				for _, k := range []string{"id", "doc_id", "title", "section", "text"} {
					if _, ok := m[k].(string); !ok {
						t.Fatalf("line %q lacks string field %q", l, k)
					}
				}
				id, doc := m["id"].(string), m["doc_id"].(string)
				if !strings.HasPrefix(id, doc+"#") || ids[id] || m["text"] == "" || m["title"] == "" {
					t.Errorf("bad chunk line %q", l)
				}
				ids[id] = true
				docs[doc]++
			}
			if len(docs) != 5 {
				t.Errorf("chunks from %d documents, want 5: %v", len(docs), docs)
			}
		})
	}
}

func TestCorpusText(t *testing.T) {
	out, _, err := runCorpusCmd(t, nil, "--corpus", realCorpus)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`asgct-cell-therapy-basics  "Cell Therapy Basics"`,
		"publisher: American Society of Gene & Cell Therapy",
		"url:       https://patienteducation.asgct.org/gene-therapy-101/cell-therapy-basics",
		"reviewed:  2023-12-18",
		"[Risks]",
		"5 documents,",
		"corpus version ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// A broken file: what loaded is printed, the error names the file, and
// the command fails.
func TestCorpusBadFileExitsNonZero(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "sources.yaml"), []byte("documents:\n  - id: good\n    title: Good\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "good.txt"), []byte("Overview\nCell therapy uses living cells as a treatment.\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "broken.txt"), []byte("\x00\x01binary"), 0o644)
	out, _, err := runCorpusCmd(t, nil, "--json", "--corpus", dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "broken.txt")+": binary file") {
		t.Fatalf("error %v", err)
	}
	if !strings.Contains(out, `"doc_id":"good"`) {
		t.Errorf("the good document was not printed: %q", out)
	}

	_, _, err = runCorpusCmd(t, nil, "--corpus", filepath.Join(dir, "absent"))
	if err == nil || !strings.Contains(err.Error(), "sources.yaml") {
		t.Errorf("missing corpus: error %v", err)
	}
}

func TestCorpusUsage(t *testing.T) {
	_, stderr, err := runCorpusCmd(t, nil, "--help")
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr, "usage: cellchat corpus") || !strings.Contains(stderr, "-json") {
		t.Errorf("--help: err %v, stderr %q", err, stderr)
	}
	_, _, err = runCorpusCmd(t, nil, "--corpus", realCorpus, "stray")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 {
		t.Errorf("stray argument: %v", err)
	}
	_, _, err = runCorpusCmd(t, nil, "--bogus")
	if !errors.As(err, &ee) || ee.code != 2 {
		t.Errorf("unknown flag: %v", err)
	}
}

// --dropped lists every paragraph cleaning dropped with its rule; with
// --json one object per paragraph.
func TestCorpusDropped(t *testing.T) {
	out, _, err := runCorpusCmd(t, nil, "--corpus", realCorpus, "--dropped")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"by furniture.yaml end_at `^(we|this (site|website)) uses? cookies`",
		"- Detailed Cookie Preferences",
		"by sources.yaml curio-what-is-car-t end_before `\\(physician\\)`",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	out, _, err = runCorpusCmd(t, nil, "--corpus", realCorpus, "--dropped", "--json")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var d corpusDroppedJSON
		if err := json.Unmarshal([]byte(l), &d); err != nil || d.DocID == "" || d.Rule == "" || d.Text == "" {
			t.Fatalf("line %q: %v", l, err)
		}
		found = found || d.DocID == "cellular-therapies-explainer" && d.Text == "Detailed Cookie Preferences"
	}
	if !found {
		t.Error("the explainer's cookie tail is not listed")
	}
	out, _, _ = runCorpusCmd(t, nil, "--corpus", realCorpus)
	if !strings.Contains(out, "paragraphs from 4 documents (--dropped lists them)") {
		t.Errorf("the listing does not say how much was dropped")
	}
}

// --check DIR lists every file with its passages, warnings and errors, and
// exits 1 on any error.
func TestCorpusCheck(t *testing.T) {
	dir := handoutCorpus(t)
	os.WriteFile(filepath.Join(dir, "sources.yaml"), []byte("documents:\n  - id: after-car-t\n    url: https://clinic.example/cart\n    reviewed: 2020-01-15\n    review_every: 12\n"), 0o644)
	out, _, err := runCorpusCmd(t, nil, "--check", dir)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"ok     after-car-t.md", "5 passages", "warning: review due since 2021-01-15 (reviewed 2020-01-15, review_every 12 months)", "1 documents loaded (5 passages), 0 errors, 1 warnings"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	os.WriteFile(filepath.Join(dir, "leaflet.doc"), []byte("\xd0\xcf\x11\xe0"), 0o644)
	out, _, err = runCorpusCmd(t, nil, "--check", dir)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(out, `ERROR  leaflet.doc: unsupported file type ".doc"`) || strings.Contains(out, dir+"/leaflet.doc") {
		t.Errorf("err %v, output:\n%s", err, out)
	}
}
