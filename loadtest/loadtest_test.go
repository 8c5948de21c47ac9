package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// protocolServer speaks just enough of protocol v1: hello, then for every
// ask a delta and an answer, except that every fifth ask is rate limited.
func protocolServer(t *testing.T, open *atomic.Int64) *httptest.Server {
	t.Helper()
	up := websocket.Upgrader{}
	var asks atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		open.Add(1)
		defer open.Add(-1)
		c.WriteJSON(map[string]any{"type": "hello", "conversation_id": "c", "disclaimer": "d", "history": []any{}})
		for {
			var in struct{ Type, ID, Text string }
			if err := c.ReadJSON(&in); err != nil {
				return
			}
			n := asks.Add(1)
			if n%5 == 0 {
				c.WriteJSON(map[string]string{"type": "error", "id": in.ID, "code": "rate_limited", "message": "slow down"})
				continue
			}
			c.WriteJSON(map[string]string{"type": "delta", "id": in.ID, "text": "x"})
			c.WriteJSON(map[string]string{"type": "answer", "id": in.ID, "answer_id": fmt.Sprintf("a%d", n), "kind": "answer", "text": "x"})
		}
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		n := open.Load()
		fmt.Fprintf(w, "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %d\n", 1000000+n*20000)
		fmt.Fprintf(w, "# TYPE go_memstats_heap_inuse_bytes gauge\ngo_memstats_heap_inuse_bytes %d\n", 500000+n*8000)
		fmt.Fprintf(w, "# TYPE go_memstats_stack_inuse_bytes gauge\ngo_memstats_stack_inuse_bytes %d\n", 100000+n*2000)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func wsURL(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws" }

func TestRunCountsAnswersAndErrors(t *testing.T) {
	var open atomic.Int64
	srv := protocolServer(t, &open)
	res, err := Run(context.Background(), Config{
		URL: wsURL(srv), Clients: 4, Duration: 300 * time.Millisecond,
		Questions: []string{"What is CAR-T?", "What is GVHD?"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Answers == 0 {
		t.Fatal("no answers counted")
	}
	if res.Errors["rate_limited"] == 0 {
		t.Errorf("rate_limited errors not counted: %v", res.Errors)
	}
	if len(res.AnswerIDs) != res.Answers {
		t.Errorf("%d answer ids for %d answers", len(res.AnswerIDs), res.Answers)
	}
	seen := map[string]bool{}
	for _, id := range res.AnswerIDs {
		if seen[id] {
			t.Errorf("answer id %s counted twice", id)
		}
		seen[id] = true
	}
	if !(res.P50 <= res.P95 && res.P95 <= res.P99 && res.P99 <= res.Max && res.Max > 0) {
		t.Errorf("percentiles out of order: %v %v %v %v", res.P50, res.P95, res.P99, res.Max)
	}
}

func TestRunReportsConnectFailures(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	res, err := Run(context.Background(), Config{URL: wsURL(srv), Clients: 3, Duration: 200 * time.Millisecond, Questions: []string{"q"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.ConnectFails != 3 || res.Errors["connect"] != 3 || res.Answers != 0 {
		t.Fatalf("want 3 connect failures and no answers, got %+v", res)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{{Clients: 0, Questions: []string{"q"}}, {Clients: 1}} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("config %+v: want error", cfg)
		}
	}
}

func TestIdleMeasuresMemoryPerSocket(t *testing.T) {
	var open atomic.Int64
	srv := protocolServer(t, &open)
	res, err := Idle(context.Background(), wsURL(srv), "", 20, "What is CAR-T?")
	if err != nil {
		t.Fatal(err)
	}
	if res.Opened != 20 {
		t.Fatalf("opened %d of 20 (first error %q)", res.Opened, res.FirstError)
	}
	if res.RSSPerSocket != 20000 || res.GoMemPerSocket != 10000 {
		t.Errorf("per-socket memory = %v rss, %v go; want 20000, 10000", res.RSSPerSocket, res.GoMemPerSocket)
	}
	if res.ProbeError != "" || res.ProbeLatency <= 0 {
		t.Errorf("probe: %v %q", res.ProbeLatency, res.ProbeError)
	}
}

func TestMetricsURLFor(t *testing.T) {
	for in, want := range map[string]string{
		"ws://127.0.0.1:8080/ws":               "http://127.0.0.1:8080/metrics",
		"wss://chat.example/ws?conversation=x": "https://chat.example/metrics",
	} {
		got, err := metricsURLFor(in)
		if err != nil || got != want {
			t.Errorf("metricsURLFor(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := metricsURLFor("http://x/ws"); err == nil {
		t.Error("http url accepted")
	}
}

func TestFloodersAreReportedApart(t *testing.T) {
	var open atomic.Int64
	srv := protocolServer(t, &open)
	res, err := Run(context.Background(), Config{
		URL: wsURL(srv), Clients: 2, Flooders: 1, Duration: 300 * time.Millisecond,
		Questions: []string{"What is CAR-T?"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Flood == nil || res.Flood.Sent == 0 {
		t.Fatalf("flood not reported: %+v", res.Flood)
	}
	if res.Flood.Frames["error:rate_limited"] == 0 || res.Flood.Frames["answer"] == 0 {
		t.Errorf("flood frames %v: want answers and rate_limited errors", res.Flood.Frames)
	}
	if res.Answers == 0 {
		t.Error("the other clients got no answers")
	}
}

func TestDecodeFrame(t *testing.T) {
	tests := []struct {
		name, data string
		want       frame
		wantErr    bool
	}{
		{"answer, server's order", `{"type":"answer","id":"q1","answer_id":"a1","kind":"answer","text":"t [1]","citations":[{"n":1,"passage":"p"}],"disclaimer":"d"}`,
			frame{Type: "answer", ID: "q1", AnswerID: "a1"}, false},
		{"answer, fields late", `{"kind":"answer","citations":[{"n":1,"passage":"{\"type\":\"x\"}"}],"answer_id":"a2","id":"q2","type":"answer"}`,
			frame{Type: "answer", ID: "q2", AnswerID: "a2"}, false},
		{"error", `{"type":"error","id":"q3","code":"rate_limited","message":"slow down"}`,
			frame{Type: "error", ID: "q3", Code: "rate_limited", Message: "slow down"}, false},
		{"error without id", `{"type":"error","code":"bad_request","message":"m"}`,
			frame{Type: "error", Code: "bad_request", Message: "m"}, false},
		{"hello", `{"type":"hello","conversation_id":"c","disclaimer":"d","history":[{"question":"q","answer":{"answer_id":"old"}}]}`,
			frame{Type: "hello", ConversationID: "c"}, false},
		{"delta", `{"type":"delta","id":"q4","text":"x"}`, frame{Type: "delta", ID: "q4"}, false},
		{"answer, escapes", `{"type":"answer","id":"q\"5\\","answer_id":"a\u00e95","kind":"answer"}`,
			frame{Type: "answer", ID: `q"5\`, AnswerID: "aé5"}, false},
		{"answer, cut short", `{"type":"answer","id":"q6","answer_id":"a6`, frame{Type: "answer", ID: "q6"}, true},
		{"not an object", `["answer"]`, frame{}, true},
		{"broken", `{"type":"answer","id":`, frame{Type: "answer"}, true},
		{"id not a string", `{"type":"answer","id":7}`, frame{Type: "answer"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeFrame([]byte(tt.data))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
