package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const handouts = "../../corpus/testdata/handouts"

// handoutCorpus is a corpus folder holding one clinic handout.
func handoutCorpus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(handouts, "after-car-t.md"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "after-car-t.md"), data, 0o644)
	os.WriteFile(filepath.Join(dir, "sources.yaml"), []byte("documents:\n  - id: after-car-t\n    publisher: Riverside Transplant and Cellular Therapy Unit\n    reviewed: 2026-09-01\n"), 0o644)
	return dir
}

// An ingest run while serve runs is served without a restart: a socket
// opened before it stays open and its next answer names the new corpus
// version and cites the new handout. An ingest of a corpus with a broken
// file leaves the old version serving, and the log says why.
func TestServeReloadsAfterIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("serves and ingests (skipped with -short)")
	}
	dir, data := handoutCorpus(t), t.TempDir()
	addr, logs, _ := serveInProcess(t, data, nil, "--corpus", dir, "--reload-check", "50ms", "--log-format", "json")
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ask := func(id, q string) map[string]any {
		t.Helper()
		ws.WriteJSON(map[string]string{"type": "ask", "id": id, "text": q})
		for {
			ws.SetReadDeadline(time.Now().Add(30 * time.Second))
			var f map[string]any
			if err := ws.ReadJSON(&f); err != nil {
				t.Fatalf("read: %v", err)
			}
			if f["id"] == id && f["type"] != "delta" {
				return f
			}
		}
	}
	first := ask("q1", "Why am I so tired after CAR-T?")
	v1, _ := first["corpus_version"].(string)
	if v1 == "" {
		t.Fatalf("answer without corpus_version: %v", first)
	}
	driving := ask("q0", "For how many weeks after the infusion must I not drive or operate heavy machinery?")
	if cites, _ := driving["citations"].([]any); len(cites) == 0 {
		t.Errorf("no citation to check the source details on: %v", driving)
	} else if c := cites[0].(map[string]any); c["publisher"] != "Riverside Transplant and Cellular Therapy Unit" || c["reviewed"] != "2026-09-01" {
		t.Errorf("citation without the manifest's publisher and review date: %v", c)
	}

	src, _ := os.ReadFile(filepath.Join(handouts, "tiredness.txt"))
	os.WriteFile(filepath.Join(dir, "tiredness.txt"), src, 0o644)
	out, _, err := runRetrievalCLI(t, nil, "ingest", "--corpus", dir, "--data", data)
	if err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	waitLog(t, logs, "corpus reloaded")
	second := ask("q2", "Why am I so tired after CAR-T?")
	v2, _ := second["corpus_version"].(string)
	if v2 == v1 || !strings.Contains(out, v2) || !citesDoc(second, "tiredness") {
		t.Fatalf("after ingest: version %s (was %s, ingest said %q), citations %v", v2, v1, out, second["citations"])
	}

	// A changed handout and a broken file: ingest indexes the rest, serve
	// refuses the corpus and keeps serving the version before.
	f, _ := os.OpenFile(filepath.Join(dir, "after-car-t.md"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("\nBring this handout to every clinic visit.\n")
	f.Close()
	os.WriteFile(filepath.Join(dir, "broken.txt"), []byte("\x00\x01binary"), 0o644)
	if _, _, err := runRetrievalCLI(t, nil, "ingest", "--corpus", dir, "--data", data); err == nil {
		t.Fatal("ingest of a broken file succeeded")
	}
	waitLog(t, logs, "corpus reload failed")
	if !strings.Contains(logs.String(), "broken.txt: binary file") {
		t.Errorf("the log does not say which file failed:\n%s", logs)
	}
	third := ask("q3", "Why am I so tired after CAR-T?")
	if third["corpus_version"] != v2 {
		t.Errorf("after a failed reload the version is %v, want %s", third["corpus_version"], v2)
	}
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz after a failed reload: %v %v", resp, err)
	}
	var ready struct {
		CorpusVersion string `json:"corpus_version"`
	}
	json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	if ready.CorpusVersion != v2 {
		t.Errorf("readyz reports corpus version %q, want the one served, %s", ready.CorpusVersion, v2)
	}
}

func waitLog(t *testing.T, logs *lockedBuffer, msg string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(logs.String(), "\n") {
			var l struct{ Msg string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == msg {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %q in the log:\n%s", msg, logs)
}

func citesDoc(answer map[string]any, doc string) bool {
	cites, _ := answer["citations"].([]any)
	for _, c := range cites {
		if m, _ := c.(map[string]any); m["doc_id"] == doc {
			return true
		}
	}
	return false
}

// The console's sources list the served documents with their warnings, and
// its reload serves what changed in the folder.
func TestConsoleSources(t *testing.T) {
	dir, data := handoutCorpus(t), t.TempDir()
	c := &cli{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	p := &paths{corpus: dir, data: data}
	eng, ix, corp, err := openServed(context.Background(), c, p)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	src := consoleSources{live: newLiveEngine(c, p, ix, eng, corp, nil), logger: slog.New(slog.DiscardHandler)}
	docs := src.Documents()
	if len(docs) != 1 || docs[0].File != "after-car-t.md" || docs[0].Passages != 5 || len(docs[0].Warnings) != 1 || docs[0].Publisher == "" {
		t.Fatalf("documents %+v", docs)
	}
	if msg, err := src.Reload(context.Background()); err != nil || !strings.HasPrefix(msg, "Nothing changed") {
		t.Errorf("reload of an unchanged folder: %q, %v", msg, err)
	}
	os.MkdirAll(filepath.Join(dir, "nutrition"), 0o755)
	src2, _ := os.ReadFile(filepath.Join(handouts, "nutrition", "eating-well.md"))
	os.WriteFile(filepath.Join(dir, "nutrition", "eating-well.md"), src2, 0o644)
	msg, err := src.Reload(context.Background())
	if err != nil || !strings.HasPrefix(msg, "Reloaded: 2 documents") {
		t.Fatalf("reload: %q, %v", msg, err)
	}
	if docs := src.Documents(); len(docs) != 2 || docs[1].File != "nutrition/eating-well.md" {
		t.Errorf("documents after reload %+v", docs)
	}
}
