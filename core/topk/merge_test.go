package topk

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMergeKeepsGuarantees: two trackers fed halves of a skewed stream,
// merged, bound every key's true count in the union like one tracker would.
func TestMergeKeepsGuarantees(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	zipf := rand.NewZipf(r, 1.2, 1, 9_999)
	a, _ := New(64)
	b, _ := New(64)
	truth := map[string]uint64{}
	for i := range 200_000 {
		key := "k" + strconv.FormatUint(zipf.Uint64(), 10)
		truth[key]++
		if i%3 == 0 {
			a.Add(key, 1)
		} else {
			b.Add(key, 1)
		}
	}
	bBefore := b.Top(64)
	require.NoError(t, a.Merge(b))
	assert.Equal(t, bBefore, b.Top(64), "other changed")
	assert.Equal(t, uint64(200_000), a.Total())
	assert.Equal(t, 64, a.Len())
	for key, n := range truth {
		if it, ok := a.Count(key); ok {
			assert.GreaterOrEqual(t, it.Count, n, key)
			assert.LessOrEqual(t, it.Count-it.Error, n, key)
		} else {
			assert.LessOrEqual(t, n, a.Floor(), key)
		}
	}
	// The heaviest keys of the union come out on top.
	assert.Equal(t, "k0", a.Top(1)[0].Key)
}

func TestMergeUnderCapacityIsExact(t *testing.T) {
	a, _ := New(10)
	b, _ := New(10)
	a.Add("x", 3)
	a.Add("y", 1)
	b.Add("x", 2)
	b.Add("z", 4)
	require.NoError(t, a.Merge(b))
	assert.Equal(t, []Item{{"x", 5, 0}, {"z", 4, 0}, {"y", 1, 0}}, a.Top(10))
	assert.Zero(t, a.Floor())
}

func TestMergeCapacityMismatch(t *testing.T) {
	a, _ := New(10)
	b, _ := New(11)
	a.Add("x", 3)
	require.ErrorIs(t, a.Merge(b), ErrCapacityMismatch)
	assert.Equal(t, []Item{{"x", 3, 0}}, a.Top(10), "changed on error")
}

func TestFloor(t *testing.T) {
	tr, _ := New(2)
	tr.Add("a", 5)
	assert.Zero(t, tr.Floor())
	tr.Add("b", 2)
	assert.Equal(t, uint64(2), tr.Floor())
	tr.Add("c", 1) // evicts b: c counts 3 with error 2
	assert.Equal(t, uint64(3), tr.Floor())
}

func TestAddBounded(t *testing.T) {
	tr, _ := New(2)
	assert.True(t, tr.AddBounded("a", 5, 5))
	assert.True(t, tr.AddBounded("b", 3, 3))
	// Full; "c" bounded at 3 ≤ floor 3: not inserted, counted in the total.
	assert.False(t, tr.AddBounded("c", 1, 3))
	assert.Equal(t, []Item{{"a", 5, 0}, {"b", 3, 0}}, tr.Top(2))
	assert.Equal(t, uint64(9), tr.Total())
	// Above the floor: inserted as Space-Saving does.
	assert.True(t, tr.AddBounded("c", 1, 4))
	assert.Equal(t, []Item{{"a", 5, 0}, {"c", 4, 3}}, tr.Top(2))
	assert.True(t, tr.AddBounded("a", 1, 1), "tracked keys are always added")
	assert.Equal(t, uint64(6), tr.Top(1)[0].Count)
}

// With a Count-Min bound as upper, the guarantees hold on a long tail.
func TestAddBoundedKeepsGuarantees(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	zipf := rand.NewZipf(r, 1.1, 1, 99_999)
	tr, _ := New(32)
	truth := map[string]uint64{}
	for range 100_000 {
		key := "k" + strconv.FormatUint(zipf.Uint64(), 10)
		truth[key]++
		tr.AddBounded(key, 1, truth[key]) // the exact count is a valid bound
	}
	for key, n := range truth {
		if it, ok := tr.Count(key); ok {
			assert.GreaterOrEqual(t, it.Count, n, key)
			assert.LessOrEqual(t, it.Count-it.Error, n, key)
		} else {
			assert.LessOrEqual(t, n, tr.Floor(), key)
		}
	}
	assert.Equal(t, uint64(100_000), tr.Total())
}
