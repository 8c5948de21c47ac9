package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cellchat/cellchat/chat"
)

// Remote is an Answerer that asks a running cellchat server through its
// public API (POST /api/ask), so a deployed bot can be scored.
//
// The server keeps the conversation, not the client: Remote remembers the
// conversation_id the server returned and sends it with the next question,
// and starts a new conversation whenever it is asked with an empty history.
// It therefore follows one conversation at a time, which is how Run uses it.
type Remote struct {
	endpoint string
	client   *http.Client

	// MaxRetries is how often a rate-limited question is asked again.
	MaxRetries int

	conversationID string
}

// maxRetryAfter caps how long one Retry-After makes Remote wait.
const maxRetryAfter = 30 * time.Second

// maxAnswerBytes bounds the answer object read from the server.
const maxAnswerBytes = 4 << 20

// NewRemote returns a Remote for the server at base (e.g.
// http://127.0.0.1:8080). client may be nil for http.DefaultClient; its
// Timeout bounds each question.
func NewRemote(base string, client *http.Client) (*Remote, error) {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http(s)://host[:port]", base)
	}
	if client == nil {
		client = http.DefaultClient
	}
	ep := u.JoinPath("api", "ask")
	return &Remote{endpoint: ep.String(), client: client, MaxRetries: 30}, nil
}

// askRequest is the body of POST /api/ask (issue 5).
type askRequest struct {
	Question       string `json:"question"`
	ConversationID string `json:"conversation_id,omitempty"`
}

// answerObject is the server's answer (the websocket "answer" frame), plus
// the optional fields a server may add: conversation_id for follow-ups and
// retrieved passages for retrieval metrics.
type answerObject struct {
	Type           string           `json:"type"`
	ID             string           `json:"id"`
	AnswerID       string           `json:"answer_id"`
	ConversationID string           `json:"conversation_id"`
	Kind           chat.Kind        `json:"kind"`
	Text           string           `json:"text"`
	Citations      []chat.Citation  `json:"citations"`
	Disclaimer     string           `json:"disclaimer"`
	Retrieved      []chat.Retrieved `json:"retrieved"`
	Glosses        []chat.Gloss     `json:"glosses"`
	Referents      []chat.Referent  `json:"referents"`
	// error frames
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Answer implements Answerer. onDelta receives the whole text at once: the
// JSON endpoint does not stream. A rate-limited or busy server (429, 503) is
// asked again after its Retry-After (default 1 s), up to MaxRetries times;
// the reply's Latency is the round trip of the request that was answered, so
// waiting out a rate limit does not count as the bot's latency.
func (r *Remote) Answer(ctx context.Context, history []chat.Turn, question string, onDelta func(string)) (chat.Reply, error) {
	if len(history) == 0 {
		r.conversationID = ""
	}
	body, err := json.Marshal(askRequest{Question: question, ConversationID: r.conversationID})
	if err != nil {
		return chat.Reply{}, err
	}
	for attempt := 0; ; attempt++ {
		start := time.Now()
		reply, retryAfter, err := r.ask(ctx, body)
		if err == nil {
			reply.Latency = time.Since(start)
			if onDelta != nil && reply.Text != "" {
				onDelta(reply.Text)
			}
			return reply, nil
		}
		if retryAfter < 0 || attempt >= r.MaxRetries {
			return chat.Reply{}, err
		}
		select {
		case <-ctx.Done():
			return chat.Reply{}, fmt.Errorf("%w (while waiting to retry after: %w)", ctx.Err(), err)
		case <-time.After(retryAfter):
		}
	}
}

// ask posts one question. retryAfter is how long to wait before asking
// again when the server asked to (429, 503), else negative.
func (r *Remote) ask(ctx context.Context, body []byte) (reply chat.Reply, retryAfter time.Duration, err error) {
	retryAfter = -1
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.endpoint, bytes.NewReader(body))
	if err != nil {
		return chat.Reply{}, retryAfter, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return chat.Reply{}, retryAfter, fmt.Errorf("ask server: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return chat.Reply{}, retryAfter, fmt.Errorf("read server answer: %w", err)
	}
	var a answerObject
	decodeErr := json.Unmarshal(data, &a)
	if resp.StatusCode != http.StatusOK || a.Type == "error" {
		msg := strings.TrimSpace(string(data))
		if decodeErr == nil && a.Message != "" {
			msg = a.Code + ": " + a.Message
		}
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			retryAfter = time.Second
			if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 {
				retryAfter = min(time.Duration(secs)*time.Second, maxRetryAfter)
			}
		}
		return chat.Reply{}, retryAfter, fmt.Errorf("server answered %s: %s", resp.Status, msg)
	}
	if decodeErr != nil {
		return chat.Reply{}, retryAfter, fmt.Errorf("server answer is not JSON: %w", decodeErr)
	}
	if a.Type != "answer" || a.Kind == "" {
		return chat.Reply{}, retryAfter, errors.New(`server answer is not an answer object (want "type":"answer" with a kind)`)
	}
	if a.ConversationID != "" {
		r.conversationID = a.ConversationID
	}
	return chat.Reply{
		Kind:       a.Kind,
		Text:       a.Text,
		Citations:  a.Citations,
		Disclaimer: a.Disclaimer,
		Retrieved:  a.Retrieved,
		Glosses:    a.Glosses,
		Referents:  a.Referents,
	}, retryAfter, nil
}

// HidesRetrieval reports that retrieved passages are unknown unless the
// server sends them; turns without them are left out of retrieval metrics.
func (r *Remote) HidesRetrieval() bool { return true }
