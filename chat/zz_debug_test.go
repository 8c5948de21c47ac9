package chat

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
)

func TestZZDebug(t *testing.T) {
	qs := os.Getenv("DEBUGQ")
	if qs == "" {
		t.Skip()
	}
	e := realEngine(t, Config{})
	q := e.followUp(nil, qs)
	ps, _, _ := e.search(context.Background(), q.search)
	fmt.Printf("asked=%d define=%v conf=%.3f\n", q.asked, q.define, e.confidence(q, ps, 3))
	for _, st := range q.terms {
		fmt.Printf("  stem %s base=%.2f focus=%.2f known=%v\n", st, q.base[st], q.focus[st], e.stats.known(st))
	}
	for i, p := range ps {
		fmt.Printf("  P%d %.3f %s %.60s\n", i, p.Score, p.ID, p.Text)
	}
	for _, c := range e.compose(q, e.candidates(q, ps), ps, 4) {
		fmt.Println("PICK", c.text)
	}
	cs := e.candidates(q, ps)
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].rel > cs[j].rel })
	for _, c := range cs[:min(10, len(cs))] {
		fmt.Printf("%.3f fit=%.2f p%d.%d lean=%v %s\n", c.rel, e.askedFit(q, c), c.passage, c.pos, c.leans, c.text)
	}
}
