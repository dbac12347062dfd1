package main

/*
#include <stdint.h>
#include <stdlib.h>
#include "engagehub.h"
*/
import "C"

import (
	"bytes"
	"fmt"
	"math"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/engagehub/engagehub-native/core/leaderboard"
)

func init() {
	registerStatus(ehErrInvalidArgument,
		leaderboard.ErrInvalidDecay, leaderboard.ErrInvalidLimit,
		leaderboard.ErrInvalidPoints, leaderboard.ErrInvalidUserID)
	registerStatus(ehErrSnapshot, leaderboard.ErrSnapshot)
	registerStatus(ehErrCapacity, leaderboard.ErrFull)
}

// idSeparator ends each id in a list of ids: 0xFF never occurs in UTF-8.
const idSeparator = 0xFF

//export eh_board_new
func eh_board_new(decay C.double, maxUsers C.int64_t, out *C.uint64_t) (status C.int) {
	defer recoverStatus(&status)
	if maxUsers > C.int64_t(math.MaxInt32) {
		return fail(fmt.Errorf("%w: max_users %d is larger than %d", errInvalidArgument, maxUsers, math.MaxInt32))
	}
	b, err := leaderboard.New(float64(decay), int(maxUsers))
	if err != nil {
		return fail(fmt.Errorf("decay_factor %v, max_users %d: %w", float64(decay), int64(maxUsers), err))
	}
	*out = newHandle(b)
	return ehOK
}

//export eh_board_free
func eh_board_free(h C.uint64_t) (status C.int) {
	defer recoverStatus(&status)
	if _, err := handleValue[*leaderboard.Board](h); err != nil {
		return fail(err)
	}
	return result(deleteHandle(h))
}

//export eh_board_config
func eh_board_config(h C.uint64_t, decay *C.double, maxUsers *C.int64_t) (status C.int) {
	defer recoverStatus(&status)
	b, err := handleValue[*leaderboard.Board](h)
	if err != nil {
		return fail(err)
	}
	*decay = C.double(b.DecayFactor())
	*maxUsers = C.int64_t(b.MaxUsers())
	return ehOK
}

//export eh_board_len
func eh_board_len(h C.uint64_t, length *C.int64_t) (status C.int) {
	defer recoverStatus(&status)
	b, err := handleValue[*leaderboard.Board](h)
	if err != nil {
		return fail(err)
	}
	*length = C.int64_t(b.Len())
	return ehOK
}

//export eh_board_update
func eh_board_update(h C.uint64_t, id *C.char, idLen C.size_t, points C.double, ts C.int64_t) (status C.int) {
	defer recoverStatus(&status)
	b, err := handleValue[*leaderboard.Board](h)
	if err != nil {
		return fail(err)
	}
	return result(b.Update(C.GoStringN(id, C.int(idLen)), float64(points), int64(ts)))
}

//export eh_board_update_many
func eh_board_update_many(h C.uint64_t, ids *C.char, idsLen C.size_t, points *C.double, timestamps *C.int64_t, count C.size_t) (status C.int) {
	defer recoverStatus(&status)
	b, err := handleValue[*leaderboard.Board](h)
	if err != nil {
		return fail(err)
	}
	n := int(count)
	idList, err := splitIDs(C.GoBytes(unsafe.Pointer(ids), C.int(idsLen)), n)
	if err != nil {
		return fail(err)
	}
	pts := unsafe.Slice((*float64)(unsafe.Pointer(points)), n)
	tss := unsafe.Slice((*int64)(unsafe.Pointer(timestamps)), n)
	for i, p := range pts {
		if math.IsNaN(p) || math.IsInf(p, 0) {
			return fail(fmt.Errorf("update %d: %w: %v", i, leaderboard.ErrInvalidPoints, p))
		}
	}
	for i := range n {
		if err := b.Update(idList[i], pts[i], tss[i]); err != nil {
			return fail(fmt.Errorf("update %d: %w", i, err))
		}
	}
	return ehOK
}

// splitIDs cuts a list of n ids, each ended by idSeparator, into strings.
func splitIDs(data []byte, n int) ([]string, error) {
	out := make([]string, 0, n)
	for len(data) > 0 {
		end := bytes.IndexByte(data, idSeparator)
		if end < 0 {
			return nil, fmt.Errorf("%w: id list does not end with a separator", errInvalidArgument)
		}
		if !utf8.Valid(data[:end]) {
			return nil, fmt.Errorf("%w: id %d is not valid UTF-8", errInvalidArgument, len(out))
		}
		out = append(out, string(data[:end]))
		data = data[end+1:]
	}
	if len(out) != n {
		return nil, fmt.Errorf("%w: %d ids given for %d entries", errInvalidArgument, len(out), n)
	}
	return out, nil
}

//export eh_board_remove
func eh_board_remove(h C.uint64_t, id *C.char, idLen C.size_t, removed *C.int) (status C.int) {
	defer recoverStatus(&status)
	b, err := handleValue[*leaderboard.Board](h)
	if err != nil {
		return fail(err)
	}
	*removed = 0
	if b.Remove(borrowString(id, idLen)) {
		*removed = 1
	}
	return ehOK
}

//export eh_board_standing
func eh_board_standing(h C.uint64_t, id *C.char, idLen C.size_t, now C.double, out *C.eh_standing) (status C.int) {
	defer recoverStatus(&status)
	b, err := handleValue[*leaderboard.Board](h)
	if err != nil {
		return fail(err)
	}
	e, ok := b.Rank(borrowString(id, idLen), float64(now))
	if !ok {
		*out = C.eh_standing{}
		return ehOK
	}
	*out = C.eh_standing{rank: C.int64_t(e.Rank), score: C.double(e.Score), last_update: C.int64_t(e.LastUpdate)}
	return ehOK
}

//export eh_board_page
func eh_board_page(h C.uint64_t, offset, limit C.int64_t, now C.double, buf *C.char, capacity C.size_t, out *C.eh_page) (status C.int) {
	defer recoverStatus(&status)
	b, err := handleValue[*leaderboard.Board](h)
	if err != nil {
		return fail(err)
	}
	if offset < 0 || limit < 0 {
		return fail(fmt.Errorf("%w: offset and limit must be >= 0", errInvalidArgument))
	}
	pb := pageBuilders.Get().(*pageBuilder)
	defer pageBuilders.Put(pb)
	pb.reset()
	b.Visit(clampInt(offset), clampInt(limit), float64(now), pb.add)
	pb.writeTo(out, int64(offset)+1, cBytes(buf, capacity))
	return ehOK
}

//export eh_board_around
func eh_board_around(h C.uint64_t, id *C.char, idLen C.size_t, before, after C.int64_t, now C.double, buf *C.char, capacity C.size_t, out *C.eh_page) (status C.int) {
	defer recoverStatus(&status)
	b, err := handleValue[*leaderboard.Board](h)
	if err != nil {
		return fail(err)
	}
	if before < 0 || after < 0 {
		return fail(fmt.Errorf("%w: before and after must be >= 0", errInvalidArgument))
	}
	entries, ok := b.Around(borrowString(id, idLen), clampInt(before), clampInt(after), float64(now))
	pb := pageBuilders.Get().(*pageBuilder)
	defer pageBuilders.Put(pb)
	pb.reset()
	first := int64(0)
	if ok && len(entries) > 0 {
		first = int64(entries[0].Rank)
		for _, e := range entries {
			pb.add(e)
		}
	}
	pb.writeTo(out, first, cBytes(buf, capacity))
	return ehOK
}

//export eh_board_save
func eh_board_save(h C.uint64_t, path *C.char, pathLen C.size_t) (status C.int) {
	defer recoverStatus(&status)
	b, err := handleValue[*leaderboard.Board](h)
	if err != nil {
		return fail(err)
	}
	return result(b.Save(C.GoStringN(path, C.int(pathLen))))
}

//export eh_board_load
func eh_board_load(h C.uint64_t, path *C.char, pathLen C.size_t) (status C.int) {
	defer recoverStatus(&status)
	b, err := handleValue[*leaderboard.Board](h)
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

// pageBuilder gathers entries in Go memory, then lays them out in one C block.
type pageBuilder struct {
	scores []float64
	last   []int64
	ids    []byte
}

var pageBuilders = sync.Pool{New: func() any { return new(pageBuilder) }}

func (pb *pageBuilder) reset() {
	pb.scores, pb.last, pb.ids = pb.scores[:0], pb.last[:0], pb.ids[:0]
}

func (pb *pageBuilder) add(e leaderboard.Entry) bool {
	pb.scores = append(pb.scores, e.Score)
	pb.last = append(pb.last, e.LastUpdate)
	pb.ids = append(pb.ids, e.UserID...)
	pb.ids = append(pb.ids, idSeparator)
	return true
}

// writeTo lays the page out in dst (see eh_page), or only reports the size
// it needs when dst is too small.
func (pb *pageBuilder) writeTo(out *C.eh_page, firstRank int64, dst []byte) {
	n := len(pb.scores)
	size := n*16 + len(pb.ids)
	*out = C.eh_page{first_rank: C.int64_t(firstRank), needed: C.size_t(size)}
	if n == 0 || size > len(dst) {
		return
	}
	copy(unsafe.Slice((*float64)(unsafe.Pointer(&dst[0])), n), pb.scores)
	copy(unsafe.Slice((*int64)(unsafe.Pointer(&dst[n*8])), n), pb.last)
	copy(dst[n*16:], pb.ids)
	out.count = C.size_t(n)
	out.ids_length = C.size_t(len(pb.ids))
}
