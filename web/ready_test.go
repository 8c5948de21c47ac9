package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestReadyzFollowsCommitFailures(t *testing.T) {
	ts := newTestServer(t, nil)
	ask := func() int {
		resp, err := http.Post(ts.URL+"/api/ask", "application/json", strings.NewReader(`{"question":"What is CAR-T?"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status, body, _ := httpGet(t, ts.URL+"/readyz"); status != 200 {
		t.Fatalf("readyz = %d %s", status, body)
	}
	ts.log.mu.Lock()
	ts.log.failRecord = errors.New("disk I/O error")
	ts.log.mu.Unlock()
	if status := ask(); status != http.StatusInternalServerError {
		t.Fatalf("ask with a failing log = %d, want 500", status)
	}
	// Queries still work; only commits fail.
	if status, body, _ := httpGet(t, ts.URL+"/readyz"); status != 503 || !strings.Contains(body, "cannot commit") {
		t.Fatalf("readyz while commits fail = %d %s, want 503", status, body)
	}
	ts.log.mu.Lock()
	ts.log.failRecord = nil
	ts.log.mu.Unlock()
	// No patient needs to ask for readiness to come back: the probe commits.
	if status, body, _ := httpGet(t, ts.URL+"/readyz"); status != 200 {
		t.Fatalf("readyz once the log commits again = %d %s", status, body)
	}
	if status := ask(); status != http.StatusOK {
		t.Fatalf("ask after recovery = %d", status)
	}
	ts.log.mu.Lock()
	probes := ts.log.probes
	ts.log.mu.Unlock()
	httpGet(t, ts.URL+"/readyz")
	ts.log.mu.Lock()
	defer ts.log.mu.Unlock()
	if ts.log.probes != probes {
		t.Error("readyz probes commits while they succeed")
	}
}

// versionedAnswerer is an answerer whose corpus can be reloaded.
type versionedAnswerer struct {
	*fakeAnswerer
	version atomic.Value
}

func (a *versionedAnswerer) Version() string { return a.version.Load().(string) }

func TestReadyzAndMetricsReportCorpusVersion(t *testing.T) {
	a := &versionedAnswerer{fakeAnswerer: newFakeAnswerer()}
	a.version.Store("3f2a9c")
	cfg := DefaultConfig()
	cfg.Disclaimer = testDisclaimer
	srv, err := NewServer(cfg, a, newMemLog())
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	check := func(version string) {
		t.Helper()
		status, body, _ := httpGet(t, hs.URL+"/readyz")
		var ready map[string]string
		if err := json.Unmarshal([]byte(body), &ready); err != nil || status != 200 || ready["status"] != "ready" || ready["corpus_version"] != version {
			t.Errorf("readyz = %d %s, want ready with corpus_version %s", status, body, version)
		}
		_, metrics, _ := httpGet(t, hs.URL+"/metrics")
		if want := `cellchat_corpus_info{version="` + version + `"} 1`; !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
		if n := strings.Count(metrics, "cellchat_corpus_info{"); n != 1 {
			t.Errorf("metrics have %d corpus_info series, want 1", n)
		}
	}
	check("3f2a9c")
	a.version.Store("77b01e") // a reload
	check("77b01e")

	// An answerer that does not know its version: the shapes as before.
	plain := newTestServer(t, nil)
	_, body, _ := httpGet(t, plain.URL+"/readyz")
	if body = strings.TrimSpace(body); body != `{"status":"ready"}` {
		t.Errorf("readyz without a version = %s", body)
	}
}
