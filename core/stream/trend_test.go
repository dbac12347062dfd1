package stream

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// zipfChannelEvents: n events over channels drawn with a Zipf skew from
// `channels` distinct ids, timestamps spread over the `spread` seconds
// before now, and the true count of each channel per minute.
func zipfChannelEvents(seed uint64, n, channels int, now, spread int64) ([]Event, map[int64]map[string]uint64) {
	r := rand.New(rand.NewPCG(seed, seed+1))
	zipf := rand.NewZipf(r, 1.1, 1, uint64(channels-1))
	truth := map[int64]map[string]uint64{}
	events := make([]Event, n)
	for i := range events {
		ch := "ch-" + strconv.FormatUint(zipf.Uint64(), 10)
		ts := now - r.Int64N(spread)
		events[i] = Event{UserID: "u" + strconv.Itoa(i%5000), ChannelID: ch, Timestamp: ts}
		if truth[ts/60] == nil {
			truth[ts/60] = map[string]uint64{}
		}
		truth[ts/60][ch]++
	}
	return events, truth
}

// windowTruth sums the per-minute truth over the last width minutes.
func windowTruth(truth map[int64]map[string]uint64, nowMin, width int64) map[string]uint64 {
	out := map[string]uint64{}
	for m := nowMin - width + 1; m <= nowMin; m++ {
		for ch, n := range truth[m] {
			out[ch] += n
		}
	}
	return out
}

func topTruth(counts map[string]uint64, k int) []string {
	var keys []string
	for ch := range counts {
		keys = append(keys, ch)
	}
	slicesSortByCount(keys, counts)
	return keys[:min(k, len(keys))]
}

func slicesSortByCount(keys []string, counts map[string]uint64) {
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
}

func TestTrendingChannelsBoundsAndOrder(t *testing.T) {
	clock := newFakeClock(testEpoch)
	p := newDrainedProcessor(t, Config{BufferSize: 8192, BatchSize: 1000, Now: clock.Now})
	events, truth := zipfChannelEvents(1, 300_000, 5000, testEpoch, 7200)
	analyse(t, p, events)
	for _, width := range []int64{1, 2, 5, 30, 60} {
		want := windowTruth(truth, testEpoch/60, width)
		got, err := p.TrendingChannels(10, time.Duration(width)*time.Minute)
		require.NoError(t, err)
		require.Len(t, got, 10, "width %d", width)
		for _, c := range got {
			n := want[c.ChannelID]
			assert.GreaterOrEqual(t, c.Count, n, "width %d %s: never under", width, c.ChannelID)
			assert.LessOrEqual(t, c.Count-c.MaxOvercount, n, "width %d %s: lower bound", width, c.ChannelID)
		}
		assert.IsNonIncreasing(t, counts(got))
		// Skewed traffic: the heaviest channels are found, in order.
		assert.Equal(t, topTruth(want, 3), ids(got[:3]), "width %d", width)
	}
	// The hour's first channel is far ahead of the rest and exact-ish.
	got, err := p.TrendingChannels(1, time.Hour)
	require.NoError(t, err)
	want := windowTruth(truth, testEpoch/60, 60)
	assert.InEpsilon(t, want[got[0].ChannelID], got[0].Count, 0.01)
}

func TestTrendingChannelsSlides(t *testing.T) {
	clock := newFakeClock(testEpoch - testEpoch%60) // on a minute boundary
	now := clock.Now().Unix()
	p := newDrainedProcessor(t, Config{BufferSize: 1024, BatchSize: 100, Now: clock.Now})
	analyse(t, p, []Event{{ChannelID: "old", Timestamp: now - 59*60}, {ChannelID: "old", Timestamp: now - 59*60}})
	analyse(t, p, []Event{{ChannelID: "new", Timestamp: now}})
	got, err := p.TrendingChannels(5, time.Hour)
	require.NoError(t, err)
	assert.Equal(t, []ChannelCount{{"old", 2, 0}, {"new", 1, 0}}, got)
	got, _ = p.TrendingChannels(5, time.Minute)
	assert.Equal(t, []ChannelCount{{"new", 1, 0}}, got)

	clock.Advance(time.Minute) // "old" leaves the hour
	got, _ = p.TrendingChannels(5, time.Hour)
	assert.Equal(t, []ChannelCount{{"new", 1, 0}}, got)
	got, _ = p.TrendingChannels(5, time.Minute)
	assert.Empty(t, got, "nothing in the current minute")
	// An event in a past minute invalidates the cached past.
	analyse(t, p, []Event{{ChannelID: "late", Timestamp: now - 30*60}, {ChannelID: "late", Timestamp: now - 30*60}})
	got, _ = p.TrendingChannels(5, time.Hour)
	assert.Equal(t, []ChannelCount{{"late", 2, 0}, {"new", 1, 0}}, got)
	// All-time counts are unaffected by the window.
	assert.Equal(t, []ChannelCount{{"late", 2, 0}, {"old", 2, 0}, {"new", 1, 0}}, p.TopChannels(5))
}

// The previous minute's candidates are kept in order between queries; late
// events into that minute reorder them.
func TestTrendingChannelsPreviousMinuteChanges(t *testing.T) {
	clock := newFakeClock(testEpoch - testEpoch%60 + 30)
	now := clock.Now().Unix()
	p := newDrainedProcessor(t, Config{BufferSize: 1024, BatchSize: 100, Now: clock.Now})
	analyse(t, p, []Event{{ChannelID: "a", Timestamp: now - 60}, {ChannelID: "a", Timestamp: now - 60},
		{ChannelID: "b", Timestamp: now - 60}})
	got, err := p.TrendingChannels(2, 2*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, []ChannelCount{{"a", 2, 0}, {"b", 1, 0}}, got)
	analyse(t, p, []Event{{ChannelID: "b", Timestamp: now - 60}, {ChannelID: "b", Timestamp: now - 60}})
	got, _ = p.TrendingChannels(2, 2*time.Minute)
	assert.Equal(t, []ChannelCount{{"b", 3, 0}, {"a", 2, 0}}, got)
	analyse(t, p, []Event{{ChannelID: "c", Timestamp: now}}) // only the current minute changes
	got, _ = p.TrendingChannels(3, 2*time.Minute)
	assert.Equal(t, []ChannelCount{{"b", 3, 0}, {"a", 2, 0}, {"c", 1, 0}}, got)
}

func TestTrendingChannelsBadInput(t *testing.T) {
	p := newTestProcessor(t, Config{})
	for _, k := range []int{0, -1} {
		_, err := p.TrendingChannels(k, time.Hour)
		require.ErrorIs(t, err, ErrInvalidCount, "k %d", k)
	}
	for _, w := range []time.Duration{0, -time.Minute, 90 * time.Second, time.Second, 61 * time.Minute, 2 * time.Hour} {
		_, err := p.TrendingChannels(10, w)
		require.ErrorIs(t, err, ErrInvalidTrendWindow, "window %v", w)
	}
	_, err := p.TrendingChannels(10, MaxWindow)
	require.NoError(t, err)
}

// Many more channels than candidates: bounds still hold for every channel
// returned.
func TestTrendingChannelsManyChannels(t *testing.T) {
	clock := newFakeClock(testEpoch)
	p := newDrainedProcessor(t, Config{BufferSize: 8192, BatchSize: 1000, Now: clock.Now})
	events, truth := zipfChannelEvents(7, 200_000, 200_000, testEpoch, 3600)
	analyse(t, p, events)
	want := windowTruth(truth, testEpoch/60, 60)
	got, err := p.TrendingChannels(20, time.Hour)
	require.NoError(t, err)
	require.Len(t, got, 20)
	for _, c := range got {
		assert.GreaterOrEqual(t, c.Count, want[c.ChannelID], c.ChannelID)
		assert.LessOrEqual(t, c.Count-c.MaxOvercount, want[c.ChannelID], c.ChannelID)
	}
	assert.Equal(t, topTruth(want, 5), ids(got[:5]))
}

func counts(cs []ChannelCount) []uint64 {
	out := make([]uint64, len(cs))
	for i, c := range cs {
		out[i] = c.Count
	}
	return out
}

func ids(cs []ChannelCount) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ChannelID
	}
	return out
}

func TestUniqueUsersBounds(t *testing.T) {
	clock := newFakeClock(testEpoch)
	p := newDrainedProcessor(t, Config{BufferSize: 4096, BatchSize: 512, Now: clock.Now})
	analyse(t, p, userEvents(50_000, "user-", testEpoch))
	v, lo, hi := p.UniqueUsersBounds(time.Hour)
	assert.Equal(t, p.UniqueUsers(time.Hour), v)
	assert.Less(t, lo, v)
	assert.Greater(t, hi, v)
	assert.LessOrEqual(t, lo, uint64(50_000))
	assert.GreaterOrEqual(t, hi, uint64(50_000))
	v, lo, hi = p.UniqueUsersBounds(0)
	assert.Zero(t, v+lo+hi)
}
