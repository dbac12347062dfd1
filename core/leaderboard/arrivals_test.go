package leaderboard

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// sortArrivals must give the order compare gives, ties in G and in the id
// prefix included, for values of both signs and both zeros.
func TestSortArrivalsOrdersAsCompare(t *testing.T) {
	board, err := New(1, 0)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(8, 8))
	var ids []string
	for i := range 3000 {
		switch i % 3 {
		case 0: // a shared first 8 bytes: equal prefixes, the ids decide
			ids = append(ids, fmt.Sprintf("guild-member-%06d", rng.IntN(1_000_000)))
		case 1: // numeric, as Discord's
			ids = append(ids, fmt.Sprintf("%d", 100_000_000_000_000_000+rng.Uint64N(1<<50)))
		default:
			ids = append(ids, fmt.Sprintf("u%d", i))
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for _, id := range ids {
		require.NoError(t, board.Update(id, 1, benchBase))
	}
	c := &board.standings
	values := []float64{0, math.Copysign(0, -1), 1, -1, 2.5, -2.5, 1e300, -1e300, math.SmallestNonzeroFloat64,
		-math.SmallestNonzeroFloat64, math.Inf(1), math.Inf(-1)}
	for round := range 20 {
		var keys []key
		for _, id := range ids {
			u := c.lookup(id, hashID([]byte(id)))
			require.GreaterOrEqual(t, u, int32(0))
			g := values[rng.IntN(len(values))]
			if round%2 == 1 {
				g = float64(rng.IntN(7)) - 3 + rng.Float64()*float64(rng.IntN(2))
			}
			keys = append(keys, key{g, c.prefix(u), u})
		}
		rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		want := slices.Clone(keys)
		slices.SortStableFunc(want, c.compare)
		c.arrivals.keys = keys
		c.sortArrivals()
		require.Equal(t, len(want), len(c.arrivals.keys))
		for i := range want {
			require.Zero(t, c.compare(want[i], c.arrivals.keys[i]), "round %d, key %d", round, i)
			require.Equal(t, want[i].u, c.arrivals.keys[i].u, "round %d, key %d", round, i)
		}
	}
	c.arrivals.keys = c.arrivals.keys[:0]
}

// BenchmarkSortArrivals sorts maxArrivals keys of a 1M-user board in rank
// order, as a fill's UpdateMany does, with tie-heavy integer values.
func BenchmarkSortArrivals(b *testing.B) {
	ids := snowflakeIDs(maxArrivals, 9)
	board := scoreBoard(b, ids, integerPoints)
	c := &board.standings
	rng := rand.New(rand.NewPCG(9, 9))
	keys := make([]key, 0, len(ids))
	for _, id := range ids {
		u := c.lookup(id, hashID([]byte(id)))
		keys = append(keys, key{integerPoints(rng), c.prefix(u), u})
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		c.arrivals.keys = append(c.arrivals.keys[:0], keys...)
		b.StartTimer()
		c.sortArrivals()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(keys)), "ns/key")
	c.arrivals.keys = c.arrivals.keys[:0]
}
