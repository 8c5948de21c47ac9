package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"
)

// Frame size handling (documented in the README's protocol notes): a text
// frame up to MaxFrameBytes is read; one larger, up to hardLimitFactor times
// that, is read and thrown away and answered with a too_large error, the
// socket staying usable; anything larger makes the server stop reading and
// close the socket with 1009 (message too big), so no client can make it
// read without bound.
const hardLimitFactor = 4

// closeGrace is how long the server waits for the client's close frame
// after sending its own, before dropping the connection.
const closeGrace = 2 * time.Second

func (s *Server) handleWS() http.Handler {
	// Buffer sizes 0: the socket reuses the HTTP server's 4 KiB read and
	// write buffers of the hijacked connection instead of allocating more.
	upgrader := websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		CheckOrigin:      s.originAllowed,
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.originAllowed(r) {
			http.Error(w, "websocket: origin not allowed", http.StatusForbidden)
			return
		}
		ip := clientIP(r, s.cfg.ClientIPHeader)
		if !s.ipLimits.allow(ip) {
			s.metrics.errors.WithLabelValues(codeRateLimited).Inc()
			w.Header().Set("Retry-After", "1")
			http.Error(w, "rate_limited: too many connections from your address", http.StatusTooManyRequests)
			return
		}
		if !s.acquireSocket() {
			s.metrics.errors.WithLabelValues(codeBusy).Inc()
			w.Header().Set("Retry-After", "5")
			http.Error(w, "busy: too many open connections, try again later", http.StatusServiceUnavailable)
			return
		}
		s.mu.Lock()
		if s.draining {
			s.mu.Unlock()
			s.releaseSocket()
			s.metrics.errors.WithLabelValues(codeBusy).Inc()
			http.Error(w, "busy: the server is shutting down", http.StatusServiceUnavailable)
			return
		}
		if max := s.cfg.MaxSocketsPerIP; max > 0 && s.ipSockets[ip] >= max {
			s.mu.Unlock()
			s.releaseSocket()
			s.metrics.refused.WithLabelValues("ip_socket_cap").Inc()
			s.metrics.errors.WithLabelValues(codeRateLimited).Inc()
			w.Header().Set("Retry-After", "5")
			http.Error(w, "rate_limited: too many open connections from your address", http.StatusTooManyRequests)
			return
		}
		s.ipSockets[ip]++
		s.handlers.Add(1)
		s.mu.Unlock()

		ws, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			s.releaseIPSocket(ip)
			s.releaseSocket()
			s.handlers.Done()
			return // the upgrader has answered with the HTTP error
		}
		c := newWSConn(s, ws, ip)
		s.mu.Lock()
		s.conns[c] = struct{}{}
		draining := s.draining
		s.mu.Unlock()
		if draining {
			go c.drain()
		}
		s.metrics.openSockets.Inc()
		// The socket is served on a fresh goroutine and the HTTP handler
		// returns: the HTTP server's per-request state and its deep stack are
		// not kept for the life of every idle socket.
		conversation := r.URL.Query().Get("conversation")
		ctx := context.WithoutCancel(r.Context())
		go func() {
			defer s.handlers.Done()
			defer s.releaseSocket()
			defer func() {
				s.metrics.openSockets.Dec()
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				s.releaseIPSocket(ip)
			}()
			c.serve(ctx, conversation)
		}()
	})
}

func (s *Server) acquireSocket() bool {
	n := s.sockets.Add(1)
	if s.cfg.MaxSockets > 0 && n > int64(s.cfg.MaxSockets) {
		s.sockets.Add(-1)
		return false
	}
	return true
}

func (s *Server) releaseSocket() { s.sockets.Add(-1) }

func (s *Server) releaseIPSocket(ip string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ipSockets[ip]--; s.ipSockets[ip] <= 0 {
		delete(s.ipSockets, ip)
	}
}

// wsConn is one patient's socket. The handler goroutine reads; one writer
// goroutine owns all writes, fed by a bounded queue; asks and feedback run
// one at a time, in order, on a worker goroutine started on demand (so an
// idle socket costs two goroutines).
type wsConn struct {
	s    *Server
	ws   *websocket.Conn
	ip   string
	rate *rate.Limiter
	// notices bounds the rate_limited errors one socket is sent: a client
	// that keeps sending past them is flooding, and is closed with 1008
	// once the notices already queued are flushed.
	notices *rate.Limiter
	flooded atomic.Bool

	ctx    context.Context // cancelled when the client is gone
	cancel context.CancelFunc

	convID  string
	history []chat.Turn // only the worker touches it once serving

	send      chan *outFrame
	stop      chan closeMsg // the writer's last frame
	stopOnce  sync.Once
	writeDone chan struct{}
	streaming string // the writer's: the ask id whose deltas it has begun to send
	closing   atomic.Bool
	killOnce  sync.Once

	jobMu      sync.Mutex
	jobs       []clientMsg
	jobRunning bool
	jobsClosed bool
	jobWG      sync.WaitGroup
}

// outFrame is a frame waiting for the writer: encoded JSON, or a delta kept
// as text so that consecutive deltas of one answer go out as one frame.
type outFrame struct {
	data      []byte
	deltaID   string
	delta     string
	answerFor string // the ask id, on an answer frame
}

func newWSConn(s *Server, ws *websocket.Conn, ip string) *wsConn {
	return &wsConn{
		s:         s,
		ws:        ws,
		ip:        ip,
		rate:      rate.NewLimiter(rateLimit(s.cfg.ConnRate), s.cfg.ConnBurst),
		notices:   rate.NewLimiter(rateLimit(s.cfg.ConnRate), s.cfg.ConnBurst),
		send:      make(chan *outFrame, s.cfg.SendQueue),
		stop:      make(chan closeMsg, 1),
		writeDone: make(chan struct{}),
	}
}

func (c *wsConn) serve(ctx context.Context, conversation string) {
	c.ctx, c.cancel = context.WithCancel(ctx)
	defer c.cancel()
	defer c.ws.Close()
	defer func() {
		if p := recover(); p != nil {
			c.s.recovered(c.ctx, "websocket reader", p)
			c.kill("panic")
		}
	}()
	cfg := c.s.cfg
	c.ws.SetReadLimit(int64(hardLimitFactor * cfg.MaxFrameBytes))
	c.ws.SetReadDeadline(time.Now().Add(cfg.ReadTimeout))
	c.ws.SetPongHandler(func(string) error {
		if !c.closing.Load() {
			c.ws.SetReadDeadline(time.Now().Add(cfg.ReadTimeout))
		}
		return nil
	})
	go c.writeLoop()
	if lt := cfg.MaxSocketLifetime; lt > 0 {
		t := time.AfterFunc(lt, func() { c.drainWith(closeMsg{websocket.CloseGoingAway, "socket lifetime reached, reconnect"}) })
		defer t.Stop()
	}

	c.hello(conversation)
	reason := c.readLoop()

	// The client is gone (or sent garbage, or the server is draining and
	// already finished): stop taking work, let the worker finish, flush.
	c.cancel()
	c.closeJobs()
	c.jobWG.Wait()
	code := websocket.CloseNormalClosure
	if c.flooded.Load() {
		code = websocket.ClosePolicyViolation
	}
	c.stopWriter(closeMsg{code: code})
	<-c.writeDone
	c.s.logger.Debug("socket closed", convRef(c.convID), "ip", c.ip, "reason", reason)
}

// hello resumes the conversation asked for, or starts a new one, and sends
// the hello frame.
func (c *wsConn) hello(requested string) {
	recs, ok, err := c.s.loadHistory(c.ctx, requested)
	c.convID = requested
	if !ok {
		c.convID = newID()
	}
	items := make([]historyItem, len(recs))
	for i, rec := range recs {
		items[i] = historyItem{Question: rec.Question, Answer: newAnswerBody(rec.AnswerID, rec.Reply, c.s.cfg.SourceDetails), Time: rec.Time, Feedback: newFeedbackState(rec.Rating)}
	}
	c.history = turnsOf(recs)
	c.sendJSON(helloFrame{Type: "hello", ConversationID: c.convID, Disclaimer: c.s.cfg.Disclaimer, History: items, MaxQuestionChars: c.s.cfg.MaxQuestionChars, UrgentHelp: c.s.cfg.UrgentHelp})
	if err != nil {
		c.s.logger.Error("loading conversation history failed", convRef(c.convID), "err", err)
		c.sendError(&protocolError{code: codeInternal, message: "Your earlier messages could not be loaded. You can keep asking."})
	}
}

// readLoop reads frames until the socket fails; it returns why.
func (c *wsConn) readLoop() string {
	cfg := c.s.cfg
	for {
		if c.flooded.Load() {
			c.s.metrics.dropped.WithLabelValues("flood").Inc()
			return "flooding past its rate limit"
		}
		if !c.closing.Load() {
			c.ws.SetReadDeadline(time.Now().Add(cfg.ReadTimeout))
		}
		mt, rd, err := c.ws.NextReader()
		if err != nil {
			return c.readFailed(err)
		}
		if mt != websocket.TextMessage {
			if _, err := io.Copy(io.Discard, rd); err != nil {
				return c.readFailed(err)
			}
			if c.allow("") {
				c.sendError(&protocolError{code: codeBadRequest, message: "Binary frames are not part of protocol v1: send JSON text frames."})
			}
			continue
		}
		data, err := io.ReadAll(io.LimitReader(rd, int64(cfg.MaxFrameBytes)+1))
		if err != nil {
			return c.readFailed(err)
		}
		if len(data) > cfg.MaxFrameBytes {
			if _, err := io.Copy(io.Discard, rd); err != nil {
				return c.readFailed(err)
			}
			if c.allow("") {
				c.sendError(&protocolError{code: codeTooLarge, message: fmt.Sprintf("The message is larger than %d bytes.", cfg.MaxFrameBytes)})
			}
			continue
		}
		m, perr := decodeClientMsg(data, cfg)
		if !c.allow(m.ID) {
			continue
		}
		if perr != nil {
			c.sendError(perr)
			continue
		}
		if perr := c.enqueueJob(m); perr != nil {
			c.sendError(perr)
		}
	}
}

// allow applies the per-socket and per-IP rate limits to one frame,
// sending rate_limited when over.
func (c *wsConn) allow(id string) bool {
	if c.rate.Allow() && c.s.ipLimits.allow(c.ip) {
		return true
	}
	if !c.notices.Allow() {
		c.flooded.Store(true)
		return false
	}
	if len(id) > maxClientIDChars {
		id = ""
	}
	c.sendError(&protocolError{code: codeRateLimited, id: id, message: "You are sending messages too fast. Please wait a moment and try again."})
	return false
}

func (c *wsConn) readFailed(err error) string {
	switch {
	case errors.Is(err, websocket.ErrReadLimit):
		c.s.metrics.dropped.WithLabelValues("read_limit").Inc()
		return "frame over the hard size limit"
	case websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived):
		return "closed by client"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && !c.closing.Load() {
		c.s.metrics.dropped.WithLabelValues("read_timeout").Inc()
		return "read timeout"
	}
	return err.Error()
}

// enqueueJob queues an ask or feedback for the worker, starting it if idle.
func (c *wsConn) enqueueJob(m clientMsg) *protocolError {
	c.jobMu.Lock()
	defer c.jobMu.Unlock()
	switch {
	case c.jobsClosed:
		return &protocolError{code: codeBusy, id: m.ID, message: "The server is restarting. Please ask again in a moment."}
	case len(c.jobs) >= c.s.cfg.MaxPendingAsks:
		return &protocolError{code: codeBusy, id: m.ID, message: "Too many questions at once. Please wait for the answers."}
	}
	c.jobs = append(c.jobs, m)
	if !c.jobRunning {
		c.jobRunning = true
		c.jobWG.Add(1)
		go c.work()
	}
	return nil
}

func (c *wsConn) closeJobs() {
	c.jobMu.Lock()
	c.jobsClosed = true
	c.jobMu.Unlock()
}

func (c *wsConn) work() {
	defer c.jobWG.Done()
	for {
		c.jobMu.Lock()
		if len(c.jobs) == 0 {
			c.jobRunning = false
			c.jobs = nil
			c.jobMu.Unlock()
			return
		}
		m := c.jobs[0]
		c.jobs[0] = clientMsg{}
		c.jobs = c.jobs[1:]
		c.jobMu.Unlock()
		c.run(m)
	}
}

// run handles one ask or feedback; a panic in it is logged and answered
// with an internal error, and the socket goes on.
func (c *wsConn) run(m clientMsg) {
	defer func() {
		if p := recover(); p != nil {
			c.s.recovered(c.ctx, "websocket "+m.Type, p)
			c.sendError(&protocolError{code: codeInternal, id: m.ID, message: "Sorry, something went wrong. Please try again."})
		}
	}()
	if c.ctx.Err() != nil {
		return // the client is gone: nobody to answer
	}
	switch m.Type {
	case "ask":
		history := c.history
		if n := c.s.cfg.HistoryLimit; len(history) > n {
			history = history[len(history)-n:]
		}
		a, perr := c.s.answer(c.ctx, "ws", c.convID, history, m.Text, c.deltas(m.ID))
		if perr != nil {
			perr.id = m.ID
			c.sendError(perr)
			return
		}
		c.history = append(c.history, chat.Turn{Question: m.Text, Reply: a.reply})
		if n := c.s.cfg.HistoryLimit; len(c.history) > 2*n {
			// Compact now and then, not on every ask.
			c.history = append([]chat.Turn(nil), c.history[len(c.history)-n:]...)
		}
		data, err := json.Marshal(answerFrame{Type: "answer", ID: m.ID, answerBody: a.body})
		if err != nil {
			panic(fmt.Sprintf("web: encoding an answer: %v", err))
		}
		c.enqueue(&outFrame{data: data, answerFor: m.ID})
	case "feedback":
		if perr := c.s.recordFeedback(c.ctx, c.convID, m); perr != nil {
			c.sendError(perr)
			return
		}
		c.sendJSON(ackFrame{Type: "ack", AnswerID: m.AnswerID})
	}
}

// deltas returns the onDelta of ask id: text produced within
// Config.StreamAfter of the start is held back, and is never sent when
// the answer comes first (its frame carries the whole text); once the
// answer takes longer, what was held and all that follows is streamed.
// The engine may call it from any goroutine.
func (c *wsConn) deltas(id string) func(string) {
	start := time.Now()
	var mu sync.Mutex
	var held []string
	return func(d string) {
		if d == "" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if time.Since(start) < c.s.cfg.StreamAfter {
			held = append(held, d)
			return
		}
		if held != nil {
			d, held = strings.Join(append(held, d), ""), nil
		}
		c.enqueue(&outFrame{deltaID: id, delta: d})
	}
}

func (c *wsConn) sendJSON(v any) {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("web: encoding %T: %v", v, err)) // our own frame types always encode
	}
	c.enqueue(&outFrame{data: data})
}

func (c *wsConn) sendError(e *protocolError) {
	c.s.metrics.errors.WithLabelValues(e.code).Inc()
	c.sendJSON(e.frame())
}

// enqueue hands a frame to the writer without ever blocking: a client whose
// queue is full is not reading, and is dropped rather than stall anyone.
func (c *wsConn) enqueue(f *outFrame) {
	select {
	case <-c.writeDone:
		return
	default:
	}
	select {
	case c.send <- f:
	default:
		c.kill("slow_reader")
	}
}

// kill closes the connection at once; reader, writer and worker then fail
// and the handler cleans up.
func (c *wsConn) kill(reason string) {
	c.killOnce.Do(func() {
		c.s.metrics.dropped.WithLabelValues(reason).Inc()
		c.s.logger.Warn("dropping socket", convRef(c.convID), "ip", c.ip, "reason", reason)
		c.ws.NetConn().Close()
	})
}

// closeMsg is the close frame the writer ends with.
type closeMsg struct {
	code   int
	reason string
}

// stopWriter makes the writer flush its queue, send a close frame with
// m, and exit.
func (c *wsConn) stopWriter(m closeMsg) {
	c.stopOnce.Do(func() { c.stop <- m })
}

// drain is the graceful shutdown of one socket: no new asks, the accepted
// ones answered and flushed, then a 1001 close frame and a short wait for
// the client's close.
func (c *wsConn) drain() {
	c.drainWith(closeMsg{websocket.CloseGoingAway, "server shutting down"})
}

func (c *wsConn) drainWith(m closeMsg) {
	c.closeJobs()
	c.jobWG.Wait()
	c.closing.Store(true)
	c.stopWriter(m)
	<-c.writeDone
	c.ws.SetReadDeadline(time.Now().Add(closeGrace))
}

func (c *wsConn) writeLoop() {
	defer close(c.writeDone)
	defer func() {
		if p := recover(); p != nil {
			c.s.recovered(c.ctx, "websocket writer", p)
			c.kill("panic")
		}
	}()
	ping := time.NewTicker(c.s.cfg.PingInterval)
	defer ping.Stop()
	for {
		select {
		case f := <-c.send:
			if !c.write(f) {
				return
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.s.cfg.WriteTimeout)); err != nil {
				c.kill("write_error")
				return
			}
		case m := <-c.stop:
			for {
				select {
				case f := <-c.send:
					if !c.write(f) {
						return
					}
					continue
				default:
				}
				break
			}
			msg := websocket.FormatCloseMessage(m.code, m.reason)
			c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.s.cfg.WriteTimeout))
			return
		}
	}
}

// write sends one frame, merging it with the deltas of the same answer
// queued right behind it. When an answer is complete before any of its
// deltas went out, the deltas are not sent at all (the answer carries the
// whole text, and the protocol allows zero deltas), so a fast answer costs
// one frame; once one delta is out, all are, so the deltas of an answer
// either add up to its text or there are none. It reports false when the
// socket is dead.
func (c *wsConn) write(f *outFrame) bool {
	var next *outFrame
	if f.data == nil {
		text := f.delta
	merge:
		for {
			select {
			case g := <-c.send:
				if g.data == nil && g.deltaID == f.deltaID {
					text += g.delta
					continue
				}
				next = g
				break merge
			default:
				break merge
			}
		}
		if next != nil && next.answerFor == f.deltaID && c.streaming != f.deltaID {
			return c.write(next)
		}
		c.streaming = f.deltaID
		data, _ := json.Marshal(deltaFrame{Type: "delta", ID: f.deltaID, Text: text})
		f = &outFrame{data: data}
	}
	if f.answerFor != "" {
		c.streaming = "" // the next ask may reuse the id
	}
	if !c.writeData(f.data) {
		return false
	}
	if next != nil {
		return c.write(next)
	}
	return true
}

func (c *wsConn) writeData(data []byte) bool {
	c.ws.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, data); err != nil {
		c.kill("write_error")
		return false
	}
	return true
}
