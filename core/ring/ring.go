// Package ring provides Ring, a bounded, lock-free, multi-producer
// multi-consumer FIFO queue after Dmitry Vyukov's bounded MPMC queue
// (https://www.1024cores.net/home/lock-free-algorithms/queues/bounded-mpmc-queue).
//
// Every slot carries a sequence number that says whose turn it is: a producer
// may fill the slot at position pos when its sequence equals pos, a consumer may
// empty it when its sequence equals pos+1. Producers and consumers each claim a
// position with one compare-and-swap on their own counter, so a push and a pop
// never contend with each other, only with operations of their own kind.
package ring

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// MaxCapacity is the largest capacity New accepts.
const MaxCapacity = 1 << 30

// ErrInvalidCapacity is returned by New when the capacity is below 1 or above
// MaxCapacity.
var ErrInvalidCapacity = errors.New("ring: invalid capacity")

// cacheLine is the padding unit that keeps the producers' and the consumers'
// counters on different cache lines. 128 bytes covers the adjacent-line
// prefetcher of x86 and the 128-byte lines of some arm64 cores.
const cacheLine = 128

type slot[T any] struct {
	// seq == pos: free for the producer of position pos.
	// seq == pos+1: holds the value of position pos, ready for its consumer.
	seq atomic.Uint64
	val T
}

// Ring is a bounded lock-free MPMC FIFO queue.
//
// The zero value is not usable: create a Ring with New. A Ring must not be
// copied after first use (go vet reports copies). All methods are safe to call
// from any number of goroutines at once, and none of them blocks.
//
// Ordering: items pushed by one goroutine are popped in the order they were
// pushed. Any single consumer sees the items of any single producer in that
// producer's order; with several consumers, each item is still delivered to
// exactly one of them.
type Ring[T any] struct {
	_     [cacheLine]byte
	mask  uint64 // capacity-1; read-only after New
	slots []slot[T]
	_     [cacheLine - 8 - 24]byte
	enq   atomic.Uint64 // next position a producer claims
	_     [cacheLine - 8]byte
	deq   atomic.Uint64 // next position a consumer claims
	_     [cacheLine - 8]byte
}

// New returns an empty Ring that holds at least capacity items. The capacity
// is rounded UP to the next power of two, and to at least 2 (the sequence
// scheme cannot tell a full one-slot ring from an empty one), so that a
// position maps to its slot with a mask: New(1000) holds 1024 items and
// New(1) holds 2. Cap reports the rounded capacity. New returns
// ErrInvalidCapacity when capacity < 1 or capacity > MaxCapacity.
func New[T any](capacity int) (*Ring[T], error) {
	if capacity < 1 || capacity > MaxCapacity {
		return nil, fmt.Errorf("%w: %d (want 1..%d)", ErrInvalidCapacity, capacity, MaxCapacity)
	}
	n := 2
	for n < capacity {
		n <<= 1
	}
	r := &Ring[T]{mask: uint64(n - 1), slots: make([]slot[T], n)}
	for i := range r.slots {
		r.slots[i].seq.Store(uint64(i))
	}
	return r, nil
}

// TryPush appends v and reports whether it did. It never blocks: it returns
// false when the ring is full. Because a slot is released only when the
// consumer that claimed it has finished copying the value out, TryPush may
// also report full for the brief moment a concurrent TryPop is in progress on
// the oldest slot; callers that retry see the slot free shortly after.
func (r *Ring[T]) TryPush(v T) bool {
	pos := r.enq.Load()
	for {
		s := &r.slots[pos&r.mask]
		seq := s.seq.Load()
		switch dif := int64(seq - pos); {
		case dif == 0:
			if r.enq.CompareAndSwap(pos, pos+1) {
				s.val = v
				s.seq.Store(pos + 1) // publish to the consumer of pos
				return true
			}
			pos = r.enq.Load()
		case dif < 0:
			// The slot still holds the item of pos-cap: full.
			return false
		default:
			// Another producer claimed pos already; catch up.
			pos = r.enq.Load()
		}
	}
}

// TryPop removes and returns the oldest item. It never blocks: it returns the
// zero value and false when the ring is empty. The slot is cleared before it
// is handed back to producers, so the ring keeps no reference to a popped
// value and the garbage collector can free it. Like TryPush, TryPop may
// report empty for the brief moment a concurrent TryPush has claimed the
// oldest position but not yet stored its value.
func (r *Ring[T]) TryPop() (T, bool) {
	pos := r.deq.Load()
	for {
		s := &r.slots[pos&r.mask]
		seq := s.seq.Load()
		switch dif := int64(seq - (pos + 1)); {
		case dif == 0:
			if r.deq.CompareAndSwap(pos, pos+1) {
				v := s.val
				var zero T
				s.val = zero
				s.seq.Store(pos + r.mask + 1) // free for the producer of pos+cap
				return v, true
			}
			pos = r.deq.Load()
		case dif < 0:
			// The item of pos has not been published yet: empty.
			var zero T
			return zero, false
		default:
			// Another consumer claimed pos already; catch up.
			pos = r.deq.Load()
		}
	}
}

// TryPushMany appends a prefix of vs, in order, and returns its length. It
// never blocks: it stops at the first slot that is not free (the ring is
// full, or a concurrent TryPop is still emptying that slot). The run is
// claimed with one compare-and-swap, so a producer pushing many items pays
// for the shared counter once, not once per item. Items pushed by one call
// keep their order and are never interleaved with another producer's.
func (r *Ring[T]) TryPushMany(vs []T) int {
	if len(vs) == 0 {
		return 0
	}
	pos := r.enq.Load()
	for {
		// A slot whose sequence equals its position stays free until the
		// producer of that position fills it: no other producer can, unless
		// enq moved past pos, and then the CAS below fails.
		n := 0
		for n < len(vs) && r.slots[(pos+uint64(n))&r.mask].seq.Load() == pos+uint64(n) {
			n++
		}
		if n == 0 {
			if int64(r.slots[pos&r.mask].seq.Load()-pos) < 0 {
				return 0 // the slot still holds the item of pos-cap: full
			}
			pos = r.enq.Load() // another producer claimed pos already
			continue
		}
		if r.enq.CompareAndSwap(pos, pos+uint64(n)) {
			for i := range n {
				s := &r.slots[(pos+uint64(i))&r.mask]
				s.val = vs[i]
				s.seq.Store(pos + uint64(i) + 1) // publish to the consumer of pos+i
			}
			return n
		}
		pos = r.enq.Load()
	}
}

// TryPopMany removes up to len(dst) of the oldest items into dst, in order,
// and returns how many. It never blocks: it stops at the first item not yet
// published (the ring is empty, or a concurrent TryPush has claimed that
// position and not yet stored its value). Like TryPushMany it claims the
// run with one compare-and-swap, and it clears the slots it empties.
func (r *Ring[T]) TryPopMany(dst []T) int {
	if len(dst) == 0 {
		return 0
	}
	pos := r.deq.Load()
	for {
		n := 0
		for n < len(dst) && r.slots[(pos+uint64(n))&r.mask].seq.Load() == pos+uint64(n)+1 {
			n++
		}
		if n == 0 {
			if int64(r.slots[pos&r.mask].seq.Load()-(pos+1)) < 0 {
				return 0 // the item of pos has not been published yet: empty
			}
			pos = r.deq.Load() // another consumer claimed pos already
			continue
		}
		if r.deq.CompareAndSwap(pos, pos+uint64(n)) {
			var zero T
			for i := range n {
				s := &r.slots[(pos+uint64(i))&r.mask]
				dst[i] = s.val
				s.val = zero
				s.seq.Store(pos + uint64(i) + r.mask + 1) // free for the producer of pos+i+cap
			}
			return n
		}
		pos = r.deq.Load()
	}
}

// Claimed returns the number of positions producers have claimed so far:
// every item a push stored before the call lies at a position below it.
// Consumers pop positions in order, so once pops reach Claimed's count,
// every such item has been popped.
func (r *Ring[T]) Claimed() uint64 { return r.enq.Load() }

// Cap returns the number of items the ring holds when full (the capacity given
// to New rounded up to a power of two).
func (r *Ring[T]) Cap() int { return int(r.mask + 1) }

// Len returns the number of items in the ring. It is exact when no push or pop
// runs concurrently and an approximation, always within 0..Cap(), otherwise.
func (r *Ring[T]) Len() int {
	deq := r.deq.Load()
	enq := r.enq.Load()
	n := int64(enq - deq)
	switch {
	case n < 0:
		return 0
	case n > int64(r.mask+1):
		return int(r.mask + 1)
	}
	return int(n)
}
