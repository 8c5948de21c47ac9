package transcript

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cellchat/cellchat/internal/pgtest"
)

// Replicas starting at once on an empty database: one migrates under the
// advisory lock, the others wait and find the schema done; all work, and
// share conversations and staff sessions.
func TestPGReplicasMigrateOnce(t *testing.T) {
	url := sharedPG(t).NewDatabase(t)
	ctx := context.Background()
	stores := make([]*PGStore, 3)
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = OpenPG(ctx, url, Options{})
		}()
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		defer s.Close()
		if err := s.Record(ctx, testRecord("shared", i)); err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	// A conversation started on one replica resumes on another.
	h, err := stores[2].History(ctx, "shared", 0)
	if err != nil || len(h) != len(stores) {
		t.Fatalf("history through another replica: %d turns, %v", len(h), err)
	}
	// A staff member signed in through one replica is signed in on the
	// others, with the same CSRF token; signed out on one, on all.
	if err := stores[0].AddStaff(ctx, "nurse@clinic.org", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	sess, err := stores[0].CreateSession(ctx, "nurse@clinic.org", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := stores[1].LookupSession(ctx, sess.Token); err != nil || !got.ValidCSRF(sess.CSRF) || got.Email != "nurse@clinic.org" {
		t.Errorf("session through another replica: %+v, %v", got, err)
	}
	if err := stores[2].DeleteSession(ctx, sess.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := stores[0].LookupSession(ctx, sess.Token); !errors.Is(err, ErrNotFound) {
		t.Errorf("signed out through another replica, still valid here: %v", err)
	}
	var version int
	stores[0].pool.QueryRow(ctx, `SELECT version FROM cellchat_schema`).Scan(&version)
	if version != pgSchemaVersion {
		t.Errorf("schema version %d, want %d", version, pgSchemaVersion)
	}
}

// A replica older than the database's schema refuses to start, saying so.
func TestPGRefusesNewerSchema(t *testing.T) {
	s := openPGTest(t, Options{})
	ctx := context.Background()
	url := pgServer.URL(s.pool.Config().ConnConfig.Database)
	if _, err := s.pool.Exec(ctx, `UPDATE cellchat_schema SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	_, err := OpenPG(ctx, url, Options{})
	if !errors.Is(err, ErrSchemaNewer) {
		t.Fatalf("open on a newer schema: %v, want ErrSchemaNewer", err)
	}
	t.Logf("the refusal reads: %v", err)
}

// While the database is down, Record fails (the web layer answers
// "could not be saved"), Ping fails (readiness goes 503) and CommitErr says
// why; once it is back, the same store records again by itself.
func TestPGOutageAndRecovery(t *testing.T) {
	srv := pgtest.Start(t)
	ctx := context.Background()
	s, err := OpenPG(ctx, srv.NewDatabase(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Record(ctx, testRecord("before", 1)); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	down, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Record(down, testRecord("during", 1)); err == nil {
		t.Fatal("Record succeeded with the database down")
	}
	if s.CommitErr() == nil {
		t.Error("CommitErr is nil after a failed commit")
	}
	if err := s.Ping(down); err == nil {
		t.Error("Ping succeeded with the database down")
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// The pool may hand out a connection that died with the server once;
	// a few tries, as a patient's retry would be.
	var rerr error
	for range 5 {
		if rerr = s.Record(ctx, testRecord("after", 1)); rerr == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if rerr != nil {
		t.Fatalf("Record after the database came back: %v", rerr)
	}
	if err := s.ProbeCommit(ctx); err != nil || s.CommitErr() != nil {
		t.Errorf("after recovery: probe %v, CommitErr %v", err, s.CommitErr())
	}
	for _, conv := range []string{"before", "after"} {
		if h, err := s.History(ctx, conv, 0); err != nil || len(h) != 1 {
			t.Errorf("%s: %d turns, %v", conv, len(h), err)
		}
	}
	if _, err := s.History(ctx, "during", 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("the turn that failed is in the log: %v", err)
	}
}

// Sign-in failure counters are shared and updated in place; retention
// forgets those unlocked and idle for a day, and keeps a lock running.
func TestPGSignInFailures(t *testing.T) {
	s := openPGTest(t, Options{})
	ctx := context.Background()
	now := time.Now()
	set := func(key string, e SignInFailures) {
		t.Helper()
		if err := s.UpdateSignInFailures(ctx, []string{key}, func(m map[string]*SignInFailures) { *m[key] = e }); err != nil {
			t.Fatal(err)
		}
	}
	get := func(key string) SignInFailures {
		t.Helper()
		var got SignInFailures
		if err := s.UpdateSignInFailures(ctx, []string{key}, func(m map[string]*SignInFailures) { got = *m[key] }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	set("p:a@b.org\x00ip1", SignInFailures{Count: 2, Last: now})
	if got := get("p:a@b.org\x00ip1"); got.Count != 2 || !got.Last.Equal(time.Unix(0, now.UnixNano())) {
		t.Errorf("read back %+v", got)
	}
	set("i:old", SignInFailures{Count: 1, Locks: 3, Last: now.Add(-25 * time.Hour)})
	set("i:locked", SignInFailures{Locks: 5, Last: now.Add(-25 * time.Hour), Until: now.Add(time.Hour)})
	if _, err := s.DeleteOlderThan(ctx, 30); err != nil {
		t.Fatal(err)
	}
	var n int
	s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM signin_failures`).Scan(&n)
	if n != 2 || get("i:locked").Locks != 5 || get("i:old") != (SignInFailures{}) {
		t.Errorf("after retention: %d counters, locked %+v, old %+v", n, get("i:locked"), get("i:old"))
	}
}
