package ring

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// benchCapacity is the capacity of both the ring and the channel compared.
const benchCapacity = 1024

var benchShapes = []struct{ producers, consumers int }{{1, 1}, {2, 2}}

// BenchmarkRing and BenchmarkChannel move b.N items from producers to
// consumers through a queue of the same capacity; ns/op is per item. Their
// sub-benchmarks share names so the results line up:
//
//	go test -run xxx -bench 'Ring|Channel' ./core/ring/
func BenchmarkRing(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(fmt.Sprintf("%dP%dC", s.producers, s.consumers), func(b *testing.B) {
			r, err := New[int](benchCapacity)
			if err != nil {
				b.Fatal(err)
			}
			push := func(v int) {
				for spins := 0; !r.TryPush(v); spins++ {
					backoff(spins)
				}
			}
			pop := func() {
				for spins := 0; ; spins++ {
					if _, ok := r.TryPop(); ok {
						return
					}
					backoff(spins)
				}
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

// backoff is how a caller of the non-blocking ring waits, after crossbeam's
// Backoff::snooze: spin briefly (the other side is usually nanoseconds from
// freeing a slot), then yield the processor to other goroutines, then yield
// the OS thread, so that when the machine is busier than GOMAXPROCS suggests
// the thread of the goroutine we wait for gets the CPU instead of our spin.
func backoff(spins int) {
	switch {
	case spins < spinLimit:
		for range 1 << min(spins, 5) {
			spinSink++
		}
	case spins < spinLimit+goschedLimit:
		runtime.Gosched()
	default:
		osYield()
	}
}

const (
	spinLimit    = 4
	goschedLimit = 8
)

var spinSink int
