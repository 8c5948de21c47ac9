// Package pgnotify carries change notices between processes that share a
// PostgreSQL database (replicas of one service), over LISTEN/NOTIFY. A
// notice is a hint that something changed, never the change itself:
// PostgreSQL delivers it only to sessions listening at the time, so a
// listener that was disconnected is told to resync instead.
package pgnotify

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"
)

// MaxPayload is the longest payload in bytes: PostgreSQL refuses a NOTIFY
// payload of 8000 bytes or more.
const MaxPayload = 7999

// DefaultReconnectDelay is the pause before a listener connects again
// after losing its connection: a restarted database server is back within
// seconds, and one attempt a second costs it nothing.
const DefaultReconnectDelay = time.Second

// connectTimeout bounds one connection attempt, so that an unreachable
// server is retried rather than waited on.
const connectTimeout = 10 * time.Second

// Execer runs a statement: a *pgx.Conn, a *pgxpool.Pool or a transaction
// (whose notices are sent when it commits).
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Notify sends payload to every session listening on channel.
func Notify(ctx context.Context, db Execer, channel, payload string) error {
	if len(payload) > MaxPayload {
		return fmt.Errorf("pgnotify: a payload of %d bytes is over PostgreSQL's limit of %d", len(payload), MaxPayload)
	}
	if channel == "" {
		return errors.New("pgnotify: no channel")
	}
	if _, err := db.Exec(ctx, "SELECT pg_notify($1, $2)", channel, payload); err != nil {
		return fmt.Errorf("pgnotify: notify %s: %w", channel, err)
	}
	return nil
}

// Notice is one notice received, or a resync.
type Notice struct {
	Channel string
	Payload string
	// Resync says the listener was disconnected and is listening again:
	// notices sent meanwhile are lost, so whatever they could have said
	// should be checked anew. Payload is empty.
	Resync bool
}

// Handler handles a notice. It is called in the listener's loop, one
// notice at a time, so it should hand long work to another goroutine.
type Handler func(ctx context.Context, n Notice)

// Listener listens on one channel, reconnecting by itself whenever the
// connection is lost, until its context ends.
type Listener struct {
	url     string
	channel string
	handle  Handler
	// ReconnectDelay is the pause before each new connection attempt
	// (0: DefaultReconnectDelay). Set it before Listen.
	ReconnectDelay time.Duration
	// LogError, if set, is told every connection and listening error;
	// none of them stops the listener.
	LogError func(err error)

	listens atomic.Int64
	ready   chan struct{}
}

// NewListener returns a listener on channel of the database at url that
// calls handle for every notice.
func NewListener(url, channel string, handle Handler) *Listener {
	return &Listener{url: url, channel: channel, handle: handle, ready: make(chan struct{})}
}

// Listening is closed once the listener first listens: a notice sent
// after that reaches it.
func (l *Listener) Listening() <-chan struct{} { return l.ready }

// Listens is how many times the listener has started listening: 1 until
// it first reconnects.
func (l *Listener) Listens() int64 { return l.listens.Load() }

// Listen listens until ctx ends, and returns ctx's error.
func (l *Listener) Listen(ctx context.Context) error {
	if l.channel == "" || l.handle == nil {
		return errors.New("pgnotify: a listener needs a channel and a handler")
	}
	delay := l.ReconnectDelay
	if delay <= 0 {
		delay = DefaultReconnectDelay
	}
	pl := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			ctx, cancel := context.WithTimeout(ctx, connectTimeout)
			defer cancel()
			return pgx.Connect(ctx, l.url)
		},
		LogError: func(ctx context.Context, err error) {
			if l.LogError != nil && ctx.Err() == nil {
				l.LogError(err)
			}
		},
		ReconnectDelay: delay,
	}
	pl.Handle(l.channel, handler{l})
	return pl.Listen(ctx)
}

// handler adapts a Listener to pgxlisten: its backlog call, made each time
// the channel is listened on again, is the resync.
type handler struct{ l *Listener }

func (h handler) HandleNotification(ctx context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	h.l.handle(ctx, Notice{Channel: n.Channel, Payload: n.Payload})
	return nil
}

func (h handler) HandleBacklog(ctx context.Context, channel string, _ *pgx.Conn) error {
	if h.l.listens.Add(1) == 1 {
		// The first time there was nothing to miss.
		close(h.l.ready)
		return nil
	}
	h.l.handle(ctx, Notice{Channel: channel, Resync: true})
	return nil
}
