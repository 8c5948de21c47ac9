//go:build !unix

package retrieval

// lockDir is a no-op where flock is unavailable: syncs in one process are
// still serialised by the Index's mutex.
func lockDir(dir string) (unlock func(), err error) { return func() {}, nil }
