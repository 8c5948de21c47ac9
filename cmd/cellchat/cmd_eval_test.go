package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellchat/cellchat/eval"
)

func runEvalCLI(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := &cli{getenv: func(k string) string { return env[k] }, stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr}
	err := run(context.Background(), append([]string{"cellchat", "eval"}, args...), c)
	return stdout.String(), stderr.String(), err
}

// askServer answers POST /api/ask like the chat server (issue 5): CAR-T
// questions with a cited answer, anything else with no_answer.
func askServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/ask" {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Question       string `json:"question"`
			ConversationID string `json:"conversation_id"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"type":"error","code":"bad_request","message":"bad json"}`, http.StatusBadRequest)
			return
		}
		ans := map[string]any{"type": "answer", "id": "", "answer_id": "a1", "conversation_id": "c1",
			"kind": "no_answer", "text": "I can't answer that from my sources.", "citations": []any{},
			"disclaimer": "Ask your care team."}
		if strings.Contains(strings.ToLower(req.Question), "car-t") {
			ans["kind"] = "answer"
			ans["text"] = "CAR-T is chimeric antigen receptor T-cell therapy [1]."
			ans["citations"] = []map[string]any{{"n": 1, "doc_id": "curio-what-is-car-t", "title": "What is CAR-T therapy", "url": "", "section": "", "passage": "also known as chimeric antigen receptor T-cell therapy"}}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(ans)
	}))
	t.Cleanup(srv.Close)
	return srv
}

const cliSet = `name: cli
cases:
  - id: car-t
    tags: [basics]
    ask: What is CAR-T?
    expect: {kind: answer, evidence: ["chimeric antigen receptor"], sources: [curio-what-is-car-t]}
  - id: cost
    tags: [out-of-scope]
    ask: How much does it cost?
    expect: {kind: no_answer}
`

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEvalCommandExitCodes(t *testing.T) {
	srv := askServer(t)
	dir := t.TempDir()
	set := writeFile(t, dir, "set.yaml", cliSet)
	malformed := writeFile(t, dir, "bad.yaml", "cases:\n  - id: a\n    ask: hi\n    expect: {kind: answr}\n")
	notJSON := writeFile(t, dir, "baseline.json", "{nope")
	setDir := t.TempDir()
	writeFile(t, setDir, "a.yaml", cliSet)
	writeFile(t, setDir, "b.yml", "name: second\ncases: [{id: hi, ask: Tell me about CAR-T, expect: {kind: answer}}]\n")
	writeFile(t, setDir, "notes.txt", "not a set")

	tests := []struct {
		name string
		args []string
		code int
		want string // in the error or stdout
	}{
		{"all good", []string{set, "--server", srv.URL, "--min", "pass_rate=1", "--max", "false_emergencies=0"}, 0, "all 2 thresholds met"},
		{"flags before args", []string{"--server", srv.URL, "--min", "kind_accuracy=1", set}, 0, "cli: 2 of 2 cases passed"},
		{"min not met", []string{set, "--server", srv.URL, "--min", "citation_hit=1", "--min", "latency_p50_ms=0", "--max", "latency_p95_ms=0"}, 1, "--max latency_p95_ms=0"},
		{"null metric under a threshold", []string{set, "--server", srv.URL, "--min", "retrieval_hit@3=0.5"}, 1, "retrieval_hit@3 is null (no eligible turns)"},
		{"malformed set", []string{malformed, "--server", srv.URL}, 2, `bad.yaml:4: case "a": unknown kind "answr"`},
		{"missing set", []string{filepath.Join(dir, "none.yaml"), "--server", srv.URL}, 2, "none.yaml"},
		{"no set", []string{"--server", srv.URL}, 2, "no question set"},
		{"unknown metric", []string{set, "--server", srv.URL, "--min", "accuracy=0.5"}, 2, `unknown metric "accuracy"`},
		{"bad threshold value", []string{set, "--server", srv.URL, "--max", "mrr=lots"}, 2, "not a number"},
		{"malformed baseline", []string{set, "--server", srv.URL, "--compare", notJSON}, 2, "baseline"},
		{"bad server URL", []string{set, "--server", "localhost"}, 2, "server URL"},
		{"duplicate ids across files", []string{set, set, "--server", srv.URL}, 2, "duplicate id"},
		{"folder of sets", []string{setDir, "--server", srv.URL}, 0, "cli + second: 3 of 3 cases passed"},
		{"empty folder", []string{t.TempDir(), "--server", srv.URL}, 2, "no question sets"},
		// What the patient reads: the car-t answer's one sentence holds the
		// evidence (7 words; not found in its passage, so not dangling).
		{"reading metrics met", []string{set, "--server", srv.URL, "--min", "answer_hit=1", "--min", "lead_hit=1",
			"--max", "dangling_rate=0", "--max", "answer_words_p50=7", "--max", "answer_words_p95=7"}, 0, "all 5 thresholds met"},
		{"reading metric not met", []string{set, "--server", srv.URL, "--max", "answer_words_p95=6"}, 1, "answer_words_p95 is 7"},
		{"reading metric null", []string{set, "--server", srv.URL, "--max", "duplicate_rate=0"}, 1, "duplicate_rate is null (no eligible turns)"},
		{"reading metric misspelt", []string{set, "--server", srv.URL, "--min", "answer_hits=1"}, 2, `unknown metric "answer_hits"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := runEvalCLI(t, nil, tt.args...)
			if got := exitCode(err); got != tt.code {
				t.Fatalf("exit %d, want %d (err %v)\n%s", got, tt.code, err, out)
			}
			all := out
			if err != nil {
				all += err.Error()
			}
			if !strings.Contains(all, tt.want) {
				t.Errorf("output and error lack %q:\n%s", tt.want, all)
			}
		})
	}
}

func TestEvalCommandOutputs(t *testing.T) {
	srv := askServer(t)
	dir := t.TempDir()
	set := writeFile(t, dir, "set.yaml", cliSet)
	jsonOut, htmlOut := filepath.Join(dir, "run.json"), filepath.Join(dir, "run.html")
	// Thresholds by environment, as CI may set them.
	env := map[string]string{"CELLCHAT_SERVER": srv.URL, "CELLCHAT_MIN": "pass_rate=1,kind_accuracy=1"}
	out, stderr, err := runEvalCLI(t, env, set, "--json", jsonOut, "--html", htmlOut)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr not empty without a terminal (no progress bar expected): %q", stderr)
	}
	for _, want := range []string{"cli: 2 of 2 cases passed", "kind_accuracy", "per tag:", "out-of-scope", "all 2 thresholds met"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	var rep map[string]any
	data, err := os.ReadFile(jsonOut)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep["name"] != "cli" || rep["cases"] != 2.0 || rep["passed"] != 2.0 {
		t.Errorf("json = %v", rep)
	}
	if m := rep["metrics"].(map[string]any); m["answer_hit"] != 1.0 || m["lead_hit"] != 1.0 || m["answer_words_p50"] != 7.0 || m["duplicate_rate"] != nil {
		t.Errorf("json metrics = %v", m)
	}
	carT := rep["results"].([]any)[0].(map[string]any)["turns"].([]any)[0].(map[string]any)
	if carT["answer_hit"] != true || carT["lead_hit"] != true || carT["dangling"] != false || carT["answer_words"] != 7.0 {
		t.Errorf("json turn = %v", carT)
	}
	page, err := os.ReadFile(htmlOut)
	if err != nil || !bytes.Contains(page, []byte("<svg")) {
		t.Errorf("html report missing or without charts: %v", err)
	}

	// Compare against a baseline in which "cost" passed and "car-t" failed,
	// after making "cost" fail.
	var baseline map[string]any
	json.Unmarshal(data, &baseline)
	results := baseline["results"].([]any)
	results[0].(map[string]any)["passed"] = false
	baseline["metrics"].(map[string]any)["pass_rate"] = 0.5
	b, _ := json.Marshal(baseline)
	base := writeFile(t, dir, "base.json", string(b))
	worse := writeFile(t, dir, "worse.yaml", strings.Replace(cliSet, "{kind: no_answer}", "{kind: answer}", 1))
	out, _, err = runEvalCLI(t, nil, worse, "--server", srv.URL, "--compare", base)
	if err != nil {
		t.Fatalf("compare: %v", err)
	}
	for _, want := range []string{"compared with cli", "newly failing (1): cost", "newly passing (1): car-t", "pass_rate",
		"answer_hit", "lead_hit", "dangling_rate", "duplicate_rate", "answer_words_p50", "answer_words_p95"} {
		if !strings.Contains(out, want) {
			t.Errorf("compare output lacks %q:\n%s", want, out)
		}
	}
}

func TestEvalCommandHelp(t *testing.T) {
	_, stderr, err := runEvalCLI(t, nil, "--help")
	// flag.ErrHelp is returned; main turns it into exit 0.
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr, "usage: cellchat eval") || !strings.Contains(stderr, "retrieval_hit@1") || !strings.Contains(stderr, "answer_words_p95") {
		t.Errorf("help: err %v\n%s", err, stderr)
	}
}

// In-process: the real engine over the real corpus, in a fresh data
// directory, as CI runs the project's set.
func TestEvalCommandInProcess(t *testing.T) {
	dir := t.TempDir()
	set := writeFile(t, dir, "set.yaml", `name: in-process
cases:
  - id: car-t
    ask: What is CAR-T therapy?
    expect: {kind: answer, evidence: ["chimeric antigen receptor"], sources: [curio-what-is-car-t, hct-cellular-therapy-overview, asgct-cell-therapy-basics]}
  - id: hello
    ask: Hello
    expect: {kind: greeting}
`)
	jsonOut := filepath.Join(dir, "run.json")
	out, _, err := runEvalCLI(t, nil, set, "--corpus", "../../corpus", "--data", filepath.Join(dir, "data"),
		"--json", jsonOut, "--min", "disclaimer_rate=1", "--min", "retrieval_hit@5=1")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rep struct {
		Results []struct {
			ID    string `json:"id"`
			Turns []struct {
				Retrieved []map[string]any `json:"retrieved"`
			} `json:"turns"`
		} `json:"results"`
	}
	data, _ := os.ReadFile(jsonOut)
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	// In-process, mrr's whole depth is reported, past the 5 answered from.
	if len(rep.Results) != 2 || len(rep.Results[0].Turns[0].Retrieved) != eval.MRRDepth {
		t.Errorf("in-process run does not report %d retrieved passages: %s", eval.MRRDepth, data)
	}
}
