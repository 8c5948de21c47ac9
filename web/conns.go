package web

import (
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// withBodyDeadline bounds how long a request body may take to arrive, so a
// client trickling a body a byte at a time cannot hold a connection (and
// its file descriptor) for ever. The deadline is lifted once the body has
// been read, so it never bears on a slow answer or on what the connection
// does next. Websocket upgrades have no body and keep their own deadlines.
func (s *Server) withBodyDeadline(next http.Handler) http.Handler {
	if s.cfg.BodyTimeout <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		if rc.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout)) == nil {
			r.Body = &deadlineBody{ReadCloser: r.Body, lift: func() { rc.SetReadDeadline(time.Time{}) }}
		}
		next.ServeHTTP(w, r)
	})
}

type deadlineBody struct {
	io.ReadCloser
	once sync.Once
	lift func()
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(b.lift)
	}
	return n, err
}

// isTimeout reports whether err is a read that hit its deadline.
func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// Listener caps the connections open at once from one peer address
// (Config.MaxConnsPerIP): one host cannot take every file descriptor. It
// counts TCP peers, so behind a reverse proxy (where every peer is the
// proxy) the cap belongs on the proxy instead, and is off when
// ClientIPHeader is set. A connection over the cap is closed at once,
// unanswered: answering would cost what the cap saves.
func (s *Server) Listener(ln net.Listener) net.Listener {
	if s.cfg.MaxConnsPerIP <= 0 || s.cfg.ClientIPHeader != "" {
		return ln
	}
	return &capListener{Listener: ln, s: s, max: s.cfg.MaxConnsPerIP, open: map[string]int{}}
}

type capListener struct {
	net.Listener
	s   *Server
	max int

	mu   sync.Mutex
	open map[string]int
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := peerIP(c.RemoteAddr())
		l.mu.Lock()
		if l.open[ip] >= l.max {
			l.mu.Unlock()
			// Counted before the close: whoever sees the close can
			// already read it in the metrics.
			l.s.metrics.refused.WithLabelValues("conn_cap").Inc()
			c.Close()
			continue
		}
		l.open[ip]++
		l.mu.Unlock()
		return &cappedConn{Conn: c, release: func() { l.release(ip) }}, nil
	}
}

func (l *capListener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[ip]--; l.open[ip] <= 0 {
		delete(l.open, ip)
	}
}

// cappedConn gives its slot back on the first Close, whoever closes it
// (the HTTP server, or a websocket that hijacked it).
type cappedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *cappedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

func peerIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
