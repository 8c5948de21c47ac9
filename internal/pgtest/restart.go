package pgtest

// Restart stops the server as an operator's restart would (a fast
// shutdown: every client connection is closed), if it is still running,
// and starts it again on the same port and data, waiting until it takes
// connections; what was committed is kept. A server stopped by Stop (a
// database outage in a test) starts again the same way.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.run()
}
