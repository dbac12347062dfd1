package stream

import (
	"runtime"
	"slices"
	"time"
	"unsafe"
)

const (
	// chunkSize is the most events the analyser pops before it analyses
	// them under one acquisition of the analytics lock and looks at the
	// clock, flush requests and close.
	chunkSize = 256
	// minFreeBuffers and maxFreeBytes bound the recycled batch buffers
	// kept (see freeBuffers).
	minFreeBuffers = 16
	maxFreeBytes   = 4 << 20
	// maxIdleSpins is how many times the analyser yields, finding the ring
	// empty, before it parks (a few microseconds).
	maxIdleSpins = 32
	// initialBatchCap caps the preallocation of a batch buffer, so a huge
	// BatchSize cut short by FlushInterval does not cost its full size.
	initialBatchCap = 1024
)

// flushTarget says: ticket is satisfied once the analyser has popped pos
// events (pos is the ring's enqueue position when the analyser saw the
// ticket, so it covers every push that returned before the ticket was
// issued).
type flushTarget struct {
	ticket uint64
	pos    uint64
}

// analyser is the state owned by the analyser goroutine.
type analyser struct {
	p       *Processor
	scratch []Event   // the chunk being analysed
	cur     []Event   // the partial batch
	lastCut time.Time // monotonic time of the last hand-over
	now     time.Time // read once per loop: clock reads are a visible cost per chunk
	popped  uint64    // events popped from the ring == ring dequeue position
	cutUpTo uint64    // events handed to the delivery queue: the next batch's First
	seen    uint64    // highest flush ticket turned into a target
	targets []flushTarget
	backed  uint64 // highest ticket reported as backed up
	timer   *time.Timer
}

func (a *analyser) init(p *Processor) {
	a.p = p
	a.scratch = make([]Event, chunkSize)
	a.cur = p.newBuffer()
	a.lastCut = time.Now()
	a.timer = time.NewTimer(time.Hour)
	a.timer.Stop()
}

// freeBuffers is how many recycled batch buffers a processor keeps: as
// many as can be out at once (MaxPending's worth, in batches), within
// maxFreeBytes, and at least minFreeBuffers. With fewer, a consumer that
// fell behind and caught up (batches out and back in bursts) gave back
// more buffers than the list held, and the analyser cutting the next burst
// found it empty: a batch buffer allocated per batch was most of what a
// drain through the C ABI allocated, and the collections it caused cost
// about a third of its time (BenchmarkPushManyPath, the list copies
// reused: 117-157 ns per event with 16 kept, 65-90 with all kept).
func freeBuffers(cfg Config) int {
	size := min(cfg.BatchSize, initialBatchCap)
	out := cfg.MaxPending/size + 2
	return max(minFreeBuffers, min(out, maxFreeBytes/(size*int(unsafe.Sizeof(Event{})))))
}

func (p *Processor) newBuffer() []Event {
	select {
	case b := <-p.free:
		return b
	default:
		return make([]Event, 0, min(p.cfg.BatchSize, initialBatchCap))
	}
}

func (p *Processor) recycle(b []Event) {
	if want := min(p.cfg.BatchSize, initialBatchCap); cap(b) < want || cap(b) > 4*want {
		return // a trimmed small batch, or grown far beyond the usual size
	}
	clear(b) // drop the strings for the garbage collector
	select {
	case p.free <- b[:0]:
	default:
	}
}

// run is the analyser goroutine: the only consumer of the ring.
func (p *Processor) run() {
	a := &p.analyser
	defer close(p.exited)
	defer a.timer.Stop()
	maxPending := int64(p.cfg.MaxPending)
	idleSpins := 0
	for {
		a.now = time.Now()
		a.takeFlushRequests()
		closing := p.closed.Load()

		room := maxPending - p.pending.Load()
		if closing {
			// Lift the bound to drain the ring: at most its capacity more.
			room = chunkSize
		}
		n := 0
		if room > 0 {
			n = a.popChunk(int(min(room, chunkSize)))
		}
		if len(a.targets) > 0 {
			a.resolveTargets()
		}
		if len(a.cur) > 0 && a.now.Sub(a.lastCut) >= p.cfg.FlushInterval {
			a.cut()
		}
		if n > 0 {
			idleSpins = 0
			continue
		}
		if room > 0 && !closing && idleSpins < maxIdleSpins {
			// A producer may be about to push: yielding a few times is
			// much cheaper, for both sides, than parking and being woken.
			idleSpins++
			runtime.Gosched()
			continue
		}
		idleSpins = 0

		if closing {
			if !p.pushesInFlight() && p.ring.Len() == 0 {
				a.finish()
				return
			}
			runtime.Gosched() // a push past the closed check is finishing
			continue
		}
		if room <= 0 {
			// Backed up: hand over what we hold and tell flushers.
			if len(a.cur) > 0 {
				a.cut()
			}
			if a.seen > a.backed {
				a.backed = a.seen
				p.deliveryMu.Lock()
				p.delivery.backedTicket = a.backed
				p.delivery.notifyLocked()
				p.deliveryMu.Unlock()
			}
		}

		// Park. Set sleeping first, then re-check every wake-up condition:
		// whoever changes one of them does so before looking at sleeping.
		p.sleeping.Store(true)
		if p.flushReq.Load() > a.seen || p.closed.Load() {
			p.sleeping.Store(false)
			continue
		}
		if room > 0 && p.ring.Len() > 0 {
			// A push has claimed a slot but not yet published it.
			p.sleeping.Store(false)
			runtime.Gosched()
			continue
		}
		if room <= 0 && p.pending.Load() < maxPending {
			p.sleeping.Store(false)
			continue
		}
		if len(a.cur) > 0 {
			a.timer.Reset(p.cfg.FlushInterval - time.Since(a.lastCut))
			select {
			case <-p.wake:
			case <-a.timer.C:
			}
			a.timer.Stop()
		} else {
			<-p.wake
		}
		p.sleeping.Store(false)
	}
}

// popChunk pops up to max events, analyses them and appends them to the
// partial batch, cutting it whenever it is full. It returns how many it
// popped.
func (a *analyser) popChunk(max int) int {
	p := a.p
	chunk := a.scratch[:0]
	for len(chunk) < max {
		got := p.ring.TryPopMany(chunk[len(chunk):max])
		if got == 0 {
			break
		}
		chunk = chunk[:len(chunk)+got]
	}
	n := len(chunk)
	if n == 0 {
		return 0
	}
	p.analyticsMu.Lock()
	p.analytics.add(chunk, a.wallNow())
	p.analyticsMu.Unlock()
	if p.cfg.Shared != nil {
		p.cfg.Shared.Observe(chunk, a.wallNow())
	}
	if p.cfg.ForgetFields && !p.keepFields.Load() {
		for i := range chunk {
			chunk[i] = Event{Timestamp: chunk[i].Timestamp}
		}
	}

	a.popped += uint64(n)
	p.pending.Add(int64(n))
	p.processed.Store(a.popped)

	batchSize := p.cfg.BatchSize
	for len(chunk) > 0 {
		k := min(len(chunk), batchSize-len(a.cur))
		a.cur = append(a.cur, chunk[:k]...)
		chunk = chunk[k:]
		if len(a.cur) == batchSize {
			a.cut()
		}
	}
	return n
}

// wallNow is Config.Now, without a second clock read when it is time.Now.
func (a *analyser) wallNow() time.Time {
	if a.p.defaultClock {
		return a.now
	}
	return a.p.cfg.Now()
}

// cut hands the partial batch over to the delivery queue. A batch much
// smaller than its buffer (cut by the interval, a flush or backpressure) is
// copied to a slice of its size and the buffer kept: otherwise a trickle of
// events, each cut alone while no consumer drains them, would hold a whole
// buffer per event.
func (a *analyser) cut() {
	p := a.p
	events := a.cur
	if len(events) < cap(events)/4 {
		events = slices.Clone(events)
		clear(a.cur)
		a.cur = a.cur[:0]
	} else {
		a.cur = p.newBuffer()
	}
	a.lastCut = a.now
	first := a.cutUpTo
	a.cutUpTo += uint64(len(events))
	p.deliveryMu.Lock()
	p.delivery.enqueueLocked(first, events)
	p.deliveryMu.Unlock()
}

// takeFlushRequests turns flush tickets issued since the last look into a
// target: the ring's current enqueue position. Because the analyser is the
// ring's only consumer, its dequeue position is exactly a.popped, and
// popped+Len() is the enqueue position at the moment Len read it, which is
// no earlier than the issuing of the ticket.
func (a *analyser) takeFlushRequests() {
	t := a.p.flushReq.Load()
	if t <= a.seen {
		return
	}
	a.seen = t
	a.targets = append(a.targets, flushTarget{ticket: t, pos: a.popped + uint64(a.p.ring.Len())})
}

// resolveTargets reports every ticket whose target position has been
// analysed, after cutting the partial batch so its events can be delivered.
func (a *analyser) resolveTargets() {
	i := 0
	for i < len(a.targets) && a.popped >= a.targets[i].pos {
		i++
	}
	if i == 0 {
		return
	}
	if len(a.cur) > 0 {
		a.cut()
	}
	p := a.p
	p.deliveryMu.Lock()
	p.delivery.resolveLocked(a.targets[i-1].ticket)
	p.deliveryMu.Unlock()
	a.targets = append(a.targets[:0], a.targets[i:]...)
}

// finish runs once the processor is closed and the ring is drained: it cuts
// the final batch and marks the delivery queue final.
func (a *analyser) finish() {
	if len(a.cur) > 0 {
		a.cut()
	}
	p := a.p
	p.deliveryMu.Lock()
	if a.seen > 0 {
		p.delivery.resolveLocked(a.seen)
	}
	p.delivery.drained = true
	p.delivery.broadcastLocked()
	p.deliveryMu.Unlock()
}
