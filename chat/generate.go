package chat

import (
	"context"

	"github.com/cellchat/cellchat/retrieval"
)

func (e *Engine) generate(ctx context.Context, history []Turn, question string, passages []retrieval.Passage) (cited, string) {
	return cited{}, "not implemented"
}
