package leaderboard

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
)

var benchSizes = []int{10_000, 1_000_000}

const benchBase = int64(1_700_000_000)

// benchID returns the 13-character id of user i.
func benchID(i int) string { return fmt.Sprintf("user-%08d", i) }

func benchIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = benchID(i)
	}
	return ids
}

// benchBoard builds a board of n users with 13-character ids, updated in
// random order over 30 days with decay 0.95.
func benchBoard(tb testing.TB, n int, ids []string) *Board {
	b, err := New(0.95, 0)
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	for i, j := range rng.Perm(n) {
		ts := benchBase + int64(i)*30*86400/int64(n)
		if err := b.Update(ids[j], float64(1+rng.IntN(1000)), ts); err != nil {
			tb.Fatal(err)
		}
	}
	return b
}

func BenchmarkUpdate(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ids := benchIDs(n)
			board := benchBoard(b, n, ids)
			pick := benchPicks(n)
			ts := benchBase + 30*86400
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ts += 7
				if err := board.Update(ids[pick[i&(len(pick)-1)]], float64(i&63+1), ts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUpdateManyDecayed: what the staged updates of Python's
// Leaderboard.update become, batches of 1,024 updates of random existing
// users of a decayed board, all at one second (as the harness's
// "update ×200k @10k" row: 1..10 points at now).
func BenchmarkUpdateManyDecayed(b *testing.B) {
	benchUpdateMany(b, 1024, benchPicks)
}

// BenchmarkUpdateManyCrossings is BenchmarkUpdateManyDecayed in the
// batches Python's update and update_many cross with (32,768 updates), large
// enough to gather: on the 10k-user board each user comes back about three
// times in a batch, and moves once.
func BenchmarkUpdateManyCrossings(b *testing.B) {
	benchUpdateMany(b, 1<<15, func(n int) []int32 {
		rng := rand.New(rand.NewPCG(3, uint64(n)))
		pick := make([]int32, 1<<17) // four batches' worth
		for i := range pick {
			pick[i] = int32(rng.IntN(n))
		}
		return pick
	})
}

// benchUpdateMany times UpdateMany in batches of batch updates of the users
// picks(n) names (a power of two of them, a multiple of batch), on
// benchBoard's decayed board of each of benchSizes: 1..10 points, all at
// one second.
func benchUpdateMany(b *testing.B, batch int, picks func(n int) []int32) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ids := benchIDs(n)
			board := benchBoard(b, n, ids)
			var us []string
			for _, k := range picks(n) {
				us = append(us, ids[k])
			}
			pts := make([]float64, batch)
			tss := make([]int64, batch)
			for i := range pts {
				pts[i], tss[i] = float64(i%10+1), benchBase+30*86400
			}
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				k := min(batch, b.N-i)
				o := i & (len(us) - 1) &^ (batch - 1)
				if r, err := board.UpdateMany(us[o:o+k], pts[:k], tss[:k]); r != 0 {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkTop10(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			board := benchBoard(b, n, benchIDs(n))
			now := float64(benchBase + 31*86400)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if len(board.Top(10, now)) != 10 {
					b.Fatal("short top")
				}
			}
		})
	}
}

func BenchmarkRank(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ids := benchIDs(n)
			board := benchBoard(b, n, ids)
			rng := rand.New(rand.NewPCG(3, 3))
			pick := make([]int32, 1<<16)
			for i := range pick {
				pick[i] = int32(rng.IntN(n))
			}
			now := float64(benchBase + 31*86400)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, ok := board.Rank(ids[pick[i&(len(pick)-1)]], now); !ok {
					b.Fatal("missing user")
				}
			}
		})
	}
}

// BenchmarkMemory reports the live heap the board holds per user at 1M
// users (ids of 13 characters), after a full GC. It builds one board
// whatever b.N is; the timed loop only reads the board's size.
func BenchmarkMemory(b *testing.B) {
	const n = 1_000_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	board, _ := New(0.95, 0)
	rng := rand.New(rand.NewPCG(1, n))
	for k, j := range rng.Perm(n) {
		board.Update(benchID(j), float64(1+rng.IntN(1000)), benchBase+int64(k))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if board.Len() != n {
			b.Fatal("wrong size")
		}
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heapB/user")
	runtime.KeepAlive(board)
}
