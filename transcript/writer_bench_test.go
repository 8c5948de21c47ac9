package transcript

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cellchat/cellchat/chat"
)

// BenchmarkWriteBatch times the writer's share of a reply under load: one
// transaction of 64 records from 200 live conversations, with rows shaped
// like the load tool's (a 470-character answer citing 3 of 40 corpus
// passages, 5 retrieved), the commit's fsync included. It reports the
// writer's time and the WAL bytes per record: the writer is the one
// serial stage every reply passes through, so its time per record bounds
// the server's answers per second. The text search indexing that follows
// the commits (textindex.go) is included.
func BenchmarkWriteBatch(b *testing.B) {
	const batchSize, conversations, passages = 64, 200, 40
	path := filepath.Join(b.TempDir(), FileName)
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	convs := make([]string, conversations)
	for i := range convs {
		convs[i] = fmt.Sprintf("%032x", uint64(i)*0x9e3779b97f4a7c15)
	}
	text := strings.Repeat("CAR-T cell therapy uses your own T cells, changed in a lab [1]. ", 8)[:470]
	disclaimer := strings.Repeat("This is general information, not medical advice. ", 5)[:201]
	n := 0
	record := func() Record {
		n++
		var id [16]byte
		binary.BigEndian.PutUint64(id[:8], uint64(time.Now().UnixMilli())<<16|uint64(n&0xffff))
		binary.BigEndian.PutUint64(id[8:], uint64(n)*0x9e3779b97f4a7c15)
		r := Record{
			AnswerID:       hex.EncodeToString(id[:]),
			ConversationID: convs[n%conversations],
			Time:           time.Now(),
			Question:       fmt.Sprintf("What are the side effects of CAR-T? (%d)", n),
			Latency:        70 * time.Microsecond,
			Reply: chat.Reply{Kind: chat.KindAnswer, Text: text, Disclaimer: disclaimer, Mode: "extractive",
				Reason: "answer", Confidence: 0.6748048936268356, CorpusVersion: "8bc7dc17a0e552d1"},
		}
		for k := range 3 {
			p := (n + 7*k) % passages
			r.Reply.Citations = append(r.Reply.Citations, chat.Citation{N: k + 1, DocID: "asgct-cell-therapy-basics",
				Title: "Cell Therapy Basics", URL: "https://patienteducation.asgct.org/gene-therapy-101/cell-therapy-basics",
				Section: "How Cell Therapy Works", ChunkID: fmt.Sprint("chunk-", p), Passage: fmt.Sprint(p, strings.Repeat(" passage text", 45))})
		}
		for k := range 5 {
			p := (n + 3*k) % passages
			r.Reply.Retrieved = append(r.Reply.Retrieved, chat.Retrieved{ChunkID: fmt.Sprint("chunk-", p), DocID: "asgct-cell-therapy-basics",
				Section: "How Cell Therapy Works", Text: fmt.Sprint(p, strings.Repeat(" passage text", 45)),
				Score: 0.6405859603387805, Lexical: 6.864744292741587, Vector: 0.2819961607456207})
		}
		return r
	}
	batch := make([]writeReq, batchSize)
	errs := make([]error, batchSize)
	fill := func() {
		for i := range batch {
			batch[i] = writeReq{rec: record()}
		}
	}
	// Warm up: a log already holding some replies, passages known.
	for range 200 {
		fill()
		if err := s.writeBatch(ctx, batch, errs, false); err != nil {
			b.Fatal(err)
		}
		s.notePending(batchSize)
		s.indexPending(ctx, false)
	}
	// WAL bytes are counted in frames (a page and its 24-byte header):
	// SQLite may start the WAL over at any commit that finds it wholly
	// checkpointed, so the file's growth would miss what was written
	// over its start.
	var pageSize int64
	if err := s.db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		b.Fatal(err)
	}
	walFrames := func() int64 {
		var busy, frames, copied int64
		if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(NOOP)`).Scan(&busy, &frames, &copied); err != nil {
			b.Fatal(err)
		}
		return frames
	}
	var written int64 // frames
	last := walFrames()
	cpu0 := cpuTime()
	for b.Loop() {
		b.StopTimer()
		fill()
		b.StartTimer()
		if err := s.writeBatch(ctx, batch, errs, false); err != nil {
			b.Fatal(err)
		}
		// The writer's catch-up indexing, which follows its commits.
		s.notePending(batchSize)
		s.indexPending(ctx, false)
		f := walFrames()
		if f < last { // started over
			last = 0
		}
		written, last = written+f-last, f
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batchSize), "ns/record")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N*batchSize), "cpu-ns/record")
	b.ReportMetric(float64(written*(pageSize+24))/float64(b.N*batchSize), "WAL-B/record")
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
