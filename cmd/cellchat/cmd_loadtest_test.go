package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestLoadtestSeveralURLs runs the command with --url twice: the figures
// come per URL and in total, and the command line's URLs replace
// CELLCHAT_URL's rather than add to them.
func TestLoadtestSeveralURLs(t *testing.T) {
	addr, _, _ := serveInProcess(t, t.TempDir(), nil, "--conn-rate", "0", "--ip-rate", "0")
	ws := "ws://" + addr + "/ws"
	env := map[string]string{"CELLCHAT_URL": "ws://127.0.0.1:1/ws"} // nothing listens there
	var out, errOut strings.Builder
	c := &cli{getenv: func(k string) string { return env[k] }, stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}
	args := []string{"cellchat", "loadtest", "--url", ws, "--url", ws + "?x=1", "--clients", "3", "--duration", "1s", "--questions", "../../eval/questions.yaml"}
	if err := run(context.Background(), append(args, "--json"), c); err != nil {
		t.Fatalf("loadtest: %v\n%s%s", err, out.String(), errOut.String())
	}
	var res struct {
		Answers int `json:"answers"`
		URLs    []struct {
			URL     string `json:"url"`
			Clients int    `json:"clients"`
			Answers int    `json:"answers"`
			P99     int64  `json:"p99_ns"`
		} `json:"urls"`
	}
	if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if len(res.URLs) != 2 || res.URLs[0].URL != ws || res.URLs[1].URL != ws+"?x=1" {
		t.Fatalf("per-URL figures: %+v", res.URLs)
	}
	if res.URLs[0].Clients != 2 || res.URLs[1].Clients != 1 || res.URLs[0].Answers == 0 || res.URLs[1].Answers == 0 ||
		res.URLs[0].Answers+res.URLs[1].Answers != res.Answers || res.URLs[1].P99 <= 0 {
		t.Errorf("per-URL figures %+v, total %d answers", res.URLs, res.Answers)
	}

	out.Reset()
	if err := run(context.Background(), args, c); err != nil {
		t.Fatalf("loadtest: %v\n%s%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{"  " + ws + ": 2 clients, ", "  " + ws + "?x=1: 1 clients, ", "reconnects: 0 ("} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
