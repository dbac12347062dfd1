package ring

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// benchCapacity is the capacity of both the ring and the channel compared.
const benchCapacity = 1024

var benchShapes = []struct{ producers, consumers int }{{1, 1}, {2, 2}}

// BenchmarkRing and BenchmarkChannel move b.N items from producers to
// consumers through a queue of the same capacity; ns/op is per item. Their
// sub-benchmarks share names so the results line up:
//
//	go test -run xxx -bench 'Ring|Channel' -count 5 ./core/ring/
//
// A channel parks a goroutine that finds it full or empty; the ring never
// blocks, so its producers and consumers wait the way a real caller should
// (see waiter), which keeps the comparison honest when the machine has fewer
// free cores than goroutines.
func BenchmarkRing(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(fmt.Sprintf("%dP%dC", s.producers, s.consumers), func(b *testing.B) {
			r, err := New[int](benchCapacity)
			if err != nil {
				b.Fatal(err)
			}
			w := newWaiter()
			push := func(v int) {
				w.wait(func() bool { return r.TryPush(v) })
				w.wake()
			}
			pop := func() {
				w.wait(func() bool { _, ok := r.TryPop(); return ok })
				w.wake()
			}
			runQueueBench(b, s.producers, s.consumers, push, pop)
		})
	}
}

func BenchmarkChannel(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(fmt.Sprintf("%dP%dC", s.producers, s.consumers), func(b *testing.B) {
			ch := make(chan int, benchCapacity)
			push := func(v int) { ch <- v }
			pop := func() { <-ch }
			runQueueBench(b, s.producers, s.consumers, push, pop)
		})
	}
}

// runQueueBench splits b.N items among the producers and the same number of
// pops among the consumers, and times until all of them are done.
func runQueueBench(b *testing.B, producers, consumers int, push func(int), pop func()) {
	share := func(n, parts, i int) int {
		s := n / parts
		if i < n%parts {
			s++
		}
		return s
	}
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for p := range producers {
		n := share(b.N, producers, p)
		wg.Go(func() {
			for i := range n {
				push(i)
			}
		})
	}
	for c := range consumers {
		n := share(b.N, consumers, c)
		wg.Go(func() {
			for range n {
				pop()
			}
		})
	}
	wg.Wait()
}

// waiter is how a caller of the non-blocking ring waits for room or for an
// item. It escalates like crossbeam's Backoff: spin briefly (the other side
// is usually nanoseconds from freeing a slot), yield to other goroutines,
// yield the OS thread (sched_yield), and finally park until another
// goroutine's successful push or pop wakes it, so that a waiter never burns
// the CPU that the thread it waits for needs.
type waiter struct {
	mu       sync.Mutex
	cond     *sync.Cond
	sleepers atomic.Int32
}

func newWaiter() *waiter {
	w := &waiter{}
	w.cond = sync.NewCond(&w.mu)
	return w
}

// wait returns once try has succeeded.
func (w *waiter) wait(try func() bool) {
	for spins := 0; ; spins++ {
		if try() {
			return
		}
		switch {
		case spins < 4:
			for range 1 << spins {
				w.sleepers.Load() // a read the compiler keeps; no shared write
			}
		case spins < 12:
			runtime.Gosched()
		case spins < 16:
			osYield()
		default:
			// Announce before the last try: a wake that misses the sleeper
			// count happened before it, so that try sees its effect.
			w.sleepers.Add(1)
			w.mu.Lock()
			for !try() {
				w.cond.Wait()
			}
			w.mu.Unlock()
			w.sleepers.Add(-1)
			return
		}
	}
}

// wake is called after every successful push or pop; it costs one atomic
// load unless someone is parked.
func (w *waiter) wake() {
	if w.sleepers.Load() > 0 {
		w.mu.Lock()
		w.cond.Broadcast()
		w.mu.Unlock()
	}
}
