package leaderboard

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"math/rand/v2"

	"github.com/stretchr/testify/require"
)

// Scale benchmarks: 18-digit ids shaped like Discord snowflakes and integer
// points, so that thousands of users share each score. The 10M-user
// variants run only with LEADERBOARD_BENCH_10M=1 (and never with -short):
// building such a board takes tens of seconds.

// snowflakeIDs returns n distinct 18-digit decimal ids of accounts created
// within 90 days of one another (ms since Discord's epoch, shifted left 22
// bits, plus 22 random low bits), so ids share their leading digits as
// real snowflakes of one community do.
func snowflakeIDs(n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 18))
	const (
		fromMS = 150_000_000_000 // 2019; 150e9 << 22 ≈ 6.3e17, 18 digits
		spanMS = 90 * 86400 * 1000
	)
	seen := make(map[uint64]struct{}, n)
	ids := make([]string, 0, n)
	for len(ids) < n {
		s := uint64(fromMS+rng.Int64N(spanMS))<<22 | rng.Uint64N(1<<22)
		if _, dup := seen[s]; dup {
			continue
		}
		seen[s] = struct{}{}
		ids = append(ids, strconv.FormatUint(s, 10))
	}
	return ids
}

func scaleSizes(b *testing.B) []int {
	if !testing.Short() && os.Getenv("LEADERBOARD_BENCH_10M") == "1" {
		return []int{1_000_000, 10_000_000}
	}
	return []int{1_000_000}
}

// scoreBoard builds a board with decay 1 (scores never change with time)
// of users ids, each with one update of points drawn by pts.
func scoreBoard(tb testing.TB, ids []string, pts func(*rand.Rand) float64) *Board {
	b, err := New(1, 0)
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, uint64(len(ids))))
	const batch = 1024
	us := make([]string, 0, batch)
	ps := make([]float64, 0, batch)
	ts := make([]int64, 0, batch)
	for _, j := range rng.Perm(len(ids)) {
		us, ps, ts = append(us, ids[j]), append(ps, pts(rng)), append(ts, benchBase)
		if len(us) == batch {
			if n, err := b.UpdateMany(us, ps, ts); n != 0 {
				tb.Fatal(err)
			}
			us, ps, ts = us[:0], ps[:0], ts[:0]
		}
	}
	if n, err := b.UpdateMany(us, ps, ts); n != 0 {
		tb.Fatal(err)
	}
	return b
}

func integerPoints(rng *rand.Rand) float64 { return float64(1 + rng.IntN(1000)) }

func distinctPoints(rng *rand.Rand) float64 { return 1 + 1000*rng.Float64() }

// BenchmarkUpdateTies moves existing users by small integer amounts, on a
// board whose scores are 1,000 distinct integers ("ties": ~1,000 users per
// score at 1M) and on one whose scores are all distinct ("distinct"), with
// the same ids, so the two differ only in ties; and on the tied board with
// sequentialIDs instead ("ties-sequential-ids"), whose ids the tree's
// prefixes tell apart only past their first 11 digits.
func BenchmarkUpdateTies(b *testing.B) {
	for _, n := range scaleSizes(b) {
		snowflakes := snowflakeIDs(n, 1)
		for _, kind := range []struct {
			name string
			ids  []string
			pts  func(*rand.Rand) float64
		}{
			{"distinct", snowflakes, distinctPoints},
			{"ties", snowflakes, integerPoints},
			{"ties-sequential-ids", sequentialIDs(n), integerPoints},
		} {
			ids := kind.ids
			b.Run(kind.name+"/"+strconv.Itoa(n), func(b *testing.B) {
				board := scoreBoard(b, ids, kind.pts)
				rng := rand.New(rand.NewPCG(2, 2))
				pick := make([]int32, 1<<16)
				for i := range pick {
					pick[i] = int32(rng.IntN(n))
				}
				b.ReportAllocs()
				b.ResetTimer()
				cpu := startCPU()
				for i := 0; i < b.N; i++ {
					if err := board.Update(ids[pick[i&(len(pick)-1)]], float64(i&7+1), benchBase); err != nil {
						b.Fatal(err)
					}
				}
				cpu.report(b)
			})
		}
		runtime.GC()
	}
}

// sequentialIDs returns n 18-digit ids that share their first 11 digits,
// as ids handed out by one counter do: 8 bytes of them (what the tree kept
// of an id before idPrefix coded digits) tie for all of them.
func sequentialIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = strconv.FormatUint(630_000_000_000_000_000+uint64(i)*7919, 10)
	}
	return ids
}

// BenchmarkUpdateMany applies batches of 1024 updates: to users already on
// the board ("existing"), and to users not yet on it ("new", the board
// growing from n to n+b.N).
func BenchmarkUpdateMany(b *testing.B) {
	const batch = 1024
	for _, n := range scaleSizes(b) {
		ids := snowflakeIDs(n+1<<22, 3)
		board := scoreBoard(b, ids[:n], integerPoints)
		pts := make([]float64, batch)
		tss := make([]int64, batch)
		for i := range pts {
			pts[i], tss[i] = float64(i&7+1), benchBase+int64(i)
		}
		b.Run("existing/"+strconv.Itoa(n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(4, 4))
			us := make([]string, batch)
			b.ResetTimer()
			cpu := startCPU()
			for i := 0; i < b.N; i += batch {
				b.StopTimer()
				for k := range us {
					us[k] = ids[rng.IntN(n)]
				}
				k := min(batch, b.N-i)
				b.StartTimer()
				if r, err := board.UpdateMany(us[:k], pts[:k], tss[:k]); r != 0 {
					b.Fatal(err)
				}
			}
			cpu.report(b) // includes the stopped-timer picking of ids
		})
		b.Run("new/"+strconv.Itoa(n), func(b *testing.B) {
			fresh := ids[n:]
			next := 0
			b.ResetTimer()
			cpu := startCPU()
			for i := 0; i < b.N; i += batch {
				k := min(batch, b.N-i)
				if next+k > len(fresh) {
					b.StopTimer()
					for _, id := range fresh[:next] {
						board.Remove(id)
					}
					next = 0
					b.StartTimer()
				}
				if r, err := board.UpdateMany(fresh[next:next+k], pts[:k], tss[:k]); r != 0 {
					b.Fatal(err)
				}
				next += k
			}
			cpu.report(b)
		})
		board = nil
		runtime.GC()
	}
}

// fillBoard puts new users ids on board at one second, benchBase, in
// UpdateMany calls of 100,000 (as the Python harness's scale fill does),
// each with points drawn by pts from rng.
func fillBoard(tb testing.TB, board *Board, ids []string, pts func(*rand.Rand) float64, rng *rand.Rand) {
	const fill = 100_000
	ps, ts := make([]float64, fill), make([]int64, fill)
	for lo := 0; lo < len(ids); lo += fill {
		hi := min(len(ids), lo+fill)
		for i := range hi - lo {
			ps[i], ts[i] = pts(rng), benchBase
		}
		_, err := board.UpdateMany(ids[lo:hi], ps[:hi-lo], ts[:hi-lo])
		require.NoError(tb, err)
	}
}

// BenchmarkUpdateMovesAfterFill is the update rows of the Python harness's
// scale benchmark (bench_scale.py) in Go: a decayed board filled at one
// second in UpdateMany calls of 100,000 new users, then batches of 1,024
// random existing users moved by 1..8 points a minute later. There a move
// on the tie-heavy board leaves a tied integer value and mostly joins a
// value another move made (v + p·w, w the later second's weight), so the
// set of tied values keeps changing, which Update of integer points without
// decay (BenchmarkUpdateTies) never does.
func BenchmarkUpdateMovesAfterFill(b *testing.B) {
	const batch = 1024
	for _, n := range scaleSizes(b) {
		ids := snowflakeIDs(n, 5)
		for _, kind := range []struct {
			name string
			pts  func(*rand.Rand) float64
		}{{"distinct", distinctPoints}, {"ties", integerPoints}} {
			b.Run(kind.name+"/"+strconv.Itoa(n), func(b *testing.B) {
				board, err := New(0.95, 0)
				require.NoError(b, err)
				rng := rand.New(rand.NewPCG(1, uint64(n)))
				fillBoard(b, board, ids, kind.pts, rng)
				pts, tss := make([]float64, batch), make([]int64, batch)
				us := make([]string, batch)
				for i := range batch {
					tss[i] = benchBase + 60
				}
				b.ResetTimer()
				cpu := startCPU()
				for i := 0; i < b.N; i += batch {
					k := min(batch, b.N-i)
					b.StopTimer()
					for j := range k {
						us[j], pts[j] = ids[rng.IntN(n)], float64(1+rng.IntN(8))
					}
					b.StartTimer()
					if r, err := board.UpdateManyValid(us[:k], pts[:k], tss[:k]); r != 0 {
						b.Fatal(err)
					}
				}
				cpu.report(b) // includes the stopped-timer picking of ids
			})
			runtime.GC()
		}
	}
}

// peakHeap samples the live heap while fn runs and returns the peak above
// the heap at the start, in bytes.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	peak := base
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				v := read()
				mu.Lock()
				peak = max(peak, v)
				mu.Unlock()
			}
		}
	}()
	fn()
	done <- struct{}{} // the package's tests shadow close
	wg.Wait()
	peak = max(peak, read())
	return peak - base
}

// BenchmarkSnapshot saves and loads a board of n users with 18-digit ids
// through a file, reporting the peak extra heap of one operation.
func BenchmarkSnapshot(b *testing.B) {
	for _, n := range scaleSizes(b) {
		ids := snowflakeIDs(n, 5)
		board := scoreBoard(b, ids, integerPoints)
		path := filepath.Join(b.TempDir(), "board.json")
		b.Run("save/"+strconv.Itoa(n), func(b *testing.B) {
			var peak uint64
			for i := 0; i < b.N; i++ {
				peak = max(peak, peakHeap(func() {
					if err := board.Save(path); err != nil {
						b.Fatal(err)
					}
				}))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peakMB")
		})
		if err := board.Save(path); err != nil {
			b.Fatal(err)
		}
		b.Run("load/"+strconv.Itoa(n), func(b *testing.B) {
			var peak uint64
			for i := 0; i < b.N; i++ {
				into, _ := New(0.5, 0)
				peak = max(peak, peakHeap(func() {
					if err := into.Load(path); err != nil {
						b.Fatal(err)
					}
				}))
				if into.Len() != n {
					b.Fatal("wrong size")
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peakMB")
		})
		board = nil
		runtime.GC()
	}
}

// BenchmarkFill fills a new board with n users in UpdateMany calls of
// 100,000 new users with integer points, as the Python harness's scale
// fill does, and reports the time per user. The index rehashes as the
// board grows (BenchmarkIndexRebuild times one rehash apart).
func BenchmarkFill(b *testing.B) {
	for _, n := range scaleSizes(b) {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ids := snowflakeIDs(n, 5)
			rng := rand.New(rand.NewPCG(1, uint64(n)))
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				board, err := New(0.95, 0)
				require.NoError(b, err)
				runtime.GC()
				b.StartTimer()
				fillBoard(b, board, ids, integerPoints, rng)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/user")
		})
	}
}

// BenchmarkIndexRebuild rehashes the id index of a board of n users into
// as many buckets as it has (what a growing board does at each doubling,
// into twice as many).
func BenchmarkIndexRebuild(b *testing.B) {
	for _, n := range scaleSizes(b) {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			board := scoreBoard(b, snowflakeIDs(n, 7), integerPoints)
			c := &board.standings
			b.ResetTimer()
			for range b.N {
				c.userIndex.rebuild(&c.userTable, len(c.userIndex.buckets))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/user")
		})
	}
}

// BenchmarkMemoryScale reports the live heap per user of a board of n users
// with 18-digit snowflake ids and integer points.
func BenchmarkMemoryScale(b *testing.B) {
	for _, n := range scaleSizes(b) {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ids := snowflakeIDs(n, 6)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			board := scoreBoard(b, ids, integerPoints)
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if board.Len() != n {
					b.Fatal("wrong size")
				}
			}
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heapB/user")
			runtime.KeepAlive(board)
			runtime.KeepAlive(ids)
		})
	}
}

// cpuMeter reports, beside ns/op (wall time, inflated when the machine is
// shared), the CPU time this process spent per op: user plus system time
// from getrusage, so it includes the garbage collector.
type cpuMeter struct{ start time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuMeter { return cpuMeter{cpuNow()} }

func (m cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(cpuNow()-m.start)/float64(b.N), "cpu-ns/op")
}
