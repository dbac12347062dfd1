package leaderboard

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkRankAs asks for the rank of a random user in each style, on a
// decayed board of distinct scores (benchBoard) and on one whose 1M users
// share 1,000 integer scores ("ties"), where competition and dense ranks
// take the descent and the sum of tied values.
func BenchmarkRankAs(b *testing.B) {
	for _, n := range benchSizes {
		ids := benchIDs(n)
		boards := []struct {
			name  string
			board *Board
		}{{"distinct", benchBoard(b, n, ids)}, {"ties", scoreBoard(b, ids, integerPoints)}}
		for _, bd := range boards {
			for _, style := range allStyles {
				b.Run(bd.name+"/"+style.String()+"/"+strconv.Itoa(n), func(b *testing.B) {
					pick := benchPicks(n)
					now := float64(benchBase + 31*86400)
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						if _, ok, _ := bd.board.RankAs(style, ids[pick[i&(len(pick)-1)]], now); !ok {
							b.Fatal("missing user")
						}
					}
				})
			}
		}
		runtime.GC()
	}
}

// BenchmarkPercentile and BenchmarkAtPercentile: a random user's
// percentile, and the user at a random percentile, on the "ties" board
// (the costlier case: the multiplicity of the user's score is looked up).
func BenchmarkPercentile(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ids := benchIDs(n)
			board := scoreBoard(b, ids, integerPoints)
			pick := benchPicks(n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, ok := board.Percentile(ids[pick[i&(len(pick)-1)]]); !ok {
					b.Fatal("missing user")
				}
			}
		})
	}
}

func BenchmarkAtPercentile(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			board := scoreBoard(b, benchIDs(n), integerPoints)
			rng := rand.New(rand.NewPCG(4, 4))
			ps := make([]float64, 1<<12)
			for i := range ps {
				ps[i] = 100 * rng.Float64()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, ok, err := board.AtPercentile(Dense, ps[i&(len(ps)-1)], 0); !ok || err != nil {
					b.Fatal("no entry", err)
				}
			}
		})
	}
}

// benchPicks returns 65,536 random users of 0..n-1: the users a benchmark
// loop takes in turn (pick[i&(len(pick)-1)]).
func benchPicks(n int) []int32 {
	rng := rand.New(rand.NewPCG(3, 3))
	pick := make([]int32, 1<<16)
	for i := range pick {
		pick[i] = int32(rng.IntN(n))
	}
	return pick
}
