package stream

import (
	"fmt"
	"slices"
	"time"
)

// delivery is the state shared by the analyser, the consumers and the
// flushers, guarded by Processor.deliveryMu.
type delivery struct {
	queue        []*Batch // FIFO of cut batches not yet handed out
	head         int
	queuedEvents uint64
	lastID       uint64 // ID of the last batch cut

	attached  bool
	handedOut uint64 // events
	delivered uint64 // events

	// The batches handed out and not Done, by ID: see KeptFrom and DoneID.
	out map[uint64]*Batch

	// doneUpTo is the highest batch ID such that every batch up to it is
	// Done; doneAhead holds the Done IDs above it (batches finish out of
	// order with several consumers).
	doneUpTo  uint64
	doneAhead map[uint64]struct{}

	// Flush tickets. resolvedTicket: every ticket up to it has been
	// analysed and its partial batch cut. backedTicket: every ticket up to
	// it has met a backed-up pipeline. deliveredTicket: every ticket up to
	// it has all its batches Done. undelivered: resolved tickets waiting
	// for delivery, with the last batch they need, in increasing order.
	resolvedTicket  uint64
	backedTicket    uint64
	deliveredTicket uint64
	undelivered     []ticketBatch

	drained bool // closed, ring drained, final batch cut: no more batches

	// Flushers and closers wait for changed to be closed. Takers (Next
	// callers with no batch to take) wait each on its own channel, in
	// arrival order: a batch cut wakes one of them, not every consumer.
	waiters int
	changed chan struct{} // closed and replaced on every change flushers and closers care about
	takers  []chan struct{}
}

type ticketBatch struct{ ticket, batch uint64 }

func (d *delivery) init() {
	d.doneAhead = make(map[uint64]struct{})
	d.out = make(map[uint64]*Batch)
	d.changed = make(chan struct{})
}

// broadcastLocked wakes every goroutine waiting in Next, WaitFlush or Close.
func (d *delivery) broadcastLocked() {
	d.notifyLocked()
	for _, t := range d.takers {
		t <- struct{}{}
	}
	clear(d.takers)
	d.takers = d.takers[:0]
}

// notifyLocked wakes the goroutines waiting in WaitFlush or Close: for a
// change of the tickets, of what is Done, or of backedTicket, none of which
// gives a taker a batch.
func (d *delivery) notifyLocked() {
	if d.waiters > 0 {
		close(d.changed)
		d.changed = make(chan struct{})
	}
}

// wakeTakerLocked wakes the taker that has waited longest, for a new batch.
// A woken taker looks at the queue again whatever woke it, so a batch is
// never left behind by a taker whose timeout fired as it was woken, or
// taken by a consumer that came back from Done in between.
func (d *delivery) wakeTakerLocked() {
	if len(d.takers) > 0 {
		d.takers[0] <- struct{}{}
		d.takers[0] = nil
		d.takers = d.takers[1:]
	}
}

func (d *delivery) enqueueLocked(first uint64, events []Event) {
	d.lastID++
	if d.head > 0 && d.head == len(d.queue) {
		d.queue, d.head = d.queue[:0], 0
	}
	d.queue = append(d.queue, &Batch{ID: d.lastID, First: first, Events: events})
	d.queuedEvents += uint64(len(events))
	d.wakeTakerLocked()
}

func (d *delivery) resolveLocked(ticket uint64) {
	if ticket <= d.resolvedTicket {
		return
	}
	d.resolvedTicket = ticket
	if d.lastID <= d.doneUpTo {
		d.deliveredTicket = ticket
		d.undelivered = d.undelivered[:0]
	} else if n := len(d.undelivered); n > 0 && d.undelivered[n-1].batch == d.lastID {
		d.undelivered[n-1].ticket = ticket
	} else {
		d.undelivered = append(d.undelivered, ticketBatch{ticket, d.lastID})
	}
	d.notifyLocked()
}

// waitLocked releases deliveryMu until the next notification or broadcast,
// or the deadline; it reports false when the deadline has passed.
func (p *Processor) waitLocked(deadline time.Time) bool {
	left := time.Until(deadline)
	if left <= 0 {
		return false
	}
	ch := p.delivery.changed
	p.delivery.waiters++
	p.deliveryMu.Unlock()
	sleep(ch, left)
	p.deliveryMu.Lock()
	p.delivery.waiters--
	return true
}

// waitTakerLocked releases deliveryMu until this taker is woken (for a new
// batch, or by a broadcast) or the deadline; it reports false when the
// deadline has passed.
func (p *Processor) waitTakerLocked(deadline time.Time) bool {
	left := time.Until(deadline)
	if left <= 0 {
		return false
	}
	d := &p.delivery
	ch := make(chan struct{}, 1)
	d.takers = append(d.takers, ch)
	p.deliveryMu.Unlock()
	sleep(ch, left)
	p.deliveryMu.Lock()
	// Still in line when the timeout fired: leave it.
	if i := slices.Index(d.takers, ch); i >= 0 {
		d.takers = slices.Delete(d.takers, i, i+1)
	}
	return true
}

// sleep returns once ch is readable or after d.
func sleep(ch <-chan struct{}, d time.Duration) {
	t := time.NewTimer(d)
	select {
	case <-ch:
	case <-t.C:
	}
	t.Stop()
}

// SetConsumer records whether a consumer (the Python flush callback) is
// attached. Next hands out batches only while one is; Flush with
// waitDelivery and Close wait for delivery only while one is.
func (p *Processor) SetConsumer(attached bool) {
	p.deliveryMu.Lock()
	p.delivery.attached = attached
	p.delivery.broadcastLocked()
	p.deliveryMu.Unlock()
}

// Next waits up to timeout for a batch and hands it out; the caller must
// pass it to Done when finished with it. Batches are handed out in ID order,
// one to each caller, and only while a consumer is attached.
//
// Next returns (nil, nil) when the timeout passes first, and (nil,
// ErrClosed) once the processor is closed and drained and either no batch
// is left or no consumer is attached (nothing more will be handed out).
func (p *Processor) Next(timeout time.Duration) (*Batch, error) {
	deadline := time.Now().Add(timeout)
	p.deliveryMu.Lock()
	defer p.deliveryMu.Unlock()
	d := &p.delivery
	for {
		if d.attached && d.head < len(d.queue) {
			b := d.queue[d.head]
			d.queue[d.head] = nil
			d.head++
			n := uint64(len(b.Events))
			d.queuedEvents -= n
			d.handedOut += n
			d.out[b.ID] = b
			return b, nil
		}
		if d.drained && (d.head == len(d.queue) || !d.attached) {
			return nil, ErrClosed
		}
		if !p.waitTakerLocked(deadline) {
			return nil, nil
		}
	}
}

// Done acknowledges b, handed out by Next, whether its delivery succeeded
// or finally failed. It releases b's place under MaxPending. b must not be
// used afterwards. Done(nil) and a second Done of the same batch do nothing.
func (p *Processor) Done(b *Batch) {
	if b == nil || !b.done.CompareAndSwap(false, true) {
		return
	}
	n := len(b.Events)
	p.deliveryMu.Lock()
	d := &p.delivery
	d.delivered += uint64(n)
	delete(d.out, b.ID)
	if b.ID == d.doneUpTo+1 {
		d.doneUpTo++
		for {
			if _, ok := d.doneAhead[d.doneUpTo+1]; !ok {
				break
			}
			delete(d.doneAhead, d.doneUpTo+1)
			d.doneUpTo++
		}
		i := 0
		for i < len(d.undelivered) && d.undelivered[i].batch <= d.doneUpTo {
			d.deliveredTicket = d.undelivered[i].ticket
			i++
		}
		d.undelivered = append(d.undelivered[:0], d.undelivered[i:]...)
	} else {
		d.doneAhead[b.ID] = struct{}{}
	}
	d.notifyLocked()
	p.deliveryMu.Unlock()

	p.recycle(b.Events)
	b.Events = nil
	p.pending.Add(-int64(n))
	p.kick()
}

// DoneID is Done for the batch with ID id, for callers that name batches
// by ID (the C ABI). It returns an error wrapping ErrNotHandedOut unless
// that batch was handed out by Next and is not Done yet.
func (p *Processor) DoneID(id uint64) error {
	p.deliveryMu.Lock()
	b, ok := p.delivery.out[id]
	p.deliveryMu.Unlock()
	if !ok {
		return fmt.Errorf("%w: batch %d", ErrNotHandedOut, id)
	}
	p.Done(b)
	return nil
}

// KeptFrom returns the lowest stream position whose event a consumer may
// still be handed or be holding: the first of the oldest batch handed out
// and not Done, else the first not handed out yet, which is the number of
// events handed out (batches cover positions 0, 1, 2, ... and go out in
// order). A producer that keeps its events' fields by position
// (ForgetFields) may reuse the places of those below it. It is read with
// the hand-outs and Dones under one lock, so no batch is ever between Next
// and its record here (with a record kept by the caller after Next
// returned, another consumer's later batch could be recorded first and
// pass it).
func (p *Processor) KeptFrom() uint64 {
	p.deliveryMu.Lock()
	defer p.deliveryMu.Unlock()
	from := p.delivery.handedOut
	for _, b := range p.delivery.out {
		from = min(from, b.First)
	}
	return from
}

// BeginFlush issues a flush ticket: a barrier covering every event whose
// push returned before the call. Wait for it with WaitFlush, as often as
// needed; a ticket never expires and holds no resources. Waiting on one
// ticket in slices, rather than calling Flush again, keeps a flusher from
// chasing a target that later pushes keep moving.
func (p *Processor) BeginFlush() uint64 {
	t := p.flushReq.Add(1)
	p.forceKick()
	return t
}

// WaitFlush waits up to timeout for the ticket from BeginFlush and returns
// nil once:
//
//   - every event pushed before the ticket has been analysed and its batch
//     cut (handed to the delivery queue), and — when waitDelivery is true
//     and a consumer is attached — every such batch has been handed out and
//     acknowledged with Done; or
//   - (when waitDelivery is false or no consumer is attached) the pipeline
//     is backed up: MaxPending events are analysed and not Done, so the
//     analyser cannot take more from the ring without a consumer. The
//     partial batch has been cut; some events pushed before the ticket may
//     still wait in the ring. This keeps flush_now from hanging with no
//     callback, and from deadlocking when called inside a callback that
//     itself holds the pending events; or
//   - the processor is closed and drained (everything accepted has been
//     analysed and cut), whatever waitDelivery.
//
// Otherwise it returns ErrTimeout when the timeout passes.
func (p *Processor) WaitFlush(ticket uint64, timeout time.Duration, waitDelivery bool) error {
	deadline := time.Now().Add(timeout)
	p.deliveryMu.Lock()
	defer p.deliveryMu.Unlock()
	d := &p.delivery
	for {
		if d.drained {
			return nil
		}
		analysed := ticket <= d.resolvedTicket
		if waitDelivery && d.attached {
			if analysed && ticket <= d.deliveredTicket {
				return nil
			}
		} else if analysed || ticket <= d.backedTicket {
			return nil
		}
		if !p.waitLocked(deadline) {
			return ErrTimeout
		}
	}
}

// Flush is WaitFlush(BeginFlush(), timeout, waitDelivery): see WaitFlush
// for exactly when it returns. The Python layer calls it with
// waitDelivery=false from inside a flush callback.
func (p *Processor) Flush(timeout time.Duration, waitDelivery bool) error {
	return p.WaitFlush(p.BeginFlush(), timeout, waitDelivery)
}

// Close stops accepting events (later pushes return false and count as
// Rejected, not Dropped), lets the analyser drain the ring — lifting
// MaxPending for it, so at most BufferSize more events are held — and cut
// the final batch. Batches stay available to Next until handed out.
//
// With no consumer attached Close returns once the ring is drained. With a
// consumer attached it also waits until every batch is Done. If timeout
// passes first it returns ErrTimeout; nothing is lost, and Close may be
// called again to keep waiting (it is idempotent). The analyser goroutine
// has exited once the ring is drained.
func (p *Processor) Close(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	p.once.Do(func() {
		p.closed.Store(true)
		p.forceKick()
	})
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
		return ErrTimeout
	}
	p.deliveryMu.Lock()
	defer p.deliveryMu.Unlock()
	for p.delivery.attached && p.delivery.delivered < p.processed.Load() {
		if !p.waitLocked(deadline) {
			return ErrTimeout
		}
	}
	return nil
}
