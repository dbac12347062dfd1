package pgsink

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/engagehub/engagehub-native/core/stream"
)

// Backoff between attempts at one batch: doubling from minBackoff up to
// maxBackoff.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
	pullSlice  = 100 * time.Millisecond
)

// Stats are the pump's counters.
type Stats struct {
	Written  uint64 // events committed to the table
	Failed   uint64 // events of batches given up on (refused MaxAttempts times, or abandoned by Stop)
	Retries  uint64 // attempts repeated after an error
	Writing  uint64 // events taken from the processor and not yet written or failed
	Down     bool   // the last attempt failed with a transient error (the database is unreachable)
	Failures uint64 // batches given up on
	// LastError is the message of the last failed attempt ("" if none).
	LastError string
}

// held is a batch taken from the processor: acknowledged to it once the
// writer and, when it was handed to the second consumer, that one are done.
type held struct {
	b    *stream.Batch
	refs atomic.Int32
}

// Pump moves a processor's batches into a Writer, and to a second consumer
// that takes them with Next and acknowledges them with Done (the Python
// flush callback), while one is attached. Create it with NewPump before
// anything is pushed; it attaches itself as the processor's consumer.
type Pump struct {
	proc   *stream.Processor
	w      *Writer
	ctx    context.Context
	cancel context.CancelFunc
	pullMu sync.Mutex // one worker at a time takes a batch: the second queue stays in order

	mu          sync.Mutex
	changed     chan struct{}
	waiters     int
	attached    bool
	queue       []*held
	handed      map[uint64]*held
	pulledUpTo  uint64 // stream position after the last batch taken
	drained     bool   // the processor is closed and every batch taken
	workersLeft int

	written, failed, retries, writing, failures atomic.Uint64
	down                                        atomic.Bool
	lastErr                                     atomic.Pointer[string]
	done                                        chan struct{} // closed when the last worker ends
}

// NewPump starts w.Config().Workers workers taking p's batches. The
// processor must keep every field of its events (not ForgetFields).
func NewPump(p *stream.Processor, w *Writer) *Pump {
	ctx, cancel := context.WithCancel(context.Background())
	n := w.Config().Workers
	u := &Pump{proc: p, w: w, ctx: ctx, cancel: cancel, changed: make(chan struct{}),
		handed: make(map[uint64]*held), workersLeft: n, done: make(chan struct{})}
	p.SetConsumer(true)
	for range n {
		go u.work()
	}
	return u
}

func (u *Pump) broadcastLocked() {
	if u.waiters > 0 {
		close(u.changed)
		u.changed = make(chan struct{})
	}
}

func (u *Pump) work() {
	defer func() {
		u.mu.Lock()
		u.workersLeft--
		if u.workersLeft == 0 {
			close(u.done)
		}
		u.broadcastLocked()
		u.mu.Unlock()
	}()
	for u.ctx.Err() == nil {
		h := u.take()
		if h == nil {
			if u.isDrained() {
				return
			}
			continue
		}
		u.deliver(h)
		u.release(h)
	}
}

func (u *Pump) isDrained() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.drained
}

// take waits one slice for the next batch, in the processor's order, and
// queues it for the second consumer when one is attached.
func (u *Pump) take() *held {
	u.pullMu.Lock()
	defer u.pullMu.Unlock()
	if u.isDrained() {
		return nil
	}
	b, err := u.proc.Next(pullSlice)
	if err != nil { // ErrClosed: closed and every batch taken
		u.mu.Lock()
		u.drained = true
		u.broadcastLocked()
		u.mu.Unlock()
		return nil
	}
	if b == nil {
		return nil
	}
	h := &held{b: b}
	h.refs.Store(1)
	u.mu.Lock()
	u.pulledUpTo = b.First + uint64(len(b.Events))
	if u.attached {
		h.refs.Add(1)
		u.queue = append(u.queue, h)
		u.broadcastLocked()
	}
	u.mu.Unlock()
	return h
}

// deliver writes one batch, retrying transient errors until it succeeds or
// the pump stops, and other errors MaxAttempts times.
func (u *Pump) deliver(h *held) {
	n := uint64(len(h.b.Events))
	u.writing.Add(n)
	defer u.writing.Add(-n)
	backoff := minBackoff
	refused := 0
	for {
		err := u.w.Write(u.ctx, h.b.Events)
		if err == nil {
			u.written.Add(n)
			u.down.Store(false)
			return
		}
		msg := err.Error()
		u.lastErr.Store(&msg)
		if u.ctx.Err() != nil {
			u.giveUp(n, fmt.Sprintf("abandoned when the sink stopped: %s", msg))
			return
		}
		if Transient(err) {
			u.down.Store(true)
		} else {
			u.down.Store(false)
			refused++
			if refused >= u.w.cfg.MaxAttempts {
				u.giveUp(n, msg)
				return
			}
		}
		u.retries.Add(1)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-u.ctx.Done():
			t.Stop()
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

func (u *Pump) giveUp(n uint64, msg string) {
	u.lastErr.Store(&msg)
	u.failed.Add(n)
	u.failures.Add(1)
}

func (u *Pump) release(h *held) {
	if h.refs.Add(-1) == 0 {
		u.proc.Done(h.b)
	}
}

// SetAttached records whether the second consumer is attached. While it is
// not, batches go to the writer only; detaching releases the batches queued
// for it and not yet taken.
func (u *Pump) SetAttached(attached bool) {
	u.mu.Lock()
	u.attached = attached
	var dropped []*held
	if !attached {
		dropped, u.queue = u.queue, nil
	}
	u.broadcastLocked()
	u.mu.Unlock()
	for _, h := range dropped {
		u.release(h)
	}
}

// Next waits up to timeout for a batch for the second consumer, which must
// pass its ID to Done. (nil, nil): none in time. stream.ErrClosed: the
// processor is closed, every batch is written (or failed) and none is left
// for the second consumer.
func (u *Pump) Next(timeout time.Duration) (*stream.Batch, error) {
	deadline := time.Now().Add(timeout)
	u.mu.Lock()
	defer u.mu.Unlock()
	for {
		if len(u.queue) > 0 {
			h := u.queue[0]
			u.queue[0] = nil
			u.queue = u.queue[1:]
			u.handed[h.b.ID] = h
			return h.b, nil
		}
		if u.workersLeft == 0 {
			return nil, stream.ErrClosed
		}
		d := time.Until(deadline)
		if d <= 0 {
			return nil, nil
		}
		ch := u.changed
		u.waiters++
		u.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-ch:
		case <-t.C:
		}
		t.Stop()
		u.mu.Lock()
		u.waiters--
	}
}

// ErrNotHanded is returned by Done for an ID Next did not hand out.
var ErrNotHanded = errors.New("pgsink: batch is not handed out")

// Done acknowledges a batch handed out by Next.
func (u *Pump) Done(id uint64) error {
	u.mu.Lock()
	h, ok := u.handed[id]
	delete(u.handed, id)
	u.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %d", ErrNotHanded, id)
	}
	u.release(h)
	return nil
}

// KeptFrom is the lowest stream position the second consumer may still be
// handed or be holding: the first event of the oldest batch queued for it
// or handed to it, else the first event not yet taken from the processor.
func (u *Pump) KeptFrom() uint64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	from := u.pulledUpTo
	for _, h := range u.queue {
		from = min(from, h.b.First)
	}
	for _, h := range u.handed {
		from = min(from, h.b.First)
	}
	return from
}

// Stats returns the counters.
func (u *Pump) Stats() Stats {
	s := Stats{Written: u.written.Load(), Failed: u.failed.Load(), Retries: u.retries.Load(),
		Writing: u.writing.Load(), Down: u.down.Load(), Failures: u.failures.Load()}
	if m := u.lastErr.Load(); m != nil {
		s.LastError = *m
	}
	return s
}

// Wait waits up to timeout for every worker to end (the processor closed
// and drained, every batch written or failed); false if it timed out.
func (u *Pump) Wait(timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-u.done:
		return true
	case <-t.C:
		return false
	}
}

// Stop ends the workers: a batch being retried is given up on (counted as
// failed), and batches not yet taken stay in the processor. It waits up to
// timeout for the workers, then closes the writer's pool.
func (u *Pump) Stop(timeout time.Duration) {
	u.cancel()
	u.Wait(timeout)
	u.w.Close()
}
