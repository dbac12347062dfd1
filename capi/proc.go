package main

/*
#include <stdint.h>
#include <stdlib.h>
#include "engagehub.h"
*/
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/engagehub/engagehub-native/core/stream"
)

func init() {
	registerStatus(ehErrInvalidArgument, stream.ErrInvalidConfig, stream.ErrInvalidEvent)
	registerStatus(ehErrClosed, stream.ErrClosed)
	registerStatus(ehErrTimeout, stream.ErrTimeout)
}

// ehFull is EH_FULL: a push refused because the buffer was full.
const ehFull = 7

// processor is what a processor handle refers to: the engine plus the
// batches handed out through the C ABI and not yet acknowledged, which C
// names by ID.
type processor struct {
	*stream.Processor
	mu        sync.Mutex
	handedOut map[uint64]*stream.Batch
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
	if cfg.hll_precision < 0 || cfg.hll_precision > 255 {
		return fail(fmt.Errorf("%w: hll_precision %d", errInvalidArgument, cfg.hll_precision))
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
	})
	if err != nil {
		return fail(err)
	}
	*out = newHandle(&processor{Processor: p, handedOut: make(map[uint64]*stream.Batch)})
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
	return ehOK
}

//export eh_proc_push
func eh_proc_push(h C.uint64_t, typ *C.char, typLen C.size_t, user *C.char, userLen C.size_t,
	channel *C.char, channelLen C.size_t, ts C.int64_t) (status C.int) {
	defer recoverStatus(&status)
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	// One allocation holds the three strings the event keeps.
	buf := make([]byte, int(typLen)+int(userLen)+int(channelLen))
	n := copy(buf, cBytes(typ, typLen))
	m := n + copy(buf[n:], cBytes(user, userLen))
	copy(buf[m:], cBytes(channel, channelLen))
	ok, err := p.TryPush(stream.Event{
		Type:      bytesString(buf[:n]),
		UserID:    bytesString(buf[n:m]),
		ChannelID: bytesString(buf[m:]),
		Timestamp: int64(ts),
	})
	switch {
	case err != nil:
		return fail(err)
	case !ok:
		return ehFull
	}
	return ehOK
}

//export eh_proc_push_many
func eh_proc_push_many(h C.uint64_t, fields *C.char, fieldsLen C.size_t, lengths *C.int64_t,
	timestamps *C.int64_t, count C.size_t, accepted *C.size_t) (status C.int) {
	defer recoverStatus(&status)
	*accepted = 0
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	n := int(count)
	if n == 0 {
		return ehOK
	}
	// The events keep their strings: copy the chunk once and slice it (its
	// memory lives until the chunk's last event is delivered).
	data := bytes.Clone(cBytes(fields, fieldsLen))
	var columns []string
	if lengths == nil {
		columns, err = splitFields(data, 3*n)
	} else {
		columns, err = cutFields(data, unsafe.Slice((*int64)(unsafe.Pointer(lengths)), 3*n))
	}
	if err != nil {
		return fail(err)
	}
	stamps := unsafe.Slice((*int64)(unsafe.Pointer(timestamps)), n)
	events := make([]stream.Event, n)
	for i := range events {
		events[i] = stream.Event{Type: columns[i], UserID: columns[n+i], ChannelID: columns[2*n+i], Timestamp: stamps[i]}
	}
	pushed, err := p.PushBatch(events)
	*accepted = C.size_t(pushed)
	if err != nil {
		if errors.Is(err, stream.ErrInvalidEvent) {
			return fail(fmt.Errorf("event %d: %w", pushed, err))
		}
		return fail(err)
	}
	return ehOK
}

// cutFields cuts data into fields of the given byte lengths, which must add
// up to len(data).
func cutFields(data []byte, sizes []int64) ([]string, error) {
	total := int64(0)
	for _, size := range sizes {
		if size < 0 {
			total = -1
			break
		}
		total += size
	}
	if total != int64(len(data)) {
		return nil, fmt.Errorf("%w: the field lengths do not add up to the %d bytes given", errInvalidArgument, len(data))
	}
	fields := make([]string, len(sizes))
	pos := int64(0)
	for i, size := range sizes {
		fields[i] = bytesString(data[pos : pos+size])
		pos += size
	}
	return fields, nil
}

// splitFields splits data at NUL bytes into exactly n fields.
func splitFields(data []byte, n int) ([]string, error) {
	fields := make([]string, 0, n)
	for len(fields) < n-1 {
		end := bytes.IndexByte(data, 0)
		if end < 0 {
			break
		}
		fields = append(fields, bytesString(data[:end]))
		data = data[end+1:]
	}
	if len(fields) != n-1 || bytes.IndexByte(data, 0) >= 0 {
		return nil, fmt.Errorf("%w: the field list does not hold %d NUL-separated fields", errInvalidArgument, n)
	}
	return append(fields, bytesString(data)), nil
}

//export eh_proc_set_consumer
func eh_proc_set_consumer(h C.uint64_t, attached C.int) (status C.int) {
	defer recoverStatus(&status)
	p, err := procOf(h)
	if err != nil {
		return fail(err)
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
	b, err := p.Next(millis(timeoutMs))
	if err != nil {
		return fail(err)
	}
	if b == nil {
		return ehOK
	}
	writeBatch(out, b)
	p.mu.Lock()
	p.handedOut[b.ID] = b
	p.mu.Unlock()
	return ehOK
}

// writeBatch lays b out in one malloc'd block: timestamps, then the fields.
func writeBatch(out *C.eh_batch, b *stream.Batch) {
	n := len(b.Events)
	size := n * 8
	for i := range b.Events {
		e := &b.Events[i]
		size += len(e.Type) + len(e.UserID) + len(e.ChannelID) + 3
	}
	block, mem := mallocBlock(size)
	stamps := unsafe.Slice((*int64)(block), n)
	pos := n * 8
	for i := range b.Events {
		e := &b.Events[i]
		stamps[i] = e.Timestamp
		pos += copy(mem[pos:], e.Type)
		mem[pos] = idSeparator
		pos++
		pos += copy(mem[pos:], e.UserID)
		mem[pos] = idSeparator
		pos++
		pos += copy(mem[pos:], e.ChannelID)
		mem[pos] = idSeparator
		pos++
	}
	*out = C.eh_batch{
		block:         block,
		id:            C.uint64_t(b.ID),
		count:         C.size_t(n),
		timestamps:    (*C.int64_t)(block),
		fields:        (*C.char)(unsafe.Pointer(&mem[n*8])),
		fields_length: C.size_t(size - n*8),
	}
}

//export eh_proc_done
func eh_proc_done(h C.uint64_t, id C.uint64_t) (status C.int) {
	defer recoverStatus(&status)
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	p.mu.Lock()
	b, ok := p.handedOut[uint64(id)]
	delete(p.handedOut, uint64(id))
	p.mu.Unlock()
	if !ok {
		return fail(fmt.Errorf("%w: batch %d is not handed out", errInvalidArgument, uint64(id)))
	}
	p.Done(b)
	return ehOK
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
	if windowSeconds < 0 || windowSeconds > 3600 {
		return fail(fmt.Errorf("%w: window must lie in 0..3600 seconds, got %d", errInvalidArgument, windowSeconds))
	}
	*out = C.uint64_t(p.UniqueUsers(time.Duration(windowSeconds) * time.Second))
	return ehOK
}

//export eh_proc_top_channels
func eh_proc_top_channels(h C.uint64_t, k C.int64_t, out *C.eh_counts) (status C.int) {
	defer recoverStatus(&status)
	*out = C.eh_counts{}
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	if k < 0 {
		return fail(fmt.Errorf("%w: k must be >= 0", errInvalidArgument))
	}
	top := p.TopChannels(clampInt(k))
	n := len(top)
	if n == 0 {
		return ehOK
	}
	size := n * 8
	for _, c := range top {
		size += len(c.ChannelID) + 1
	}
	block, mem := mallocBlock(size)
	counts := unsafe.Slice((*uint64)(block), n)
	pos := n * 8
	for i, c := range top {
		counts[i] = c.Count
		pos += copy(mem[pos:], c.ChannelID)
		mem[pos] = idSeparator
		pos++
	}
	*out = C.eh_counts{
		block:      block,
		count:      C.size_t(n),
		counts:     (*C.uint64_t)(block),
		ids:        (*C.char)(unsafe.Pointer(&mem[n*8])),
		ids_length: C.size_t(size - n*8),
	}
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
