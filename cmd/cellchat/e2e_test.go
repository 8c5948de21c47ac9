package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cellchat/cellchat/loadtest"
	"github.com/cellchat/cellchat/transcript"
)

// The end-to-end tests run the real binary as a separate process, so that
// it can be killed with SIGKILL like a crashed server.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func cellchatBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: builds and runs the binary (skipped with -short)")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cellchat-e2e")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "cellchat")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// server is a running `cellchat serve` process.
type server struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
}

// startServer runs serve on a free port with the given data directory and
// waits until it logs the address it listens on.
func startServer(t *testing.T, data string, extra ...string) *server {
	t.Helper()
	bin := cellchatBinary(t)
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--corpus", "../../corpus", "--data", data,
		"--log-level", "info", "--conn-rate", "0", "--ip-rate", "0"}, extra...)
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				addrc <- line.Addr
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() { cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { s.kill() })
	select {
	case s.addr = <-addrc:
	case <-s.done:
		t.Fatal("server exited before serving")
	case <-time.After(2 * time.Minute):
		t.Fatal("server did not start within 2 minutes")
	}
	return s
}

func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

func (s *server) get(t *testing.T, path string) int {
	t.Helper()
	resp, err := http.Get("http://" + s.addr + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestKillUnderLoadLosesNoAnswer kills the server with SIGKILL while clients
// are asking, restarts it on the same data directory, and checks that the
// log opens cleanly and holds every answer a client received.
func TestKillUnderLoadLosesNoAnswer(t *testing.T) {
	data := t.TempDir()
	srv := startServer(t, data)
	questions := []string{"What is CAR-T therapy?", "What is graft-versus-host disease?", "Hello", "How much does CAR-T cost?", "What is an autologous transplant?"}

	var res loadtest.Result
	var runErr error
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		res, runErr = loadtest.Run(context.Background(), loadtest.Config{
			URL: "ws://" + srv.addr + "/ws", Clients: 20, Duration: 3 * time.Second,
			Questions: questions, Timeout: 5 * time.Second,
		})
	}()
	time.Sleep(1500 * time.Millisecond)
	srv.kill()
	killed := time.Now()
	<-ran
	if runErr != nil {
		t.Fatal(runErr)
	}
	if res.Answers == 0 {
		t.Fatalf("no answers before the kill: %+v", res)
	}

	srv2 := startServer(t, data)
	for srv2.get(t, "/readyz") != http.StatusOK {
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("%d answers received before SIGKILL; ready again %s after the kill", res.Answers, time.Since(killed).Round(time.Millisecond))

	store, err := transcript.Open(context.Background(), transcript.PathIn(data), transcript.Options{})
	if err != nil {
		t.Fatalf("the log does not open after SIGKILL: %v", err)
	}
	defer store.Close()
	missing, err := store.MissingAnswers(context.Background(), res.AnswerIDs)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d answers a client received are not in the log, e.g. %s", len(missing), len(res.AnswerIDs), missing[0])
	}
}

// TestLoadtestCommand runs `cellchat loadtest` against a running server and
// checks its report and the log verification.
func TestLoadtestCommand(t *testing.T) {
	data := t.TempDir()
	srv := startServer(t, data)
	var out, errOut strings.Builder
	c := &cli{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}
	err := run(context.Background(), []string{"cellchat", "loadtest", "--url", "ws://" + srv.addr + "/ws",
		"--clients", "4", "--duration", "1s", "--questions", "../../eval/questions.yaml", "--verify-log", data}, c)
	if err != nil {
		t.Fatalf("loadtest: %v\n%s%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{"answers/s", "latency p50", "errors: none", "log check:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "log check: 0 of") {
		t.Errorf("no answers verified:\n%s", out.String())
	}

	out.Reset()
	err = run(context.Background(), []string{"cellchat", "loadtest", "--url", "ws://" + srv.addr + "/ws",
		"--idle", "50", "--questions", "../../eval/questions.yaml"}, c)
	if err != nil {
		t.Fatalf("loadtest --idle: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "idle sockets: 50 of 50 opened") || !strings.Contains(out.String(), "a new client was answered") {
		t.Errorf("idle report:\n%s", out.String())
	}
}
