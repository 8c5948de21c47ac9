package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellchat/cellchat/corpus"
	"github.com/cellchat/cellchat/library"
	"github.com/cellchat/cellchat/transcript"
)

func runLibraryCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	c := &cli{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	err := run(context.Background(), append([]string{"cellchat", "library"}, args...), c)
	return out.String(), errb.String(), err
}

func TestLibraryImportExport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	out, _, err := runLibraryCLI(t, "import", "../../eval/library/library.yaml", "--corpus", "../../corpus", "--data", data)
	if err != nil || !strings.Contains(out, "imported 20 entries") {
		t.Fatalf("import: %q, %v", out, err)
	}
	exported := filepath.Join(dir, "export.yaml")
	if _, _, err := runLibraryCLI(t, "export", exported, "--data", data); err != nil {
		t.Fatal(err)
	}
	// What was exported reads back as the same entries.
	raw, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile("../../eval/library/library.yaml")
	corp, err := corpus.Load("../../corpus")
	if err != nil {
		t.Fatal(err)
	}
	p := library.PassagesOf(corp.Chunks)
	a, err := library.Parse(orig, library.Limits{}, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := library.Parse(raw, library.Limits{}, p)
	if err != nil {
		t.Fatalf("the export does not import: %v", err)
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Answer != b[i].Answer || a[i].Status != b[i].Status || len(a[i].Citations) != len(b[i].Citations) ||
			!a[i].Approved.Equal(b[i].Approved) {
			t.Errorf("entry %d changed on the way round:\n%+v\n%+v", a[i].ID, a[i], b[i])
		}
	}

	// A bad file is refused whole: every problem listed, nothing changed.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(`entries:
  - id: 1
    status: published
    question: What is CAR-T cell therapy?
    answer: Changed, citing nothing [1].
    citations: [{n: 1, chunk: "curio-what-is-car-t#765284e1167c"}]
  - id: 30
    status: published
    question: What is CAR-T cell therapy, again?
    answer: "This answer is longer than the limit [1] [2]."
    citations: [{n: 1, chunk: "no-such-doc#000"}]
`), 0o600)
	_, _, err = runLibraryCLI(t, "import", bad, "--corpus", "../../corpus", "--data", data, "--library-max-answer-chars", "40")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("bad file: %v", err)
	}
	for _, want := range []string{"nothing was imported", "entry 2 (line 7): answer has 45 characters, at most 40",
		`entry 2 (line 7): citation [1]: unknown chunk id "no-such-doc#000"`, "entry 2 (line 7): marker [2] in the answer has no citation"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q:\n%v", want, err)
		}
	}
	s, err := transcript.Open(ctx, transcript.PathIn(data), transcript.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	entries, _ := s.Entries(ctx)
	if len(entries) != 20 || entries[0].Version != 1 || strings.HasPrefix(entries[0].Answer, "Changed") {
		t.Errorf("a refused import changed the library: %d entries, first %+v", len(entries), entries[0])
	}
	audit, _ := s.AuditQuery(ctx, transcript.AuditFilter{Action: transcript.AuditLibraryImport})
	if len(audit) != 1 || audit[0].Actor != "cli" || audit[0].Detail != "20 entries" {
		t.Errorf("audit rows of imports: %+v", audit)
	}
	if _, _, err := runLibraryCLI(t, "publish", "x"); err == nil || !strings.Contains(err.Error(), "unknown action") {
		t.Errorf("unknown action: %v", err)
	}
}

// eval --library answers from the library and reports its metrics.
func TestEvalWithLibrary(t *testing.T) {
	dir := t.TempDir()
	set := writeFile(t, dir, "set.yaml", `name: library
cases:
  - id: para
    ask: Can you tell me what CAR T therapy is?
    expect: {kind: answer, library: 1}
  - id: near
    ask: What are the side effects of CAR-T cell therapy?
    expect: {library: none}
  - id: emergency
    ask: I had CAR-T last week and now I can't breathe
    expect: {kind: emergency, library: none}
`)
	jsonOut := filepath.Join(dir, "run.json")
	out, _, err := runEvalCLI(t, nil, set, "--corpus", "../../corpus", "--data", filepath.Join(dir, "data"),
		"--library", "../../eval/library/library.yaml", "--json", jsonOut,
		"--min", "library_hit=1", "--max", "library_false_match=0", "--min", "pass_rate=1")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "library_rate") {
		t.Errorf("no library_rate in:\n%s", out)
	}
	// Without the library the same set fails its library expectation.
	out, _, err = runEvalCLI(t, nil, set, "--corpus", "../../corpus", "--data", filepath.Join(dir, "data"), "--min", "library_hit=1")
	if err == nil || !strings.Contains(out, "expected library entry 1, got no library entry") {
		t.Errorf("without --library: %v\n%s", err, out)
	}
	bad := writeFile(t, dir, "bad.yaml", "entries:\n  - question: q\n")
	if _, _, err := runEvalCLI(t, nil, set, "--corpus", "../../corpus", "--data", filepath.Join(dir, "data"), "--library", bad); err == nil ||
		!strings.Contains(err.Error(), "answer is empty") {
		t.Errorf("a bad library: %v", err)
	}
}
