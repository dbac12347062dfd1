package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/engagehub/engagehub-native/core/stream"
)

// listOf is a push_many string list of the user ids then the channel ids
// (the wire format), for events of channel channels[i] each.
func listOf(users, channels []string) []byte {
	var w listWriter
	for _, u := range users {
		w.add(u)
	}
	for _, c := range channels {
		w.add(c)
	}
	return append([]byte(nil), w.strings...)
}

// TestListCopiesAreReusedAndNamesSurvive: push_many's copies go back to
// the pool once the engine has analysed their events, and what the engine
// keeps of them (channel names in the staged sums, the top-k and the trend
// buckets) survives the reuse: every name and count comes out exact after
// the same memory has held many other lists.
func TestListCopiesAreReusedAndNamesSurvive(t *testing.T) {
	sp, err := stream.New(stream.Config{BufferSize: 1 << 12, BatchSize: 256, FlushInterval: time.Millisecond,
		ForgetFields: true})
	require.NoError(t, err)
	p := &processor{Processor: sp}
	t.Cleanup(func() { _ = sp.Close(5 * time.Second) })
	sp.SetConsumer(true)
	go func() {
		for {
			b, err := sp.Next(10 * time.Millisecond)
			if err != nil {
				return
			}
			sp.Done(b)
		}
	}()
	const rounds, perRound = 60, 512
	want := map[string]uint64{}
	stamps := make([]int64, perRound)
	for r := range rounds {
		users, channels := make([]string, perRound), make([]string, perRound)
		for i := range perRound {
			users[i] = fmt.Sprintf("user-%d-%d", r, i)
			// Names of the same length every round, so a reused copy
			// holds another round's names at the very same offsets.
			channels[i] = fmt.Sprintf("channel-%02d-%03d", r%40, i%16)
			want[channels[i]]++
		}
		got, err := p.offerCopy(listOf(users, channels), stamps, perRound)
		require.NoError(t, err)
		require.Equal(t, perRound, got)
		require.NoError(t, sp.Flush(5*time.Second, true))
		p.copies.mu.Lock()
		kept := len(p.copies.held) + len(p.copies.free)
		p.copies.mu.Unlock()
		require.LessOrEqual(t, kept, 2, "round %d: copies are reused, not piled up", r)
	}
	top := sp.TopChannels(len(want) + 10)
	require.Len(t, top, len(want))
	for _, c := range top {
		assert.Equal(t, want[c.ChannelID], c.Count, "channel %q", c.ChannelID)
		assert.Zero(t, c.MaxOvercount)
	}
	trending, err := sp.TrendingChannels(len(want)+10, time.Hour)
	require.NoError(t, err)
	for _, c := range trending {
		_, known := want[c.ChannelID]
		assert.True(t, known, "trending channel %q was never pushed", c.ChannelID)
	}
}

// TestListCopiesOnlyWhereStringsAreDropped: a processor that keeps its
// events' strings (for a native sink) and small lists get fresh copies,
// never pooled ones.
func TestListCopiesOnlyWhereStringsAreDropped(t *testing.T) {
	sp, err := stream.New(stream.Config{BufferSize: 1 << 12, BatchSize: 256, ForgetFields: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sp.Close(5 * time.Second) })
	var c listCopies
	big := make([]byte, minPooled)
	_, pooled := c.get(sp, big)
	assert.True(t, pooled)
	_, pooled = c.get(sp, big[:minPooled-1])
	assert.False(t, pooled, "a small list")
	sp.KeepFields()
	_, pooled = c.get(sp, big)
	assert.False(t, pooled, "the processor keeps strings")
}
