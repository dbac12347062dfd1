package redisboard

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/engagehub/engagehub-native/core/leaderboard"
	"github.com/engagehub/engagehub-native/core/redisconn/redistest"
)

// BenchmarkRankStyles measures, on one board of 100k users in a throwaway
// loopback redis-server, the reads of one user: plain (ordinal) rank, the
// baseline of the same run, beside competition rank, percentile and the
// entry at a percentile. Each is one script call: a round trip plus
// O(log n) in Redis. Points are integers from a few values, so most users
// are tied.
func BenchmarkRankStyles(b *testing.B) {
	const users = 100_000
	s := redistest.Start(b)
	rb, err := Open(s.URL(), "bench-styles", 0.95, 0, Options{})
	require.NoError(b, err)
	defer rb.Close()
	ids := make([]string, users)
	pts := make([]float64, users)
	ts := make([]int64, users)
	for i := range ids {
		ids[i], pts[i], ts[i] = "user"+strconv.Itoa(i), float64(1+i%50), t0+int64(i%86400)
	}
	require.NoError(b, rb.Submit(ids, pts, ts))
	require.NoError(b, rb.Sync())
	now := float64(t0 + 86400)
	r := rand.New(rand.NewPCG(1, 1))
	pick := func() string { return ids[r.IntN(users)] }
	b.Run("rank/ordinal", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := rb.Rank(pick(), now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rank/competition", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := rb.RankAs(leaderboard.Competition, pick(), now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("percentile", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := rb.Percentile(pick()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("at_percentile/competition", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := rb.AtPercentile(leaderboard.Competition, r.Float64()*100, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("page10/ordinal", func(b *testing.B) {
		for b.Loop() {
			if _, err := rb.Page(r.IntN(users-10), 10, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("page10/competition", func(b *testing.B) {
		for b.Loop() {
			if _, err := rb.PageAs(leaderboard.Competition, r.IntN(users-10), 10, now); err != nil {
				b.Fatal(err)
			}
		}
	})
}
