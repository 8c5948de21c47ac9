package web

import (
	"errors"
	"net/http"
	"strings"
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
