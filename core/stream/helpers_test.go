package stream

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is an injectable wall clock in whole seconds.
type fakeClock struct{ sec atomic.Int64 }

func newFakeClock(sec int64) *fakeClock {
	c := &fakeClock{}
	c.sec.Store(sec)
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(c.sec.Load(), 0) }
func (c *fakeClock) Advance(d time.Duration) { c.sec.Add(int64(d / time.Second)) }

const testEpoch = 1_700_000_000 // a Unix time on a minute boundary is not needed

// newTestProcessor creates a processor that is closed at the end of the test.
func newTestProcessor(t testing.TB, cfg Config) *Processor {
	t.Helper()
	p, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		p.SetConsumer(false)
		_ = p.Close(5 * time.Second)
	})
	return p
}

// received is a batch as a consumer saw it, with its events copied.
type received struct {
	id     uint64
	first  uint64
	events []Event
}

// consumers pull batches with Next, copy them and acknowledge them, like the
// Python dispatcher threads.
type consumers struct {
	p    *Processor
	stop chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	batches []received
	events  int
	order   []uint64 // batch ids in the order they were received
	err     error
	discard bool // count events only, keep nothing
}

func startConsumers(t testing.TB, p *Processor, n int) *consumers {
	t.Helper()
	return startConsumersKeeping(t, p, n, true)
}

func startConsumersKeeping(t testing.TB, p *Processor, n int, keep bool) *consumers {
	t.Helper()
	c := &consumers{p: p, stop: make(chan struct{}), discard: !keep}
	p.SetConsumer(true)
	for range n {
		c.wg.Add(1)
		go c.loop()
	}
	t.Cleanup(c.Stop)
	return c
}

func (c *consumers) loop() {
	defer c.wg.Done()
	for {
		b, err := c.p.Next(10 * time.Millisecond)
		if errors.Is(err, ErrClosed) {
			return
		}
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		if b == nil {
			select {
			case <-c.stop:
				return
			default:
				continue
			}
		}
		if c.discard {
			c.mu.Lock()
			c.events += len(b.Events)
			c.mu.Unlock()
			c.p.Done(b)
			continue
		}
		r := received{id: b.ID, first: b.First, events: slices.Clone(b.Events)}
		c.mu.Lock()
		c.batches = append(c.batches, r)
		c.order = append(c.order, b.ID)
		c.events += len(r.events)
		c.mu.Unlock()
		c.p.Done(b)
	}
}

// Stop stops the consumers once they find no batch; idempotent.
func (c *consumers) Stop() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	c.wg.Wait()
}

func (c *consumers) Events() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.events
}

// Sorted returns the received batches ordered by batch ID.
func (c *consumers) Sorted() []received {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.batches)
	slices.SortFunc(out, func(a, b received) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	return out
}

// pushAll pushes every event, retrying while the buffer is full.
func pushAll(t testing.TB, p *Processor, events []Event) {
	t.Helper()
	for _, e := range events {
		for !p.Push(e) {
			time.Sleep(50 * time.Microsecond)
		}
	}
}

// eventually polls cond every millisecond for up to d.
func eventually(t testing.TB, d time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not reached within %v: %s", d, msg)
		}
		time.Sleep(time.Millisecond)
	}
}

// fillUntilBackedUp pushes events with increasing timestamps until the
// pipeline is backed up: MaxPending events pending and the ring full. It
// returns how many were accepted.
func fillUntilBackedUp(t testing.TB, p *Processor) int {
	t.Helper()
	n := 0
	deadline := time.Now().Add(5 * time.Second)
	for {
		if p.Push(Event{UserID: "u", ChannelID: "c", Timestamp: int64(n + 1)}) {
			n++
			continue
		}
		s := p.Stats()
		if s.Pending >= uint64(p.cfg.MaxPending) && s.QueueDepth == p.ring.Cap() {
			return n
		}
		require.True(t, time.Now().Before(deadline), "the pipeline never backed up")
		time.Sleep(100 * time.Microsecond)
	}
}
