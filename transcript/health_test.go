package transcript

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corruptPages overwrites every page of the file but the first (the
// header and schema) with garbage, as a failing disk or a stray write would.
func corruptPages(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	if len(data) < 4*page {
		t.Fatalf("the log is only %d bytes: too small to corrupt its data pages", len(data))
	}
	for i := 2 * page; i < len(data); i++ {
		data[i] = byte(i*7 + 13)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesCorruptLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if err := s.Record(context.Background(), testRecord(fmt.Sprintf("c%d", i%20), i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	corruptPages(t, path)
	s, err = Open(context.Background(), path, Options{})
	if err == nil {
		s.Close()
		t.Fatal("a log with overwritten pages was opened")
	}
	if !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not say the log at its path is corrupt", err)
	}
}

func TestCommitFailureUntilACommitSucceeds(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.CommitErr(); err != nil {
		t.Fatalf("a new log reports %v", err)
	}
	if err := s.Record(ctx, testRecord("ok", 1)); err != nil {
		t.Fatal(err)
	}
	// Another connection makes every insert fail, as a broken disk would.
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(`CREATE TRIGGER broken BEFORE INSERT ON turns BEGIN SELECT RAISE(FAIL, 'injected failure'); END`); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, testRecord("bad", 1)); err == nil {
		t.Fatal("the injected failure did not fail Record")
	}
	if err := s.CommitErr(); err == nil {
		t.Fatal("CommitErr is nil after a failed commit")
	}
	if err := s.ProbeCommit(ctx); err == nil {
		t.Fatal("the probe commit succeeded while every insert fails")
	}
	if err := s.CommitErr(); err == nil {
		t.Fatal("CommitErr is nil after a failed probe")
	}
	if _, err := other.Exec(`DROP TRIGGER broken`); err != nil {
		t.Fatal(err)
	}
	if err := s.ProbeCommit(ctx); err != nil {
		t.Fatalf("the probe commit failed on a healthy log: %v", err)
	}
	if err := s.CommitErr(); err != nil {
		t.Fatalf("CommitErr %v after a commit succeeded", err)
	}
	// The probe leaves nothing behind.
	if _, err := s.History(ctx, probeConversation, 1); err != ErrNotFound {
		t.Fatalf("the probe's conversation: %v, want ErrNotFound", err)
	}
}
