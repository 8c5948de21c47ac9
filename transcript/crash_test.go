package transcript

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const crashChildEnv = "TRANSCRIPT_CRASH_CHILD_DB"

// TestCrashSafety runs a child process (this test binary again) that
// records turns from several goroutines and prints each answer_id once
// Record has returned; it SIGKILLs the child mid-stream, reopens the store
// and checks that every printed answer_id is there.
func TestCrashSafety(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), FileName)
	for round := range 3 { // kill it three times: each restart must find the previous rounds intact
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path, fmt.Sprintf("TRANSCRIPT_CRASH_ROUND=%d", round))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		rd := bufio.NewReader(out)
		var acked []string
		killed := false
		deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
		for {
			line, err := rd.ReadString('\n')
			if err == io.EOF {
				break // a partial last line was never acknowledged
			}
			if err != nil {
				t.Fatal(err)
			}
			acked = append(acked, strings.TrimSpace(line))
			// Kill at a different point each round, mid-stream.
			if !killed && len(acked) >= 200+150*round {
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
			}
		}
		deadline.Stop()
		cmd.Wait()
		if !killed {
			t.Fatalf("round %d: child exited after %d records before being killed", round, len(acked))
		}

		s, err := Open(context.Background(), path, Options{})
		if err != nil {
			t.Fatalf("round %d: reopening after SIGKILL: %v", round, err)
		}
		var check string
		s.db.QueryRow(`PRAGMA integrity_check`).Scan(&check)
		if check != "ok" {
			t.Errorf("round %d: integrity_check: %s", round, check)
		}
		missing := 0
		for _, id := range acked {
			var n int
			if err := s.db.QueryRow(`SELECT COUNT(*) FROM turns WHERE answer_id = ?`, id).Scan(&n); err != nil || n != 1 {
				missing++
			}
		}
		var total int
		s.db.QueryRow(`SELECT COUNT(*) FROM turns`).Scan(&total)
		s.Close()
		t.Logf("round %d: %d acknowledged, %d in the log", round, len(acked), total)
		if missing > 0 {
			t.Fatalf("round %d: %d of %d acknowledged answers missing after SIGKILL", round, missing, len(acked))
		}
	}
}

// crashChild records forever; the parent kills it.
func crashChild(path string) {
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	round := os.Getenv("TRANSCRIPT_CRASH_ROUND")
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				r := testRecord(fmt.Sprintf("r%s-g%d", round, g), i)
				if err := s.Record(context.Background(), r); err != nil {
					fmt.Fprintln(os.Stderr, "child:", err)
					os.Exit(3)
				}
				mu.Lock()
				os.Stdout.WriteString(r.AnswerID + "\n") // one write: a line is whole or absent
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
