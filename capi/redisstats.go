package main

/*
#include <stdint.h>
#include "engagehub.h"
*/
import "C"

import "github.com/engagehub/engagehub-native/core/redisconn"

// putBackendStats writes a store's counters for eh_board_backend_stats and
// eh_proc_backend_stats: s is nil for a store kept in this process (never
// disconnected, nothing queued), else a Redis store's Sender stats.
func putBackendStats(out *C.eh_backend_stats, s *redisconn.Stats) {
	if s == nil {
		*out = C.eh_backend_stats{connected: 1}
		return
	}
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
}
