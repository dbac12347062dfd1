package main

/*
#include <stdint.h>
#include <stdlib.h>
#include "engagehub.h"
*/
import "C"

import (
	"github.com/engagehub/engagehub-native/core/redisstream"
	"github.com/engagehub/engagehub-native/core/stream"
)

func init() {
	registerStatus(ehErrInvalidArgument, redisstream.ErrInvalidName)
	registerStatus(ehErrClosed, redisstream.ErrClosed)
}

// sharedSink is a processor's stream.Sink: nil (no interface holding a nil
// pointer) when its analytics are local only.
func sharedSink(a *redisstream.Analytics) stream.Sink {
	if a == nil {
		return nil
	}
	return a
}

//export eh_proc_new_redis
func eh_proc_new_redis(cfg *C.eh_proc_config, url *C.char, urlLen C.size_t, name *C.char, nameLen C.size_t,
	out *C.uint64_t) (status C.int) {
	defer recoverStatus(&status)
	shared, err := redisstream.Open(C.GoStringN(url, C.int(urlLen)), C.GoStringN(name, C.int(nameLen)), 0)
	if err != nil {
		return fail(err)
	}
	if status := newProcessor(cfg, shared, out); status != ehOK {
		shared.Close()
		return status
	}
	return ehOK
}

//export eh_proc_backend_stats
func eh_proc_backend_stats(h C.uint64_t, out *C.eh_backend_stats) (status C.int) {
	defer recoverStatus(&status)
	p, err := procOf(h)
	if err != nil {
		return fail(err)
	}
	var s *redisstream.Stats
	if p.shared != nil {
		st := p.shared.Stats()
		s = &st
	}
	putBackendStats(out, s)
	return ehOK
}
