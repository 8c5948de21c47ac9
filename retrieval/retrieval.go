// Package retrieval indexes corpus chunks and ranks them for a query:
// a local vector index (chromem-go), a BM25 lexical index and their fusion.
package retrieval

import "github.com/cellchat/cellchat/corpus"

// Passage is a chunk ranked for one query.
type Passage struct {
	corpus.Chunk
	Score   float64 `json:"score"`   // the fused score used for ranking
	Lexical float64 `json:"lexical"` // BM25 score (0 when not matched)
	Vector  float64 `json:"vector"`  // cosine similarity (0 when not computed)
}
