package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellchat/cellchat/internal/llmtest"
)

const llmSet = `name: llm
cases:
  - id: car-t
    ask: What is CAR-T cell therapy?
    expect: {kind: answer}
  - id: side-effects
    ask: What are the side effects of CAR-T?
    expect: {kind: answer}
  - id: fever
    ask: I have a fever right now
    expect: {kind: emergency}
`

// TestEvalLLM scores a fake model that answers one question faithfully and
// makes up the other's answer.
func TestEvalLLM(t *testing.T) {
	srv := llmtest.NewOpenAI(t, func(p llmtest.Prompt) string {
		if strings.Contains(p.Question, "side effects") {
			text, _ := p.Cite("CAR-T therapy can have significant side effects [@significant side effects]. " +
				"It cures every cancer within one week [@significant side effects].")
			return text
		}
		text, _ := p.Cite("CAR-T therapy, or chimeric antigen receptor T-cell therapy, is a form of immunotherapy used to treat certain types of cancer [@also known as chimeric antigen receptor].")
		return text
	})
	dir := t.TempDir()
	set := writeFile(t, dir, "set.yaml", llmSet)
	env := map[string]string{"CELLCHAT_CORPUS": "../../corpus", "CELLCHAT_DATA": filepath.Join(dir, "data")}
	maps.Copy(env, srv.Env())
	jsonOut := filepath.Join(dir, "run.json")

	out, stderr, err := runEvalCLI(t, env, set, "--llm", "--json", jsonOut, "--max", "llm_rejected_rate=0.5", "--max", "unsupported_sentences=1")
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, stderr)
	}
	if got := len(srv.Prompts()); got != 2 {
		t.Errorf("the model was asked %d times, want 2 (not for the emergency)", got)
	}
	for _, want := range []string{"llm_rejected_rate      0.500", "unsupported_sentences  1 ", "all 2 thresholds met"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	var rep struct {
		Metrics map[string]*float64 `json:"metrics"`
		Results []struct {
			Turns []map[string]any `json:"turns"`
		} `json:"results"`
	}
	data, _ := os.ReadFile(jsonOut)
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if v := rep.Metrics["llm_rejected_rate"]; v == nil || *v != 0.5 {
		t.Errorf("llm_rejected_rate %v", v)
	}
	if turn := rep.Results[0].Turns[0]; turn["mode"] != "llm:gpt-4o-mini" || turn["fallback"] != nil {
		t.Errorf("the faithful answer: %v", turn)
	}
	if turn := rep.Results[1].Turns[0]; turn["mode"] != "extractive" || !strings.HasPrefix(turn["fallback"].(string), "unsupported: ") || turn["unsupported_sentences"] != 1.0 {
		t.Errorf("the made-up answer: %v", turn)
	}

	// The model's settings: with the unsupported sentence left out, the
	// made-up answer's first sentence is shown.
	out, _, err = runEvalCLI(t, env, set, "--llm", "--llm-keep-supported", "--max", "llm_rejected_rate=0")
	if err != nil {
		t.Fatalf("--llm-keep-supported: %v\n%s", err, out)
	}

	// --llm=false answers extractively whatever CELLCHAT_LLM says: the
	// figures are null, and a threshold on them is not met.
	asked := len(srv.Prompts())
	out, _, err = runEvalCLI(t, env, set, "--llm=false", "--max", "unsupported_sentences=0")
	if exitCode(err) != 1 || !strings.Contains(out, "llm_rejected_rate      null") || len(srv.Prompts()) != asked {
		t.Errorf("--llm=false: exit %d, %d more prompts:\n%s", exitCode(err), len(srv.Prompts())-asked, out)
	}
}

func TestEvalLLMNeedsAModel(t *testing.T) {
	dir := t.TempDir()
	set := writeFile(t, dir, "set.yaml", llmSet)
	env := map[string]string{"CELLCHAT_CORPUS": "../../corpus", "CELLCHAT_DATA": filepath.Join(dir, "data")}
	if _, _, err := runEvalCLI(t, env, set, "--llm"); exitCode(err) != 2 || !strings.Contains(err.Error(), "CELLCHAT_LLM") {
		t.Errorf("--llm without a model: exit %d (%v)", exitCode(err), err)
	}
	if _, _, err := runEvalCLI(t, env, set, "--llm", "--server", "http://127.0.0.1:1"); exitCode(err) != 2 {
		t.Errorf("--llm with --server: exit %d (%v)", exitCode(err), err)
	}
	env["CELLCHAT_LLM"] = "gpt5"
	if _, _, err := runEvalCLI(t, env, set); exitCode(err) != 2 || !strings.Contains(err.Error(), "CELLCHAT_LLM") {
		t.Errorf("CELLCHAT_LLM=gpt5: exit %d (%v)", exitCode(err), err)
	}
}
