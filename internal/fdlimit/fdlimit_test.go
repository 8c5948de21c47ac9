//go:build unix

package fdlimit

import (
	"math"
	"syscall"
	"testing"
)

func TestEnsureRaisesTheSoftLimit(t *testing.T) {
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &orig); err != nil {
		t.Fatal(err)
	}
	if orig.Max < 1000 {
		t.Skipf("hard open-file limit %d is under this test's 1000", orig.Max)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig) })
	low := orig
	low.Cur = 256
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}

	got, err := Ensure(1000)
	if err != nil || got != 1000 {
		t.Fatalf("Ensure(1000) = %d, %v", got, err)
	}
	var now syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &now)
	if now.Cur != 1000 || now.Max != orig.Max {
		t.Errorf("limit now %d/%d, want 1000/%d", now.Cur, now.Max, orig.Max)
	}
	// Never lowered.
	if got, err := Ensure(10); err != nil || got != 1000 {
		t.Errorf("Ensure(10) = %d, %v; want the 1000 in force", got, err)
	}
	// Capped at the hard limit (when there is one to exceed).
	if orig.Max < math.MaxUint64 {
		if got, err := Ensure(orig.Max + 1); err != nil || got != orig.Max {
			t.Errorf("Ensure(hard+1) = %d, %v; want the hard limit %d", got, err, orig.Max)
		}
	}
}
