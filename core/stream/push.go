package stream

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"
)

// Producers announce themselves in a striped counter so that Close can wait
// for pushes already past the closed check (otherwise an event could land in
// the ring after the analyser's final drain and be accepted but never
// analysed). Each stripe word packs the number of events accepted through it
// (high bits) and the number of pushes in flight (low bits), so a push costs
// two atomic adds on a cache line that is, most of the time, private to the
// goroutine's stripe.
const (
	numStripes   = 16
	inflightBits = 20
	inflightMask = 1<<inflightBits - 1
	acceptOne    = 1 << inflightBits
	cacheLine    = 128
)

type stripe struct {
	w atomic.Uint64
	_ [cacheLine - 8]byte
}

type paddedCounter struct {
	v atomic.Uint64
	_ [cacheLine - 8]byte
}

// stripeFor picks a stripe from the address of the caller's stack, which
// differs between goroutines: concurrent producers mostly use different
// stripes. Correctness does not depend on the choice, only on entering and
// leaving through the same stripe.
func (p *Processor) stripeFor(local *byte) *stripe {
	a := uint64(uintptr(unsafe.Pointer(local))) >> 12
	a *= 0x9E3779B97F4A7C15
	return &p.stripes[a>>(64-4)]
}

func (p *Processor) accepted() uint64 {
	var n uint64
	for i := range p.stripes {
		n += p.stripes[i].w.Load() >> inflightBits
	}
	return n
}

func (p *Processor) pushesInFlight() bool {
	for i := range p.stripes {
		if p.stripes[i].w.Load()&inflightMask != 0 {
			return true
		}
	}
	return false
}

// Validate reports an error wrapping ErrInvalidEvent when a string field is
// not valid UTF-8.
func (e *Event) Validate() error {
	if asciiOnly(e.Type) && asciiOnly(e.UserID) && asciiOnly(e.ChannelID) {
		return nil // the common case, checked 8 bytes at a time
	}
	switch {
	case !utf8.ValidString(e.Type):
		return fmt.Errorf("%w: Type is not valid UTF-8", ErrInvalidEvent)
	case !utf8.ValidString(e.UserID):
		return fmt.Errorf("%w: UserID is not valid UTF-8", ErrInvalidEvent)
	case !utf8.ValidString(e.ChannelID):
		return fmt.Errorf("%w: ChannelID is not valid UTF-8", ErrInvalidEvent)
	}
	return nil
}

// Push offers e and reports whether it was accepted. It never blocks.
// It returns false when the ring is full (counted in Stats.Dropped), after
// Close (counted in Stats.Rejected, not as a drop) and for an event that is
// not valid UTF-8 (counted in Stats.Invalid). Use TryPush to tell these apart.
// A Timestamp ≤ 0 is replaced by Config.Now at this call, so analytics and
// delivery both see the push time.
func (p *Processor) Push(e Event) bool {
	ok, _ := p.TryPush(e)
	return ok
}

// TryPush is Push with the reason for a refusal: (false, nil) means the
// buffer was full (a counted drop); ErrClosed and ErrInvalidEvent (wrapped)
// are the other refusals.
func (p *Processor) TryPush(e Event) (bool, error) {
	if err := e.Validate(); err != nil {
		p.invalid.Add(1)
		return false, err
	}
	if e.Timestamp <= 0 {
		e.Timestamp = p.cfg.Now().Unix()
	}
	var local byte
	s := p.stripeFor(&local)
	s.w.Add(1)
	if p.closed.Load() {
		s.w.Add(^uint64(0))
		p.rejected.Add(1)
		return false, ErrClosed
	}
	if !p.ring.TryPush(e) {
		s.w.Add(^uint64(0))
		p.dropped.v.Add(1)
		return false, nil
	}
	s.w.Add(acceptOne - 1)
	p.kick()
	return true, nil
}

// PushMany offers the events in order and stops at the first one refused;
// it returns how many were accepted, which are always a prefix of events.
// It never blocks. When the buffer fills, the refused event and every later
// one are counted as dropped. See PushBatch for the other refusals.
func (p *Processor) PushMany(events []Event) int {
	n, _ := p.PushBatch(events)
	return n
}

// PushBatch is PushMany with the reason for stopping early: nil when the
// buffer was full (events[n:] are counted as dropped), ErrClosed (events[n:]
// counted as rejected) or an error wrapping ErrInvalidEvent for events[n]
// (which is counted as invalid; the events after it are not counted at all,
// as they were never offered). Timestamps ≤ 0 are resolved as in Push.
func (p *Processor) PushBatch(events []Event) (int, error) {
	n, full, err := p.offer(events, false)
	if full {
		p.dropped.v.Add(uint64(len(events) - n))
	}
	return n, err
}

// Offer is PushBatch for a caller that keeps what the buffer could not
// take: events refused because the buffer was full are not counted as
// dropped, and the caller may offer them again later (or count them with
// CountDropped when it gives up on them). It never blocks.
func (p *Processor) Offer(events []Event) (int, error) {
	n, _, err := p.offer(events, false)
	return n, err
}

// OfferValid is Offer for events whose strings the caller has already
// checked are valid UTF-8 (the C ABI decodes them with that check), so it
// does not check them again.
func (p *Processor) OfferValid(events []Event) (int, error) {
	n, _, err := p.offer(events, true)
	return n, err
}

// Claimed returns the number of ring positions producers have claimed: the
// events an offer took lie at positions below the count read after it
// returned (with Released, for a producer that reuses the memory behind
// its events' strings).
func (p *Processor) Claimed() uint64 {
	return p.ring.Claimed()
}

// Released reports whether the processor no longer refers to the strings
// of any event at a position below pos: each has been analysed, and the
// processor drops an event's strings once it is analysed (DropsFields),
// keeping copies of what it retains (channel names). A producer that backs
// its events' strings with memory it reuses (the C ABI's copy of a
// caller's list) may then reuse the memory behind the events below pos.
func (p *Processor) Released(pos uint64) bool {
	return p.DropsFields() && p.processed.Load() >= pos
}

// DropsFields reports whether the processor drops an event's strings once
// it is analysed: ForgetFields, and neither KeepFields nor a Shared sink.
func (p *Processor) DropsFields() bool {
	return p.cfg.ForgetFields && p.cfg.Shared == nil && !p.keepFields.Load()
}

// CountDropped counts n events refused by the caller because the buffer was
// full, so Stats.Dropped covers the drops of callers that stage events
// before offering them.
func (p *Processor) CountDropped(n uint64) {
	p.dropped.v.Add(n)
}

// offerRun is how many events offer hands the ring at once: long enough that
// the ring's shared counter is claimed once for many events, short enough
// that the analyser is woken early on a long offer.
const offerRun = 64

// offer pushes a prefix of events (checking their strings unless valid
// says they are); full reports that it stopped because the buffer was full.
// The caller's slice is never changed: a run holding a timestamp to resolve
// is copied first.
func (p *Processor) offer(events []Event, valid bool) (n int, full bool, err error) {
	if len(events) == 0 {
		return 0, false, nil
	}
	var local byte
	s := p.stripeFor(&local)
	s.w.Add(1)
	if p.closed.Load() {
		s.w.Add(^uint64(0))
		p.rejected.Add(uint64(len(events)))
		return 0, false, ErrClosed
	}
	var now int64
	var copied []Event
	for n < len(events) && err == nil {
		run := events[n:min(n+offerRun, len(events))]
		own := false // run is our copy
		for i := range run {
			if !valid {
				if err = run[i].Validate(); err != nil {
					p.invalid.Add(1)
					run = run[:i]
					break
				}
			}
			if run[i].Timestamp <= 0 {
				if now == 0 {
					now = p.cfg.Now().Unix()
				}
				if !own {
					copied = append(copied[:0], run...)
					run, own = copied, true
				}
				run[i].Timestamp = now
			}
		}
		pushed := p.ring.TryPushMany(run)
		n += pushed
		if pushed > 0 {
			p.kick() // let the analyser start on a long offer early
		}
		if pushed < len(run) {
			full = true
			break
		}
	}
	s.w.Add(uint64(n)*acceptOne - 1)
	return n, full, err
}

// asciiOnly reports whether s holds only ASCII bytes (hence valid UTF-8).
func asciiOnly(s string) bool {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	var acc uint64
	for len(b) >= 8 {
		acc |= binary.LittleEndian.Uint64(b)
		b = b[8:]
	}
	for _, c := range b {
		acc |= uint64(c)
	}
	return acc&0x8080808080808080 == 0
}
