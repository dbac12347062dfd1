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
	if p.shared == nil {
		*out = C.eh_backend_stats{connected: 1}
		return ehOK
	}
	s := p.shared.Stats()
	*out = C.eh_backend_stats{
		remote:  1,
		queued:  C.uint64_t(s.Queued),
		applied: C.uint64_t(s.Applied),
		dropped: C.uint64_t(s.Dropped),
		retries: C.uint64_t(s.Retries),
	}
	if s.Connected {
		out.connected = 1
	}
	return ehOK
}
