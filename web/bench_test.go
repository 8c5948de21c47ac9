package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/corpus"
	"github.com/cellchat/cellchat/retrieval"
	"github.com/cellchat/cellchat/transcript"
	"github.com/gorilla/websocket"
)

// The figures of issue 5: the answer round trip over /ws against a plain
// gorilla echo server returning one frame of the answer's size, for one
// client and for 100 concurrent clients, on loopback. The answers come from
// the real engine on the real corpus and are logged in the real SQLite
// store ("sqlite"), or in memory ("memlog") to show the log's share.
// The headline figures are answer-sqlite against echo: the real engine and
// every answer durably logged (fsynced) before its frame is sent.
//
//	go test ./web -run '^$' -bench 'RoundTrip|Concurrent100' -benchtime 3s

var benchQuestions = []string{
	"What is CAR-T cell therapy?",
	"What are the side effects of CAR-T?",
	"What is cytokine release syndrome?",
	"What is the difference between autologous and allogeneic transplants?",
}

// realEngine builds the engine as `cellchat serve` does, on the corpus in
// ../corpus with a fresh index.
func realEngine(b *testing.B) Answerer {
	b.Helper()
	ctx := context.Background()
	corp, err := corpus.Load(filepath.Join("..", "corpus"))
	if corp == nil {
		b.Fatalf("corpus: %v", err)
	}
	lex, err := retrieval.LoadLexicon(filepath.Join("..", "corpus", "lexicon.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	ix, err := retrieval.Open(ctx, b.TempDir(), retrieval.Options{Lexicon: lex})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ix.Close() })
	if _, err := ix.Sync(ctx, corp, nil); err != nil {
		b.Fatal(err)
	}
	eng, err := chat.New(ix, chat.Config{CorpusVersion: corp.Version})
	if err != nil {
		b.Fatal(err)
	}
	return eng
}

func benchServer(b *testing.B, sqlite bool) *httptest.Server {
	b.Helper()
	return benchServerWith(b, sqlite, realEngine(b))
}

func benchServerWith(b *testing.B, sqlite bool, answerer Answerer) *httptest.Server {
	b.Helper()
	var log Log = newMemLog()
	if sqlite {
		st, err := transcript.Open(context.Background(), filepath.Join(b.TempDir(), "transcript.db"), transcript.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		log = st
	}
	cfg := DefaultConfig()
	cfg.ConnRate, cfg.IPRate, cfg.MaxSockets = 0, 0, 0
	srv, err := NewServer(cfg, answerer, log)
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	b.Cleanup(func() { srv.Shutdown(context.Background()); ts.Close() })
	return ts
}

// echoServer answers every frame with one frame of size bytes.
func echoServer(b *testing.B, size int) *httptest.Server {
	b.Helper()
	payload := []byte(`{"type":"answer","text":"` + strings.Repeat("x", max(size-27, 0)) + `"}`)
	up := websocket.Upgrader{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
			if err := ws.WriteMessage(websocket.TextMessage, payload); err != nil {
				return
			}
		}
	}))
	b.Cleanup(ts.Close)
	return ts
}

// benchClient asks over one socket; roundTrip returns when the answer
// frame (or the echo's frame) is in, and its size.
type benchClient struct {
	ws   *websocket.Conn
	echo bool
	n    int
}

func dialBench(b *testing.B, ts *httptest.Server, echo bool) *benchClient {
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", nil)
	if err != nil {
		b.Fatal(err)
	}
	c := &benchClient{ws: ws, echo: echo}
	if !echo {
		if _, _, err := ws.ReadMessage(); err != nil { // hello
			b.Fatal(err)
		}
	}
	return c
}

func (c *benchClient) roundTrip() (int, error) {
	q := benchQuestions[c.n%len(benchQuestions)]
	c.n++
	msg, _ := json.Marshal(map[string]string{"type": "ask", "id": "b", "text": q})
	if err := c.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
		return 0, err
	}
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return 0, err
		}
		if c.echo || strings.HasPrefix(string(data), `{"type":"answer"`) {
			return len(data), nil
		}
		if strings.HasPrefix(string(data), `{"type":"error"`) {
			panic("benchmark got an error frame: " + string(data))
		}
	}
}

// answerFrameSize is the mean size of the answer frames of benchQuestions.
func answerFrameSize(b *testing.B) int {
	ts := benchServer(b, false)
	c := dialBench(b, ts, false)
	defer c.ws.Close()
	total := 0
	for range benchQuestions {
		n, err := c.roundTrip()
		if err != nil {
			b.Fatal(err)
		}
		total += n
	}
	return total / len(benchQuestions)
}

func BenchmarkRoundTrip(b *testing.B) {
	size := answerFrameSize(b)
	b.Run("engine-only", func(b *testing.B) {
		// The engine's share, without network or log.
		eng := realEngine(b)
		lat := make([]time.Duration, 0, b.N)
		n := 0
		for b.Loop() {
			start := time.Now()
			if _, err := eng.Answer(context.Background(), nil, benchQuestions[n%len(benchQuestions)], func(string) {}); err != nil {
				b.Fatal(err)
			}
			n++
			lat = append(lat, time.Since(start))
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	})
	for _, target := range []string{"echo", "fake-answerer-memlog", "answer-memlog", "answer-sqlite"} {
		b.Run(target, func(b *testing.B) {
			var ts *httptest.Server
			switch target {
			case "echo":
				ts = echoServer(b, size)
			case "fake-answerer-memlog":
				ts = benchServerWith(b, false, newFakeAnswerer())
			default:
				ts = benchServer(b, target == "answer-sqlite")
			}
			c := dialBench(b, ts, target == "echo")
			defer c.ws.Close()
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				if _, err := c.roundTrip(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(size), "frame-bytes")
		})
	}
}

func BenchmarkConcurrent100(b *testing.B) {
	const clients = 100
	size := answerFrameSize(b)
	for _, target := range []string{"echo", "fake-answerer-memlog", "answer-memlog", "answer-sqlite"} {
		b.Run(target, func(b *testing.B) {
			var ts *httptest.Server
			switch target {
			case "echo":
				ts = echoServer(b, size)
			case "fake-answerer-memlog":
				ts = benchServerWith(b, false, newFakeAnswerer())
			default:
				ts = benchServer(b, target == "answer-sqlite")
			}
			cs := make([]*benchClient, clients)
			for i := range cs {
				cs[i] = dialBench(b, ts, target == "echo")
				defer cs[i].ws.Close()
			}
			per := max(b.N/clients, 1)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for _, c := range cs {
				wg.Go(func() {
					for range per {
						if _, err := c.roundTrip(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(per*clients)/elapsed.Seconds(), "answers/s")
		})
	}
}
