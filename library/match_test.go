package library

import (
	"fmt"
	"testing"
	"time"

	"github.com/cellchat/cellchat/chat"
)

func published(id int64, q string, variants ...string) Entry {
	return Entry{ID: id, Status: StatusPublished, Question: q, Variants: variants, Answer: fmt.Sprintf("Answer %d [1].", id),
		Citations: []chat.Citation{{N: 1, ChunkID: fmt.Sprintf("doc#%d", id), Passage: fmt.Sprintf("passage %d", id)}},
		Approved:  time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)}
}

func TestMatcherFindsParaphrasesNotNeighbours(t *testing.T) {
	m := NewMatcher([]Entry{
		published(1, "What is GVHD?", "what is graft versus host disease"),
		published(2, "What are the side effects of CAR-T therapy?"),
		published(3, "How long does CAR-T take?"),
		{ID: 4, Status: StatusDraft, Question: "What is CRS?"},
		{ID: 5, Status: StatusRetired, Question: "What is ICANS?"},
	}, 0)
	if m.Len() != 3 {
		t.Fatalf("serves %d entries, want the 3 published", m.Len())
	}
	for q, want := range map[string]int64{
		"what's gvhd": 1,
		"Can you explain graft-versus-host disease?": 1,
		"side effects of CAR T therapy":              2,
		"What side effects does CAR-T therapy have?": 2,
		"how long does car-t therapy take":           3,
		"What is CRS?":                               0, // a draft
		"What is ICANS?":                             0, // retired
		"How is GVHD treated?":                       0, // a neighbouring subject
		"What are the side effects of chemotherapy?": 0,
		"Is CAR-T therapy safe for older people?":    0,
		"": 0,
	} {
		mt, ok := m.Find(q)
		if got := mt.Entry.ID; got != want || ok != (want != 0) {
			t.Errorf("Find(%q) = entry %d (%.2f), want %d", q, got, mt.Score, want)
		}
	}
}

func TestLiveMatchesFollowUpsWithTheirContext(t *testing.T) {
	l := NewLive()
	entries := []Entry{published(1, "How is GVHD treated?"), published(2, "What is GVHD?"), published(3, "What is CRS?")}
	p := Passages{}
	for _, e := range entries {
		p[e.Citations[0].ChunkID] = e.Citations[0]
	}
	l.Set(entries, p, 0)
	a, ok := l.Lookup("how is it treated?", "how is it treated? gvhd")
	if !ok || a.Reviewed.Entry != 1 {
		t.Fatalf("after a question on GVHD: entry %d, %v", a.Reviewed.Entry, ok)
	}
	if a, ok := l.Lookup("how is it treated?", "how is it treated? crs cytokine"); ok {
		t.Fatalf("after a question on CRS, the follow-up got entry %d", a.Reviewed.Entry)
	}
	if a, ok := l.Lookup("What is CRS?", ""); !ok || a.Reviewed.Entry != 3 {
		t.Fatalf("no context: entry %d, %v", a.Reviewed.Entry, ok)
	}
}

func TestLiveLeavesStaleEntriesOut(t *testing.T) {
	l := NewLive()
	if _, ok := l.Lookup("What is GVHD?", ""); ok {
		t.Fatal("an empty library answered")
	}
	entries := []Entry{published(1, "What is GVHD?"), published(2, "What is CRS?"), published(3, "What is ICANS?")}
	p := Passages{
		"doc#1": {ChunkID: "doc#1", Passage: "passage 1"},
		"doc#2": {ChunkID: "doc#2", Passage: "passage 2, changed since approval"},
	}
	g := l.Generation()
	stale := l.Set(entries, p, 0)
	if len(stale) != 2 || stale[0].ID != 2 || stale[1].ID != 3 || l.Generation() == g {
		t.Fatalf("stale %+v, generation %d -> %d", stale, g, l.Generation())
	}
	if why := p.Stale(entries[1]); len(why) != 1 || why[0] != "[1] doc#2 was changed in the sources" {
		t.Fatalf("why stale: %v", why)
	}
	if why := p.Stale(entries[2]); len(why) != 1 || why[0] != "[1] doc#3 was removed from the sources" {
		t.Fatalf("why stale: %v", why)
	}
	a, ok := l.Lookup("what's GVHD", "")
	if !ok || a.Reviewed != (chat.Reviewed{By: "care team", Date: "2026-11-30", Entry: 1}) || a.Text != "Answer 1 [1]." || len(a.Citations) != 1 {
		t.Fatalf("lookup: %+v %v", a, ok)
	}
	if _, ok := l.Lookup("What is CRS?", ""); ok {
		t.Fatal("a stale entry was served")
	}
	// Re-approved against today's text, it is served again.
	l.Set([]Entry{p.Cite(entries[1])}, p, 0)
	if _, ok := l.Lookup("What is CRS?", ""); !ok {
		t.Fatal("a re-approved entry was not served")
	}
}
