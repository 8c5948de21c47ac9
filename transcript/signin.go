package transcript

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// SignInFailures is the staff console's sign-in lockout counter of one key
// (an e-mail from an address, or an address): see web/staff.
type SignInFailures struct {
	Count int       // failures since the last lock, within the lockout of each other
	Last  time.Time // the latest failure
	Locks int       // locks so far, for the growing lockout
	Until time.Time // locked until then
}

// SignInFailuresKept is how long a counter is kept after its last failure
// once unlocked: the longest lockout, and how long earlier locks count
// towards the next one's length.
const SignInFailuresKept = 24 * time.Hour

// signInPruneEvery: one update in this many also deletes the counters no
// longer needed, so they do not pile up where retention is off; a flood of
// sign-ins from sprayed addresses prunes as fast as it adds.
const signInPruneEvery = 256

// UpdateSignInFailures runs f on the counters of keys (zero for a key
// without one) in one transaction holding their rows, so replicas counting
// the same keys take turns, and stores what f leaves. Counters left at
// zero, and those unlocked and idle for SignInFailuresKept, are deleted
// now and then here and by retention (DeleteOlderThan).
func (s *PGStore) UpdateSignInFailures(ctx context.Context, keys []string, f func(map[string]*SignInFailures)) error {
	// Stored by hash: keys hold NUL (which PostgreSQL's text does not) and
	// whatever a client sent as its e-mail.
	byHash := make(map[string]string, len(keys))
	hashes := make([]string, 0, len(keys))
	for _, k := range keys {
		sum := sha256.Sum256([]byte(k))
		h := hex.EncodeToString(sum[:])
		if _, dup := byHash[h]; !dup {
			byHash[h], hashes = k, append(hashes, h)
		}
	}
	slices.Sort(hashes) // rows locked in one order: no deadlock between replicas
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO signin_failures(key) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, hashes); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT key, count, last, locks, until FROM signin_failures WHERE key = ANY($1) ORDER BY key FOR UPDATE`, hashes)
		if err != nil {
			return err
		}
		m := make(map[string]*SignInFailures, len(keys))
		var key string
		var last, until int64
		var c SignInFailures
		if _, err := pgx.ForEachRow(rows, []any{&key, &c.Count, &last, &c.Locks, &until}, func() error {
			e := c
			e.Last, e.Until = unixOrZeroTime(last), unixOrZeroTime(until)
			m[byHash[key]] = &e
			return nil
		}); err != nil {
			return err
		}
		f(m)
		b := &pgx.Batch{}
		if rand.IntN(signInPruneEvery) == 0 {
			now := time.Now()
			b.Queue(`DELETE FROM signin_failures WHERE until < $1 AND last < $2`, now.UnixNano(), now.Add(-SignInFailuresKept).UnixNano())
		}
		for _, h := range hashes {
			e := m[byHash[h]]
			b.Queue(`UPDATE signin_failures SET count = $2, last = $3, locks = $4, until = $5 WHERE key = $1`,
				h, e.Count, unixOrZero(e.Last), e.Locks, unixOrZero(e.Until))
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("sign-in failures: %w", err)
	}
	return nil
}

// unixOrZeroTime is unixOrZero undone: 0 is the zero time.
func unixOrZeroTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
