package topk

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// A Ranking read to the end lists exactly what Top lists, in the same
// order, ties included; read part way, it lists Top(k)'s prefix.
func TestRankingFollowsTop(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	for _, capacity := range []int{1, 2, 7, 128} {
		tr, err := New(capacity)
		require.NoError(t, err)
		r := tr.Ranking()
		_, ok := r.Next()
		require.False(t, ok, "an empty tracker ranks nothing")
		for range 2000 {
			tr.Add(fmt.Sprintf("k%03d", rng.IntN(300)), uint64(1+rng.IntN(3)))
		}
		want := tr.Top(tr.Len())
		r = tr.Ranking()
		require.Equal(t, len(want), r.Len())
		for i := range want {
			peeked, ok := r.Peek()
			require.True(t, ok)
			got, ok := r.Next()
			require.True(t, ok)
			require.Equal(t, peeked, got)
			require.Equal(t, want[i], got, "item %d of capacity %d", i, capacity)
		}
		_, ok = r.Peek()
		require.False(t, ok)
		tr.Add("later", 1_000_000)
		require.Equal(t, 0, r.Len(), "a ranking is a copy")
	}
}
