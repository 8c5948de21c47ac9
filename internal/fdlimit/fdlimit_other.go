//go:build !unix

package fdlimit

import "math"

// Ensure does nothing where there is no RLIMIT_NOFILE: the limit is the
// system's.
func Ensure(n uint64) (uint64, error) { return math.MaxUint64, nil }
