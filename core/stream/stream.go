// Package stream is the event processor engine behind cpp_event_processor:
// producers push events into a bounded lock-free ring; one analytics goroutine
// consumes the ring in order, keeps live analytics (distinct users per minute
// in HyperLogLog buckets, per-channel counts in a Count-Min Sketch and a
// Space-Saving top-k) and cuts the events into batches; consumers (the
// Python dispatcher threads) pull the batches with Next and acknowledge them
// with Done.
//
// # Pipeline and memory bounds
//
//	Push/PushMany ──► ring (BufferSize) ──► analyser ──► batches (FIFO) ──► Next ──► Done
//	                                        │
//	                                        └─► analytics (HLL×60, CMS, top-k)
//
// Every stage is bounded: the ring by BufferSize, the analysed-but-not-Done
// events by MaxPending, the analytics by their fixed sketch sizes. When
// MaxPending is reached the analyser stops consuming the ring, the ring fills
// and Push returns false (a counted drop): the pipeline backs up rather than
// grow.
//
// # Ordering
//
// Events pushed by one goroutine are analysed and batched in push order, and
// batches get increasing IDs and are handed out by Next in ID order. With one
// consumer, events of one producer therefore arrive in push order. With
// several consumers, two batches may be processed at the same time; ordering
// the received batches by Batch.ID restores every producer's push order.
//
// # Consumers
//
// Next hands out batches only while a consumer is attached (SetConsumer(true)),
// so events that arrive while no callback is set are kept in Go, bounded by
// MaxPending, until one is set. Every batch handed out must be acknowledged
// with Done, whether its delivery succeeded or finally failed.
//
// # Flush and Close
//
// Flush is a barrier over the pushes that returned before it: it returns
// once they are analysed and their batches cut, and, when asked to wait for
// delivery and a consumer is attached, acknowledged. It never hangs for want
// of a consumer: without one, or when not waiting for delivery, a pipeline
// backed up at MaxPending also ends the wait. BeginFlush and WaitFlush split
// it so a caller waiting in short slices keeps one barrier. Close stops
// pushes, drains the ring through the analyser, cuts the last batch and, with
// a consumer attached, waits for it to acknowledge everything. See WaitFlush
// and Close for the exact conditions.
//
// # Time
//
// Config.Now (the wall clock) resolves timestamps ≤ 0 at push and places the
// unique-user window; FlushInterval runs on the monotonic clock.
package stream

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/engagehub/engagehub-native/core/hll"
	"github.com/engagehub/engagehub-native/core/ring"
	"github.com/engagehub/engagehub-native/core/topk"
)

var (
	// ErrClosed is returned by TryPush and PushBatch after Close, and by Next
	// once the processor is closed and no batch is left to hand out.
	ErrClosed = errors.New("stream: processor closed")
	// ErrTimeout is returned by Flush, WaitFlush and Close when their deadline
	// passes before the condition they wait for holds. Nothing is lost: the
	// work continues and the call may be repeated.
	ErrTimeout = errors.New("stream: timeout")
	// ErrInvalidConfig is returned (wrapped) by New for a Config value out of
	// range.
	ErrInvalidConfig = errors.New("stream: invalid config")
	// ErrInvalidEvent is returned (wrapped, naming the field) by
	// Event.Validate, TryPush and PushBatch for a string field that is not
	// valid UTF-8.
	ErrInvalidEvent = errors.New("stream: invalid event")
	// ErrInvalidWindow is returned (wrapped) by ValidWindow for a unique-user
	// window outside 0..MaxWindow.
	ErrInvalidWindow = errors.New("stream: invalid unique-user window")
	// ErrNotHandedOut is returned (wrapped) by DoneID for an ID that names
	// no batch handed out by Next and not yet Done.
	ErrNotHandedOut = errors.New("stream: batch is not handed out")
)

// Bounds of Config, checked by New. Each sizes memory allocated up front or
// held at once, so a value beyond it fails with ErrInvalidConfig instead of
// ending the process in Go's fatal out-of-memory (a ring of 2^29 events
// needed more than 8 GB; 2^27 took 21 s to allocate).
const (
	// MaxBufferSize is the largest Config.BufferSize: 4,194,304 events,
	// a ring of 256 MiB (64-byte slots).
	MaxBufferSize = 1 << 22
	// MaxPendingLimit is the largest Config.MaxPending: 4,194,304 events
	// analysed and not yet acknowledged. A defaulted MaxPending is clamped
	// to it.
	MaxPendingLimit = 1 << 22
	// MinHLLPrecision and MaxHLLPrecision bound Config.HLLPrecision (0 is
	// the default, 14); 18 costs 256 KiB per one-minute bucket, 15 MiB in
	// all.
	MinHLLPrecision = hll.MinPrecision
	MaxHLLPrecision = hll.MaxPrecision
	// MaxTopKCapacity is the largest Config.TopKCapacity.
	MaxTopKCapacity = topk.MaxCapacity
	// MaxWindow is the longest window UniqueUsers answers: the 60 one-minute
	// buckets the processor keeps.
	MaxWindow = windowMinutes * time.Minute
)

// ValidWindow reports whether d is a unique-user window UniqueUsers answers
// as asked: nil for 0 ≤ d ≤ MaxWindow, else an error wrapping
// ErrInvalidWindow. UniqueUsers itself clamps any window into that range;
// callers that take the window from users check it here first.
func ValidWindow(d time.Duration) error {
	if d < 0 || d > MaxWindow {
		return fmt.Errorf("%w: %v (want 0..%v)", ErrInvalidWindow, d, MaxWindow)
	}
	return nil
}

// Event is one engagement event. Timestamp is in Unix seconds; a Timestamp
// ≤ 0 means "now" and is replaced, at push, by Config.Now.
//
// The processor keeps the strings it is given (it does not copy them):
// callers hand over strings they will not modify, which Go strings guarantee
// unless built with unsafe.
type Event struct {
	Type      string
	UserID    string
	ChannelID string
	Timestamp int64
}

// Batch is a run of consecutive analysed events handed out by Next. A batch
// holds 1..BatchSize events. IDs start at 1 and increase by one per batch in
// the order the batches were cut, which is also the order Next hands them
// out. After Done(b) the batch must not be used: its Events slice is
// recycled.
//
// First is the stream position of the batch's first event: events are
// numbered from 0 in the order the analyser took them from the ring, so a
// batch holds positions First .. First+len(Events)-1. A producer that pushes
// from one goroutine at a time (as the Python staging does) knows the
// position of each event it pushed, and can keep the event's own objects
// instead of reading them back.
type Batch struct {
	ID     uint64
	First  uint64
	Events []Event
	done   atomic.Bool
}

// ChannelCount is one entry of TopChannels and TrendingChannels. Count
// never under-estimates the true number of events of the channel, and the
// true number is at least Count − MaxOvercount.
type ChannelCount struct {
	ChannelID    string
	Count        uint64
	MaxOvercount uint64
}

// Config configures New. The zero value of every field selects its default.
type Config struct {
	// BufferSize is the ring capacity, rounded up to a power of two.
	// 0 → 1024; at most MaxBufferSize.
	BufferSize int
	// BatchSize is the maximum number of events per batch. 0 → 1.
	BatchSize int
	// FlushInterval: a non-empty partial batch is cut when this much time
	// has passed since the last batch was cut. Measured on the monotonic
	// clock, not with Now. 0 → 1 ms.
	FlushInterval time.Duration
	// MaxPending bounds the events analysed but not yet acknowledged with
	// Done (in the partial batch, queued, or handed out). When it is reached
	// the analyser stops consuming the ring. 0 → max(BufferSize, 4*BatchSize)
	// clamped to MaxPendingLimit; at most MaxPendingLimit.
	MaxPending int
	// HLLPrecision is the HyperLogLog precision of each one-minute bucket
	// (MinHLLPrecision..MaxHLLPrecision, 4..18). 0 → 14 (about 0.8 %
	// standard error, 16 KiB per bucket).
	HLLPrecision uint8
	// CMSEpsilon and CMSDelta size the Count-Min Sketch of channel counts.
	// 0 → 1e-4 and 1e-3.
	CMSEpsilon, CMSDelta float64
	// TopKCapacity is the number of channels tracked by the Space-Saving
	// top-k. 0 → 1024; at most MaxTopKCapacity.
	TopKCapacity int
	// Now is the wall clock used for timestamps ≤ 0 and for the unique-user
	// window. nil → time.Now.
	Now func() time.Time
	// ForgetFields makes batches carry only what the analytics cannot give
	// back, the timestamps: an event's strings are dropped once analysed.
	// For a producer that keeps its own copy of every event and names them
	// by stream position (Batch.First), so that pending events cost the
	// engine no memory for their strings.
	ForgetFields bool
	// Shared, when set, also receives every analysed chunk (see Sink):
	// analytics shared with other processes, such as core/redisstream's.
	Shared Sink
}

const (
	defaultBufferSize    = 1024
	defaultFlushInterval = time.Millisecond
	defaultHLLPrecision  = 14
	defaultCMSEpsilon    = 1e-4
	defaultCMSDelta      = 1e-3
	defaultTopKCapacity  = 1024
)

func (c Config) withDefaults() (Config, error) {
	switch {
	case c.BufferSize < 0 || c.BufferSize > MaxBufferSize:
		return c, fmt.Errorf("%w: BufferSize %d (want 0..%d)", ErrInvalidConfig, c.BufferSize, MaxBufferSize)
	case c.BatchSize < 0:
		return c, fmt.Errorf("%w: BatchSize %d", ErrInvalidConfig, c.BatchSize)
	case c.FlushInterval < 0:
		return c, fmt.Errorf("%w: FlushInterval %v", ErrInvalidConfig, c.FlushInterval)
	case c.MaxPending < 0 || c.MaxPending > MaxPendingLimit:
		return c, fmt.Errorf("%w: MaxPending %d (want 0..%d)", ErrInvalidConfig, c.MaxPending, MaxPendingLimit)
	case c.HLLPrecision != 0 && (c.HLLPrecision < MinHLLPrecision || c.HLLPrecision > MaxHLLPrecision):
		return c, fmt.Errorf("%w: HLLPrecision %d (want 0 or %d..%d)", ErrInvalidConfig, c.HLLPrecision, MinHLLPrecision, MaxHLLPrecision)
	case c.TopKCapacity < 0 || c.TopKCapacity > MaxTopKCapacity:
		return c, fmt.Errorf("%w: TopKCapacity %d (want 0..%d)", ErrInvalidConfig, c.TopKCapacity, MaxTopKCapacity)
	case c.CMSEpsilon < 0 || c.CMSDelta < 0:
		return c, fmt.Errorf("%w: CMSEpsilon %v, CMSDelta %v", ErrInvalidConfig, c.CMSEpsilon, c.CMSDelta)
	}
	if c.BufferSize == 0 {
		c.BufferSize = defaultBufferSize
	}
	if c.BatchSize == 0 {
		c.BatchSize = 1
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = defaultFlushInterval
	}
	if c.MaxPending == 0 {
		c.MaxPending = MaxPendingLimit
		if c.BatchSize <= MaxPendingLimit/4 {
			c.MaxPending = min(max(c.BufferSize, 4*c.BatchSize), MaxPendingLimit)
		}
	}
	if c.HLLPrecision == 0 {
		c.HLLPrecision = defaultHLLPrecision
	}
	if c.CMSEpsilon == 0 {
		c.CMSEpsilon = defaultCMSEpsilon
	}
	if c.CMSDelta == 0 {
		c.CMSDelta = defaultCMSDelta
	}
	if c.TopKCapacity == 0 {
		c.TopKCapacity = defaultTopKCapacity
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// Stats is a snapshot of the processor's counters. Counters are read
// downstream first, so a snapshot taken while events flow still satisfies
// Accepted ≥ Processed ≥ HandedOut ≥ Delivered.
type Stats struct {
	Pushed   uint64 // events offered to Push/PushMany: Accepted+Dropped+Rejected+Invalid
	Accepted uint64 // pushes that returned true
	Dropped  uint64 // refused because the buffer was full (events_dropped)
	Rejected uint64 // refused because the processor was closed (not a drop)
	Invalid  uint64 // refused because a field was not valid UTF-8 (not a drop)

	Processed uint64 // analysed (total_events_processed)
	Batches   uint64 // batches cut
	HandedOut uint64 // events in batches handed out by Next
	Delivered uint64 // events in batches acknowledged by Done
	Pending   uint64 // analysed and not yet Done: Processed - Delivered
	Queued    uint64 // events in batches cut and waiting for Next

	QueueDepth int // events in the ring (approximate while pushes run)
}

// Processor is the event processor. Create it with New and stop it with
// Close. All methods are safe to call from any number of goroutines at once.
// A Processor must not be copied.
type Processor struct {
	cfg          Config
	defaultClock bool // cfg.Now is time.Now
	ring         *ring.Ring[Event]

	// Producer side: striped counters (accepted<<inflightBits | in-flight)
	// and refusal counters, each on its own cache line.
	stripes  [numStripes]stripe
	dropped  paddedCounter
	rejected atomic.Uint64
	invalid  atomic.Uint64
	_        [cacheLine - 16]byte

	// Read by every push, written rarely: kept apart from the counters the
	// analyser writes per chunk, so producers do not miss on them.
	//
	// Analyser wake-up: the analyser sets sleeping before it parks on wake;
	// whoever makes work for it clears sleeping and sends a token.
	closed   atomic.Bool // set once by Close: pushes are refused
	sleeping atomic.Bool
	_        [cacheLine - 2]byte

	processed atomic.Uint64 // events analysed (written by the analyser only)
	pending   atomic.Int64  // analysed and not yet Done
	flushReq  atomic.Uint64 // highest flush ticket issued
	wake      chan struct{}
	_         [cacheLine - 32]byte

	analyser analyser // owned by the analyser goroutine

	analyticsMu sync.Mutex // guards analytics
	analytics   analytics
	queryMu     sync.Mutex // serialises UniqueUsers queries (owns uniqueQuery, its cache)
	uniqueQuery uniqueQuery
	trendMu     sync.Mutex // serialises TrendingChannels queries (owns trendPast, their cache)
	trendPast   trendPast

	deliveryMu sync.Mutex // guards delivery
	delivery   delivery

	free   chan []Event  // recycled batch buffers
	exited chan struct{} // closed when the analyser goroutine returns
	once   sync.Once

	// keepFields overrides Config.ForgetFields (see KeepFields).
	keepFields atomic.Bool
}

// KeepFields makes batches carry every field of their events from now on,
// whatever Config.ForgetFields says: for a native sink that writes the
// events itself. Call it before the first push.
func (p *Processor) KeepFields() {
	p.keepFields.Store(true)
}

// New validates cfg, applies defaults and starts the analyser goroutine,
// which runs until Close: a processor that is never closed keeps it (parked,
// using no CPU) forever. New returns an error wrapping ErrInvalidConfig for a
// value out of range.
func New(cfg Config) (*Processor, error) {
	defaultClock := cfg.Now == nil
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r, err := ring.New[Event](cfg.BufferSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	p := &Processor{
		cfg:          cfg,
		defaultClock: defaultClock,
		ring:         r,
		wake:         make(chan struct{}, 1),
		free:         make(chan []Event, freeBuffers(cfg)),
		exited:       make(chan struct{}),
	}
	if err := p.analytics.init(cfg); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	p.uniqueQuery.init(cfg.HLLPrecision)
	p.delivery.init()
	p.analyser.init(p)
	go p.run()
	return p, nil
}

// Stats returns a snapshot of the counters.
func (p *Processor) Stats() Stats {
	var s Stats
	p.deliveryMu.Lock()
	s.Delivered = p.delivery.delivered
	s.HandedOut = p.delivery.handedOut
	s.Batches = p.delivery.lastID
	s.Queued = p.delivery.queuedEvents
	p.deliveryMu.Unlock()
	s.Processed = p.processed.Load()
	s.Pending = s.Processed - s.Delivered
	s.QueueDepth = p.ring.Len()
	// A push is counted as accepted just after its event enters the ring,
	// so the analyser may already have taken it: it was accepted.
	s.Accepted = max(p.accepted(), s.Processed)
	s.Dropped = p.dropped.v.Load()
	s.Rejected = p.rejected.Load()
	s.Invalid = p.invalid.Load()
	s.Pushed = s.Accepted + s.Dropped + s.Rejected + s.Invalid
	return s
}

// Config returns the configuration in force: defaults applied and
// BufferSize rounded up to the ring's capacity.
func (p *Processor) Config() Config {
	cfg := p.cfg
	cfg.BufferSize = p.ring.Cap()
	return cfg
}

// Room is how many more events the ring can take now: exact for a caller
// that is the only producer, and a lower bound while the analyser consumes.
func (p *Processor) Room() int {
	return p.ring.Cap() - p.ring.Len()
}

// kick wakes the analyser if it is parked (or about to park). It costs one
// atomic load when the analyser is busy, so producers may call it per event.
func (p *Processor) kick() {
	if p.sleeping.Load() && p.sleeping.Swap(false) {
		p.forceKick()
	}
}

// forceKick leaves a wake-up token for the analyser whether or not it sleeps.
func (p *Processor) forceKick() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}
