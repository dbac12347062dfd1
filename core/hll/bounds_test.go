package hll

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRelativeStandardError(t *testing.T) {
	assert.InDelta(t, 0.008125, RelativeStandardError(14), 1e-6)
	assert.InDelta(t, 0.26, RelativeStandardError(4), 1e-9)
}

func TestBounds(t *testing.T) {
	lo, hi := Bounds(0, 14, 1.96)
	assert.Zero(t, lo)
	assert.Zero(t, hi)
	lo, hi = Bounds(100_000, 14, 1.96)
	assert.Less(t, lo, uint64(100_000))
	assert.Greater(t, hi, uint64(100_000))
	assert.InDelta(t, 100_000/(1+1.96*0.008125), float64(lo), 1)
	assert.InDelta(t, 100_000/(1-1.96*0.008125), float64(hi), 1)
	_, hi = Bounds(10, 4, 4) // z·error ≥ 1: no finite upper bound
	assert.Equal(t, uint64(math.MaxUint64), hi)
}

// TestBoundsCoverage: over many independent sketches the 95 % interval
// holds the true count about 95 % of the time.
func TestBoundsCoverage(t *testing.T) {
	const trials, n = 400, 20_000
	covered := 0
	for trial := range uint64(trials) {
		s, _ := New(10)
		for i := range uint64(n) {
			s.AddHash(splitmix64(trial<<32 | i))
		}
		lo, hi := Bounds(s.Estimate(), 10, 1.96)
		if lo <= n && n <= hi {
			covered++
		}
	}
	assert.InDelta(t, 0.95, float64(covered)/trials, 0.04, "coverage %d/%d", covered, trials)
}
