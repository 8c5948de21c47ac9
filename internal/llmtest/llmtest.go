// Package llmtest serves fake language models for tests, speaking the real
// wire formats: OpenAI's (POST /v1/chat/completions, server-sent events)
// and Ollama's (POST /api/chat, newline-delimited JSON). What the model
// says is the test's to decide, from the prompt it was given.
package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// APIKey is the key the OpenAI fake accepts.
const APIKey = "test-key"

// Prompt is what the model was asked.
type Prompt struct {
	System string
	User   string
	// Passages are the numbered passages of the prompt, Passages[0]
	// being [1], each the whole line the engine wrote for it.
	Passages []string
	// Question is the patient's question, as the prompt quotes it.
	Question string
}

// Reply decides what the model says to a prompt.
type Reply func(Prompt) string

// Server is a fake model server.
type Server struct {
	*httptest.Server
	kind  string // "openai" or "ollama"
	reply Reply

	mu      sync.Mutex
	prompts []Prompt
}

// NewOpenAI starts an OpenAI-compatible fake; it stops with the test.
func NewOpenAI(t testing.TB, reply Reply) *Server {
	s := &Server{kind: "openai", reply: reply}
	s.Server = httptest.NewServer(http.HandlerFunc(s.openAI))
	t.Cleanup(s.Close)
	return s
}

// NewOllama starts an Ollama fake; it stops with the test.
func NewOllama(t testing.TB, reply Reply) *Server {
	s := &Server{kind: "ollama", reply: reply}
	s.Server = httptest.NewServer(http.HandlerFunc(s.ollama))
	t.Cleanup(s.Close)
	return s
}

// Env is the environment that points cellchat at the server
// (chat.LLMFromEnv reads it).
func (s *Server) Env() map[string]string {
	if s.kind == "ollama" {
		return map[string]string{"CELLCHAT_LLM": "ollama", "CELLCHAT_LLM_URL": s.URL, "CELLCHAT_LLM_MODEL": "llama3.2"}
	}
	return map[string]string{"CELLCHAT_LLM": "openai", "CELLCHAT_LLM_URL": s.URL + "/v1", "CELLCHAT_LLM_MODEL": "gpt-4o-mini", "CELLCHAT_LLM_API_KEY": APIKey}
}

// Prompts returns what the server was asked so far, oldest first.
func (s *Server) Prompts() []Prompt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Prompt(nil), s.prompts...)
}

type chatRequest struct {
	Messages []struct {
		Role    string `json:"role"`
		Content any    `json:"content"` // a string, or OpenAI's list of parts
	} `json:"messages"`
}

// read decodes a chat request into a Prompt and records it.
func (s *Server) read(w http.ResponseWriter, r *http.Request) (Prompt, bool) {
	body, err := io.ReadAll(r.Body)
	var req chatRequest
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
		return Prompt{}, false
	}
	var p Prompt
	for _, m := range req.Messages {
		text := contentText(m.Content)
		switch m.Role {
		case "system":
			p.System += text
		case "user":
			p.User += text
		}
	}
	p.Passages, p.Question = parsePrompt(p.User)
	s.mu.Lock()
	s.prompts = append(s.prompts, p)
	s.mu.Unlock()
	return p, true
}

func contentText(c any) string {
	switch v := c.(type) {
	case string:
		return v
	case []any:
		var b strings.Builder
		for _, part := range v {
			if m, ok := part.(map[string]any); ok {
				if t, ok := m["text"].(string); ok {
					b.WriteString(t)
				}
			}
		}
		return b.String()
	}
	return ""
}

var (
	passageLine = regexp.MustCompile(`(?m)^\[(\d+)\] .*$`)
	question    = regexp.MustCompile(`(?s)<<<\n(.*)\n>>>`)
)

func parsePrompt(user string) ([]string, string) {
	var passages []string
	for _, m := range passageLine.FindAllStringSubmatch(user, -1) {
		if m[1] == fmt.Sprint(len(passages)+1) {
			passages = append(passages, m[0])
		}
	}
	q := ""
	if m := question.FindStringSubmatch(user); m != nil {
		q = m[1]
	}
	return passages, q
}

// citeRef is a citation written by a phrase of the passage it cites:
// "[@cytokine release syndrome]".
var citeRef = regexp.MustCompile(`\[@([^\]]+)\]`)

// Cite turns the "[@phrase]" citations of text into the numbers under
// which the prompt showed the passages holding those phrases, so a reply
// can cite a passage whatever rank retrieval gave it. It returns the
// phrases no passage of the prompt holds.
func (p Prompt) Cite(text string) (string, []string) {
	var missing []string
	out := citeRef.ReplaceAllStringFunc(text, func(m string) string {
		phrase := citeRef.FindStringSubmatch(m)[1]
		for i, line := range p.Passages {
			if strings.Contains(line, phrase) {
				return fmt.Sprintf("[%d]", i+1)
			}
		}
		missing = append(missing, phrase)
		return "[0]"
	})
	return out, missing
}

// Pieces cuts text into the few-character tokens a server streams.
func Pieces(text string) []string {
	var out []string
	for len(text) > 0 {
		n := min(7, len(text))
		out = append(out, text[:n])
		text = text[n:]
	}
	return out
}

// JSONString is s as a JSON string literal.
func JSONString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (s *Server) openAI(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+APIKey {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`)
		return
	}
	p, ok := s.read(w, r)
	if !ok {
		return
	}
	answer := s.reply(p)
	w.Header().Set("Content-Type", "text/event-stream")
	chunk := func(delta, finish string) {
		fmt.Fprintf(w, `data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1795000000,"model":"gpt-4o-mini","system_fingerprint":"fp_1","choices":[{"index":0,"delta":%s,"logprobs":null,"finish_reason":%s}]}`+"\n\n", delta, finish)
		w.(http.Flusher).Flush()
	}
	chunk(`{"role":"assistant","content":""}`, "null")
	for _, piece := range Pieces(answer) {
		chunk(`{"content":`+JSONString(piece)+`}`, "null")
	}
	chunk(`{}`, `"stop"`)
	fmt.Fprint(w, "data: [DONE]\n\n")
}

func (s *Server) ollama(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/chat" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	p, ok := s.read(w, r)
	if !ok {
		return
	}
	answer := s.reply(p)
	w.Header().Set("Content-Type", "application/x-ndjson")
	for _, piece := range Pieces(answer) {
		fmt.Fprintf(w, `{"model":"llama3.2","created_at":"2026-11-22T03:00:00.000Z","message":{"role":"assistant","content":%s},"done":false}`+"\n", JSONString(piece))
		w.(http.Flusher).Flush()
	}
	fmt.Fprint(w, `{"model":"llama3.2","created_at":"2026-11-22T03:00:01.000Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":123456,"load_duration":1000,"prompt_eval_count":300,"prompt_eval_duration":1000,"eval_count":40,"eval_duration":1000}`+"\n")
}
