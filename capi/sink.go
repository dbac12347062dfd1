package main

/*
#include <stdint.h>
#include <stdlib.h>
#include "engagehub.h"
*/
import "C"

import (
	"context"
	"fmt"
	"time"

	"github.com/engagehub/engagehub-native/core/pgsink"
)

func init() {
	registerStatus(ehErrInvalidArgument, pgsink.ErrInvalidConfig, pgsink.ErrNotHanded)
	registerStatus(ehErrSink, pgsink.ErrTable)
	registerStatus(ehErrUnreachable, pgsink.ErrUnreachable)
}

//export eh_proc_attach_sink
func eh_proc_attach_sink(h C.uint64_t, cfg *C.eh_sink_config) (status C.int) {
	defer recoverStatus(&status)
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	config := pgsink.Config{
		DSN:            string(cBytes(cfg.dsn, cfg.dsn_length)),
		Table:          string(cBytes(cfg.table, cfg.table_length)),
		Workers:        clampInt(cfg.workers),
		MaxAttempts:    clampInt(cfg.max_attempts),
		ConnectTimeout: time.Duration(max(0, int64(cfg.connect_timeout_ms))) * time.Millisecond,
	}
	if cfg.columns_length > 0 {
		cols, err := readStrings(cfg.columns, cfg.columns_length, 4)
		if err != nil {
			return fail(err)
		}
		copy(config.Columns[:], cols)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pump.Load() != nil {
		return fail(fmt.Errorf("%w: the processor already has a sink", errInvalidArgument))
	}
	if p.Stats().Pushed != 0 {
		return fail(fmt.Errorf("%w: attach the sink before the first push", errInvalidArgument))
	}
	w, err := pgsink.Open(context.Background(), config)
	if err != nil {
		return fail(err)
	}
	p.KeepFields()
	p.pump.Store(pgsink.NewPump(p.Processor, w))
	return ehOK
}

//export eh_proc_sink_stats
func eh_proc_sink_stats(h C.uint64_t, out *C.eh_sink_counters, lastError *C.eh_list) (status C.int) {
	defer recoverStatus(&status)
	*lastError = C.eh_list{}
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	pump := p.pump.Load()
	if pump == nil {
		return fail(fmt.Errorf("%w: the processor has no sink", errInvalidArgument))
	}
	s := pump.Stats()
	down := C.int64_t(0)
	if s.Down {
		down = 1
	}
	*out = C.eh_sink_counters{
		written: C.uint64_t(s.Written), failed: C.uint64_t(s.Failed), failures: C.uint64_t(s.Failures),
		retries: C.uint64_t(s.Retries), writing: C.uint64_t(s.Writing), down: down,
	}
	if s.LastError != "" {
		var w listWriter
		w.add(s.LastError)
		w.writeTo(lastError)
	}
	return ehOK
}
