package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/transcript"
)

// FillLog is what Fill writes to (*transcript.Store is one).
type FillLog interface {
	Record(ctx context.Context, r transcript.Record) error
	RecordFeedback(ctx context.Context, conversationID string, f transcript.Feedback) error
	AddReview(ctx context.Context, rv transcript.Review) (transcript.Review, error)
}

// FillTurn is a question and the reply the engine gives it: Fill draws its
// turns from a set of these.
type FillTurn struct {
	Question string
	Reply    chat.Reply
}

// FillConfig is one fill of a log with synthetic turns.
type FillConfig struct {
	Turns int        // how many turns to write
	Days  int        // spread over the last this many days (default 365)
	From  []FillTurn // the questions and replies drawn from
	Seed  uint64     // the same seed and turns give the same log, but for ids
	// Progress, when set, is called now and then with the turns written so far.
	Progress func(done int)
}

// FillResult is what a fill wrote.
type FillResult struct {
	Turns         int           `json:"turns"`
	Conversations int           `json:"conversations"`
	Feedback      int           `json:"feedback"`
	Reviews       int           `json:"reviews"`
	Elapsed       time.Duration `json:"elapsed_ns"`
}

// The mix of a filled log, as a clinic's might be: most conversations are
// a few turns, a few patients rate an answer and staff review a few.
const (
	fillMaxTurnsPerConversation = 6     // a conversation has 1..6 turns
	fillFeedbackShare           = 0.03  // turns with a patient's rating
	fillDownShare               = 0.3   // of those, thumbs down
	fillCommentShare            = 0.25  // of those, with a comment
	fillReviewShare             = 0.004 // turns a staff member reviewed
	fillWorkers                 = 256   // Record calls in flight: the writer commits them together
)

// fillOpeners vary the wording of questions, as patients do.
var fillOpeners = []string{"", "", "", "Hi, ", "Hello. ", "Quick question: ", "My mother asks: ", "Sorry if this is silly but ", "Doctor said to ask here - "}

var fillComments = []string{"thanks, that helped", "too long", "did not answer my question", "clear and kind", "I wanted to know about my own case", "the link did not open"}

// Fill writes cfg.Turns synthetic turns into log, in conversations of one
// to six turns spread over cfg.Days days up to now, with patients'
// feedback on some and staff reviews of a few, as fast as the log commits.
func Fill(ctx context.Context, log FillLog, cfg FillConfig) (FillResult, error) {
	if cfg.Turns <= 0 {
		return FillResult{}, errors.New("fill: turns must be at least 1")
	}
	if len(cfg.From) == 0 {
		return FillResult{}, errors.New("fill: no questions to draw from")
	}
	if cfg.Days <= 0 {
		cfg.Days = 365
	}
	start := time.Now()
	span := time.Duration(cfg.Days) * 24 * time.Hour
	// Conversations start evenly over the span, in order, so the log is
	// written oldest first as a server's is.
	convs := cfg.Turns * 2 / (fillMaxTurnsPerConversation + 1) // 3.5 turns each on average
	step := span / time.Duration(max(convs, 1))
	work := make(chan []transcript.Record, fillWorkers)
	var res FillResult
	var done atomic.Int64
	// Feedback and reviews are written once every turn is in: beside the
	// writer's back-to-back commits, they would wait for the write lock.
	var mu sync.Mutex
	var reactions []func(context.Context, FillLog, *FillResult) error
	var firstErr error
	var errOnce sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) { errOnce.Do(func() { firstErr = err; cancel() }) }

	var wg sync.WaitGroup
	for w := range fillWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(w)+1))
			for conv := range work {
				for _, r := range conv {
					if err := log.Record(ctx, r); err != nil {
						fail(fmt.Errorf("fill: %w", err))
						return
					}
					if n := done.Add(1); cfg.Progress != nil && n%100_000 == 0 {
						cfg.Progress(int(n))
					}
					if rs := fillReactions(rng, r); len(rs) > 0 {
						mu.Lock()
						reactions = append(reactions, rs...)
						mu.Unlock()
					}
				}
			}
		}()
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0))
	at := start.Add(-span)
	left := cfg.Turns
	for left > 0 && ctx.Err() == nil {
		n := min(1+rng.IntN(fillMaxTurnsPerConversation), left)
		conv := fillConversation(rng, cfg.From, at, n)
		select {
		case work <- conv:
		case <-ctx.Done():
		}
		left -= n
		res.Conversations++
		at = at.Add(step/2 + time.Duration(rng.Int64N(int64(step)+1)))
		if at.After(start) {
			at = start
		}
	}
	close(work)
	wg.Wait()
	res.Turns = int(done.Load())
	for _, react := range reactions {
		if firstErr != nil || ctx.Err() != nil {
			break
		}
		if err := react(ctx, log, &res); err != nil {
			fail(fmt.Errorf("fill: %w", err))
		}
	}
	res.Elapsed = time.Since(start)
	if firstErr != nil {
		return res, firstErr
	}
	return res, ctx.Err()
}

// fillConversation makes n turns of one conversation starting at at.
func fillConversation(rng *rand.Rand, from []FillTurn, at time.Time, n int) []transcript.Record {
	conv := randomHex(rng)
	out := make([]transcript.Record, n)
	for i := range out {
		t := from[rng.IntN(len(from))]
		out[i] = transcript.Record{
			AnswerID:       randomHex(rng),
			ConversationID: conv,
			Time:           at,
			Question:       fillOpeners[rng.IntN(len(fillOpeners))] + t.Question,
			Reply:          t.Reply,
			Latency:        time.Duration(200+rng.IntN(2000)) * time.Microsecond,
		}
		out[i].Reply.Latency = out[i].Latency
		at = at.Add(time.Duration(20+rng.IntN(120)) * time.Second)
	}
	return out
}

// fillReactions draws a patient's rating of r for some turns and a staff
// review for a few, to be written later.
func fillReactions(rng *rand.Rand, r transcript.Record) []func(context.Context, FillLog, *FillResult) error {
	var out []func(context.Context, FillLog, *FillResult) error
	if rng.Float64() < fillFeedbackShare {
		f := transcript.Feedback{AnswerID: r.AnswerID, Rating: "up", Time: r.Time.Add(time.Minute)}
		if rng.Float64() < fillDownShare {
			f.Rating = "down"
		}
		if rng.Float64() < fillCommentShare {
			f.Comment = fillComments[rng.IntN(len(fillComments))]
		}
		out = append(out, func(ctx context.Context, log FillLog, res *FillResult) error {
			res.Feedback++
			return log.RecordFeedback(ctx, r.ConversationID, f)
		})
	}
	if rng.Float64() < fillReviewShare {
		statuses := transcript.ReviewStatuses
		review := transcript.Review{AnswerID: r.AnswerID, Reviewer: "fill@clinic.example",
			Status: statuses[rng.IntN(len(statuses))], Note: "synthetic review", Time: r.Time.Add(time.Hour)}
		out = append(out, func(ctx context.Context, log FillLog, res *FillResult) error {
			res.Reviews++
			_, err := log.AddReview(ctx, review)
			return err
		})
	}
	return out
}

// randomHex is an id of the server's shape: 32 lowercase hex characters.
func randomHex(rng *rand.Rand) string {
	return fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
}
