package ring

import "syscall"

// osYield gives up the OS thread's CPU (sched_yield) while the goroutine
// keeps its P.
func osYield() { _, _, _ = syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
