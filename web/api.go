package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/cellchat/cellchat/chat"
)

// askRequest is the body of POST /api/ask.
type askRequest struct {
	Question       string `json:"question"`
	ConversationID string `json:"conversation_id"`
}

// askResponse is the websocket answer object plus the conversation id to
// pass on the next call for a follow-up question.
type askResponse struct {
	Type string `json:"type"` // "answer"
	answerBody
	ConversationID string           `json:"conversation_id"`
	Retrieved      []chat.Retrieved `json:"retrieved"` // for eval --server's retrieval metrics
}

// handleAsk answers one question over plain HTTP (integrations, eval
// --server) with the websocket's limits; errors are the error frame as JSON
// with a matching status.
func (s *Server) handleAsk() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.originAllowed(r) {
			writeError(w, http.StatusForbidden, &protocolError{code: codeBadRequest, message: "This site is not allowed to use the chat service."})
			return
		}
		s.allowCORS(w, r)
		fail := func(e *protocolError) {
			s.metrics.errors.WithLabelValues(e.code).Inc()
			if e.code == codeRateLimited {
				w.Header().Set("Retry-After", "1")
			}
			writeError(w, statusOf(e.code), e)
		}
		if s.isDraining() {
			fail(&protocolError{code: codeBusy, message: "The server is restarting. Please ask again in a moment."})
			return
		}
		if !s.ipLimits.allow(clientIP(r, s.cfg.ClientIPHeader)) {
			fail(&protocolError{code: codeRateLimited, message: "You are sending questions too fast. Please wait a moment and try again."})
			return
		}
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				fail(&protocolError{code: codeTooLarge, message: fmt.Sprintf("The request body is larger than %d bytes.", s.cfg.MaxBodyBytes)})
				return
			}
			if isTimeout(err) {
				s.metrics.refused.WithLabelValues("body_timeout").Inc()
				s.metrics.errors.WithLabelValues(codeBadRequest).Inc()
				writeError(w, http.StatusRequestTimeout, &protocolError{code: codeBadRequest, message: "The request body took too long to arrive."})
				return
			}
			fail(&protocolError{code: codeBadRequest, message: "The request body could not be read."})
			return
		}
		var req askRequest
		if !utf8.Valid(data) || json.Unmarshal(data, &req) != nil {
			fail(&protocolError{code: codeBadRequest, message: `The body must be JSON: {"question": "...", "conversation_id": "optional"}.`})
			return
		}
		if perr := validateQuestion(req.Question, s.cfg.MaxQuestionChars); perr != nil {
			fail(perr)
			return
		}
		recs, ok, err := s.loadHistory(r.Context(), req.ConversationID)
		if err != nil {
			s.logger.ErrorContext(r.Context(), "loading conversation history failed", convRef(req.ConversationID), "err", err)
			fail(&protocolError{code: codeInternal, message: "The conversation could not be loaded. Please try again."})
			return
		}
		convID := req.ConversationID
		if !ok {
			convID = newID()
		}
		a, perr := s.answer(r.Context(), "http", convID, turnsOf(recs), req.Question, nil)
		if perr != nil {
			fail(perr)
			return
		}
		writeJSON(w, http.StatusOK, askResponse{Type: "answer", answerBody: a.body, ConversationID: convID, Retrieved: a.reply.Retrieved})
	})
}

// handleAskPreflight answers CORS preflights for allowed origins.
func (s *Server) handleAskPreflight() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.originAllowed(r) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		s.allowCORS(w, r)
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.Header().Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *Server) allowCORS(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" {
		w.Header().Set("Access-Control-Allow-Origin", o)
		w.Header().Add("Vary", "Origin")
	}
}

// statusOf maps a protocol error code to its HTTP status.
func statusOf(code string) int {
	switch code {
	case codeBadRequest:
		return http.StatusBadRequest
	case codeTooLarge:
		return http.StatusRequestEntityTooLarge
	case codeRateLimited:
		return http.StatusTooManyRequests
	case codeBusy:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

func writeError(w http.ResponseWriter, status int, e *protocolError) {
	writeJSON(w, status, e.frame())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
