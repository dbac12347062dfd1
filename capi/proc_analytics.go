package main

/*
#include <stdint.h>
#include <stdlib.h>
#include "engagehub.h"
*/
import "C"

import (
	"fmt"
	"math"
	"time"

	"github.com/engagehub/engagehub-native/core/stream"
)

func init() {
	registerStatus(ehErrInvalidArgument, stream.ErrInvalidCount, stream.ErrInvalidTrendWindow,
		stream.ErrCorruptAnalytics, stream.ErrAnalyticsMismatch)
}

// localProcOf returns the processor behind h for a call that reads or
// writes its own sketches, which a processor whose analytics are shared in
// Redis does not answer from: feature names the call for that error.
func localProcOf(h C.uint64_t, feature string) (*processor, error) {
	p, err := procOf(h)
	if err == nil && p.shared != nil {
		err = fmt.Errorf("%w: %s: not available when the analytics are shared in Redis "+
			"(backend=), only on the processor's own sketches", errInvalidArgument, feature)
	}
	return p, err
}

// seconds converts a window in seconds to a Duration, clamped so that no
// value overflows (the core then refuses what is out of range).
func seconds(s C.int64_t) time.Duration {
	return time.Duration(max(min(s, math.MaxInt32), math.MinInt32)) * time.Second
}

//export eh_proc_unique_users_bounds
func eh_proc_unique_users_bounds(h C.uint64_t, windowSeconds C.int64_t, estimate, lower, upper *C.uint64_t) (status C.int) {
	defer recoverStatus(&status)
	p, err := localProcOf(h, "error bounds")
	if err != nil {
		return fail(err)
	}
	window := seconds(windowSeconds)
	if err := stream.ValidWindow(window); err != nil {
		return fail(err)
	}
	v, lo, hi := p.UniqueUsersBounds(window)
	*estimate, *lower, *upper = C.uint64_t(v), C.uint64_t(lo), C.uint64_t(hi)
	return ehOK
}

//export eh_proc_trending_channels
func eh_proc_trending_channels(h C.uint64_t, k C.int64_t, windowSeconds C.int64_t, out *C.eh_list) (status C.int) {
	defer recoverStatus(&status)
	*out = C.eh_list{}
	p, err := localProcOf(h, "trending windows")
	if err != nil {
		return fail(err)
	}
	top, err := p.TrendingChannels(clampInt(k), seconds(windowSeconds))
	if err != nil {
		return fail(err)
	}
	writeChannelCounts(top, out)
	return ehOK
}

// writeChannelCounts lays channel counts out as an eh_list: ids, counts in
// ints, each count's maximal over-count in reals.
func writeChannelCounts(top []stream.ChannelCount, out *C.eh_list) {
	w := listWriters.Get().(*listWriter)
	defer listWriters.Put(w)
	w.reset()
	for _, c := range top {
		w.add(c.ChannelID)
		w.addInt(int64(min(c.Count, math.MaxInt64)))
		w.addReal(float64(c.MaxOvercount))
	}
	w.writeTo(out)
}

//export eh_proc_export_analytics
func eh_proc_export_analytics(h C.uint64_t, data **C.char, length *C.size_t) (status C.int) {
	defer recoverStatus(&status)
	*data, *length = nil, 0
	p, err := localProcOf(h, "exporting analytics")
	if err != nil {
		return fail(err)
	}
	b, err := p.MarshalAnalytics()
	if err != nil {
		return fail(err)
	}
	block, mem := mallocBlock(max(len(b), 1))
	copy(mem, b)
	*data, *length = (*C.char)(block), C.size_t(len(b))
	return ehOK
}

//export eh_proc_merge_analytics
func eh_proc_merge_analytics(h C.uint64_t, data *C.char, length C.size_t) (status C.int) {
	defer recoverStatus(&status)
	p, err := localProcOf(h, "merging analytics")
	if err != nil {
		return fail(err)
	}
	// The decoder copies what it keeps, so the caller's bytes are only read.
	return result(p.MergeAnalytics(cBytes(data, length)))
}
