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

// boardStats counts a board's updates and times its queries: two clock
// reads and three uncontended atomic adds per query (tens of nanoseconds,
// against queries of microseconds), nothing per update beyond one add per
// submitted batch.
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

// observe records a query of kind that started at start; deferred by the
// exports that answer queries.
func (s *boardStats) observe(kind int, start time.Time) {
	s.record(kind, time.Since(start))
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
