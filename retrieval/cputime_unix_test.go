//go:build unix

package retrieval

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system, all threads) the process has used.
// On a shared, loaded machine wall time per operation says more about the
// neighbours than about the code; CPU time per operation does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
