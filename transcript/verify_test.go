package transcript

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cellchat/cellchat/chat"
)

func TestMissingAnswers(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "t.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range []string{"a1", "a2"} {
		r := Record{AnswerID: id, ConversationID: "c1", Time: time.Now(), Question: "q",
			Reply: chat.Reply{Kind: chat.KindAnswer, Text: "t", Disclaimer: "d"}}
		if err := s.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	missing, err := s.MissingAnswers(ctx, []string{"a1", "zz", "a2", "yy"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(missing, []string{"zz", "yy"}) {
		t.Fatalf("missing = %v, want [zz yy]", missing)
	}
}
