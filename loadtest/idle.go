package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// IdleResult is what holding idle sockets open measured on the server.
type IdleResult struct {
	Requested int `json:"requested"`
	Opened    int `json:"opened"`
	// Server memory before and after, from its /metrics.
	RSSBefore, RSSAfter     float64 `json:"-"`
	GoMemBefore, GoMemAfter float64 `json:"-"`
	// Growth per open socket, in bytes.
	RSSPerSocket   float64 `json:"rss_bytes_per_socket"`
	GoMemPerSocket float64 `json:"go_bytes_per_socket"`
	// How long a new client took to get an answer while the sockets were held.
	ProbeLatency time.Duration `json:"probe_latency_ns"`
	ProbeError   string        `json:"probe_error,omitempty"`
	FirstError   string        `json:"first_error,omitempty"`
}

// Idle opens n sockets, waits for each hello, reads the server's memory
// from its /metrics before and after, asks one question on a fresh socket
// while they are held, then closes them all.
func Idle(ctx context.Context, wsURL, origin string, n int, probeQuestion string) (IdleResult, error) {
	res := IdleResult{Requested: n}
	metricsURL, err := metricsURLFor(wsURL)
	if err != nil {
		return res, err
	}
	res.RSSBefore, res.GoMemBefore, err = serverMemory(ctx, metricsURL)
	if err != nil {
		return res, err
	}
	conns := make([]*websocket.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		if ctx.Err() != nil {
			break
		}
		c, err := dial(ctx, wsURL, origin, 0)
		if err == nil {
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, err = readFrame(c, "hello", "")
			c.SetReadDeadline(time.Time{})
		}
		if err != nil {
			if res.FirstError == "" {
				res.FirstError = err.Error()
			}
			if c != nil {
				c.Close()
			}
			continue
		}
		conns = append(conns, c)
	}
	res.Opened = len(conns)
	// Let the server settle (its handshake buffers freed) before reading.
	time.Sleep(2 * time.Second)
	res.RSSAfter, res.GoMemAfter, err = serverMemory(ctx, metricsURL)
	if err != nil {
		return res, err
	}
	if res.Opened > 0 {
		res.RSSPerSocket = (res.RSSAfter - res.RSSBefore) / float64(res.Opened)
		res.GoMemPerSocket = (res.GoMemAfter - res.GoMemBefore) / float64(res.Opened)
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res.ProbeLatency, err = Ask(pctx, wsURL, origin, probeQuestion)
	if err != nil {
		res.ProbeError = err.Error()
	}
	return res, nil
}

func metricsURLFor(wsURL string) (string, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return "", fmt.Errorf("loadtest: bad url %q: %w", wsURL, err)
	}
	switch u.Scheme {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	default:
		return "", fmt.Errorf("loadtest: url %q: want ws:// or wss://", wsURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/ws") + "/metrics"
	u.RawQuery = ""
	return u.String(), nil
}

// serverMemory reads the process resident memory and the Go runtime's
// in-use memory (heap + stacks) from a Prometheus /metrics page.
func serverMemory(ctx context.Context, metricsURL string) (rss, goMem float64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("read server metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("read server metrics: %s: HTTP %d", metricsURL, resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, 0, fmt.Errorf("parse server metrics: %w", err)
	}
	gauge := func(name string) float64 {
		f, ok := families[name]
		if !ok || len(f.Metric) == 0 || f.Metric[0].Gauge == nil {
			return 0
		}
		return f.Metric[0].Gauge.GetValue()
	}
	rss = gauge("process_resident_memory_bytes")
	goMem = gauge("go_memstats_heap_inuse_bytes") + gauge("go_memstats_stack_inuse_bytes")
	if rss == 0 && goMem == 0 {
		return 0, 0, fmt.Errorf("server metrics at %s have no memory figures", metricsURL)
	}
	return rss, goMem, nil
}
