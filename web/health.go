package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/cellchat/cellchat/transcript"
)

// readyProbeID is a conversation that never exists: asking the log for it
// proves the database answers queries.
var readyProbeID = strings.Repeat("0", 2*idBytes)

func (s *Server) handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// handleReadyz is 200 when the index is loaded (cfg.Ready) and the log
// answers and commits, 503 otherwise and while draining, so a load
// balancer stops sending patients here before shutdown.
func (s *Server) handleReadyz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, s.withCorpusVersion(map[string]string{"status": "not ready", "reason": err.Error()}))
			return
		}
		writeJSON(w, http.StatusOK, s.withCorpusVersion(map[string]string{"status": "ready"}))
	})
}

// withCorpusVersion adds the corpus version served, when the answerer
// knows it, so that replicas behind one balancer can be told apart by
// what they answer from.
func (s *Server) withCorpusVersion(body map[string]string) map[string]string {
	if v, ok := s.answerer.(corpusVersioner); ok {
		body["corpus_version"] = v.Version()
	}
	return body
}

// commitChecker is a Log that knows whether its commits fail
// (transcript.Store): a log that answers queries may still lose every
// answer.
type commitChecker interface {
	CommitErr() error
	ProbeCommit(ctx context.Context) error
}

func (s *Server) ready(ctx context.Context) error {
	if s.isDraining() {
		return errors.New("shutting down")
	}
	if _, err := s.log.History(ctx, readyProbeID, 1); err != nil && !errors.Is(err, transcript.ErrNotFound) {
		return errors.New("transcript store: " + err.Error())
	}
	if c, ok := s.log.(commitChecker); ok && c.CommitErr() != nil {
		// Only a commit can tell that commits work again; without this
		// probe a server taken out of rotation would never get the
		// question that proves it.
		if err := c.ProbeCommit(ctx); err != nil {
			return errors.New("transcript store cannot commit: " + err.Error())
		}
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(ctx); err != nil {
			return err
		}
	}
	return nil
}
