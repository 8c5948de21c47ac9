package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellchat/cellchat/internal/pgtest"
	"github.com/cellchat/cellchat/transcript"
)

// serve on PostgreSQL (--db): answers are committed there before they are
// sent; while the database is down, questions get internal ("could not be
// saved") and /readyz 503; when it is back, the server recovers by itself.
func TestServeOnPostgreSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes the real corpus (skipped with -short)")
	}
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	addr, _, stop := serveInProcess(t, t.TempDir(), map[string]string{"CELLCHAT_DB": url}, "--log-level", "warn")
	ask := func() (int, map[string]any) {
		t.Helper()
		resp, err := http.Post("http://"+addr+"/api/ask", "application/json", strings.NewReader(`{"question":"What is CAR-T cell therapy?"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	ready := func() int {
		t.Helper()
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	code, first := ask()
	if code != 200 || first["answer_id"] == nil {
		t.Fatalf("ask: %d %v", code, first)
	}
	if got := ready(); got != 200 {
		t.Errorf("/readyz = %d with the database up", got)
	}

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	code, down := ask()
	if code == 200 || down["code"] != "internal" || !strings.Contains(down["message"].(string), "could not be saved") {
		t.Errorf("ask with the database down: %d %v", code, down)
	}
	if got := ready(); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d with the database down, want 503", got)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for ready() != 200 {
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not recover after the database came back")
		}
		time.Sleep(200 * time.Millisecond)
	}
	code, after := ask()
	if code != 200 {
		t.Fatalf("ask after recovery: %d %v", code, after)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// Both answers sent are in the database; the refused one is not.
	store, err := transcript.OpenPG(context.Background(), url, transcript.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	missing, err := store.MissingAnswers(context.Background(), []string{first["answer_id"].(string), after["answer_id"].(string)})
	if err != nil || len(missing) != 0 {
		t.Errorf("answers sent but not in PostgreSQL: %v, %v", missing, err)
	}
}
