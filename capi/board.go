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
	"math"
	"strings"
	"sync"
	"unsafe"

	"github.com/engagehub/engagehub-native/core/leaderboard"
	"github.com/engagehub/engagehub-native/core/redisboard"
)

func init() {
	// First: a snapshot refused for an entry's timestamp is a snapshot error.
	registerStatus(ehErrSnapshot, leaderboard.ErrSnapshot)
	registerStatus(ehErrInvalidArgument,
		leaderboard.ErrInvalidDecay, leaderboard.ErrInvalidLimit,
		leaderboard.ErrInvalidPoints, leaderboard.ErrInvalidUserID, leaderboard.ErrTimestampRange)
	registerStatus(ehErrCapacity, leaderboard.ErrFull)
}

// board is what a board handle refers to: a store of ranked users behind
// the same exports, the embedded one (embeddedBoard, below) or one in Redis
// (redisboard.go). Reads of users go through syncedBoardOf, so they see
// every update submitted before them.
type board interface {
	// Config returns the decay factor, the limit on users and the latest
	// timestamp an update may carry now.
	Config() (decay float64, maxUsers int, latest int64)
	Len() (int, error)
	// Submit queues the updates of u to apply in order; u now belongs to
	// the board, which may hand it back (u.release) once it keeps nothing of it.
	Submit(u *updateBatch) error
	// Sync waits until every update submitted before it is applied.
	Sync() error
	Refusals() (int, error)
	Remove(id string) (bool, error)
	Rank(id string, now float64) (leaderboard.Entry, bool, error)
	// Visit calls fn for ranks offset+1 .. offset+limit, in order.
	Visit(offset, limit int, now float64, fn func(leaderboard.Entry) bool) error
	Around(id string, before, after int, now float64) ([]leaderboard.Entry, error)
	Save(path string) error
	Load(path string) error
	Close() error
	// QueryStats returns the counters and query latencies of eh_board_stats (board_stats.go).
	QueryStats() *boardStats
}

// embeddedBoard is the in-process board and the background applier of the
// updates the caller submits without waiting.
type embeddedBoard struct {
	*leaderboard.Board
	updates *leaderboard.Background
	stats   boardStats // board_stats.go
}

func (b *embeddedBoard) Config() (float64, int, int64) {
	return b.DecayFactor(), b.MaxUsers(), b.LatestTimestamp()
}

func (b *embeddedBoard) Len() (int, error) { return b.Board.Len(), nil }

func (b *embeddedBoard) QueryStats() *boardStats { return &b.stats }

func (b *embeddedBoard) Submit(u *updateBatch) error {
	b.updates.Submit(u.ids, u.points, u.stamps, u.first, u.release)
	return nil
}

// updateBatch is one eh_board_update_many call's updates, copied out of the
// caller's memory. Batches are pooled and reused once the embedded board has
// applied them: otherwise a board loading millions of users leaves about 60
// bytes of garbage per update, which the collector lets grow to the size of
// the board between its cycles, in resident memory.
type updateBatch struct {
	text   []byte // the ids' bytes, which ids share
	ids    []string
	points []float64
	stamps []int64
	first  int // the caller's number for the first update, < 0: none (see eh_board_update_many)
}

var updateBatches = sync.Pool{New: func() any { return new(updateBatch) }}

// readUpdates copies n updates, numbered from first, out of the caller's
// memory into a pooled batch.
func readUpdates(ids *C.char, idsLen C.size_t, points *C.double, timestamps *C.int64_t, n, first int) (*updateBatch, error) {
	if err := listFits(n, int(idsLen)); err != nil { // before the slices of n are made
		return nil, err
	}
	return newUpdateBatch(cBytes(ids, idsLen), n, unsafe.Slice((*float64)(unsafe.Pointer(points)), n),
		unsafe.Slice((*int64)(unsafe.Pointer(timestamps)), n), first)
}

// newUpdateBatch copies n updates, their ids in the wire format, into a
// pooled batch; first is the caller's number for the first (< 0: none).
func newUpdateBatch(ids []byte, n int, points []float64, stamps []int64, first int) (*updateBatch, error) {
	u := updateBatches.Get().(*updateBatch)
	u.first = first
	u.text = append(u.text[:0], ids...)
	var err error
	if u.ids, err = cutStrings(u.ids[:0], unsafe.String(unsafe.SliceData(u.text), len(u.text)), n); err != nil {
		return nil, err
	}
	u.points = append(u.points[:0], points...)
	u.stamps = append(u.stamps[:0], stamps...)
	return u, nil
}

// release hands u back for reuse: nothing may use its strings or slices after.
func (u *updateBatch) release() { updateBatches.Put(u) }

func (b *embeddedBoard) Sync() error { b.updates.Sync(); return nil }

func (b *embeddedBoard) Refusals() (int, error) { return b.updates.Refusals() }

func (b *embeddedBoard) Remove(id string) (bool, error) { return b.Board.Remove(id), nil }

func (b *embeddedBoard) Rank(id string, now float64) (leaderboard.Entry, bool, error) {
	e, ok := b.Board.Rank(id, now)
	return e, ok, nil
}

func (b *embeddedBoard) Visit(offset, limit int, now float64, fn func(leaderboard.Entry) bool) error {
	b.Board.Visit(offset, limit, now, fn)
	return nil
}

func (b *embeddedBoard) Around(id string, before, after int, now float64) ([]leaderboard.Entry, error) {
	es, _ := b.Board.Around(id, before, after, now)
	return es, nil
}

func (b *embeddedBoard) Close() error { return nil }

// boardOf returns the board behind h, for a call that does not read users.
func boardOf(h C.uint64_t) (board, error) {
	return handleValue[board](h)
}

// syncedBoardOf returns the board behind h once every update submitted
// before the call is applied: what every read of users goes through.
func syncedBoardOf(h C.uint64_t) (board, error) {
	b, err := handleValue[board](h)
	if err == nil {
		err = b.Sync()
	}
	return b, err
}

//export eh_board_new
func eh_board_new(decay C.double, maxUsers C.int64_t, out *C.uint64_t) (status C.int) {
	defer recoverStatus(&status)
	b, err := leaderboard.New(float64(decay), int(maxUsers))
	if err != nil {
		return fail(fmt.Errorf("decay_factor %v, max_users %d: %w", float64(decay), int64(maxUsers), err))
	}
	*out = newHandle(board(&embeddedBoard{Board: b, updates: leaderboard.NewBackground(b)}))
	return ehOK
}

//export eh_board_free
func eh_board_free(h C.uint64_t) (status C.int) {
	defer recoverStatus(&status)
	b, err := boardOf(h)
	if err != nil {
		return fail(err)
	}
	b.Sync() // let a running apply finish; a board in Redis sends what it can
	if err := deleteHandle(h); err != nil {
		return fail(err)
	}
	return result(b.Close())
}

//export eh_board_config
func eh_board_config(h C.uint64_t, decay *C.double, maxUsers *C.int64_t, latest *C.int64_t) (status C.int) {
	defer recoverStatus(&status)
	b, err := boardOf(h)
	if err != nil {
		return fail(err)
	}
	d, m, l := b.Config()
	*decay, *maxUsers, *latest = C.double(d), C.int64_t(m), C.int64_t(l)
	return ehOK
}

//export eh_board_len
func eh_board_len(h C.uint64_t, length *C.int64_t) (status C.int) {
	defer recoverStatus(&status)
	b, err := syncedBoardOf(h)
	if err != nil {
		return fail(err)
	}
	n, err := b.Len()
	if err != nil {
		return fail(err)
	}
	*length = C.int64_t(n)
	return ehOK
}

//export eh_board_update_many
func eh_board_update_many(h C.uint64_t, ids *C.char, idsLen C.size_t, points *C.double, timestamps *C.int64_t,
	count C.size_t, firstIndex C.int64_t, wait C.int, refused *C.size_t) (status C.int) {
	defer recoverStatus(&status)
	*refused = 0
	b, err := boardOf(h)
	if err != nil {
		return fail(err)
	}
	n := int(count)
	first := int(max(firstIndex, -1))
	u, err := readUpdates(ids, idsLen, points, timestamps, n, first)
	if err != nil {
		return fail(err)
	}
	for i, p := range u.points {
		if math.IsNaN(p) || math.IsInf(p, 0) {
			err := &leaderboard.UpdateError{Index: i, UserID: strings.Clone(u.ids[i]), Timestamp: u.stamps[i],
				Err: fmt.Errorf("%w: %v", leaderboard.ErrInvalidPoints, p)}
			err.Renumber(first)
			u.release()
			return fail(err)
		}
	}
	if err := b.Submit(u); err != nil {
		return fail(err)
	}
	if wait != 0 {
		// Unreachable Redis keeps the updates queued: not the caller's error.
		if err := b.Sync(); err != nil && !errors.Is(err, redisboard.ErrUnavailable) {
			return fail(err)
		}
	}
	skipped, why := b.Refusals()
	*refused = C.size_t(skipped)
	b.QueryStats().updates.Add(uint64(n))
	b.QueryStats().refused.Add(uint64(skipped))
	return result(why)
}

//export eh_board_remove
func eh_board_remove(h C.uint64_t, id *C.char, idLen C.size_t, removed *C.int) (status C.int) {
	defer recoverStatus(&status)
	b, err := syncedBoardOf(h)
	if err != nil {
		return fail(err)
	}
	*removed = 0
	ok, err := b.Remove(borrowString(id, idLen))
	if err != nil {
		return fail(err)
	}
	if ok {
		*removed = 1
	}
	return ehOK
}

//export eh_board_standing
func eh_board_standing(h C.uint64_t, id *C.char, idLen C.size_t, now C.double, out *C.eh_standing) (status C.int) {
	defer recoverStatus(&status)
	b, err := syncedBoardOf(h)
	if err != nil {
		return fail(err)
	}
	defer b.QueryStats().observe(queryRank, nanotime())
	e, ok, err := b.Rank(borrowString(id, idLen), float64(now))
	if err != nil {
		return fail(err)
	}
	if !ok {
		*out = C.eh_standing{}
		return ehOK
	}
	*out = C.eh_standing{rank: C.int64_t(e.Rank), score: C.double(e.Score), last_update: C.int64_t(e.LastUpdate)}
	return ehOK
}

//export eh_board_page
func eh_board_page(h C.uint64_t, offset, limit C.int64_t, now C.double, out *C.eh_list, firstRank *C.int64_t) (status C.int) {
	defer recoverStatus(&status)
	*out = C.eh_list{}
	b, err := syncedBoardOf(h)
	if err != nil {
		return fail(err)
	}
	if offset < 0 || limit < 0 {
		return fail(fmt.Errorf("%w: offset and limit must be >= 0", errInvalidArgument))
	}
	defer b.QueryStats().observe(queryPage, nanotime())
	w := listWriters.Get().(*listWriter)
	defer listWriters.Put(w)
	w.reset()
	err = b.Visit(clampInt(offset), clampInt(limit), float64(now), func(e leaderboard.Entry) bool {
		addEntry(w, e)
		return true
	})
	if err != nil {
		return fail(err)
	}
	w.writeTo(out)
	*firstRank = offset + 1
	return ehOK
}

//export eh_board_around
func eh_board_around(h C.uint64_t, id *C.char, idLen C.size_t, before, after C.int64_t, now C.double,
	out *C.eh_list, firstRank *C.int64_t) (status C.int) {
	defer recoverStatus(&status)
	*out = C.eh_list{}
	b, err := syncedBoardOf(h)
	if err != nil {
		return fail(err)
	}
	if before < 0 || after < 0 {
		return fail(fmt.Errorf("%w: before and after must be >= 0", errInvalidArgument))
	}
	defer b.QueryStats().observe(queryAround, nanotime())
	entries, err := b.Around(borrowString(id, idLen), clampInt(before), clampInt(after), float64(now))
	if err != nil {
		return fail(err)
	}
	w := listWriters.Get().(*listWriter)
	defer listWriters.Put(w)
	w.reset()
	*firstRank = 0
	if len(entries) > 0 {
		*firstRank = C.int64_t(entries[0].Rank)
	}
	for _, e := range entries {
		addEntry(w, e)
	}
	w.writeTo(out)
	return ehOK
}

// addEntry lays a ranked user out as a page lists it: id, score, last update.
func addEntry(w *listWriter, e leaderboard.Entry) {
	w.add(e.UserID)
	w.addReal(e.Score)
	w.addInt(e.LastUpdate)
}

var listWriters = sync.Pool{New: func() any { return new(listWriter) }}

//export eh_board_save
func eh_board_save(h C.uint64_t, path *C.char, pathLen C.size_t) (status C.int) {
	defer recoverStatus(&status)
	b, err := syncedBoardOf(h)
	if err != nil {
		return fail(err)
	}
	return result(b.Save(C.GoStringN(path, C.int(pathLen))))
}

//export eh_board_load
func eh_board_load(h C.uint64_t, path *C.char, pathLen C.size_t) (status C.int) {
	defer recoverStatus(&status)
	b, err := syncedBoardOf(h)
	if err != nil {
		return fail(err)
	}
	return result(b.Load(C.GoStringN(path, C.int(pathLen))))
}

func clampInt(v C.int64_t) int {
	if v > C.int64_t(math.MaxInt32) {
		return math.MaxInt32
	}
	return int(v)
}
