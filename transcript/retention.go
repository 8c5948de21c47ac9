package transcript

import (
	"context"
	"log/slog"
	"time"
)

// RunRetention deletes conversations older than days days now and then
// every interval (default: hourly) until ctx ends. days <= 0 keeps
// everything and returns at once. Run it in its own goroutine.
func (s *Store) RunRetention(ctx context.Context, days int, every time.Duration, log *slog.Logger) {
	runRetention(ctx, days, every, log, "transcript retention", "conversations", s.DeleteOlderThan)
}

// runRetention runs del(days) now and then every interval (default: hourly)
// until ctx ends, logging what it deleted; days <= 0 returns at once.
func runRetention(ctx context.Context, days int, every time.Duration, log *slog.Logger, what, unit string, del func(context.Context, int) (int64, error)) {
	if days <= 0 {
		return
	}
	if every <= 0 {
		every = time.Hour
	}
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := del(ctx, days)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error(what, "days", days, "err", err)
		case n > 0:
			log.Info(what+": deleted old "+unit, "days", days, unit, n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Ping checks that the database answers (for readiness probes).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}
