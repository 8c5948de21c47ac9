package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMetricsOnTheirOwnListener(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MetricsOwnListener = true })
	ts.dial(t, "").askOK("q1", "What is CAR-T?")
	if status, _, _ := httpGet(t, ts.URL+"/metrics"); status != http.StatusNotFound {
		t.Errorf("/metrics on the patient-facing address = %d, want 404", status)
	}
	ms := httptest.NewServer(ts.srv.MetricsHandler())
	defer ms.Close()
	status, body, _ := httpGet(t, ms.URL+"/metrics")
	if status != 200 || !strings.Contains(body, `cellchat_answers_total{kind="answer"} 1`) {
		t.Errorf("/metrics on its own listener = %d, lacks the answer just sent:\n%.300s", status, body)
	}
	if status, _, _ := httpGet(t, ms.URL+"/"); status != http.StatusNotFound {
		t.Errorf("the metrics listener serves / (%d): it serves only /metrics", status)
	}
}
