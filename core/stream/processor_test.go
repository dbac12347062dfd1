package stream

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewConfig(t *testing.T) {
	p := newTestProcessor(t, Config{})
	assert.Equal(t, 1024, p.cfg.BufferSize)
	assert.Equal(t, 1024, p.ring.Cap())
	assert.Equal(t, 1, p.cfg.BatchSize)
	assert.Equal(t, time.Millisecond, p.cfg.FlushInterval)
	assert.Equal(t, 1024, p.cfg.MaxPending)
	assert.Equal(t, uint8(14), p.cfg.HLLPrecision)

	p2 := newTestProcessor(t, Config{BufferSize: 1000, BatchSize: 500})
	assert.Equal(t, 1024, p2.ring.Cap(), "rounded up to a power of two")
	assert.Equal(t, 2000, p2.cfg.MaxPending, "max(BufferSize, 4*BatchSize)")

	for _, cfg := range []Config{
		{BufferSize: -1},
		{BatchSize: -1},
		{FlushInterval: -time.Second},
		{MaxPending: -1},
		{TopKCapacity: -1},
		{HLLPrecision: 40},
		{CMSEpsilon: 2},
		{CMSDelta: -1},
	} {
		_, err := New(cfg)
		require.ErrorIs(t, err, ErrInvalidConfig, "%+v", cfg)
	}
}

// Eight producers race, without retrying, against a small buffer: every
// push is accounted for, and after Flush everything accepted is delivered.
func TestConcurrentProducersReconciled(t *testing.T) {
	p := newTestProcessor(t, Config{BufferSize: 64, BatchSize: 32})
	c := startConsumers(t, p, 2)

	const producers, perProducer = 8, 20000
	var accepted atomic.Uint64
	var wg sync.WaitGroup
	for i := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := "u" + strconv.Itoa(i)
			for j := range perProducer {
				if p.Push(Event{Type: "m", UserID: user, ChannelID: "c" + strconv.Itoa(j%7), Timestamp: testEpoch}) {
					accepted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	require.NoError(t, p.Flush(10*time.Second, true))

	s := p.Stats()
	assert.Equal(t, uint64(producers*perProducer), s.Pushed)
	assert.Equal(t, s.Pushed, s.Accepted+s.Dropped)
	assert.Equal(t, accepted.Load(), s.Accepted)
	assert.Equal(t, s.Accepted, s.Processed)
	assert.Equal(t, s.Accepted, s.Delivered)
	assert.Equal(t, s.Accepted, s.HandedOut)
	assert.Equal(t, uint64(0), s.Pending)
	assert.Equal(t, int(s.Accepted), c.Events())
	var channels uint64
	for _, cc := range p.TopChannels(10) {
		channels += cc.Count
	}
	assert.GreaterOrEqual(t, channels, s.Accepted, "channel counts never under-estimate")
}

// seqEvents returns n events of one producer whose Timestamp is 1..n.
func seqEvents(producer, n int) []Event {
	out := make([]Event, n)
	user := "p" + strconv.Itoa(producer)
	for i := range out {
		out[i] = Event{Type: "t", UserID: user, ChannelID: "c", Timestamp: int64(i + 1)}
	}
	return out
}

// With several consumers, batches are cut in order and carry increasing
// IDs: sorting what the consumers got by ID restores each producer's order.
func TestPerProducerOrderSeveralConsumers(t *testing.T) {
	const producers, perProducer, batchSize = 4, 5000, 17
	p := newTestProcessor(t, Config{BufferSize: 128, BatchSize: batchSize})
	c := startConsumers(t, p, 3)
	var wg sync.WaitGroup
	for i := range producers {
		wg.Add(1)
		go func() { defer wg.Done(); pushAll(t, p, seqEvents(i, perProducer)) }()
	}
	wg.Wait()
	require.NoError(t, p.Flush(10*time.Second, true))

	next := map[string]int64{}
	for i, b := range c.Sorted() {
		require.Equal(t, uint64(i+1), b.id, "batch IDs are 1, 2, 3, …")
		require.NotEmpty(t, b.events)
		require.LessOrEqual(t, len(b.events), batchSize)
		for _, e := range b.events {
			require.Equal(t, next[e.UserID]+1, e.Timestamp, "producer %s out of order", e.UserID)
			next[e.UserID] = e.Timestamp
		}
	}
	for i := range producers {
		assert.Equal(t, int64(perProducer), next["p"+strconv.Itoa(i)])
	}
}

// One consumer sees every producer's events in push order as it receives them.
func TestSingleConsumerStrictOrder(t *testing.T) {
	p := newTestProcessor(t, Config{BufferSize: 64, BatchSize: 10})
	c := startConsumers(t, p, 1)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); pushAll(t, p, seqEvents(i, 3000)) }()
	}
	wg.Wait()
	require.NoError(t, p.Flush(10*time.Second, true))
	c.Stop()
	for i, id := range c.order {
		require.Equal(t, uint64(i+1), id, "one consumer receives batches in ID order")
	}
}

func TestBatchFirstIsStreamPosition(t *testing.T) {
	p := newTestProcessor(t, Config{BufferSize: 64, BatchSize: 7, FlushInterval: time.Millisecond})
	c := startConsumers(t, p, 2)
	events := seqEvents(0, 5000)
	pushAll(t, p, events)
	require.NoError(t, p.Flush(10*time.Second, true))
	c.Stop()
	next := uint64(0)
	for _, b := range c.Sorted() {
		require.Equal(t, next, b.first, "batch %d starts where the one before it ended", b.id)
		for i, e := range b.events {
			require.Equal(t, events[b.first+uint64(i)], e, "one producer: position = push order")
		}
		next += uint64(len(b.events))
	}
	require.Equal(t, uint64(len(events)), next)
}

func TestBatchesCutWhenFullAndOnFlush(t *testing.T) {
	p := newTestProcessor(t, Config{BatchSize: 4, FlushInterval: time.Hour})
	p.SetConsumer(true)
	pushAll(t, p, seqEvents(0, 10))
	for _, want := range []int{4, 4} {
		b, err := p.Next(5 * time.Second)
		require.NoError(t, err)
		require.NotNil(t, b)
		assert.Len(t, b.Events, want)
		p.Done(b)
	}
	b, err := p.Next(20 * time.Millisecond)
	require.NoError(t, err)
	require.Nil(t, b, "the partial batch waits for its interval")

	require.NoError(t, p.Flush(5*time.Second, false))
	b, err = p.Next(5 * time.Second)
	require.NoError(t, err)
	require.NotNil(t, b)
	assert.Len(t, b.Events, 2, "Flush cuts the partial batch")
	assert.Equal(t, int64(10), b.Events[1].Timestamp)
	p.Done(b)
}

func TestIntervalFlush(t *testing.T) {
	p := newTestProcessor(t, Config{BatchSize: 1000, FlushInterval: 20 * time.Millisecond})
	p.SetConsumer(true)
	pushAll(t, p, seqEvents(0, 3))
	start := time.Now()
	b, err := p.Next(5 * time.Second)
	require.NoError(t, err)
	require.NotNil(t, b, "a partial batch is handed over after FlushInterval")
	assert.Len(t, b.Events, 3)
	assert.Less(t, time.Since(start), 2*time.Second)
	p.Done(b)
}

// The barrier: once Flush returns, every event whose Push returned true
// before the call has been delivered, however producers interleave.
func TestFlushBarrierConcurrentProducers(t *testing.T) {
	const producers = 4
	p := newTestProcessor(t, Config{BufferSize: 256, BatchSize: 50, FlushInterval: time.Hour})
	p.SetConsumer(true)

	var mu sync.Mutex
	delivered := make([]int64, producers) // highest seq delivered per producer
	stopC := make(chan struct{})
	var cwg sync.WaitGroup
	for range 2 {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			for {
				b, _ := p.Next(5 * time.Millisecond)
				if b == nil {
					select {
					case <-stopC:
						return
					default:
						continue
					}
				}
				mu.Lock()
				for _, e := range b.Events {
					i, _ := strconv.Atoi(e.UserID)
					delivered[i] = max(delivered[i], e.Timestamp)
				}
				mu.Unlock()
				p.Done(b)
			}
		}()
	}

	acked := make([]atomic.Int64, producers) // highest seq whose Push returned true
	stopP := make(chan struct{})
	var pwg sync.WaitGroup
	for i := range producers {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			for seq := int64(1); ; seq++ {
				select {
				case <-stopP:
					return
				default:
				}
				for !p.Push(Event{UserID: strconv.Itoa(i), ChannelID: "c", Timestamp: seq}) {
					runtime.Gosched()
				}
				acked[i].Store(seq)
			}
		}()
	}

	for range 30 {
		time.Sleep(time.Millisecond)
		before := make([]int64, producers)
		for i := range before {
			before[i] = acked[i].Load()
		}
		require.NoError(t, p.Flush(10*time.Second, true))
		mu.Lock()
		for i := range before {
			require.GreaterOrEqual(t, delivered[i], before[i], "producer %d: pushed before Flush, not delivered", i)
		}
		mu.Unlock()
	}
	close(stopP)
	pwg.Wait()
	close(stopC)
	cwg.Wait()
}

// WaitFlush on one ticket, in slices, is not moved by later pushes.
func TestWaitFlushTicketInSlices(t *testing.T) {
	p := newTestProcessor(t, Config{BatchSize: 8, FlushInterval: time.Hour})
	p.SetConsumer(true)
	pushAll(t, p, seqEvents(0, 5))
	ticket := p.BeginFlush()
	pushAll(t, p, seqEvents(1, 3))
	require.ErrorIs(t, p.WaitFlush(ticket, 5*time.Millisecond, true), ErrTimeout, "not delivered yet")
	require.NoError(t, p.WaitFlush(ticket, time.Second, false), "analysed and cut")
	b, err := p.Next(time.Second)
	require.NoError(t, err)
	require.NotNil(t, b)
	require.GreaterOrEqual(t, len(b.Events), 5)
	require.ErrorIs(t, p.WaitFlush(ticket, 5*time.Millisecond, true), ErrTimeout, "handed out, not Done")
	p.Done(b)
	require.NoError(t, p.WaitFlush(ticket, time.Second, true))
}

func TestFlushWithoutConsumerReturns(t *testing.T) {
	p := newTestProcessor(t, Config{BatchSize: 100})
	pushAll(t, p, seqEvents(0, 50))
	require.NoError(t, p.Flush(5*time.Second, true), "no consumer: analysis is enough")
	assert.Equal(t, uint64(50), p.Stats().Processed)
	assert.Equal(t, uint64(50), p.Stats().Queued, "the partial batch was cut")
}

func TestFlushWithoutConsumerWhenMaxPendingFull(t *testing.T) {
	p := newTestProcessor(t, Config{BufferSize: 8, BatchSize: 4, MaxPending: 8})
	n := fillUntilBackedUp(t, p)
	require.NoError(t, p.Flush(5*time.Second, true), "returns although the ring is not drained")
	s := p.Stats()
	assert.Equal(t, uint64(8), s.Processed, "stopped at MaxPending")
	assert.Equal(t, 8, s.QueueDepth, "the ring is full")
	assert.Equal(t, 16, n)

	// A consumer attached later receives everything, in order.
	c := startConsumers(t, p, 1)
	require.NoError(t, p.Flush(5*time.Second, true))
	assert.Equal(t, n, c.Events())
}

// The Python layer calls Flush(waitDelivery=false) from inside a callback:
// the batch it holds must not block the flush.
func TestFlushInsideCallbackDoesNotDeadlock(t *testing.T) {
	for _, maxPending := range []int{4, 1000} {
		t.Run(fmt.Sprint("MaxPending=", maxPending), func(t *testing.T) {
			p := newTestProcessor(t, Config{BufferSize: 4, BatchSize: 4, MaxPending: maxPending})
			p.SetConsumer(true)
			pushAll(t, p, seqEvents(0, 4))
			held, err := p.Next(5 * time.Second) // "inside the callback"
			require.NoError(t, err)
			require.NotNil(t, held)
			for i := range 8 {
				p.Push(Event{UserID: "v", ChannelID: "c", Timestamp: int64(i + 1)})
			}
			done := make(chan error, 1)
			go func() { done <- p.Flush(5*time.Second, false) }()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(3 * time.Second):
				t.Fatal("Flush(waitDelivery=false) blocked on the held batch")
			}
			p.Done(held)
		})
	}
}

func TestBackpressureWithoutConsumer(t *testing.T) {
	p := newTestProcessor(t, Config{BufferSize: 16, BatchSize: 4, MaxPending: 32})
	accepted := 0
	for range 10000 {
		if p.Push(Event{UserID: "u", ChannelID: "c", Timestamp: testEpoch}) {
			accepted++
		}
	}
	s := p.Stats()
	assert.LessOrEqual(t, accepted, 32+16, "bounded by MaxPending plus the ring")
	assert.Equal(t, uint64(accepted), s.Accepted)
	assert.Equal(t, uint64(10000-accepted), s.Dropped)
	assert.LessOrEqual(t, s.Pending, uint64(32))

	// Attaching a consumer relieves the pressure.
	c := startConsumers(t, p, 1)
	pushAll(t, p, seqEvents(1, 100))
	require.NoError(t, p.Flush(5*time.Second, true))
	assert.Equal(t, accepted+100, c.Events())
}

func TestSlowConsumerBacksUp(t *testing.T) {
	p := newTestProcessor(t, Config{BufferSize: 8, BatchSize: 2, MaxPending: 4})
	p.SetConsumer(true)
	fillUntilBackedUp(t, p)
	b, err := p.Next(time.Second)
	require.NoError(t, err)
	require.NotNil(t, b)
	assert.False(t, p.Push(Event{UserID: "u", ChannelID: "c", Timestamp: 1}), "a held batch keeps the pipeline backed up")
	p.Done(b)
	eventually(t, 5*time.Second, func() bool { return p.Push(Event{UserID: "u", ChannelID: "c", Timestamp: 1}) }, "Done frees room")
}

func TestCloseDrainsAndDelivers(t *testing.T) {
	base := runtime.NumGoroutine()
	p, err := New(Config{BufferSize: 256, BatchSize: 64, FlushInterval: time.Hour})
	require.NoError(t, err)
	c := startConsumers(t, p, 2)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); pushAll(t, p, seqEvents(i, 3000)) }()
	}
	wg.Wait()
	require.NoError(t, p.Close(10*time.Second))
	assert.Equal(t, 12000, c.Events(), "Close waits for an attached consumer")
	b, err := p.Next(time.Millisecond)
	assert.Nil(t, b)
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, p.Close(time.Second), "idempotent")
	c.Stop()
	eventually(t, 5*time.Second, func() bool { return runtime.NumGoroutine() <= base }, "goroutines leaked")
}

func TestCloseWithoutConsumerKeepsBatches(t *testing.T) {
	p, err := New(Config{BatchSize: 7, FlushInterval: time.Hour})
	require.NoError(t, err)
	pushAll(t, p, seqEvents(0, 100))
	start := time.Now()
	require.NoError(t, p.Close(5*time.Second), "no consumer: Close does not wait for delivery")
	assert.Less(t, time.Since(start), time.Second)
	s := p.Stats()
	assert.Equal(t, uint64(100), s.Processed)
	assert.Equal(t, uint64(100), s.Queued)

	b, err := p.Next(time.Millisecond)
	assert.Nil(t, b)
	require.ErrorIs(t, err, ErrClosed, "nothing is handed out without a consumer")

	p.SetConsumer(true)
	var got []Event
	for {
		b, err := p.Next(time.Second)
		if err != nil {
			require.ErrorIs(t, err, ErrClosed)
			break
		}
		require.NotNil(t, b)
		got = append(got, b.Events...)
		p.Done(b)
	}
	require.Len(t, got, 100)
	for i, e := range got {
		require.Equal(t, int64(i+1), e.Timestamp)
	}
	require.NoError(t, p.Flush(time.Second, true), "Flush after Close returns at once")
}

func TestCloseTimeout(t *testing.T) {
	// No interval cut: on a loaded machine the analyser could otherwise cut
	// the first events as a batch of their own, and the rest would be a
	// second batch nobody takes, which the later Close would rightly wait for.
	p := newTestProcessor(t, Config{BatchSize: 10, FlushInterval: time.Hour})
	p.SetConsumer(true)
	pushAll(t, p, seqEvents(0, 10))
	b, err := p.Next(5 * time.Second)
	require.NoError(t, err)
	require.NotNil(t, b)
	require.ErrorIs(t, p.Close(30*time.Millisecond), ErrTimeout, "the consumer holds a batch")
	p.Done(b)
	require.NoError(t, p.Close(5*time.Second), "a later Close finishes the wait")
}

func TestPushAfterClose(t *testing.T) {
	p := newTestProcessor(t, Config{})
	require.NoError(t, p.Close(time.Second))
	e := Event{UserID: "u", ChannelID: "c"}
	assert.False(t, p.Push(e))
	ok, err := p.TryPush(e)
	assert.False(t, ok)
	require.ErrorIs(t, err, ErrClosed)
	n, err := p.PushBatch([]Event{e, e, e})
	assert.Zero(t, n)
	require.ErrorIs(t, err, ErrClosed)
	assert.Zero(t, p.PushMany([]Event{e}))
	s := p.Stats()
	assert.Equal(t, uint64(6), s.Rejected)
	assert.Zero(t, s.Dropped, "refusals after Close are not drops")
	assert.Equal(t, uint64(6), s.Pushed)
}

// Pushes racing with Close are either refused or analysed: none is lost in
// the ring after the analyser stops.
func TestPushRacingClose(t *testing.T) {
	for range 20 {
		p, err := New(Config{BufferSize: 64, BatchSize: 16})
		require.NoError(t, err)
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range 2000 {
					p.Push(Event{UserID: strconv.Itoa(i), ChannelID: "c", Timestamp: int64(j + 1)})
				}
			}()
		}
		time.Sleep(100 * time.Microsecond)
		require.NoError(t, p.Close(5*time.Second))
		wg.Wait()
		s := p.Stats()
		require.Equal(t, s.Accepted, s.Processed, "accepted but never analysed")
		require.Equal(t, 0, s.QueueDepth)
	}
}

func TestPushManyPrefix(t *testing.T) {
	p := newTestProcessor(t, Config{BufferSize: 8, MaxPending: 8})
	events := seqEvents(0, 100)
	n := p.PushMany(events)
	assert.GreaterOrEqual(t, n, 8)
	assert.Less(t, n, 100)
	s := p.Stats()
	assert.Equal(t, uint64(n), s.Accepted)
	assert.Equal(t, uint64(100-n), s.Dropped, "the refused event and the rest are drops")

	bad := []Event{{UserID: "ok", ChannelID: "c"}, {UserID: "\xff", ChannelID: "c"}}
	p2 := newTestProcessor(t, Config{})
	n, err := p2.PushBatch(bad)
	assert.Equal(t, 1, n)
	require.ErrorIs(t, err, ErrInvalidEvent)
	assert.Equal(t, uint64(1), p2.Stats().Invalid)
}

func TestOfferKeepsWhatDidNotFit(t *testing.T) {
	p := newTestProcessor(t, Config{BufferSize: 8, MaxPending: 8})
	events := seqEvents(0, 100)
	n, err := p.Offer(events)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, 8)
	assert.Less(t, n, 100)
	s := p.Stats()
	assert.Equal(t, uint64(n), s.Accepted)
	assert.Zero(t, s.Dropped, "what did not fit stays with the caller")
	p.CountDropped(3)
	assert.Equal(t, uint64(3), p.Stats().Dropped)
	assert.Equal(t, s.Accepted+3, p.Stats().Pushed)
}

func TestForgetFieldsKeepsPositionsAndTimestamps(t *testing.T) {
	p := newTestProcessor(t, Config{BatchSize: 10, ForgetFields: true})
	c := startConsumers(t, p, 1)
	events := seqEvents(0, 25)
	pushAll(t, p, events)
	require.NoError(t, p.Flush(5*time.Second, true))
	c.Stop()
	got := 0
	for _, b := range c.Sorted() {
		for i, e := range b.events {
			assert.Equal(t, Event{Timestamp: events[b.first+uint64(i)].Timestamp}, e)
		}
		got += len(b.events)
	}
	assert.Equal(t, 25, got)
	assert.Equal(t, 1, len(p.TopChannels(10)), "the analytics saw the strings")
}

func TestConfigInForce(t *testing.T) {
	p := newTestProcessor(t, Config{BufferSize: 1000, BatchSize: 64})
	cfg := p.Config()
	assert.Equal(t, 1024, cfg.BufferSize, "rounded up to the ring's capacity")
	assert.Equal(t, 64, cfg.BatchSize)
	assert.Equal(t, 1000, cfg.MaxPending, "max(BufferSize as given, 4*BatchSize)")
	assert.Equal(t, uint8(14), cfg.HLLPrecision)
}

func TestTimestampZeroIsPushTime(t *testing.T) {
	clock := newFakeClock(testEpoch)
	p := newTestProcessor(t, Config{BatchSize: 3, Now: clock.Now})
	p.SetConsumer(true)
	require.True(t, p.Push(Event{UserID: "a", ChannelID: "c", Timestamp: 0}))
	clock.Advance(time.Minute)
	require.True(t, p.Push(Event{UserID: "b", ChannelID: "c", Timestamp: -5}))
	require.Equal(t, 2, p.PushMany([]Event{{UserID: "c", ChannelID: "c"}, {UserID: "d", ChannelID: "c", Timestamp: 42}}))
	var got []Event
	for len(got) < 4 {
		require.NoError(t, p.Flush(time.Second, false))
		b, err := p.Next(time.Second)
		require.NoError(t, err)
		require.NotNil(t, b)
		got = append(got, b.Events...)
		p.Done(b)
	}
	assert.Equal(t, []int64{testEpoch, testEpoch + 60, testEpoch + 60, 42},
		[]int64{got[0].Timestamp, got[1].Timestamp, got[2].Timestamp, got[3].Timestamp})
	assert.Equal(t, uint64(3), p.UniqueUsers(time.Hour), "resolved timestamps count as now")
}

// TestOfferRunsResolveTimesInACopyAndStopAtABadEvent: a long offer goes into
// the ring in runs; a run holding timestamps to resolve is copied, so the
// caller's slice is left as it was, and an invalid event ends the offer
// after the events before it, whatever run it falls in.
func TestOfferRunsResolveTimesInACopyAndStopAtABadEvent(t *testing.T) {
	p := newTestProcessor(t, Config{BufferSize: 1024, BatchSize: 1000, FlushInterval: time.Hour})
	events := seqEvents(0, 3*offerRun+5)
	for i := 0; i < len(events); i += 7 {
		events[i].Timestamp = 0
	}
	before := slices.Clone(events)
	events[2*offerRun+3].UserID = "\xff"
	n, err := p.Offer(events)
	require.ErrorIs(t, err, ErrInvalidEvent)
	assert.Equal(t, 2*offerRun+3, n)
	before[2*offerRun+3].UserID = "\xff"
	assert.Equal(t, before, events, "the caller's events are unchanged")

	n, err = p.OfferValid(events[:offerRun+1])
	require.NoError(t, err)
	assert.Equal(t, offerRun+1, n)
	require.NoError(t, p.Flush(time.Second, false))
	assert.Equal(t, uint64(3*offerRun+4), p.Stats().Processed)
}

func TestIDsPreservedByteExact(t *testing.T) {
	big := strings.Repeat("ß€\x00𝄞", 100_000/10)
	ids := []string{"with\x00nul", "emoji 🎉👍🏽", big, "", "quote\"back\\slash\n"}
	p := newTestProcessor(t, Config{BatchSize: len(ids), FlushInterval: time.Hour})
	p.SetConsumer(true)
	for _, id := range ids {
		require.True(t, p.Push(Event{Type: id, UserID: id, ChannelID: id, Timestamp: testEpoch}))
	}
	b, err := p.Next(5 * time.Second)
	require.NoError(t, err)
	require.NotNil(t, b)
	require.Len(t, b.Events, len(ids))
	for i, e := range b.Events {
		assert.Equal(t, ids[i], e.Type)
		assert.Equal(t, ids[i], e.UserID)
		assert.Equal(t, ids[i], e.ChannelID)
	}
	p.Done(b)
	top := p.TopChannels(len(ids))
	require.Len(t, top, len(ids))
	found := map[string]bool{}
	for _, c := range top {
		found[c.ChannelID] = true
	}
	for _, id := range ids {
		assert.True(t, found[id], "channel %.20q", id)
	}

	for _, bad := range []Event{{Type: "\xc3"}, {UserID: "a\xffb"}, {ChannelID: "\xed\xa0\x80"}} {
		ok, err := p.TryPush(bad)
		assert.False(t, ok)
		require.ErrorIs(t, err, ErrInvalidEvent)
	}
	assert.Equal(t, uint64(3), p.Stats().Invalid)
	assert.Zero(t, p.Stats().Dropped)
}

func TestStatsConsistentWhileFlowing(t *testing.T) {
	p := newTestProcessor(t, Config{BufferSize: 64, BatchSize: 8})
	startConsumers(t, p, 2)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; ; j++ {
				select {
				case <-stop:
					return
				default:
				}
				if !p.Push(Event{UserID: strconv.Itoa(i), ChannelID: "c", Timestamp: int64(j + 1)}) {
					runtime.Gosched()
				}
			}
		}()
	}
	for range 50 {
		s := p.Stats()
		require.Equal(t, s.Pushed, s.Accepted+s.Dropped+s.Rejected+s.Invalid)
		require.GreaterOrEqual(t, s.Accepted, s.Processed)
		require.GreaterOrEqual(t, s.Processed, s.HandedOut)
		require.GreaterOrEqual(t, s.HandedOut, s.Delivered)
		require.LessOrEqual(t, s.Pending, uint64(p.cfg.MaxPending))
		time.Sleep(100 * time.Microsecond)
	}
	close(stop)
	wg.Wait()
	require.NoError(t, p.Flush(5*time.Second, true))
	s := p.Stats()
	assert.Equal(t, s.Accepted, s.Delivered)
	assert.Zero(t, s.Pending)
	assert.Zero(t, s.Queued)
}

// An idle processor parks its analyser: it burns (almost) no CPU.
func TestIdleDoesNotSpin(t *testing.T) {
	p := newTestProcessor(t, Config{BatchSize: 10, FlushInterval: time.Millisecond})
	p.SetConsumer(true)
	pushAll(t, p, seqEvents(0, 5))
	require.NoError(t, p.Flush(time.Second, false))
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
	before := cpuTime(t)
	time.Sleep(200 * time.Millisecond)
	used := cpuTime(t) - before
	assert.Less(t, used, 40*time.Millisecond, "the idle analyser spins")
}

// The barrier without a consumer: once Flush returns, every event pushed
// before it has been analysed (per-producer channel counts are exact here:
// few channels, no sketch collisions).
func TestFlushBarrierAnalysedWithoutConsumer(t *testing.T) {
	const producers = 4
	p := newTestProcessor(t, Config{BufferSize: 128, BatchSize: 1000, MaxPending: MaxPendingLimit})
	acked := make([]atomic.Uint64, producers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := Event{UserID: "u", ChannelID: "chan-" + strconv.Itoa(i), Timestamp: testEpoch}
			for n := uint64(1); ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				for !p.Push(e) {
					runtime.Gosched()
				}
				acked[i].Store(n)
			}
		}()
	}
	for range 30 {
		time.Sleep(time.Millisecond)
		before := make([]uint64, producers)
		for i := range before {
			before[i] = acked[i].Load()
		}
		require.NoError(t, p.Flush(10*time.Second, true))
		counts := map[string]uint64{}
		for _, c := range p.TopChannels(producers) {
			counts[c.ChannelID] = c.Count
		}
		for i, n := range before {
			require.GreaterOrEqual(t, counts["chan-"+strconv.Itoa(i)], n, "producer %d: pushed before Flush, not analysed", i)
		}
	}
	close(stop)
	wg.Wait()
	// The barrier is exact only while the pipeline has not backed up.
	require.Less(t, p.Stats().Processed, uint64(MaxPendingLimit), "the pipeline backed up at MaxPending")
}
