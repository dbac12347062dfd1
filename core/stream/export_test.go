package stream

import (
	"encoding/binary"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// streamOf: n events of users prefix0.. and Zipf channels over the last hour.
func streamOf(seed uint64, n int, userPrefix string) []Event {
	events, _ := zipfChannelEvents(seed, n, 2000, testEpoch, 3600)
	for i := range events {
		events[i].UserID = userPrefix + strconv.Itoa(i%7000)
	}
	return events
}

func exported(t testing.TB, p *Processor) []byte {
	t.Helper()
	b, err := p.MarshalAnalytics()
	require.NoError(t, err)
	return b
}

func TestMergeAnalyticsCombinesProcesses(t *testing.T) {
	clock := newFakeClock(testEpoch)
	cfg := Config{BufferSize: 4096, BatchSize: 500, Now: clock.Now}
	a, b, both, merged := newDrainedProcessor(t, cfg), newDrainedProcessor(t, cfg), newDrainedProcessor(t, cfg), newDrainedProcessor(t, cfg)
	ea, eb := streamOf(1, 40_000, "a-"), streamOf(2, 30_000, "b-")
	for i := range eb[:10_000] {
		eb[i].UserID = ea[i].UserID // users seen by both processes
	}
	analyse(t, a, ea)
	analyse(t, b, eb)
	analyse(t, both, append(append([]Event(nil), ea...), eb...))

	require.NoError(t, merged.MergeAnalytics(exported(t, a)))
	require.NoError(t, merged.MergeAnalytics(exported(t, b)))
	for _, w := range []time.Duration{time.Minute, 10 * time.Minute, time.Hour} {
		// HyperLogLog union is exact: the same registers as one sketch fed both.
		assert.Equal(t, both.UniqueUsers(w), merged.UniqueUsers(w), "window %v", w)
	}
	truth, hour := map[string]uint64{}, map[string]uint64{}
	for _, e := range append(append([]Event(nil), ea...), eb...) {
		truth[e.ChannelID]++
		if e.Timestamp/60 > testEpoch/60-60 {
			hour[e.ChannelID]++
		}
	}
	for _, c := range merged.TopChannels(10) {
		assert.GreaterOrEqual(t, c.Count, truth[c.ChannelID], c.ChannelID)
		assert.LessOrEqual(t, c.Count-c.MaxOvercount, truth[c.ChannelID], c.ChannelID)
	}
	assert.Equal(t, ids(both.TopChannels(5)), ids(merged.TopChannels(5)))
	trendBoth, err := both.TrendingChannels(10, time.Hour)
	require.NoError(t, err)
	trendMerged, err := merged.TrendingChannels(10, time.Hour)
	require.NoError(t, err)
	assert.Equal(t, ids(trendBoth[:5]), ids(trendMerged[:5]))
	for _, c := range trendMerged {
		assert.GreaterOrEqual(t, c.Count, hour[c.ChannelID], c.ChannelID)
		assert.LessOrEqual(t, c.Count-c.MaxOvercount, hour[c.ChannelID], c.ChannelID)
	}
}

func TestMergeAnalyticsIntoEmptyCopies(t *testing.T) {
	clock := newFakeClock(testEpoch)
	cfg := Config{BufferSize: 4096, BatchSize: 500, Now: clock.Now}
	src, dst := newDrainedProcessor(t, cfg), newDrainedProcessor(t, cfg)
	analyse(t, src, streamOf(3, 20_000, "u-"))
	require.NoError(t, dst.MergeAnalytics(exported(t, src)))
	assert.Equal(t, src.UniqueUsers(time.Hour), dst.UniqueUsers(time.Hour))
	assert.Equal(t, src.TopChannels(10), dst.TopChannels(10))
	want, err := src.TrendingChannels(10, time.Hour)
	require.NoError(t, err)
	got, err := dst.TrendingChannels(10, time.Hour)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// A bucket older than the receiver's window is skipped.
func TestMergeAnalyticsUsesReceiversClock(t *testing.T) {
	old := newDrainedProcessor(t, Config{Now: newFakeClock(testEpoch - 2*3600).Now})
	analyse(t, old, []Event{{UserID: "u", ChannelID: "c", Timestamp: testEpoch - 2*3600}})
	p := newDrainedProcessor(t, Config{Now: newFakeClock(testEpoch).Now})
	require.NoError(t, p.MergeAnalytics(exported(t, old)))
	assert.Zero(t, p.UniqueUsers(time.Hour))
	got, err := p.TrendingChannels(5, time.Hour)
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Equal(t, []ChannelCount{{"c", 1, 0}}, p.TopChannels(5), "all-time counts merge")
}

func TestMergeAnalyticsRefusesBadState(t *testing.T) {
	clock := newFakeClock(testEpoch)
	src := newDrainedProcessor(t, Config{Now: clock.Now})
	analyse(t, src, streamOf(4, 2000, "u-"))
	valid := exported(t, src)
	with := func(f func([]byte)) []byte {
		b := append([]byte(nil), valid...)
		f(b)
		return b
	}
	other := func(cfg Config) []byte {
		cfg.Now = clock.Now
		p := newDrainedProcessor(t, cfg)
		analyse(t, p, streamOf(5, 100, "u-"))
		return exported(t, p)
	}
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrCorruptAnalytics},
		{"garbage", []byte("definitely not a sketch"), ErrCorruptAnalytics},
		{"other version", with(func(b []byte) { b[3] = 2 }), ErrCorruptAnalytics},
		{"truncated", valid[:len(valid)-1], ErrCorruptAnalytics},
		{"truncated header", valid[:4], ErrCorruptAnalytics},
		{"cut in the middle", valid[:len(valid)/2], ErrCorruptAnalytics},
		{"trailing byte", append(append([]byte(nil), valid...), 0), ErrCorruptAnalytics},
		{"header precision disagrees with buckets", with(func(b []byte) { b[4] = 12 }), ErrCorruptAnalytics},
		{"length beyond the end", with(func(b []byte) { binary.LittleEndian.PutUint32(b[5:], 1<<31) }), ErrCorruptAnalytics},
		{"other precision", other(Config{HLLPrecision: 12}), ErrAnalyticsMismatch},
		{"other Count-Min size", other(Config{CMSEpsilon: 1e-3}), ErrAnalyticsMismatch},
		{"other top-k capacity", other(Config{TopKCapacity: 100}), ErrAnalyticsMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newDrainedProcessor(t, Config{Now: clock.Now})
			analyse(t, p, streamOf(6, 500, "keep-"))
			before := exported(t, p)
			require.ErrorIs(t, p.MergeAnalytics(tt.data), tt.want)
			assert.Equal(t, before, exported(t, p), "changed on error")
		})
	}
}

// FuzzDecodeAnalytics: the decoder of MergeAnalytics never panics, refuses
// with ErrCorruptAnalytics, and what it accepts encodes back to a state it
// accepts the same way. Seeds: testdata/fuzz/FuzzDecodeAnalytics and below.
func FuzzDecodeAnalytics(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("EHA\x01\x0e"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := decodeAnalytics(data)
		if err != nil {
			require.ErrorIs(t, err, ErrCorruptAnalytics)
			return
		}
		out := st.marshal()
		again, err := decodeAnalytics(out)
		require.NoError(t, err, "re-encoded state refused")
		require.Equal(t, out, again.marshal())
		require.Equal(t, len(st.unique), len(again.unique))
		require.Equal(t, len(st.trend), len(again.trend))
	})
}
