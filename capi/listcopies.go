package main

import (
	"math/bits"
	"sync"

	"github.com/engagehub/engagehub-native/core/stream"
)

// listCopies holds the copies of push_many's string lists that a
// processor's events refer to, and reuses each once the engine has released
// those events' strings (stream.Processor.Released). A fresh copy per call
// was most of what the engine allocated while events streamed in: the
// collector ran every few hundred calls, and while it marked, its write
// barriers on the events' copies (into the ring, out of it, into batches)
// took about a third of a drain's time (BenchmarkPushManyPath's profile).
// Only a processor that drops strings after analysis reuses copies, and
// only lists of at least minPooled bytes (a drain's, not a lone large
// event's); others get a fresh copy, which the collector reclaims.
type listCopies struct {
	mu   sync.Mutex
	held []heldCopy // in the order they were offered
	free [][]byte   // released, empty, ready for the next list
}

type heldCopy struct {
	buf   []byte
	until uint64 // Claimed() after the offer: its events lie below
}

const (
	minPooled     = 4 << 10 // smaller lists get a fresh copy
	maxPooled     = 1 << 20 // larger copies go to the collector once released
	maxFreeCopies = 16
)

// get returns a copy of list for the strings of events offered to p, and
// whether it is pooled (then hand it to hold after the offer).
func (c *listCopies) get(p *stream.Processor, list []byte) ([]byte, bool) {
	if len(list) < minPooled || len(list) > maxPooled || !p.DropsFields() {
		return append([]byte(nil), list...), false
	}
	c.mu.Lock()
	c.reclaimLocked(p)
	var buf []byte
	for i, b := range c.free {
		if cap(b) >= len(list) {
			buf = b
			last := len(c.free) - 1
			c.free[i], c.free[last] = c.free[last], nil
			c.free = c.free[:last]
			break
		}
	}
	c.mu.Unlock()
	if buf == nil {
		// Rounded up to a power of two, so lists of similar sizes share copies.
		buf = make([]byte, 0, 1<<bits.Len(uint(len(list)-1)))
	}
	return append(buf, list...), true
}

// hold keeps buf, pooled by get, until the engine releases the events it
// took (taken of them; none: it is free at once).
func (c *listCopies) hold(p *stream.Processor, buf []byte, taken int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if taken == 0 {
		c.putLocked(buf)
		return
	}
	c.held = append(c.held, heldCopy{buf: buf, until: p.Claimed()})
}

// reclaimLocked frees the held copies the engine has released, oldest
// first.
func (c *listCopies) reclaimLocked(p *stream.Processor) {
	n := 0
	for n < len(c.held) && p.Released(c.held[n].until) {
		c.putLocked(c.held[n].buf)
		n++
	}
	if n > 0 {
		k := copy(c.held, c.held[n:])
		clear(c.held[k:])
		c.held = c.held[:k]
	}
}

func (c *listCopies) putLocked(buf []byte) {
	if len(c.free) < maxFreeCopies {
		c.free = append(c.free, buf[:0])
	}
}
