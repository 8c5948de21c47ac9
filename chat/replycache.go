package chat

import (
	"container/list"
	"strings"
	"sync"
	"sync/atomic"
)

// replyCache keeps the replies to recent questions. Patients ask the same
// few things ("What is CAR-T?", "What is GVHD?"), and an extractive reply
// is a function of the question, the corpus (fixed for an Engine) and the
// last answered turn a follow-up may lean on, so a question asked again
// in the same context gets the same reply without triage, retrieval and
// composition again. Generated (LLM) replies are not kept: a fallback
// after a failed generation must not outlive the failure.
type replyCache struct {
	mu    sync.Mutex
	limit int
	items map[string]*list.Element // of *cachedReply
	order list.List                // most recently used first

	hits, misses atomic.Uint64
}

type cachedReply struct {
	key string
	d   draft
}

func newReplyCache(limit int) *replyCache {
	if limit <= 0 {
		return nil
	}
	return &replyCache{limit: limit, items: make(map[string]*list.Element, limit)}
}

// get returns the draft kept for key. A nil cache has nothing.
func (c *replyCache) get(key string) (draft, bool) {
	if c == nil {
		return draft{}, false
	}
	c.mu.Lock()
	el, ok := c.items[key]
	if ok {
		c.order.MoveToFront(el)
	}
	c.mu.Unlock()
	if !ok {
		c.misses.Add(1)
		return draft{}, false
	}
	c.hits.Add(1)
	return el.Value.(*cachedReply).d, true
}

// put keeps d for key, forgetting the least recently used reply when full.
// d is shared by every later hit: neither it nor its slices may change.
func (c *replyCache) put(key string, d draft) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		el.Value.(*cachedReply).d = d
		c.order.MoveToFront(el)
		return
	}
	c.items[key] = c.order.PushFront(&cachedReply{key: key, d: d})
	if c.order.Len() > c.limit {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*cachedReply).key)
	}
}

// replyKey is what an extractive reply depends on beside the corpus: the
// question and the last answered turn within reach of a follow-up (see
// followUp: its question, the topic its reply searched for, and its text
// and citations, which a "that" may point at).
func (e *Engine) replyKey(history []Turn, question string) string {
	if i := len(history) - e.cfg.HistoryTurns; i > 0 {
		history = history[i:]
	}
	var b strings.Builder
	b.WriteString(question)
	for i := len(history) - 1; i >= 0; i-- {
		r := history[i].Reply
		if r.Kind != KindAnswer && r.Kind != KindReferral {
			continue
		}
		for _, s := range []string{history[i].Question, string(r.Kind), r.Query, r.Text} {
			b.WriteByte(0)
			b.WriteString(s)
		}
		for _, c := range r.Citations {
			b.WriteByte(0)
			b.WriteString(c.ChunkID)
		}
		break
	}
	return b.String()
}

// ReplyCacheStats reports how many questions were answered from the reply
// cache (Config.ReplyCache) and how many had to be worked out.
func (e *Engine) ReplyCacheStats() (hits, misses uint64) {
	if e.replies == nil {
		return 0, 0
	}
	return e.replies.hits.Load(), e.replies.misses.Load()
}
