package leaderboard

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"
)

var benchWindows = []Window{{"week", 7 * 86400}, {"month", 30 * 86400}}

// windowBenchBoard is benchBoard (n users, decay 0.95) with windows, every
// entry earned in the windows' current period, so each holds all n users.
func windowBenchBoard(tb testing.TB, n int, ids []string, windows []Window) *Board {
	b, err := NewBoard(Config{DecayFactor: 0.95, Windows: windows})
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	const batch = 1024
	us, ps, ts := make([]string, 0, batch), make([]float64, 0, batch), make([]int64, 0, batch)
	for i, j := range rng.Perm(n) {
		us, ps, ts = append(us, ids[j]), append(ps, float64(1+rng.IntN(1000))), append(ts, windowBenchNow+int64(i%3600))
		if len(us) == batch || i == n-1 {
			if _, err := b.UpdateMany(us, ps, ts); err != nil {
				tb.Fatal(err)
			}
			us, ps, ts = us[:0], ps[:0], ts[:0]
		}
	}
	return b
}

// windowBenchNow lies at the start of a week and of a 30-day period
// (both divide 210 days).
const windowBenchNow = 94 * 210 * 86400

// BenchmarkUpdateWindows applies batches of 1024 updates (UpdateMany, as
// the Python binding does) to existing users of a plain board and of one
// with a week and a month window: the windows' cost per update.
func BenchmarkUpdateWindows(b *testing.B) {
	for _, n := range benchSizes {
		ids := benchIDs(n)
		for _, kind := range []struct {
			name    string
			windows []Window
		}{{"plain", nil}, {"week+month", benchWindows}} {
			b.Run(kind.name+"/"+strconv.Itoa(n), func(b *testing.B) {
				board := windowBenchBoard(b, n, ids, kind.windows)
				rng := rand.New(rand.NewPCG(2, 2))
				const batch = 1024
				us, ps, ts := make([]string, batch), make([]float64, batch), make([]int64, batch)
				b.ReportAllocs()
				b.ResetTimer()
				cpu := startCPU()
				for done := 0; done < b.N; done += batch {
					k := min(batch, b.N-done)
					for i := range k {
						us[i], ps[i], ts[i] = ids[rng.IntN(n)], float64(1+i&7), windowBenchNow+3600
					}
					if _, err := board.UpdateMany(us[:k], ps[:k], ts[:k]); err != nil {
						b.Fatal(err)
					}
				}
				cpu.report(b)
			})
			runtime.GC()
		}
	}
}

// BenchmarkWindowMemory reports the live heap per user per window: a
// board of 1M users with a week and a month window holding all of them,
// against the same board without windows.
func BenchmarkWindowMemory(b *testing.B) {
	const n = 1_000_000
	ids := benchIDs(n)
	heap := func(windows []Window) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		board := windowBenchBoard(b, n, ids, windows)
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(board)
		return after.HeapAlloc - before.HeapAlloc
	}
	plain := heap(nil)
	windowed := heap(benchWindows)
	for i := 0; i < b.N; i++ {
	}
	b.ReportMetric(float64(plain)/n, "heapB/user")
	b.ReportMetric((float64(windowed)-float64(plain))/n/float64(len(benchWindows)), "heapB/user/window")
}

// BenchmarkWindowRollover times the update that rolls a week window
// holding 1M users over to the next week (the old period's board is
// dropped whole), and reports the slowest of the 20,000 queries (Rank of a
// random user, Top(10) of the week) that follow it, while the collector
// reclaims the old period, beside the slowest of 20,000 before it. Each
// iteration refills the window with the timer stopped.
func BenchmarkWindowRollover(b *testing.B) {
	const n = 1_000_000
	ids := benchIDs(n)
	week := benchWindows[:1]
	pick := benchPicks(n)
	slowest := func(board *Board, now float64) time.Duration {
		var worst time.Duration
		for i := range 20_000 {
			t0 := time.Now()
			if i%2 == 0 {
				board.Rank(ids[pick[i&(len(pick)-1)]], now)
			} else if v, err := board.Window("week", now); err == nil {
				v.Top(10, now)
			}
			worst = max(worst, time.Since(t0))
		}
		return worst
	}
	var roll, before, after time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		board := windowBenchBoard(b, n, ids, week)
		runtime.GC()
		now := float64(windowBenchNow + 3600)
		before = max(before, slowest(board, now))
		next := windowBenchNow + week[0].Length + 1
		b.StartTimer()
		t0 := time.Now()
		if err := board.Update("rollover", 1, next); err != nil {
			b.Fatal(err)
		}
		roll = max(roll, time.Since(t0))
		b.StopTimer()
		after = max(after, slowest(board, float64(next)))
		runtime.GC()
	}
	b.ReportMetric(float64(roll.Nanoseconds()), "rollover-ns")
	b.ReportMetric(float64(before.Microseconds()), "slowest-query-before-µs")
	b.ReportMetric(float64(after.Microseconds()), "slowest-query-after-µs")
}
