package chat

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestZZConv(t *testing.T) {
	qs := os.Getenv("CONV")
	if qs == "" {
		t.Skip()
	}
	e := realEngine(t, Config{})
	var h []Turn
	turns := strings.Split(qs, "|")
	for i, q := range turns {
		if i == len(turns)-1 {
			qq := e.followUp(h, q)
			ps, _, _ := e.search(context.Background(), qq.search)
			fmt.Printf("search=%q conf=%.3f\n", qq.search, e.confidence(qq, ps, 3))
			for _, st := range qq.terms {
				fmt.Printf("  %s base=%.2f focus=%.2f own=%v\n", st, qq.base[st], qq.focus[st], qq.own[st])
			}
		}
		r, _ := e.Answer(context.Background(), h, q, nil)
		h = append(h, Turn{Question: q, Reply: r})
	}
}
