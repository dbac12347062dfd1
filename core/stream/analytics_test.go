package stream

import (
	"math"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newDrainedProcessor is a processor with one consumer that discards the
// batches, so analytics tests can push any number of events.
func newDrainedProcessor(t testing.TB, cfg Config) *Processor {
	t.Helper()
	p := newTestProcessor(t, cfg)
	startConsumersKeeping(t, p, 1, false)
	return p
}

// analyse pushes events and waits until they are analysed. It waits for
// delivery too: without it, Flush may return as soon as a slow consumer
// backs the pipeline up.
func analyse(t testing.TB, p *Processor, events []Event) {
	t.Helper()
	pushAll(t, p, events)
	require.NoError(t, p.Flush(10*time.Second, true))
}

func userEvents(n int, prefix string, ts int64) []Event {
	out := make([]Event, n)
	for i := range out {
		out[i] = Event{Type: "m", UserID: prefix + strconv.Itoa(i), ChannelID: "c", Timestamp: ts}
	}
	return out
}

func TestUniqueUsersAccuracy(t *testing.T) {
	clock := newFakeClock(testEpoch)
	p := newDrainedProcessor(t, Config{BufferSize: 4096, BatchSize: 512, Now: clock.Now})
	const distinct = 10_000
	events := userEvents(distinct, "user-", 0)
	// Each user three times, spread over the last 30 minutes.
	for round := range 3 {
		for i := range events {
			events[i].Timestamp = testEpoch - int64((i*7+round*13)%1800)
		}
		analyse(t, p, events)
	}
	got := p.UniqueUsers(time.Hour)
	assert.InEpsilon(t, distinct, got, 0.03, "estimate %d", got)
	assert.Equal(t, got, p.UniqueUsers(time.Hour), "cached")
}

func TestUniqueUsersWindow(t *testing.T) {
	clock := newFakeClock(testEpoch)
	p := newDrainedProcessor(t, Config{BufferSize: 4096, BatchSize: 100, Now: clock.Now})

	analyse(t, p, userEvents(500, "old-", testEpoch-2*3600))  // two hours old
	analyse(t, p, userEvents(300, "future-", testEpoch+3600)) // an hour ahead
	assert.Zero(t, p.UniqueUsers(time.Hour), "outside the window")

	analyse(t, p, userEvents(100, "recent-", testEpoch-10))    // last minute
	analyse(t, p, userEvents(50, "skew-", testEpoch+30))       // 30 s ahead: counts as now
	analyse(t, p, userEvents(200, "earlier-", testEpoch-1800)) // 30 min ago
	assert.InDelta(t, 150, p.UniqueUsers(time.Minute), 3)
	assert.InDelta(t, 150, p.UniqueUsers(10*time.Minute), 3)
	assert.InDelta(t, 350, p.UniqueUsers(time.Hour), 5)
	assert.InDelta(t, 350, p.UniqueUsers(5*time.Hour), 5, "clamped to one hour")
	assert.Zero(t, p.UniqueUsers(0))

	// The clock moves on: the recent users age out after an hour.
	clock.Advance(40 * time.Minute)
	assert.InDelta(t, 150, p.UniqueUsers(time.Hour), 3, "the 30-minute-old users left the window")
	clock.Advance(25 * time.Minute)
	assert.Zero(t, p.UniqueUsers(time.Hour))

	// New events after the clock moved reuse the buckets.
	analyse(t, p, userEvents(70, "new-", 0))
	assert.InDelta(t, 70, p.UniqueUsers(time.Hour), 2)
	analyse(t, p, userEvents(30, "new2-", 0))
	assert.InDelta(t, 100, p.UniqueUsers(time.Hour), 2, "the cache sees new events")
}

// A skewed stream: channel i gets about total/(i+1) events (Zipf).
func TestTopChannelsSkewed(t *testing.T) {
	p := newDrainedProcessor(t, Config{BufferSize: 4096, BatchSize: 1000, TopKCapacity: 64})
	truth := map[string]uint64{}
	var events []Event
	for i := range 2000 { // far more channels than the top-k tracks
		ch := "chan-" + strconv.Itoa(i)
		n := 20000 / (i + 1)
		truth[ch] += uint64(n)
		for range n {
			events = append(events, Event{UserID: "u", ChannelID: ch, Timestamp: testEpoch})
		}
	}
	// Interleave deterministically.
	for i := range events {
		j := (i * 7919) % len(events)
		events[i], events[j] = events[j], events[i]
	}
	analyse(t, p, events)

	top := p.TopChannels(10)
	require.Len(t, top, 10)
	for i, c := range top {
		assert.Equal(t, "chan-"+strconv.Itoa(i), c.ChannelID)
		assert.GreaterOrEqual(t, c.Count, truth[c.ChannelID], "never under-estimates")
		assert.InEpsilon(t, truth[c.ChannelID], c.Count, 0.05)
	}
	assert.True(t, slices.IsSortedFunc(top, func(a, b ChannelCount) int {
		if a.Count != b.Count {
			if a.Count > b.Count {
				return -1
			}
			return 1
		}
		return 0
	}))
	assert.Nil(t, p.TopChannels(0))
	assert.Len(t, p.TopChannels(1000), 64, "at most the tracked channels")
}

func TestTopChannelsTiesById(t *testing.T) {
	p := newTestProcessor(t, Config{BatchSize: 10})
	analyse(t, p, []Event{{ChannelID: "b"}, {ChannelID: "a"}, {ChannelID: "c"}, {ChannelID: "c"}})
	assert.Equal(t, []ChannelCount{{"c", 2, 0}, {"a", 1, 0}, {"b", 1, 0}}, p.TopChannels(3))
}

// TopChannels is the k first of every tracked channel ranked by its
// tightened count (Space-Saving count or Count-Min estimate, the smaller),
// ties by id: checked against that ranking made the slow way, on a quiet
// stream of equal counts (every tracked channel must be looked at) and on
// a skewed one.
func TestTopChannelsAgainstAllTracked(t *testing.T) {
	for _, skew := range []bool{false, true} {
		p := newDrainedProcessor(t, Config{BufferSize: 4096, BatchSize: 500, TopKCapacity: 128})
		var events []Event
		for i := range 3000 {
			n := 1
			if skew {
				n = 1 + 600/(i+1)
			}
			for range n {
				events = append(events, Event{UserID: "u", ChannelID: "ch" + strconv.Itoa((i*7919)%3000)})
			}
		}
		analyse(t, p, events)
		var want []ChannelCount
		p.analyticsMu.Lock()
		p.analytics.flushChannels()
		for _, it := range p.analytics.top.Items() {
			count := min(it.Count, p.analytics.cms.EstimateString(it.Key))
			want = append(want, ChannelCount{it.Key, count, count - (it.Count - it.Error)})
		}
		p.analyticsMu.Unlock()
		slices.SortFunc(want, compareChannelCounts)
		for _, k := range []int{1, 10, 127, 128, 500, math.MaxInt} {
			assert.Equal(t, want[:min(k, len(want))], p.TopChannels(k), "skew %v, k %d", skew, k)
		}
	}
}

// 1M distinct users and 1M distinct channels: the analytics stay bounded.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("pushes a million events")
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	// Measured from before New: the whole processor, with its preallocated
	// sketches, counts.
	p := newDrainedProcessor(t, Config{BufferSize: 8192, BatchSize: 1000, Now: newFakeClock(testEpoch).Now})

	n, chunk := 1_000_000, 1000
	if raceEnabled {
		n = 200_000 // the 1M run is the plain (non-race) one
	}
	events := make([]Event, chunk)
	for i := 0; i < n; i += chunk {
		for j := range events {
			id := strconv.Itoa(i + j)
			events[j] = Event{Type: "message", UserID: "user-" + id, ChannelID: "channel-" + id, Timestamp: testEpoch - int64(j)}
		}
		for k := 0; k < chunk; {
			k += p.PushMany(events[k:])
			if k < chunk {
				runtime.Gosched()
			}
		}
	}
	require.NoError(t, p.Flush(30*time.Second, true))
	clear(events)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	growth := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap growth after %d distinct users and channels: %.1f MB (whole processor: sketches, ring, buffers)", n, float64(growth)/(1<<20))
	assert.Less(t, growth, int64(40<<20))
	assert.InEpsilon(t, n, p.UniqueUsers(time.Hour), 0.03)
	require.NotEmpty(t, p.TopChannels(10))
	trending, err := p.TrendingChannels(10, time.Hour)
	require.NoError(t, err)
	require.Len(t, trending, 10)
	assert.Equal(t, uint64(n), p.Stats().Delivered)
}

// Many tiny batches kept while no consumer is attached cost their events,
// not a full batch buffer each.
func TestTinyBatchesStayTiny(t *testing.T) {
	// Measured from after New: the processor's fixed-size sketches are not
	// what this is about.
	p := newTestProcessor(t, Config{BatchSize: 1000, FlushInterval: time.Hour})
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range 2000 {
		require.True(t, p.Push(Event{UserID: "u", ChannelID: "c", Timestamp: int64(i + 1)}))
		require.NoError(t, p.Flush(5*time.Second, false)) // cuts a batch of one
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	require.Equal(t, uint64(2000), p.Stats().Batches)
	growth := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("2000 one-event batches kept: %.1f MB", float64(growth)/(1<<20))
	assert.Less(t, growth, int64(8<<20), "a 56 kB buffer per batch would be 112 MB")
}
