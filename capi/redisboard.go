package main

/*
#include <stdint.h>
#include <stdlib.h>
#include "engagehub.h"
*/
import "C"

import (
	"errors"
	"fmt"

	"github.com/engagehub/engagehub-native/core/leaderboard"
	"github.com/engagehub/engagehub-native/core/redisboard"
)

func init() {
	registerStatus(ehErrInvalidArgument, redisboard.ErrInvalidURL, redisboard.ErrInvalidName,
		redisboard.ErrConfigMismatch)
	registerStatus(ehErrBackend, redisboard.ErrUnavailable)
	registerStatus(ehErrClosed, redisboard.ErrClosed)
}

// redisBoard is a board handle over a board in Redis.
type redisBoard struct {
	*redisboard.Board
	stats *boardStats
}

func (b redisBoard) QueryStats() *boardStats { return b.stats }

// Submit queues u's updates; their ids stay in the queue until sent, so u is
// not handed back for reuse.
func (b redisBoard) Submit(u *updateBatch) error { return b.Board.Submit(u.ids, u.points, u.stamps) }

func (b redisBoard) Config() (float64, int, int64) {
	// Another process may have loaded a snapshot with another factor;
	// while Redis is down the last values known stand.
	b.Refresh()
	return b.DecayFactor(), b.MaxUsers(), b.LatestTimestamp()
}

func (b redisBoard) Visit(offset, limit int, now float64, fn func(leaderboard.Entry) bool) error {
	return b.VisitAs(leaderboard.Ordinal, offset, limit, now, fn)
}

//export eh_board_new_redis
func eh_board_new_redis(url *C.char, urlLen C.size_t, name *C.char, nameLen C.size_t,
	decay C.double, maxUsers C.int64_t, out *C.uint64_t) (status C.int) {
	defer recoverStatus(&status)
	b, err := redisboard.Open(C.GoStringN(url, C.int(urlLen)), C.GoStringN(name, C.int(nameLen)),
		float64(decay), int(maxUsers), redisboard.Options{})
	if err != nil {
		if errors.Is(err, leaderboard.ErrInvalidDecay) || errors.Is(err, leaderboard.ErrInvalidLimit) {
			err = fmt.Errorf("decay_factor %v, max_users %d: %w", float64(decay), int64(maxUsers), err)
		}
		return fail(err)
	}
	*out = newHandle(board(redisBoard{b, new(boardStats)}))
	return ehOK
}

//export eh_board_backend_stats
func eh_board_backend_stats(h C.uint64_t, out *C.eh_backend_stats) (status C.int) {
	defer recoverStatus(&status)
	b, err := boardOf(h)
	if err != nil {
		return fail(err)
	}
	var s *redisboard.Stats
	if rb, ok := b.(redisBoard); ok {
		st := rb.Stats()
		s = &st
	}
	putBackendStats(out, s)
	return ehOK
}
