//go:build !unix

package retrieval

import "time"

// cpuTime is unknown here: -1 makes reportCPU report nothing.
func cpuTime() time.Duration { return -1 }
