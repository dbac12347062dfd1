package stream

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConfigBounds is the reproduction: BufferSize 2^29 or 2^30 was
// accepted and ended the process in Go's fatal out-of-memory. Every bound
// fails fast (no allocation) with an error naming the field and the limit.
func TestConfigBounds(t *testing.T) {
	tests := []struct {
		cfg   Config
		field string
		limit string
	}{
		{Config{BufferSize: 1 << 30}, "BufferSize", fmt.Sprint(MaxBufferSize)},
		{Config{BufferSize: 1 << 29}, "BufferSize", fmt.Sprint(MaxBufferSize)},
		{Config{BufferSize: MaxBufferSize + 1}, "BufferSize", fmt.Sprint(MaxBufferSize)},
		{Config{BufferSize: math.MaxInt}, "BufferSize", fmt.Sprint(MaxBufferSize)},
		{Config{MaxPending: MaxPendingLimit + 1}, "MaxPending", fmt.Sprint(MaxPendingLimit)},
		{Config{MaxPending: math.MaxInt}, "MaxPending", fmt.Sprint(MaxPendingLimit)},
		{Config{HLLPrecision: 3}, "HLLPrecision", "4..18"},
		{Config{HLLPrecision: 19}, "HLLPrecision", "4..18"},
		{Config{HLLPrecision: 255}, "HLLPrecision", "4..18"},
		{Config{TopKCapacity: MaxTopKCapacity + 1}, "TopKCapacity", fmt.Sprint(MaxTopKCapacity)},
		{Config{TopKCapacity: -1}, "TopKCapacity", fmt.Sprint(MaxTopKCapacity)},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%+v", tc.cfg), func(t *testing.T) {
			start := time.Now()
			_, err := New(tc.cfg)
			require.ErrorIs(t, err, ErrInvalidConfig)
			assert.Contains(t, err.Error(), tc.field)
			assert.Contains(t, err.Error(), tc.limit)
			assert.Less(t, time.Since(start), time.Second, "validated after allocating")
		})
	}
}

func TestConfigLimitsAccepted(t *testing.T) {
	for _, cfg := range []Config{
		{BufferSize: MaxBufferSize, MaxPending: MaxPendingLimit},
		{HLLPrecision: MinHLLPrecision},
		{HLLPrecision: MaxHLLPrecision},
		{TopKCapacity: MaxTopKCapacity},
	} {
		p := newTestProcessor(t, cfg)
		assert.LessOrEqual(t, p.cfg.MaxPending, MaxPendingLimit)
	}
}

// A defaulted MaxPending never exceeds the limit, however large BatchSize.
func TestDefaultMaxPendingIsClamped(t *testing.T) {
	for _, bs := range []int{MaxPendingLimit / 4, MaxPendingLimit/4 + 1, MaxPendingLimit, math.MaxInt} {
		c, err := Config{BatchSize: bs}.withDefaults()
		require.NoError(t, err)
		want := MaxPendingLimit
		if bs <= MaxPendingLimit/4 {
			want = max(1024, 4*bs)
		}
		assert.Equal(t, want, c.MaxPending, "BatchSize %d", bs)
	}
	c, err := Config{BufferSize: MaxBufferSize}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, MaxPendingLimit, c.MaxPending)
}

func TestValidWindow(t *testing.T) {
	for _, d := range []time.Duration{0, time.Second, time.Minute, 59*time.Minute + 59*time.Second, time.Hour} {
		assert.NoError(t, ValidWindow(d), "%v", d)
	}
	for _, d := range []time.Duration{-1, -time.Hour, time.Hour + 1, time.Hour + time.Second, 2 * time.Hour, math.MaxInt64} {
		assert.ErrorIs(t, ValidWindow(d), ErrInvalidWindow, "%v", d)
	}
	assert.Equal(t, time.Hour, MaxWindow)
}
