package staff

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cellchat/cellchat/internal/pgtest"
	"github.com/cellchat/cellchat/transcript"
)

// eachLimiter runs test on a limiter with its counters in memory and on
// one with them in a PostgreSQL store: the same rules either way.
func eachLimiter(t *testing.T, perPair, perIP int, lockout time.Duration, test func(*testing.T, *failureLimiter)) {
	t.Run("memory", func(t *testing.T) { test(t, newFailureLimiter(perPair, perIP, lockout)) })
	t.Run("postgres", func(t *testing.T) {
		l := newFailureLimiter(perPair, perIP, lockout)
		l.state = sharedFailures{openPG(t)}
		test(t, l)
	})
}

// openPG opens a PostgreSQL log on a server of the test's own.
func openPG(t *testing.T) *transcript.PGStore {
	t.Helper()
	return openPGAt(t, pgtest.Start(t).NewDatabase(t))
}

func openPGAt(t *testing.T, url string) *transcript.PGStore {
	t.Helper()
	s, err := transcript.OpenPG(context.Background(), url, transcript.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Two replicas on one PostgreSQL log: failed sign-ins through either count
// towards one lockout, so guessing through both locks as soon as through
// one; a staff member signed in through one is signed in on the other.
func TestLockoutAndSessionsAcrossReplicas(t *testing.T) {
	url := pgtest.Start(t).NewDatabase(t)
	cfg := Config{MaxFailures: 3, MaxFailuresPerIP: 100, Lockout: time.Minute, ClientIPHeader: "X-Forwarded-For",
		Logger: slog.New(slog.DiscardHandler)}
	var replicas []*fixture
	for range 2 {
		s := openPGAt(t, url)
		srv := httptest.NewServer(NewHandler(s, cfg))
		t.Cleanup(srv.Close)
		replicas = append(replicas, &fixture{srv: srv, client: newClient()})
	}
	if err := openPGAt(t, url).AddStaff(context.Background(), testEmail, testPassword); err != nil {
		t.Fatal(err)
	}
	for i := range cfg.MaxFailures {
		if resp := replicas[i%2].signInFrom(t, testEmail, "wrong password!!", "203.0.113.7"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d through replica %d: %d, want 401", i+1, i%2, resp.StatusCode)
		}
	}
	for i, r := range replicas {
		if resp := r.signInFrom(t, testEmail, testPassword, "203.0.113.7"); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("replica %d after %d failures spread over both: %d, want 429 (locked)", i, cfg.MaxFailures, resp.StatusCode)
		}
	}
	// From another address the account is not locked; its session, made
	// through one replica, works through the other.
	a, b := replicas[0], replicas[1]
	if resp := a.signIn(t, a.client, testEmail, testPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in from another address: %d", resp.StatusCode)
	}
	if resp, _ := b.get(t, a.client, "/staff/"); resp.StatusCode != http.StatusOK {
		t.Errorf("the session through the other replica: %d, want 200", resp.StatusCode)
	}
}
