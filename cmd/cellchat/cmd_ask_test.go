package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cellchat/cellchat/chat"
)

// runChatCLI runs a command in-process with stdin and an environment.
func runChatCLI(t *testing.T, stdin string, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := &cli{
		getenv: func(k string) string { return env[k] },
		stdin:  strings.NewReader(stdin),
		stdout: &stdout,
		stderr: &stderr,
	}
	err := run(context.Background(), append([]string{"cellchat"}, args...), c)
	return stdout.String(), stderr.String(), err
}

func TestAskCommand(t *testing.T) {
	data := t.TempDir()
	out, _, err := runChatCLI(t, "", nil, "ask", "What is conditioning before cell therapy?", "--corpus", "../../corpus", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[1]", "\nSources:\n  [1] ", "https://patienteducation.asgct.org/", chat.DefaultDisclaimer} {
		if !strings.Contains(out, want) {
			t.Errorf("ask output lacks %q:\n%s", want, out)
		}
	}

	// Flags before the question, paths from the environment, --json.
	env := map[string]string{"CELLCHAT_CORPUS": "../../corpus", "CELLCHAT_DATA": data, "CELLCHAT_DISCLAIMER": "Ask your own doctor."}
	out, _, err = runChatCLI(t, "", env, "ask", "--json", "I have a fever since my infusion")
	if err != nil {
		t.Fatal(err)
	}
	var r chat.Reply
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("--json output is not a reply: %v\n%s", err, out)
	}
	if r.Kind != chat.KindEmergency || r.Disclaimer != "Ask your own doctor." || r.Reason == "" || r.Mode != "extractive" {
		t.Errorf("reply %+v", r)
	}
	var raw map[string]any
	json.Unmarshal([]byte(out), &raw)
	for _, k := range []string{"kind", "text", "citations", "disclaimer", "mode", "confidence", "corpus_version"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("--json lacks %q: %s", k, out)
		}
	}

	out, _, err = runChatCLI(t, "", env, "ask", "How much does CAR-T cost?")
	if err != nil || !strings.Contains(out, "can't answer that from my sources") || strings.Contains(out, "Sources:") {
		t.Errorf("no-answer: %v\n%s", err, out)
	}
}

func TestAskBadInput(t *testing.T) {
	env := map[string]string{"CELLCHAT_CORPUS": "../../corpus", "CELLCHAT_DATA": t.TempDir()}
	if _, _, err := runChatCLI(t, "", env, "ask"); exitCode(err) != 2 {
		t.Errorf("missing question: exit %d (%v)", exitCode(err), err)
	}
	if _, _, err := runChatCLI(t, "", env, "ask", "   "); exitCode(err) != 2 {
		t.Errorf("blank question: exit %d (%v)", exitCode(err), err)
	}
	_, _, err := runChatCLI(t, "", env, "ask", strings.Repeat("what is car-t? ", 200))
	if exitCode(err) != 2 || !errors.Is(err, chat.ErrQuestionTooLong) {
		t.Errorf("huge question: exit %d (%v)", exitCode(err), err)
	}
	if _, _, err := runChatCLI(t, "", env, "ask", "--bogus", "hi"); exitCode(err) != 2 {
		t.Errorf("unknown flag: exit %d (%v)", exitCode(err), err)
	}
	if _, stderr, err := runChatCLI(t, "", env, "ask", "--help"); !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr, "-json") {
		t.Errorf("--help: %v\n%s", err, stderr)
	}
	bad := map[string]string{"CELLCHAT_CORPUS": "../../corpus", "CELLCHAT_DATA": t.TempDir(), "CELLCHAT_LLM": "gpt5"}
	if _, _, err := runChatCLI(t, "", bad, "ask", "What is CAR-T?"); err == nil || !strings.Contains(err.Error(), "CELLCHAT_LLM") {
		t.Errorf("bad LLM setting: %v", err)
	}
}

func TestChatCommand(t *testing.T) {
	env := map[string]string{"CELLCHAT_CORPUS": "../../corpus", "CELLCHAT_DATA": t.TempDir()}
	in := "What is CAR-T therapy?\n\nWhat are its side effects?\nHow is that treated?\nexit\nWhat is GVHD?\n"
	out, _, err := runChatCLI(t, in, env, "chat")
	if err != nil {
		t.Fatal(err)
	}
	// A turn starts a line with the prompt; a source's heading path
	// ("Potentials ... > Risks") holds "> " too, inside a line.
	turns := strings.Split("\n"+out, "\n> ")[1:]
	if len(turns) != 3 {
		t.Fatalf("%d answered turns, want 3 (exit stops the conversation):\n%s", len(turns), out)
	}
	for i, want := range []string{"chimeric antigen receptor", "cytokine release syndrome", "anti-cytokine therapy"} {
		if !strings.Contains(turns[i], want) || !strings.Contains(turns[i], chat.DefaultDisclaimer) {
			t.Errorf("turn %d lacks %q or the disclaimer:\n%s", i+1, want, turns[i])
		}
	}

	// --json: one reply per line, the follow-up still resolved.
	out, _, err = runChatCLI(t, "What is CAR-T therapy?\nWhat are its side effects?\n", env, "chat", "--json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d JSON lines, want 2:\n%s", len(lines), out)
	}
	var r chat.Reply
	if err := json.Unmarshal([]byte(lines[1]), &r); err != nil {
		t.Fatal(err)
	}
	if r.Kind != chat.KindAnswer || !strings.Contains(strings.ToLower(r.Query), "car") {
		t.Errorf("follow-up over --json: %+v", r)
	}

	// A too-long line is reported and the conversation goes on.
	out, stderr, err := runChatCLI(t, strings.Repeat("x", 3000)+"\nhello\n", env, "chat")
	if err != nil || !strings.Contains(stderr, "too long") || !strings.Contains(out, "Hello!") {
		t.Errorf("too-long line: %v\nstdout %s\nstderr %s", err, out, stderr)
	}
	// Ctrl-C (a cancelled context) ends a conversation waiting for input.
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		var out bytes.Buffer
		errc <- run(ctx, []string{"cellchat", "chat"}, &cli{getenv: func(k string) string { return env[k] }, stdin: pr, stdout: &out, stderr: &out})
	}()
	pw.Write([]byte("hello\n"))
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("chat ended by cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("chat kept waiting for input after cancel")
	}
	if _, _, err := runChatCLI(t, "", env, "chat", "What is CAR-T?"); exitCode(err) != 2 {
		t.Errorf("positional question: exit %d", exitCode(err))
	}
}
