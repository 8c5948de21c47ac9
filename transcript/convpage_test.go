package transcript

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestConversationPages(t *testing.T) { eachBackend(t, testConversationPages) }

func testConversationPages(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	const n = 23
	var want []string
	for i := range n {
		r := testRecord("long", i)
		r.Time = time.Unix(1700000000+int64(i), 0)
		want = append(want, r.AnswerID)
		if err := s.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
		other := testRecord("other", i) // another conversation's turns between its own
		other.Time = r.Time
		if err := s.Record(ctx, other); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordFeedback(ctx, "long", Feedback{AnswerID: "long-a3", Rating: "down", Comment: "unclear"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddReview(ctx, Review{AnswerID: "long-a4", Reviewer: "nurse@clinic.org", Status: "wrong"}); err != nil {
		t.Fatal(err)
	}

	// Older pages, followed from the newest, give every turn once, in order.
	const limit = 5
	var got []string
	var sizes []int
	pageOf := map[string]string{}  // answer -> the first answer of its page
	newerOf := map[string]string{} // the first answer of a page -> its Newer
	q := TurnQuery{Limit: limit}
	for {
		p, err := s.ConversationPage(ctx, "long", q)
		if err != nil {
			t.Fatalf("page before %q: %v", q.Before, err)
		}
		var ids []string
		for _, d := range p.Turns {
			ids = append(ids, d.AnswerID)
			pageOf[d.AnswerID] = p.Turns[0].AnswerID
			switch d.AnswerID {
			case "long-a3":
				if len(d.Feedback) != 1 || d.Feedback[0].Comment != "unclear" || d.Rating == nil || len(d.Reply.Retrieved) != 2 {
					t.Errorf("long-a3 on its page: feedback %+v, rating %+v, %d retrieved", d.Feedback, d.Rating, len(d.Reply.Retrieved))
				}
			case "long-a4":
				if len(d.Reviews) != 1 || d.Reviews[0].Status != "wrong" {
					t.Errorf("long-a4 on its page: reviews %+v", d.Reviews)
				}
			}
		}
		if p.Newer != q.Before {
			t.Errorf("page before %q: newer %q, want the turn it is before", q.Before, p.Newer)
		}
		newerOf[p.Turns[0].AnswerID] = p.Newer
		got, sizes = append(ids, got...), append(sizes, len(ids))
		if !p.Older {
			break
		}
		if len(sizes) > n {
			t.Fatal("pages never end")
		}
		q.Before = p.Turns[0].AnswerID
	}
	if !slices.Equal(got, want) {
		t.Errorf("turns over the pages:\n got %v\nwant %v", got, want)
	}
	if !slices.Equal(sizes, []int{5, 5, 5, 5, 3}) {
		t.Errorf("page sizes %v, want [5 5 5 5 3]", sizes)
	}

	// The page holding an answer is the one the older pages reach.
	for _, id := range want {
		p, err := s.ConversationPage(ctx, "long", TurnQuery{Answer: id, Limit: limit})
		if err != nil {
			t.Fatalf("page of %s: %v", id, err)
		}
		if len(p.Turns) == 0 || p.Turns[0].AnswerID != pageOf[id] {
			t.Errorf("page of %s starts at %v, want %s", id, p.Turns, pageOf[id])
		}
		if wantOlder := pageOf[id] != want[0]; p.Older != wantOlder {
			t.Errorf("page of %s: older %v, want %v", id, p.Older, wantOlder)
		}
		if p.Newer != newerOf[pageOf[id]] {
			t.Errorf("page of %s: newer %q, want %q", id, p.Newer, newerOf[pageOf[id]])
		}
	}
	// With a page of one, the answer alone; Answer overrides Before.
	if p, err := s.ConversationPage(ctx, "long", TurnQuery{Answer: "long-a7", Before: "long-a20", Limit: 1}); err != nil ||
		len(p.Turns) != 1 || p.Turns[0].AnswerID != "long-a7" || !p.Older {
		t.Errorf("page of one holding long-a7: %+v, %v", p, err)
	}

	// A page as long as the conversation, or unlimited, is all of it.
	all, err := s.Conversation(ctx, "long")
	if err != nil || len(all) != n {
		t.Fatalf("conversation: %d turns, %v", len(all), err)
	}
	for _, lim := range []int{0, n, n + 1} {
		p, err := s.ConversationPage(ctx, "long", TurnQuery{Limit: lim})
		if err != nil || p.Older || len(p.Turns) != n {
			t.Errorf("limit %d: %d turns, older %v, %v", lim, len(p.Turns), p.Older, err)
		}
	}
	if p, err := s.ConversationPage(ctx, "long", TurnQuery{Limit: n - 1}); err != nil || !p.Older || p.Turns[0].AnswerID != "long-a1" {
		t.Errorf("limit %d: older %v, first %v, %v", n-1, p.Older, p.Turns, err)
	}
	if p, err := s.ConversationPage(ctx, "long", TurnQuery{Before: "long-a0", Limit: limit}); err != nil || p.Older || len(p.Turns) != 0 {
		t.Errorf("before the first turn: %+v, %v", p, err)
	}

	// Answers not of the conversation; no such conversation.
	for _, q := range []TurnQuery{{Before: "other-a3", Limit: limit}, {Answer: "other-a3", Limit: limit}, {Before: "nope"}, {Answer: "nope"}} {
		if _, err := s.ConversationPage(ctx, "long", q); !errors.Is(err, ErrNoSuchTurn) {
			t.Errorf("%+v: %v, want ErrNoSuchTurn", q, err)
		}
	}
	if _, err := s.ConversationPage(ctx, "nope", TurnQuery{Limit: limit}); !errors.Is(err, ErrNotFound) {
		t.Errorf("no such conversation: %v, want ErrNotFound", err)
	}
}
