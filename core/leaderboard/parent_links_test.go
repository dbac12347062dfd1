package leaderboard

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestParentLinksAfterBulkBuildAndRemovals checks the users' leaves and the
// nodes' parent links (checkTree) on a multi-level tree built in bulk from a
// snapshot, then thinned from the bottom and the top (merges and rotations
// of inner nodes in both directions) and updated at random.
func TestParentLinksAfterBulkBuildAndRemovals(t *testing.T) {
	const n = 20000
	rng := rand.New(rand.NewPCG(11, 11))
	src, err := New(0.9, 0)
	require.NoError(t, err)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("u%06d", i)
		p := float64(1 + rng.IntN(100000))
		ts := int64(1_700_000_000 + rng.IntN(86400))
		require.NoError(t, src.Update(ids[i], p, ts))
	}
	var buf bytes.Buffer
	require.NoError(t, src.WriteSnapshot(&buf))
	b, err := New(1, 0)
	require.NoError(t, err)
	require.NoError(t, b.ReadSnapshot(&buf))
	require.GreaterOrEqual(t, b.height, 2)
	checkTree(t, b)
	now := float64(1_700_000_000 + 86400)

	// Thin from the bottom, then from the top.
	top := b.Top(n, now)
	for k := 0; k < n/3; k++ {
		require.True(t, b.Remove(top[n-1-k].UserID))
		if k%500 == 0 {
			checkTree(t, b)
		}
	}
	checkTree(t, b)
	for k := 0; k < n/3; k++ {
		require.True(t, b.Remove(top[k].UserID))
		if k%500 == 0 {
			checkTree(t, b)
		}
	}
	checkTree(t, b)

	// Random updates and removals; ranks must match a fresh ordering.
	for k := 0; k < 20000; k++ {
		id := ids[rng.IntN(n)]
		if k%4 == 3 {
			b.Remove(id)
		} else {
			require.NoError(t, b.Update(id, float64(rng.IntN(5000)-1000), int64(1_700_000_000+86400+k)))
		}
		if k%2000 == 0 {
			checkTree(t, b)
		}
	}
	checkTree(t, b)
	all := b.Top(b.Len(), now)
	for i, e := range all {
		got, ok := b.Rank(e.UserID, now)
		require.True(t, ok)
		require.Equal(t, i+1, got.Rank, "rank of %s", e.UserID)
	}
}

// TestSmallMovesStayInLeaf drives many updates too small to leave the
// user's leaf (moveInLeaf) on a multi-level tree, with ties, and checks the
// tree and the ranking against the model.
func TestSmallMovesStayInLeaf(t *testing.T) {
	const n = 5000
	rng := rand.New(rand.NewPCG(12, 12))
	b, err := New(1, 0)
	require.NoError(t, err)
	m := newModel(1, 0)
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("s%05d", i)
		p := float64(1 + rng.IntN(2000)) // many ties
		require.NoError(t, b.Update(id, p, 1))
		m.update(id, p, 1)
	}
	require.GreaterOrEqual(t, b.height, 1)
	stayed := 0
	for k := 0; k < 30000; k++ {
		id := fmt.Sprintf("s%05d", rng.IntN(n))
		p := float64(rng.IntN(3) - 1) // -1, 0 or +1
		u := b.lookup(id, hashID([]byte(id)))
		leaf := b.rec(u).leaf
		require.NoError(t, b.Update(id, p, 1))
		m.update(id, p, 1)
		if b.rec(u).leaf == leaf {
			stayed++
		}
		if k%3000 == 0 {
			checkTree(t, b)
		}
	}
	checkTree(t, b)
	require.Greater(t, stayed, 10000)
	checkBoard(t, b, m, 1, rng)
}

// TestIndexChurnKeepsProbesShort replaces users at a steady board size
// (maxUsers eviction) and checks that overflow marks left by deletions do
// not pile up, that the index agrees with the board, and that lookups of
// absent ids still end.
func TestIndexChurnKeepsProbesShort(t *testing.T) {
	b, err := New(0.9, 500)
	require.NoError(t, err)
	for i := 0; i < 100000; i++ {
		require.NoError(t, b.Update(fmt.Sprintf("c%07d", i), float64(1+i%97), int64(i)))
		require.LessOrEqual(t, b.overflows*2, len(b.buckets))
		require.Equal(t, b.size, b.indexed)
		if i%10000 == 0 {
			checkTree(t, b)
		}
	}
	require.Equal(t, 500, b.Len())
	require.False(t, b.Contains("absent"))
	n := 0
	for i := 0; i < 100000; i++ {
		if b.Contains(fmt.Sprintf("c%07d", i)) {
			n++
		}
	}
	require.Equal(t, 500, n)
	checkTree(t, b)
}
