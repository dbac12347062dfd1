package cms

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewShape(t *testing.T) {
	tests := []struct {
		epsilon, delta float64
		width, depth   int
	}{
		{0.01, 0.01, 272, 5},
		{0.001, 0.001, 2719, 7},
		{0.5, 0.5, 6, 1},
		{0.1, 0.99, 28, 1},
	}
	for _, tt := range tests {
		s, err := New(tt.epsilon, tt.delta)
		require.NoError(t, err)
		assert.Equal(t, tt.width, s.Width(), "width for ε=%v", tt.epsilon)
		assert.Equal(t, tt.depth, s.Depth(), "depth for δ=%v", tt.delta)
		assert.Zero(t, s.Total())
	}
}

func TestNewInvalidParams(t *testing.T) {
	nan := math.NaN()
	for _, p := range [][2]float64{
		{0, 0.1}, {1, 0.1}, {-0.1, 0.1}, {nan, 0.1}, {math.Inf(1), 0.1},
		{0.1, 0}, {0.1, 1}, {0.1, -1}, {0.1, nan},
		{1e-12, 0.1}, // width beyond MaxWidth
	} {
		s, err := New(p[0], p[1])
		require.ErrorIs(t, err, ErrInvalidParams, "ε=%v δ=%v", p[0], p[1])
		assert.Nil(t, s)
	}
	for _, wd := range [][2]int{{0, 1}, {1, 0}, {-1, 5}, {MaxWidth + 1, 1}, {10, MaxDepth + 1}, {MaxCounters, 2}} {
		s, err := NewWithSize(wd[0], wd[1])
		require.ErrorIs(t, err, ErrInvalidParams, "%d×%d", wd[0], wd[1])
		assert.Nil(t, s)
	}
}

func TestAddReturnsEstimate(t *testing.T) {
	s, err := NewWithSize(1000, 4)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), s.AddString("a", 3))
	assert.Equal(t, uint64(5), s.Add([]byte("a"), 2))
	assert.Equal(t, uint64(5), s.AddString("a", 0), "count 0 reports without changing")
	assert.Equal(t, uint64(5), s.EstimateString("a"))
	assert.Equal(t, uint64(5), s.Estimate([]byte("a")))
	assert.Equal(t, uint64(5), s.EstimateHash(xxhash.Sum64String("a")))
	assert.Equal(t, uint64(1), s.AddHash(xxhash.Sum64String("b"), 1))
	assert.Equal(t, uint64(6), s.Total())
	assert.Zero(t, s.EstimateString("never added"))
}

func TestRowsUseDifferentColumns(t *testing.T) {
	s, err := NewWithSize(1<<16, 8)
	require.NoError(t, err)
	same := 0
	for i := range 1000 {
		h1, h2 := split(xxhash.Sum64String(strconv.Itoa(i)))
		if s.index(h1, h2, 0) == s.index(h1, h2, 1) && s.index(h1, h2, 1) == s.index(h1, h2, 2) {
			same++
		}
	}
	assert.Less(t, same, 5, "row indexes are not independent enough")
}

// zipfStream returns n draws from a Zipf distribution over imax+1 items and
// the true count of each.
func zipfStream(seed uint64, n int, imax uint64) ([]uint64, map[uint64]uint64) {
	z := rand.NewZipf(rand.New(rand.NewPCG(seed, seed^0x5eed)), 1.1, 1, imax)
	stream := make([]uint64, n)
	truth := make(map[uint64]uint64)
	for i := range stream {
		stream[i] = z.Uint64()
		truth[stream[i]]++
	}
	return stream, truth
}

func TestZipfErrorBound(t *testing.T) {
	const epsilon, delta = 0.001, 0.01
	n := 1_000_000
	if testing.Short() {
		n = 200_000
	}
	stream, truth := zipfStream(7, n, 1_000_000)
	s, err := New(epsilon, delta)
	require.NoError(t, err)
	key := func(v uint64) string { return "channel-" + strconv.FormatUint(v, 10) }
	for _, v := range stream {
		s.AddString(key(v), 1)
	}
	require.Equal(t, uint64(n), s.Total())

	bound := uint64(epsilon * float64(s.Total()))
	var queried, within int
	var maxOver uint64
	check := func(v, want uint64) {
		est := s.EstimateString(key(v))
		require.GreaterOrEqual(t, est, want, "under-estimate of item %d", v)
		queried++
		if est-want <= bound {
			within++
		}
		maxOver = max(maxOver, est-want)
	}
	for v, c := range truth {
		check(v, c)
	}
	// Items never seen must obey the same bounds.
	for v := uint64(2_000_000); v < 2_010_000; v++ {
		check(v, 0)
	}
	frac := float64(within) / float64(queried)
	t.Logf("N=%d εN=%d queried=%d within εN=%.4f%% max over-estimate=%d", n, bound, queried, 100*frac, maxOver)
	assert.GreaterOrEqual(t, frac, 1-delta)
}

func TestNeverUnderEstimatesWeightedCounts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	s, err := NewWithSize(64, 3) // tiny: many collisions
	require.NoError(t, err)
	truth := map[string]uint64{}
	for range 20_000 {
		k := strconv.Itoa(r.IntN(2000))
		c := uint64(r.IntN(5)) // includes 0
		truth[k] += c
		got := s.AddString(k, c)
		require.GreaterOrEqual(t, got, truth[k])
	}
	for k, c := range truth {
		require.GreaterOrEqual(t, s.EstimateString(k), c, k)
	}
}

func TestSaturation(t *testing.T) {
	s, err := NewWithSize(16, 2)
	require.NoError(t, err)
	s.AddString("x", math.MaxUint64-1)
	assert.Equal(t, uint64(math.MaxUint64), s.AddString("x", 5))
	assert.Equal(t, uint64(math.MaxUint64), s.EstimateString("x"))
	assert.Equal(t, uint64(math.MaxUint64), s.Total())

	o, err := NewWithSize(16, 2)
	require.NoError(t, err)
	o.AddString("x", 10)
	require.NoError(t, o.Merge(s))
	assert.Equal(t, uint64(math.MaxUint64), o.EstimateString("x"))
	assert.Equal(t, uint64(math.MaxUint64), o.Total())
}

func TestMerge(t *testing.T) {
	sa, truthA := zipfStream(1, 100_000, 50_000)
	sb, truthB := zipfStream(2, 100_000, 50_000)
	a, err := New(0.005, 0.01)
	require.NoError(t, err)
	b, err := New(0.005, 0.01)
	require.NoError(t, err)
	key := func(v uint64) string { return strconv.FormatUint(v, 10) }
	for _, v := range sa {
		a.AddString(key(v), 1)
	}
	for _, v := range sb {
		b.AddString(key(v), 1)
	}
	wantCounters := make([]uint64, len(a.counters))
	for i := range wantCounters {
		wantCounters[i] = a.counters[i] + b.counters[i]
	}
	bBefore := append([]uint64(nil), b.counters...)

	require.NoError(t, a.Merge(b))
	assert.Equal(t, wantCounters, a.counters)
	assert.Equal(t, bBefore, b.counters, "Merge changed its argument")
	assert.Equal(t, uint64(200_000), a.Total())

	union := map[uint64]uint64{}
	for v, c := range truthA {
		union[v] += c
	}
	for v, c := range truthB {
		union[v] += c
	}
	bound := uint64(0.005 * float64(a.Total()))
	within := 0
	for v, c := range union {
		est := a.EstimateString(key(v))
		require.GreaterOrEqual(t, est, c, "merged sketch under-estimates %d", v)
		if est-c <= bound {
			within++
		}
	}
	assert.GreaterOrEqual(t, float64(within)/float64(len(union)), 0.99)
}

func TestMergeShapeMismatch(t *testing.T) {
	a, err := NewWithSize(100, 4)
	require.NoError(t, err)
	a.AddString("x", 1)
	for _, wd := range [][2]int{{101, 4}, {100, 3}} {
		b, err := NewWithSize(wd[0], wd[1])
		require.NoError(t, err)
		b.AddString("x", 1)
		require.ErrorIs(t, a.Merge(b), ErrShapeMismatch)
		assert.Equal(t, uint64(1), a.EstimateString("x"), "receiver changed on error")
		assert.Equal(t, uint64(1), a.Total())
	}
}

func TestReset(t *testing.T) {
	s, err := NewWithSize(100, 3)
	require.NoError(t, err)
	s.AddString("x", 7)
	s.Reset()
	assert.Zero(t, s.Total())
	assert.Zero(t, s.EstimateString("x"))
	assert.Equal(t, 100, s.Width())
}

func TestNoAllocation(t *testing.T) {
	s, err := New(0.001, 0.01)
	require.NoError(t, err)
	v := "channel-1234567890"
	assert.Zero(t, testing.AllocsPerRun(1000, func() { s.AddString(v, 1) }))
	assert.Zero(t, testing.AllocsPerRun(1000, func() { s.EstimateString(v) }))
}

func TestPrefaultChangesNoCount(t *testing.T) {
	fresh, err := New(1e-4, 1e-3)
	require.NoError(t, err)
	empty, err := fresh.MarshalBinary()
	require.NoError(t, err)
	fresh.Prefault()
	after, err := fresh.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, empty, after)

	used, err := NewWithSize(4096, 4)
	require.NoError(t, err)
	for i := range 10_000 {
		used.AddString(strconv.Itoa(i%700), 1)
	}
	before, err := used.MarshalBinary()
	require.NoError(t, err)
	used.Prefault() // a sketch that has counted is left as it is
	after, err = used.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, before, after)
	assert.Equal(t, uint64(10_000), used.Total())
}
