package main

import (
	"testing"
	"time"
)

// Bucket i counts queries of at most 2^i µs (and more than 2^(i-1) µs).
func TestBoardStatsBuckets(t *testing.T) {
	var s boardStats
	cases := []struct {
		d      time.Duration
		bucket int // -1: slower than the last bucket
	}{
		{300 * time.Nanosecond, 0}, {time.Microsecond, 0}, {1500 * time.Nanosecond, 1},
		{2 * time.Microsecond, 1}, {2500 * time.Nanosecond, 2}, {4 * time.Microsecond, 2},
		{5 * time.Microsecond, 3}, {32768 * time.Microsecond, 15}, {40 * time.Millisecond, -1},
	}
	for _, c := range cases {
		before := make([]uint64, latencyBuckets)
		for i := range before {
			before[i] = s.queries[queryRank].buckets[i].Load()
		}
		s.record(queryRank, c.d)
		for i := range before {
			want := before[i]
			if i == c.bucket {
				want++
			}
			if got := s.queries[queryRank].buckets[i].Load(); got != want {
				t.Errorf("%v: bucket %d holds %d, want %d", c.d, i, got, want)
			}
		}
	}
	if n := s.queries[queryRank].count.Load(); n != uint64(len(cases)) {
		t.Errorf("count %d, want %d", n, len(cases))
	}
	if s.queries[queryPage].count.Load() != 0 {
		t.Error("another kind counted")
	}
}

// observe times from a nanotime reading: a query that slept 2 ms is
// counted as at least that.
func TestBoardStatsObserveTimesTheQuery(t *testing.T) {
	var s boardStats
	start := nanotime()
	time.Sleep(2 * time.Millisecond)
	s.observe(queryPage, start)
	q := &s.queries[queryPage]
	if q.count.Load() != 1 || time.Duration(q.nanos.Load()) < 2*time.Millisecond {
		t.Errorf("count %d, %v timed, want 1 and at least 2ms", q.count.Load(),
			time.Duration(q.nanos.Load()))
	}
}

// BenchmarkQueryTiming is what timing a query costs: observe as the
// exports defer it, and the same timed with time.Now and time.Since.
func BenchmarkQueryTiming(b *testing.B) {
	var s boardStats
	b.Run("nanotime", func(b *testing.B) {
		for range b.N {
			s.observe(queryRank, nanotime())
		}
	})
	b.Run("time.Now", func(b *testing.B) {
		for range b.N {
			start := time.Now()
			s.record(queryRank, time.Since(start))
		}
	})
}
