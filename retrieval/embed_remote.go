package retrieval

import (
	"context"
	"fmt"
	"strings"

	"github.com/philippgille/chromem-go"
)

// Defaults for the optional embedding servers.
const (
	defaultOllamaURL   = "http://localhost:11434/api"
	defaultOllamaModel = "nomic-embed-text"
	defaultOpenAIModel = "text-embedding-3-small"
)

// remoteEmbedder embeds through an embedding server, using chromem-go's
// client for its wire format.
type remoteEmbedder struct {
	name string
	fn   chromem.EmbeddingFunc
}

func (e *remoteEmbedder) Name() string { return e.name }

func (e *remoteEmbedder) Embed(ctx context.Context, text string) ([]float32, error) {
	v, err := e.fn(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("embed with %s: %w", e.name, err)
	}
	normalizeInPlace(v)
	return v, nil
}

// EmbedderFromEnv returns the embedder configured by environment
// (CELLCHAT_EMBEDDER=local|ollama|openai, CELLCHAT_EMBED_URL,
// CELLCHAT_EMBED_MODEL, CELLCHAT_EMBED_API_KEY); the local one by default.
//
// ollama talks to Ollama's POST {URL}/embeddings (URL default
// http://localhost:11434/api); openai to any OpenAI-compatible POST
// {URL}/embeddings (URL default https://api.openai.com/v1).
func EmbedderFromEnv(getenv func(string) string) (Embedder, error) {
	kind := strings.ToLower(strings.TrimSpace(getenv("CELLCHAT_EMBEDDER")))
	url := strings.TrimRight(strings.TrimSpace(getenv("CELLCHAT_EMBED_URL")), "/")
	model := strings.TrimSpace(getenv("CELLCHAT_EMBED_MODEL"))
	switch kind {
	case "", "local":
		return NewLocalEmbedder(), nil
	case "ollama":
		if url == "" {
			url = defaultOllamaURL
		}
		if model == "" {
			model = defaultOllamaModel
		}
		return &remoteEmbedder{name: "ollama:" + model, fn: chromem.NewEmbeddingFuncOllama(model, url)}, nil
	case "openai":
		if url == "" {
			url = chromem.BaseURLOpenAI
		}
		if model == "" {
			model = defaultOpenAIModel
		}
		normalized := false // normalise ourselves rather than guess from the first vector
		fn := chromem.NewEmbeddingFuncOpenAICompat(url, getenv("CELLCHAT_EMBED_API_KEY"), model, &normalized)
		return &remoteEmbedder{name: "openai:" + model, fn: fn}, nil
	default:
		return nil, fmt.Errorf("CELLCHAT_EMBEDDER=%q: unknown embedder (want local, ollama or openai)", kind)
	}
}
