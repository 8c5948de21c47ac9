package web

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawPost opens a TCP connection and sends the head of a POST /api/ask
// announcing n body bytes, and the first byte of the body.
func rawPost(t *testing.T, addr string, n int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	head := "POST /api/ask HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(n) + "\r\n\r\n{"
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatalf("write: %v", err)
	}
	return conn
}

func TestSlowBodyTimesOut(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.BodyTimeout = 200 * time.Millisecond })
	conn := rawPost(t, ts.Listener.Addr().String(), 100)
	// The rest of the body never comes: the server must give up on it
	// rather than hold the connection (and its file) forever.
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server still waits for the body after %v", time.Since(start))
	}
	if err != nil {
		t.Fatalf("no answer to a slow body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("slow body got HTTP %d, want 408", resp.StatusCode)
	}
	if n := metricValue(t, ts, `cellchat_refused_total{reason="body_timeout"}`); n != 1 {
		t.Errorf("body timeouts counted %v, want 1", n)
	}
}

func TestSlowAnswerOutlivesTheBodyDeadline(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.BodyTimeout = 100 * time.Millisecond })
	done := make(chan int, 1)
	go func() {
		resp, err := http.Post(ts.URL+"/api/ask", "application/json", strings.NewReader(`{"question":"block me"}`))
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	ts.answerer.waitStarted()
	// The body was read long ago; answering may take longer than the
	// body deadline without the request being cut.
	time.Sleep(400 * time.Millisecond)
	close(ts.answerer.release)
	if status := <-done; status != http.StatusOK {
		t.Fatalf("an answer slower than the body deadline got %d, want 200", status)
	}
}

// connCapServer serves srv on a loopback listener capped per peer IP.
func connCapServer(t *testing.T, modify func(*Config)) (*testServer, string) {
	t.Helper()
	ts := newTestServer(t, modify)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(ts.srv)
	hs.Listener.Close()
	hs.Listener = ts.srv.Listener(ln)
	hs.Start()
	t.Cleanup(hs.Close)
	return ts, ln.Addr().String()
}

// refused reports whether the server closes conn without answering.
func refused(t *testing.T, conn net.Conn) bool {
	t.Helper()
	io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("no answer and no close within 5 s")
		}
		return true
	}
	resp.Body.Close()
	return false
}

func TestConnectionCapPerIP(t *testing.T) {
	ts, addr := connCapServer(t, func(c *Config) { c.MaxConnsPerIP = 2 })
	var held []net.Conn
	for i := 0; i < 2; i++ {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if refused(t, conn) {
			t.Fatalf("connection %d refused under the cap", i+1)
		}
		held = append(held, conn)
	}
	third, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	if !refused(t, third) {
		t.Fatal("a third connection from one IP was served, cap 2")
	}
	if n := metricValue(t, ts, `cellchat_refused_total{reason="conn_cap"}`); n != 1 {
		t.Errorf("capped connections counted %v, want 1", n)
	}
	held[0].Close()
	eventually(t, "a freed connection slot", func() bool {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		defer conn.Close()
		return !refused(t, conn)
	})
}
