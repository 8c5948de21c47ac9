package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A restart closes every connection and keeps what was committed.
func TestRestartKeepsDataAndDropsConnections(t *testing.T) {
	s := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')"); err != nil {
		t.Fatal(err)
	}
	port := s.Port
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SELECT 1"); err == nil {
		t.Error("a connection from before the restart still works")
	}
	again, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close(ctx)
	var v string
	if err := again.QueryRow(ctx, "SELECT v FROM t").Scan(&v); err != nil || v != "kept" || s.Port != port {
		t.Errorf("after the restart: %q, %v, port %d (was %d)", v, err, s.Port, port)
	}
}
