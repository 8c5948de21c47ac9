package main

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/internal/llmtest"
)

// issueReply is what a model told to answer from the passages said about
// CAR-T, citing a passage that says nothing of the kind.
const issueReply = "CAR-T therapy cures every cancer within one week and has no side effects [1]."

func TestAskRefusesUnsupportedGeneratedAnswer(t *testing.T) {
	data := t.TempDir()
	for _, kind := range []string{"openai", "ollama"} {
		t.Run(kind, func(t *testing.T) {
			reply := func(llmtest.Prompt) string { return issueReply }
			srv := llmtest.NewOpenAI(t, reply)
			if kind == "ollama" {
				srv = llmtest.NewOllama(t, reply)
			}
			env := map[string]string{"CELLCHAT_CORPUS": "../../corpus", "CELLCHAT_DATA": data}
			maps.Copy(env, srv.Env())

			out, stderr, err := runChatCLI(t, "", env, "ask", "What is CAR-T cell therapy?")
			if err != nil {
				t.Fatal(err)
			}
			if len(srv.Prompts()) != 1 {
				t.Fatalf("the model was asked %d times, want once", len(srv.Prompts()))
			}
			if strings.Contains(out, "cures") || strings.Contains(out, "no side effects") || !strings.Contains(out, "chimeric antigen receptor") {
				t.Errorf("ask did not serve the extractive answer:\n%s", out)
			}
			wantWhy := `cellchat: the generated answer was not shown, the extractive answer was: unsupported: "CAR-T therapy cures every cancer within one week and has no side effects." (absolute "cures" not in [1])`
			if !strings.Contains(stderr, wantWhy) {
				t.Errorf("stderr lacks why:\n%s\nwant\n%s", stderr, wantWhy)
			}

			out, _, err = runChatCLI(t, "", env, "ask", "--json", "What is CAR-T cell therapy?")
			if err != nil {
				t.Fatal(err)
			}
			var r chat.Reply
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			if r.Kind != chat.KindAnswer || r.Mode != "extractive" || !strings.HasPrefix(r.Fallback, "unsupported: ") || r.Unsupported != 1 {
				t.Errorf("reply kind %s, mode %q, fallback %q, unsupported %d", r.Kind, r.Mode, r.Fallback, r.Unsupported)
			}
		})
	}
}

func TestAskKeepsSupportedSentences(t *testing.T) {
	srv := llmtest.NewOpenAI(t, func(p llmtest.Prompt) string {
		text, _ := p.Cite("CAR-T therapy, also known as chimeric antigen receptor T-cell therapy, is a form of immunotherapy used to treat certain types of cancer [@also known as chimeric antigen receptor]. " + issueReply)
		return text
	})
	env := map[string]string{"CELLCHAT_CORPUS": "../../corpus", "CELLCHAT_DATA": t.TempDir()}
	maps.Copy(env, srv.Env())
	for _, how := range [][]string{{"--llm-keep-supported"}, nil} {
		e := maps.Clone(env)
		if how == nil {
			e["CELLCHAT_LLM_KEEP_SUPPORTED"] = "true"
		}
		out, stderr, err := runChatCLI(t, "", e, append([]string{"ask", "--json", "What is CAR-T cell therapy?"}, how...)...)
		if err != nil {
			t.Fatal(err)
		}
		var r chat.Reply
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		if r.Mode != "llm:gpt-4o-mini" || r.Fallback != "" || r.Unsupported != 1 || strings.Contains(r.Text, "cures") || !strings.Contains(r.Text, "immunotherapy") {
			t.Errorf("%v: mode %q, fallback %q, unsupported %d: %q", how, r.Mode, r.Fallback, r.Unsupported, r.Text)
		}
		if !strings.Contains(stderr, "1 generated sentence(s) not supported by their passages were left out") {
			t.Errorf("%v: stderr %q", how, stderr)
		}
	}
	// A stricter threshold than a sentence meets refuses it.
	out, _, err := runChatCLI(t, "", env, "ask", "--json", "--llm-min-support", "1", "What is CAR-T cell therapy?")
	if err != nil {
		t.Fatal(err)
	}
	var r chat.Reply
	json.Unmarshal([]byte(out), &r)
	if r.Mode != "extractive" || r.Fallback == "" {
		t.Errorf("--llm-min-support 1: mode %q, fallback %q", r.Mode, r.Fallback)
	}
	for _, bad := range []string{"0", "1.5", "most"} {
		if _, _, err := runChatCLI(t, "", env, "ask", "--llm-min-support", bad, "What is CAR-T?"); exitCode(err) != 2 {
			t.Errorf("--llm-min-support %s: exit %d (%v)", bad, exitCode(err), err)
		}
	}
}
