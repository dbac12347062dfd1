package stream

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFreeBuffersCoverWhatCanBeOut: the recycled batch buffers kept cover
// every batch that can be out at once, within maxFreeBytes, and never
// fewer than minFreeBuffers.
func TestFreeBuffersCoverWhatCanBeOut(t *testing.T) {
	size := int(unsafe.Sizeof(Event{}))
	for _, tt := range []struct {
		cfg  Config
		want int
	}{
		{Config{}, 1024 + 2}, // batches of one event, 1,024 pending
		{Config{BufferSize: 64, BatchSize: 100}, minFreeBuffers},
		{Config{BufferSize: 1 << 16, BatchSize: 512}, 1<<16/512 + 2},
		{Config{BufferSize: 1 << 20, BatchSize: 1000}, maxFreeBytes / (1000 * size)},
		{Config{BufferSize: 1 << 20, BatchSize: 100_000}, maxFreeBytes / (initialBatchCap * size)},
		{Config{BufferSize: 64, BatchSize: 1, MaxPending: 1 << 20}, maxFreeBytes / size},
	} {
		cfg, err := tt.cfg.withDefaults()
		require.NoError(t, err)
		assert.Equal(t, tt.want, freeBuffers(cfg), "%+v", tt.cfg)
		each := min(cfg.BatchSize, initialBatchCap) * size
		assert.LessOrEqual(t, freeBuffers(cfg)*each, max(maxFreeBytes, minFreeBuffers*each))
	}
}
