//go:build unix

// Package fdlimit raises the process's open-file limit, which caps how many
// sockets a server holds or a load tool opens.
package fdlimit

import (
	"fmt"
	"syscall"
)

// Ensure raises the soft RLIMIT_NOFILE to at least n where the hard limit
// allows, and returns the soft limit then in force. It never lowers it.
func Ensure(n uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("read the open-file limit: %w", err)
	}
	if lim.Cur >= n {
		return lim.Cur, nil
	}
	want := lim
	want.Cur = min(n, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		return lim.Cur, fmt.Errorf("raise the open-file limit from %d to %d: %w", lim.Cur, want.Cur, err)
	}
	return want.Cur, nil
}
