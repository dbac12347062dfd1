package leaderboard

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewValidates(t *testing.T) {
	tests := []struct {
		decay float64
		max   int
		err   error
	}{
		{0.95, 100000, nil},
		{1, 0, nil},
		{math.SmallestNonzeroFloat64, 1, nil},
		{0, 0, ErrInvalidDecay},
		{-0.5, 0, ErrInvalidDecay},
		{1.0000001, 0, ErrInvalidDecay},
		{math.NaN(), 0, ErrInvalidDecay},
		{math.Inf(1), 0, ErrInvalidDecay},
		{0.5, -1, ErrInvalidLimit},
	}
	for _, tc := range tests {
		b, err := New(tc.decay, tc.max)
		if tc.err != nil {
			assert.ErrorIs(t, err, tc.err, "New(%v, %d)", tc.decay, tc.max)
			assert.Nil(t, b)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.decay, b.DecayFactor())
		assert.Equal(t, tc.max, b.MaxUsers())
		assert.Equal(t, 0, b.Len())
	}
}

func TestTiesByIDBytes(t *testing.T) {
	b, err := New(1, 0)
	require.NoError(t, err)
	ids := []string{"b", "a", "", "B", "ä", "a\x00", "aa", "😀", "Z"}
	for _, id := range ids {
		require.NoError(t, b.Update(id, 5, 1))
	}
	require.NoError(t, b.Update("top", 6, 1))
	var got []string
	for _, e := range b.Top(100, 1) {
		got = append(got, e.UserID)
	}
	assert.Equal(t, []string{"top", "", "B", "Z", "a", "a\x00", "aa", "b", "ä", "😀"}, got)
	e, ok := b.Rank("", 1)
	require.True(t, ok)
	assert.Equal(t, 2, e.Rank)
}

func TestMaxUsersEviction(t *testing.T) {
	b, err := New(1, 3)
	require.NoError(t, err)
	require.NoError(t, b.Update("a", 10, 1))
	require.NoError(t, b.Update("b", 20, 1))
	require.NoError(t, b.Update("c", 30, 1))
	require.NoError(t, b.Update("d", 5, 1)) // lowest: evicts itself
	assert.False(t, b.Contains("d"))
	require.NoError(t, b.Update("e", 15, 1)) // evicts a
	assert.False(t, b.Contains("a"))
	assert.Equal(t, 3, b.Len())
	require.NoError(t, b.Update("b", -100, 1)) // existing user: no eviction
	assert.Equal(t, 3, b.Len())
	top := b.Top(5, 1)
	require.Len(t, top, 3)
	assert.Equal(t, "c", top[0].UserID)
	assert.Equal(t, "b", top[2].UserID)
}

func TestZeroPoints(t *testing.T) {
	b, err := New(0.5, 0)
	require.NoError(t, err)
	require.NoError(t, b.Update("ghost", 0, 100))
	assert.False(t, b.Contains("ghost"))
	assert.Equal(t, 0, b.Len())

	require.NoError(t, b.Update("u", 8, 100))
	require.NoError(t, b.Update("u", 0, 100+day))
	e, ok := b.Rank("u", 100+day)
	require.True(t, ok)
	assert.Equal(t, int64(100+day), e.LastUpdate)
	assert.InEpsilon(t, 4, e.Score, 1e-12)
	require.NoError(t, b.Update("u", 0, 50)) // older: LastUpdate keeps the max
	e, _ = b.Rank("u", 100+day)
	assert.Equal(t, int64(100+day), e.LastUpdate)
	require.NoError(t, b.Update("u", math.Copysign(0, -1), 200+day))
	e, _ = b.Rank("u", 100+day)
	assert.Equal(t, int64(200+day), e.LastUpdate)
	assert.InEpsilon(t, 4, e.Score, 1e-12)
}

func TestInvalidInputLeavesBoardUnchanged(t *testing.T) {
	b, err := New(0.9, 10)
	require.NoError(t, err)
	require.NoError(t, b.Update("a", 1, 5))
	require.NoError(t, b.Update("b", 2, 6))
	before := dump(t, b)
	tests := []struct {
		id  string
		p   float64
		err error
	}{
		{"a", math.NaN(), ErrInvalidPoints},
		{"new", math.Inf(1), ErrInvalidPoints},
		{"a", math.Inf(-1), ErrInvalidPoints},
		{"bad\xff", 1, ErrInvalidUserID},
		{"bad\xc3", 0, ErrInvalidUserID},
	}
	for _, tc := range tests {
		require.ErrorIs(t, b.Update(tc.id, tc.p, 7), tc.err, "%q %v", tc.id, tc.p)
		assert.Equal(t, before, dump(t, b))
	}
}

func TestQueriesClampNegativeArguments(t *testing.T) {
	b, err := New(1, 0)
	require.NoError(t, err)
	for i := range 5 {
		require.NoError(t, b.Update(fmt.Sprint(i), float64(i+1), 1))
	}
	assert.Empty(t, b.Top(-1, 1))
	assert.Len(t, b.Page(-3, 2, 1), 2)
	assert.Empty(t, b.Page(2, -1, 1))
	assert.Empty(t, b.Page(10, 3, 1))
	assert.Len(t, b.Page(3, math.MaxInt, 1), 2)
	around, ok := b.Around("2", -1, -1, 1)
	require.True(t, ok)
	require.Len(t, around, 1)
	assert.Equal(t, "2", around[0].UserID)
	around, ok = b.Around("2", math.MaxInt, math.MaxInt, 1)
	require.True(t, ok)
	assert.Len(t, around, 5)
	_, ok = b.Around("nobody", 1, 1, 1)
	assert.False(t, ok)
	_, ok = b.Rank("nobody", 1)
	assert.False(t, ok)
	_, ok = b.Score("nobody", 1)
	assert.False(t, ok)
	assert.False(t, b.Remove("nobody"))
}

func TestVisitStopsEarlyAndDoesNotAllocate(t *testing.T) {
	b, err := New(0.95, 0)
	require.NoError(t, err)
	for i := range 500 {
		require.NoError(t, b.Update(fmt.Sprintf("user-%03d", i), float64(i), int64(i)))
	}
	var seen []int
	b.Visit(10, 100, 1000, func(e Entry) bool {
		seen = append(seen, e.Rank)
		return len(seen) < 3
	})
	assert.Equal(t, []int{11, 12, 13}, seen)
	var sum float64
	allocs := testing.AllocsPerRun(100, func() {
		b.Visit(0, 50, 1000, func(e Entry) bool { sum += e.Score + float64(len(e.UserID)); return true })
	})
	assert.Zero(t, allocs)
}

// TestArenaCompaction churns ids until dead bytes force a compaction.
func TestArenaCompaction(t *testing.T) {
	b, err := New(1, 100)
	require.NoError(t, err)
	long := string(make([]byte, 1000))
	for i := range 30000 {
		require.NoError(t, b.Update(fmt.Sprintf("%s%d", long, i), float64(i), 1))
	}
	assert.Equal(t, 100, b.Len())
	assert.Less(t, b.arena.live+b.arena.dead, int64(10*arenaChunkSize))
	top := b.Top(1, 1)
	require.Len(t, top, 1)
	assert.Equal(t, fmt.Sprintf("%s%d", long, 29999), top[0].UserID)
	checkTree(t, b)
}

// TestConcurrentUpdatesAreNotLost runs writers and readers together (run
// with -race); with f = 1 and integer points, final scores are exact sums.
func TestConcurrentUpdatesAreNotLost(t *testing.T) {
	b, err := New(1, 0)
	require.NoError(t, err)
	const writers, users, rounds = 8, 50, 400
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				id := fmt.Sprintf("user-%d", (r+w)%users)
				if err := b.Update(id, float64(w+1), int64(r)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				b.Top(5, 0)
				b.Rank(fmt.Sprintf("user-%d", r%users), 0)
				b.Around("user-1", 2, 2, 0)
				b.Visit(0, 10, 0, func(Entry) bool { return true })
				b.Len()
			}
		}()
	}
	wg.Wait()
	want := map[string]float64{}
	for w := range writers {
		for r := range rounds {
			want[fmt.Sprintf("user-%d", (r+w)%users)] += float64(w + 1)
		}
	}
	require.Equal(t, len(want), b.Len())
	for id, s := range want {
		got, ok := b.Score(id, 0)
		require.True(t, ok)
		assert.Equal(t, s, got, id)
	}
	checkTree(t, b)
}
