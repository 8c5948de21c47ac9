package retrieval

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeVector is a deterministic 8-dimensional, not normalised, vector of text.
func fakeVector(text string) []float32 {
	v := make([]float32, 8)
	for i, r := range strings.ToLower(text) {
		v[(int(r)+i)%8] += 1
	}
	return v
}

// embedServer records the requests it gets and answers in the wire format of
// the given API.
type embedServer struct {
	mu       sync.Mutex
	paths    []string
	bodies   []map[string]any
	auth     []string
	failWith int // HTTP status to answer with; 0: answer normally
}

func (s *embedServer) handler(api string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		s.mu.Lock()
		s.paths = append(s.paths, r.Method+" "+r.URL.Path)
		s.bodies = append(s.bodies, body)
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		fail := s.failWith
		s.mu.Unlock()
		if fail != 0 {
			http.Error(w, `{"error":"model exploded"}`, fail)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch api {
		case "ollama": // POST /api/embeddings {"model","prompt"} -> {"embedding":[...]}
			json.NewEncoder(w).Encode(map[string]any{"embedding": fakeVector(body["prompt"].(string))})
		case "openai": // POST /v1/embeddings {"model","input"} -> {"data":[{"embedding":[...],"index":0}],...}
			json.NewEncoder(w).Encode(map[string]any{
				"object": "list",
				"data":   []any{map[string]any{"object": "embedding", "embedding": fakeVector(body["input"].(string)), "index": 0}},
				"model":  body["model"],
				"usage":  map[string]int{"prompt_tokens": 3, "total_tokens": 3},
			})
		}
	})
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestEmbedderFromEnv(t *testing.T) {
	ctx := context.Background()
	t.Run("default is local", func(t *testing.T) {
		for _, v := range []string{"", "local", "LOCAL"} {
			e, err := EmbedderFromEnv(envOf(map[string]string{"CELLCHAT_EMBEDDER": v}))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := e.(*LocalEmbedder); !ok {
				t.Fatalf("CELLCHAT_EMBEDDER=%q gave %T", v, e)
			}
		}
	})
	t.Run("unknown", func(t *testing.T) {
		_, err := EmbedderFromEnv(envOf(map[string]string{"CELLCHAT_EMBEDDER": "word2vec"}))
		if err == nil || !strings.Contains(err.Error(), "word2vec") {
			t.Fatalf("err = %v", err)
		}
	})

	tests := []struct {
		api      string
		base     string // URL path prefix the server is configured with
		wantPath string
		textKey  string
		name     string
	}{
		{"ollama", "/api", "POST /api/embeddings", "prompt", "ollama:nomic-embed-text"},
		{"openai", "/v1", "POST /v1/embeddings", "input", "openai:text-embedding-3-small"},
	}
	for _, tt := range tests {
		t.Run(tt.api, func(t *testing.T) {
			srv := &embedServer{}
			ts := httptest.NewServer(srv.handler(tt.api))
			defer ts.Close()
			modelName := strings.TrimPrefix(tt.name, tt.api+":")
			e, err := EmbedderFromEnv(envOf(map[string]string{
				"CELLCHAT_EMBEDDER":      tt.api,
				"CELLCHAT_EMBED_URL":     ts.URL + tt.base + "/",
				"CELLCHAT_EMBED_MODEL":   modelName,
				"CELLCHAT_EMBED_API_KEY": "sk-test",
			}))
			if err != nil {
				t.Fatal(err)
			}
			if e.Name() != tt.name {
				t.Fatalf("Name() = %q, want %q", e.Name(), tt.name)
			}
			v, err := e.Embed(ctx, "What is CRS?")
			if err != nil {
				t.Fatal(err)
			}
			var norm float64
			for _, x := range v {
				norm += float64(x) * float64(x)
			}
			if len(v) != 8 || math.Abs(norm-1) > 1e-4 {
				t.Fatalf("vector %v (norm² %v): want 8 unit-length dimensions", v, norm)
			}
			if srv.paths[0] != tt.wantPath {
				t.Fatalf("request %q, want %q", srv.paths[0], tt.wantPath)
			}
			if srv.bodies[0]["model"] != modelName || srv.bodies[0][tt.textKey] != "What is CRS?" {
				t.Fatalf("request body %v", srv.bodies[0])
			}
			if tt.api == "openai" && srv.auth[0] != "Bearer sk-test" {
				t.Fatalf("Authorization %q", srv.auth[0])
			}

			srv.failWith = http.StatusInternalServerError
			_, err = e.Embed(ctx, "x")
			if err == nil || !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), tt.name) {
				t.Fatalf("HTTP 500 gave error %v, want one naming the embedder and the status", err)
			}
		})
	}
}

// TestIndexWithRemoteEmbedder indexes and searches through an Ollama-speaking
// server: chunks and queries are embedded by it, and a failing server fails
// the sync without touching the index.
func TestIndexWithRemoteEmbedder(t *testing.T) {
	ctx := context.Background()
	srv := &embedServer{}
	ts := httptest.NewServer(srv.handler("ollama"))
	defer ts.Close()
	e, err := EmbedderFromEnv(envOf(map[string]string{"CELLCHAT_EMBEDDER": "ollama", "CELLCHAT_EMBED_URL": ts.URL + "/api"}))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ix := openTest(t, dir, e)
	if _, err := ix.Sync(ctx, testCorpus(baseDocs), nil); err != nil {
		t.Fatal(err)
	}
	if len(srv.paths) != 7 {
		t.Fatalf("%d embedding requests for 7 chunks", len(srv.paths))
	}
	ps, err := ix.SearchMode(ctx, "Graft-versus-host disease", 1, ModeVector)
	if err != nil || len(ps) != 1 || ps[0].Vector <= 0 {
		t.Fatalf("vector search: %+v %v", ps, err)
	}
	if got := srv.bodies[len(srv.bodies)-1]["prompt"]; got != "Graft-versus-host disease" {
		t.Fatalf("query embedded as %q", got)
	}

	// The server fails: vector search reports it, hybrid falls back to lexical.
	srv.failWith = http.StatusInternalServerError
	if _, err := ix.SearchMode(ctx, "donor", 1, ModeVector); err == nil {
		t.Fatal("vector search with a failing server succeeded")
	}
	ps, err = ix.SearchMode(ctx, "donor", 1, ModeHybrid)
	if err != nil || len(ps) != 1 {
		t.Fatalf("hybrid search with a failing server: %v %v", ps, err)
	}
	docs := cloneDocs(baseDocs)
	docs["new"] = []string{"A brand new paragraph."}
	if _, err := ix.Sync(ctx, testCorpus(docs), nil); err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("sync with a failing server: %v", err)
	}
	if ix.Len() != 7 {
		t.Fatalf("failed sync changed the index to %d chunks", ix.Len())
	}
}
