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
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/engagehub/engagehub-native/core/pgsink"
	"github.com/engagehub/engagehub-native/core/redisstream"
	"github.com/engagehub/engagehub-native/core/stream"
)

func init() {
	registerStatus(ehErrInvalidArgument, stream.ErrInvalidConfig, stream.ErrInvalidEvent, stream.ErrInvalidWindow,
		stream.ErrNotHandedOut)
	registerStatus(ehErrClosed, stream.ErrClosed)
	registerStatus(ehErrTimeout, stream.ErrTimeout)
}

// processor is what a processor handle refers to: the engine, with what
// shares its analytics or consumes its batches. C names batches by ID
// (stream.Processor.DoneID).
type processor struct {
	*stream.Processor
	shared *redisstream.Analytics // analytics shared in Redis, or nil
	mu     sync.Mutex             // serializes attaching a sink (capi/sink.go)
	copies listCopies             // of push_many's lists (capi/listcopies.go)

	// pump is the native sink (capi/sink.go), set once before the first
	// push: it is then the engine's consumer, and eh_proc_next,
	// eh_proc_done and eh_proc_set_consumer go through it.
	pump atomic.Pointer[pgsink.Pump]
}

// keptFrom is the lowest stream position a caller of eh_proc_next may still
// be handed or be holding (stream.Processor.KeptFrom).
func (p *processor) keptFrom() uint64 {
	if pump := p.pump.Load(); pump != nil {
		return pump.KeptFrom()
	}
	return p.KeptFrom()
}

func procOf(h C.uint64_t) (*processor, error) {
	return handleValue[*processor](h)
}

func millis(ms C.int64_t) time.Duration {
	if ms <= 0 {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

//export eh_proc_new
func eh_proc_new(cfg *C.eh_proc_config, out *C.uint64_t) (status C.int) {
	defer recoverStatus(&status)
	return newProcessor(cfg, nil, out)
}

// newProcessor creates a processor whose analytics are also kept in shared
// when it is not nil (eh_proc_new_redis), and writes back its settings.
func newProcessor(cfg *C.eh_proc_config, shared *redisstream.Analytics, out *C.uint64_t) C.int {
	if cfg.hll_precision < 0 || cfg.hll_precision > math.MaxUint8 { // would not fit Config's uint8
		return fail(fmt.Errorf("%w: HLLPrecision %d (want %d..%d, 0 for the default)",
			stream.ErrInvalidConfig, cfg.hll_precision, stream.MinHLLPrecision, stream.MaxHLLPrecision))
	}
	p, err := stream.New(stream.Config{
		BufferSize:    int(cfg.buffer_size),
		BatchSize:     int(cfg.batch_size),
		FlushInterval: time.Duration(cfg.flush_interval_us) * time.Microsecond,
		MaxPending:    int(cfg.max_pending),
		HLLPrecision:  uint8(cfg.hll_precision),
		TopKCapacity:  int(cfg.topk_capacity),
		CMSEpsilon:    float64(cfg.cms_epsilon),
		CMSDelta:      float64(cfg.cms_delta),
		// The caller keeps the events and names them by position.
		ForgetFields: true,
		Shared:       sharedSink(shared),
	})
	if err != nil {
		return fail(err)
	}
	c := p.Config()
	*cfg = C.eh_proc_config{
		buffer_size:       C.int64_t(c.BufferSize),
		batch_size:        C.int64_t(c.BatchSize),
		flush_interval_us: C.int64_t(c.FlushInterval / time.Microsecond),
		max_pending:       C.int64_t(c.MaxPending),
		hll_precision:     C.int64_t(c.HLLPrecision),
		topk_capacity:     C.int64_t(c.TopKCapacity),
		cms_epsilon:       C.double(c.CMSEpsilon),
		cms_delta:         C.double(c.CMSDelta),
	}
	*out = newHandle(&processor{Processor: p, shared: shared})
	return ehOK
}

//export eh_proc_free
func eh_proc_free(h C.uint64_t) (status C.int) {
	defer recoverStatus(&status)
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	if err := deleteHandle(h); err != nil {
		return fail(err)
	}
	_ = p.Close(0) // stop the analyser; a timeout here only means it was still draining
	if pump := p.pump.Load(); pump != nil {
		pump.Stop(time.Second) // a batch still being retried is counted as failed
	}
	if p.shared != nil {
		p.shared.Close()
	}
	// A processor's sketches are megabytes; hand them back to the OS now
	// rather than whenever the next collection happens (a process that
	// drops processors may allocate nothing more in Go for a long time).
	debug.FreeOSMemory()
	return ehOK
}

//export eh_proc_push_many
func eh_proc_push_many(h C.uint64_t, fields *C.char, fieldsLen C.size_t, timestamps *C.int64_t,
	count C.size_t, out *C.eh_push_result) (status C.int) {
	defer recoverStatus(&status)
	*out = C.eh_push_result{}
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	defer func() {
		out.room = C.size_t(p.Room())
		out.kept_from = C.uint64_t(p.keptFrom())
	}()
	n := int(count)
	if n == 0 {
		return ehOK
	}
	stamps := unsafe.Slice((*int64)(unsafe.Pointer(timestamps)), n)
	pushed, err := p.offerCopy(cBytes(fields, fieldsLen), stamps, n)
	out.accepted = C.size_t(pushed)
	return result(err)
}

//export eh_proc_count_dropped
func eh_proc_count_dropped(h C.uint64_t, n C.uint64_t) (status C.int) {
	defer recoverStatus(&status)
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	p.CountDropped(uint64(n))
	return ehOK
}

//export eh_proc_set_consumer
func eh_proc_set_consumer(h C.uint64_t, attached C.int) (status C.int) {
	defer recoverStatus(&status)
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	if pump := p.pump.Load(); pump != nil {
		pump.SetAttached(attached != 0)
		return ehOK
	}
	p.SetConsumer(attached != 0)
	return ehOK
}

//export eh_proc_next
func eh_proc_next(h C.uint64_t, timeoutMs C.int64_t, out *C.eh_batch) (status C.int) {
	defer recoverStatus(&status)
	*out = C.eh_batch{}
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	return p.next(timeoutMs, out)
}

//export eh_proc_done
func eh_proc_done(h C.uint64_t, id C.uint64_t) (status C.int) {
	defer recoverStatus(&status)
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	return p.done(id)
}

//export eh_proc_done_next
func eh_proc_done_next(h C.uint64_t, id C.uint64_t, timeoutMs C.int64_t, out *C.eh_batch) (status C.int) {
	defer recoverStatus(&status)
	*out = C.eh_batch{}
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	if id != 0 {
		if status := p.done(id); status != ehOK {
			return status
		}
	}
	return p.next(timeoutMs, out)
}

// next waits up to timeoutMs for a batch and describes it in out (count 0
// when none came in time).
func (p *processor) next(timeoutMs C.int64_t, out *C.eh_batch) C.int {
	var b *stream.Batch
	var err error
	if pump := p.pump.Load(); pump != nil {
		b, err = pump.Next(millis(timeoutMs))
	} else {
		b, err = p.Next(millis(timeoutMs))
	}
	if err != nil {
		return fail(err)
	}
	if b != nil {
		*out = C.eh_batch{id: C.uint64_t(b.ID), first: C.uint64_t(b.First), count: C.size_t(len(b.Events))}
	}
	return ehOK
}

// done acknowledges the batch with ID id.
func (p *processor) done(id C.uint64_t) C.int {
	if pump := p.pump.Load(); pump != nil {
		return result(pump.Done(uint64(id)))
	}
	return result(p.DoneID(uint64(id)))
}

//export eh_proc_flush_begin
func eh_proc_flush_begin(h C.uint64_t, mark *C.uint64_t) (status C.int) {
	defer recoverStatus(&status)
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	*mark = C.uint64_t(p.BeginFlush())
	return ehOK
}

//export eh_proc_flush_wait
func eh_proc_flush_wait(h C.uint64_t, mark C.uint64_t, timeoutMs C.int64_t, waitDelivery C.int) (status C.int) {
	defer recoverStatus(&status)
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	return result(p.WaitFlush(uint64(mark), millis(timeoutMs), waitDelivery != 0))
}

//export eh_proc_close
func eh_proc_close(h C.uint64_t, timeoutMs C.int64_t) (status C.int) {
	defer recoverStatus(&status)
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	return result(p.Close(millis(timeoutMs)))
}

//export eh_proc_unique_users
func eh_proc_unique_users(h C.uint64_t, windowSeconds C.int64_t, out *C.uint64_t) (status C.int) {
	defer recoverStatus(&status)
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	window := time.Duration(max(min(windowSeconds, math.MaxInt32), math.MinInt32)) * time.Second
	if err := stream.ValidWindow(window); err != nil {
		return fail(err)
	}
	if p.shared != nil {
		n, err := p.shared.UniqueUsers(window, time.Now())
		if err != nil {
			return fail(err)
		}
		*out = C.uint64_t(n)
		return ehOK
	}
	*out = C.uint64_t(p.UniqueUsers(window))
	return ehOK
}

//export eh_proc_top_channels
func eh_proc_top_channels(h C.uint64_t, k C.int64_t, out *C.eh_list) (status C.int) {
	defer recoverStatus(&status)
	*out = C.eh_list{}
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	if k < 0 {
		return fail(fmt.Errorf("%w: k must be >= 0", errInvalidArgument))
	}
	if p.shared != nil { // the last hour's exact counts, shared in Redis
		channels, err := p.shared.TopChannels(clampInt(k), time.Now())
		if err != nil {
			return fail(err)
		}
		writeChannelCounts(channels, out)
		return ehOK
	}
	writeChannelCounts(p.TopChannels(clampInt(k)), out)
	return ehOK
}

//export eh_proc_stats
func eh_proc_stats(h C.uint64_t, out *C.eh_proc_counters) (status C.int) {
	defer recoverStatus(&status)
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	s := p.Stats()
	*out = C.eh_proc_counters{
		pushed: C.uint64_t(s.Pushed), accepted: C.uint64_t(s.Accepted), dropped: C.uint64_t(s.Dropped),
		rejected: C.uint64_t(s.Rejected), invalid: C.uint64_t(s.Invalid), processed: C.uint64_t(s.Processed),
		batches: C.uint64_t(s.Batches), handed_out: C.uint64_t(s.HandedOut), delivered: C.uint64_t(s.Delivered),
		pending: C.uint64_t(s.Pending), queued: C.uint64_t(s.Queued), queue_depth: C.uint64_t(s.QueueDepth),
	}
	return ehOK
}
