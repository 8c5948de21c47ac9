package transcript

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/cellchat/cellchat/internal/pgtest"
)

// BenchmarkRecordBackends compares Record on SQLite and on PostgreSQL,
// each durable as a server runs it: SQLite with synchronous=FULL, and a
// PostgreSQL server of the benchmark's own with fsync and full-page writes
// on (pgtest.StartDurable), on the same machine. "serial" is one caller at
// a time, the latency of one durable commit; "parallel" is 32 callers at
// once per core, as many answers finishing together, where group commit
// batches them.
func BenchmarkRecordBackends(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			open := be.open
			if be.name == "postgres" {
				srv := pgtest.StartDurable(b)
				open = func(t testing.TB, opts Options) Backend {
					s, err := OpenPG(context.Background(), srv.NewDatabase(t), opts)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { s.Close() })
					return s
				}
			}
			b.Run("serial", func(b *testing.B) {
				s := open(b, Options{})
				ctx := context.Background()
				i := 0
				for b.Loop() {
					i++
					if err := s.Record(ctx, benchRecord(fmt.Sprint("conv", i%100), i)); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			})
			b.Run("parallel", func(b *testing.B) {
				s := open(b, Options{})
				ctx := context.Background()
				empty := logBytes(b, s)
				var next atomic.Int64
				b.SetParallelism(32)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						i := int(next.Add(1))
						if err := s.Record(ctx, benchRecord(fmt.Sprint("conv", i%100), i)); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
				if c, r := s.CommitStats(); c > 0 {
					b.ReportMetric(float64(r)/float64(c), "records/commit")
				}
				if _, r := s.CommitStats(); r > 0 {
					b.ReportMetric(float64(logBytes(b, s)-empty)/float64(r), "bytes/record")
				}
			})
		})
	}
}

// logBytes is how much a log takes: the SQLite file's pages (WAL frames
// included), the PostgreSQL database's size (indexes, TOAST and free
// space in its pages included).
func logBytes(b *testing.B, s Backend) int64 {
	var n int64
	var err error
	switch s := s.(type) {
	case *Store:
		err = s.db.QueryRow(`SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`).Scan(&n)
	case *PGStore:
		err = s.pool.QueryRow(context.Background(), `SELECT pg_database_size(current_database())`).Scan(&n)
	}
	if err != nil {
		b.Fatal(err)
	}
	return n
}
