package main

/*
#include <stdint.h>
#include "engagehub.h"
*/
import "C"

import (
	"math/bits"
	"sync/atomic"
	"time"
	_ "unsafe" // for go:linkname
)

// Query kinds of eh_board_counters, as the header numbers them.
const (
	queryRank   = C.EH_QUERY_RANK
	queryPage   = C.EH_QUERY_PAGE
	queryAround = C.EH_QUERY_AROUND
	queryKinds  = C.EH_QUERY_KINDS
	// latencyBuckets: bucket i counts queries that took at most 2^i µs.
	latencyBuckets = C.EH_LATENCY_BUCKETS
)

// boardStats counts a board's updates and times its queries: two reads of
// the monotonic clock and three uncontended atomic adds per query (tens of
// nanoseconds, against queries of microseconds), nothing per update beyond
// one add per submitted batch.
type boardStats struct {
	updates atomic.Uint64
	refused atomic.Uint64
	queries [queryKinds]queryStats
}

type queryStats struct {
	count   atomic.Uint64
	nanos   atomic.Uint64
	buckets [latencyBuckets]atomic.Uint64 // not cumulative
}

// nanotime is the runtime's monotonic clock in nanoseconds. A query timed
// with it reads one clock twice; time.Now reads the wall clock as well and
// time.Since the monotonic one again, which cost about 80 ns more per
// query (BenchmarkQueryTiming).
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// observe records a query of kind that started at start (a nanotime
// reading); deferred by the exports that answer queries.
func (s *boardStats) observe(kind int, start int64) {
	s.record(kind, time.Duration(nanotime()-start))
}

// record counts one query of kind that took d.
func (s *boardStats) record(kind int, d time.Duration) {
	q := &s.queries[kind]
	q.count.Add(1)
	q.nanos.Add(uint64(d))
	micros := (uint64(d) + 999) / 1000
	if i := bits.Len64(max(micros, 1) - 1); i < latencyBuckets {
		q.buckets[i].Add(1)
	}
}

//export eh_board_stats
func eh_board_stats(h C.uint64_t, out *C.eh_board_counters) (status C.int) {
	defer recoverStatus(&status)
	b, err := syncedBoardOf(h)
	if err != nil {
		return fail(err)
	}
	length, err := b.Len()
	if err != nil {
		return fail(err)
	}
	out.length = C.uint64_t(length)
	out.updates = C.uint64_t(b.QueryStats().updates.Load())
	out.refused = C.uint64_t(b.QueryStats().refused.Load())
	for k := range b.QueryStats().queries {
		q := &b.QueryStats().queries[k]
		out.query_count[k] = C.uint64_t(q.count.Load())
		out.query_nanos[k] = C.uint64_t(q.nanos.Load())
		for i := range q.buckets {
			out.query_buckets[k][i] = C.uint64_t(q.buckets[i].Load())
		}
	}
	return ehOK
}
