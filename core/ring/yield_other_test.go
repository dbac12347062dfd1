//go:build !linux

package ring

import "runtime"

// osYield falls back to yielding to other goroutines where sched_yield is
// not available.
func osYield() { runtime.Gosched() }
