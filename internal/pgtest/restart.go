package pgtest

import (
	"errors"
	"os/exec"
	"syscall"
	"time"
)

// Restart stops the server as an operator's restart would (a fast
// shutdown: every client connection is closed) and starts it again on the
// same port and data, waiting until it takes connections; what was
// committed is kept.
func (s *Server) Restart() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return errors.New("pgtest: restart of a server that is not running")
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
	// The same program, arguments, user and log as the first start.
	cmd := exec.Command(s.cmd.Path)
	cmd.Args, cmd.SysProcAttr, cmd.Stdout, cmd.Stderr = s.cmd.Args, s.cmd.SysProcAttr, s.cmd.Stdout, s.cmd.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd, s.done = cmd, make(chan error, 1)
	go func() { s.done <- cmd.Wait() }()
	return s.waitReady()
}
