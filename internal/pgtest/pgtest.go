// Package pgtest starts a throwaway PostgreSQL server for tests: a new
// cluster in a temporary directory (initdb), a postgres process on a free
// loopback port, stopped and removed when the test ends. It needs Debian's
// postgresql-15 (or any PostgreSQL whose initdb is on PATH, in
// $CELLCHAT_PG_BIN, or under /usr/lib/postgresql/*/bin); a test without it
// is skipped with a message, except under CI=true, where it fails.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Limits of starting and stopping a server.
const (
	startTimeout = 60 * time.Second // initdb and the first accepted connection, on a loaded machine
	stopTimeout  = 20 * time.Second // a fast shutdown, before the process is killed
	pollEvery    = 50 * time.Millisecond
	// superuser is the cluster's only role; it trusts loopback connections.
	superuser = "cellchat"
)

// Server is a running throwaway PostgreSQL server.
type Server struct {
	Dir  string // the cluster's data directory
	Port int
	bin  string
	sock string
	cred *syscall.Credential
	// durable keeps PostgreSQL's fsync and full-page writes on.
	durable bool
	cmd     *exec.Cmd
	done    chan error

	stop    *sync.Once
	stopErr error
	dbs     atomic.Int64 // databases made by NewDatabase
}

// URL returns a connection URL for database db on the server.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", superuser, s.Port, db)
}

// Start starts a server for the test and stops it when the test ends. Its
// settings favour speed over durability (fsync off): tests kill replicas,
// not the database server.
func Start(t testing.TB) *Server {
	t.Helper()
	return startFor(t, false)
}

// StartDurable is Start with fsync and full-page writes on, as production
// runs: for benchmarks whose commits must wait for the disk.
func StartDurable(t testing.TB) *Server {
	t.Helper()
	return startFor(t, true)
}

func startFor(t testing.TB, durable bool) *Server {
	t.Helper()
	bin, err := binDir()
	if err != nil {
		missing(t, err.Error())
	}
	s, err := start(bin, t.TempDir(), durable)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return s
}

// missing skips the test, or fails it under CI=true, where every part the
// tests need is installed by .ci/run.
func missing(t testing.TB, msg string) {
	t.Helper()
	msg += " (install Debian's postgresql-15: apt-get install postgresql-15)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// binDir finds the directory of PostgreSQL's server programs.
func binDir() (string, error) {
	if d := os.Getenv("CELLCHAT_PG_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			return "", fmt.Errorf("pgtest: CELLCHAT_PG_BIN=%s holds no initdb", d)
		}
		return d, nil
	}
	// Debian keeps them off PATH, one directory per major version.
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(real), nil
		}
		return filepath.Dir(p), nil
	}
	return "", ErrMissing
}

func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func start(bin, tmp string, durable bool) (*Server, error) {
	dir := filepath.Join(tmp, "data")
	sock := filepath.Join(tmp, "sock")
	for _, d := range []string{dir, sock} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	cred, err := runAs(tmp, dir, sock)
	if err != nil {
		return nil, err
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", dir, "-U", superuser, "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, Port: port, bin: bin, sock: sock, cred: cred, durable: durable}
	return s, s.run()
}

// run starts the postgres process on the server's directory and port and
// waits until it takes queries.
func (s *Server) run() error {
	args := []string{"-D", s.Dir, "-p", strconv.Itoa(s.Port), "-k", s.sock, "-c", "listen_addresses=127.0.0.1"}
	if !s.durable {
		args = append(args, "-c", "fsync=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(s.bin, "postgres"), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Setpgid: true}
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	s.cmd, s.done, s.stop, s.stopErr = cmd, make(chan error, 1), &sync.Once{}, nil
	go func() { s.done <- cmd.Wait() }()
	if err := s.waitReady(); err != nil {
		s.Stop()
		return fmt.Errorf("%w\n%s", err, log.String())
	}
	return nil
}

// ErrMissing is Launch's error when PostgreSQL is not installed.
var ErrMissing = errors.New("pgtest: PostgreSQL's initdb was not found")

// Launch starts a server outside any one test, in dir, for a package's
// TestMain to share among its tests; the caller stops it. ErrMissing if
// PostgreSQL is not installed: hand it to Unavailable in each test.
func Launch(dir string) (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	return start(bin, dir, false)
}

// Unavailable skips the test for err (Launch's), or fails it under
// CI=true, where .ci/run installs PostgreSQL.
func Unavailable(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrMissing) {
		missing(t, err.Error())
	}
	t.Fatal(err)
}

// NewDatabase creates an empty database on the server for t (dropped when
// t ends) and returns its URL.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("test_%d", s.dbs.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		if conn, err := pgx.Connect(ctx, s.URL("postgres")); err == nil {
			conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			conn.Close(ctx)
		}
	})
	return s.URL(name)
}

// runAs returns the credentials to run the server with: the current user,
// or the postgres user when running as root (PostgreSQL refuses root),
// who is then given the directories.
func runAs(dirs ...string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root needs the postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, d := range dirs {
		if err := os.Chown(d, uid, gid); err != nil {
			return nil, err
		}
	}
	// The postgres user must be able to reach the temporary directory.
	for d := filepath.Dir(dirs[0]); d != "/" && d != "."; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			os.Chmod(d, fi.Mode().Perm()|0o001)
		}
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady waits until the server accepts connections on its port.
func (s *Server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("pgtest: postgres exited: %v", err)
		case <-ctx.Done():
			return errors.New("pgtest: postgres did not start in time")
		case <-time.After(pollEvery):
		}
		// pg_isready says yes only once the server takes queries, not
		// while it is still starting up.
		ready := exec.Command(filepath.Join(s.bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-U", superuser)
		if ready.Run() == nil {
			return nil
		}
	}
}

// Stop shuts the server down (a fast shutdown, then a kill) and waits for
// it to exit. Stopping it again does nothing.
func (s *Server) Stop() error {
	if s.stop == nil {
		return nil
	}
	s.stop.Do(func() {
		if s.cmd == nil || s.cmd.Process == nil {
			return
		}
		s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(stopTimeout):
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
			s.stopErr = errors.New("postgres did not shut down in time and was killed")
		}
	})
	return s.stopErr
}
