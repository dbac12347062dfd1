package main

/*
#include <stdint.h>
#include <stdlib.h>
#include "engagehub.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/engagehub/engagehub-native/core/leaderboard"
)

// Rank styles, tie-break policies and percentiles over a board: the
// exports of the board's statistics (engagehub.h, "board statistics").

func init() {
	registerStatus(ehErrInvalidArgument,
		leaderboard.ErrInvalidRankStyle, leaderboard.ErrInvalidTieBreak, leaderboard.ErrInvalidPercentile,
		leaderboard.ErrInvalidWindow, leaderboard.ErrUnknownWindow)
}

// viewOf returns the board behind h once every update submitted before the
// call is applied, or, for a non-empty window name, that window's board as
// of now; and the board's query counters, which time the query (a
// window's queries count as the board's). A board in Redis has no windows:
// asking one for a window is an error naming the feature.
func viewOf(h C.uint64_t, window *C.char, windowLen C.size_t, now C.double) (rankedView, *boardStats, error) {
	sb, err := syncedBoardOf(h)
	if err != nil {
		return nil, nil, err
	}
	b, ok := sb.(*embeddedBoard)
	if !ok {
		rb, isRedis := sb.(redisBoard)
		if isRedis && windowLen == 0 {
			return rb, rb.QueryStats(), nil
		}
		return nil, nil, fmt.Errorf("%w: windows: not available on a Redis-backed board, only on an embedded one",
			errInvalidArgument)
	}
	if windowLen == 0 {
		return embeddedView{b.Board}, b.QueryStats(), nil
	}
	w, err := b.Window(borrowString(window, windowLen), float64(now))
	if err != nil {
		return nil, nil, err
	}
	return embeddedView{w}, b.QueryStats(), nil
}

//export eh_board_new_config
func eh_board_new_config(decay C.double, maxUsers C.int64_t, tieBreak C.int, windowNames *C.char,
	windowNamesLen C.size_t, windowLengths *C.int64_t, windowCount C.size_t, windowOrigin C.int64_t,
	out *C.uint64_t) (status C.int) {
	defer recoverStatus(&status)
	n := int(windowCount)
	names, err := readStrings(windowNames, windowNamesLen, n)
	if err != nil {
		return fail(err)
	}
	var windows []leaderboard.Window
	if n > 0 && windowLengths == nil {
		return fail(fmt.Errorf("%w: %d window names but no lengths", errInvalidArgument, n))
	}
	if n > 0 {
		lengths := unsafe.Slice((*int64)(unsafe.Pointer(windowLengths)), n)
		for i, name := range names {
			windows = append(windows, leaderboard.Window{Name: name, Length: lengths[i]})
		}
	}
	b, err := leaderboard.NewBoard(leaderboard.Config{
		DecayFactor:  float64(decay),
		MaxUsers:     int(maxUsers),
		TieBreak:     leaderboard.TieBreak(tieBreak),
		Windows:      windows,
		WindowOrigin: int64(windowOrigin),
	})
	if err != nil {
		return fail(fmt.Errorf("decay_factor %v, max_users %d, tie_break %d: %w",
			float64(decay), int64(maxUsers), int(tieBreak), err))
	}
	*out = newHandle(board(&embeddedBoard{Board: b, updates: leaderboard.NewBackground(b)}))
	return ehOK
}

//export eh_board_tie_break
func eh_board_tie_break(h C.uint64_t, tieBreak *C.int) (status C.int) {
	defer recoverStatus(&status)
	b, err := boardOf(h)
	if err != nil {
		return fail(err)
	}
	*tieBreak = C.int(leaderboard.TieByUserID) // a board in Redis orders ties by user id
	if eb, ok := b.(*embeddedBoard); ok {
		*tieBreak = C.int(eb.TieBreak())
	}
	return ehOK
}

//export eh_board_windows
func eh_board_windows(h C.uint64_t, out *C.eh_list, origin *C.int64_t) (status C.int) {
	defer recoverStatus(&status)
	*out = C.eh_list{}
	b, err := boardOf(h)
	if err != nil {
		return fail(err)
	}
	w := listWriters.Get().(*listWriter)
	defer listWriters.Put(w)
	w.reset()
	if eb, ok := b.(*embeddedBoard); ok { // a board in Redis has no windows
		for _, win := range eb.Windows() {
			w.add(win.Name)
			w.addInt(win.Length)
		}
		*origin = C.int64_t(eb.WindowOrigin())
	}
	w.writeTo(out)
	return ehOK
}

//export eh_board_len_at
func eh_board_len_at(h C.uint64_t, window *C.char, windowLen C.size_t, now C.double, length *C.int64_t) (status C.int) {
	defer recoverStatus(&status)
	b, _, err := viewOf(h, window, windowLen, now)
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

//export eh_board_standing_as
func eh_board_standing_as(h C.uint64_t, window *C.char, windowLen C.size_t, id *C.char, idLen C.size_t,
	now C.double, style C.int, out *C.eh_standing) (status C.int) {
	defer recoverStatus(&status)
	b, stats, err := viewOf(h, window, windowLen, now)
	if err != nil {
		return fail(err)
	}
	defer stats.observe(queryRank, nanotime())
	e, ok, err := b.RankAs(leaderboard.RankStyle(style), borrowString(id, idLen), float64(now))
	if err != nil {
		return fail(err)
	}
	*out = C.eh_standing{}
	if ok {
		*out = C.eh_standing{rank: C.int64_t(e.Rank), score: C.double(e.Score), last_update: C.int64_t(e.LastUpdate)}
	}
	return ehOK
}

//export eh_board_page_as
func eh_board_page_as(h C.uint64_t, window *C.char, windowLen C.size_t, offset, limit C.int64_t, now C.double,
	style C.int, out *C.eh_list) (status C.int) {
	defer recoverStatus(&status)
	*out = C.eh_list{}
	b, stats, err := viewOf(h, window, windowLen, now)
	if err != nil {
		return fail(err)
	}
	defer stats.observe(queryPage, nanotime())
	if offset < 0 || limit < 0 {
		return fail(fmt.Errorf("%w: offset and limit must be >= 0", errInvalidArgument))
	}
	w := listWriters.Get().(*listWriter)
	defer listWriters.Put(w)
	w.reset()
	err = b.VisitAs(leaderboard.RankStyle(style), clampInt(offset), clampInt(limit), float64(now),
		func(e leaderboard.Entry) bool {
			addRankedEntry(w, e)
			return true
		})
	if err != nil {
		return fail(err)
	}
	w.writeTo(out)
	return ehOK
}

//export eh_board_around_as
func eh_board_around_as(h C.uint64_t, window *C.char, windowLen C.size_t, id *C.char, idLen C.size_t,
	before, after C.int64_t, now C.double, style C.int, out *C.eh_list) (status C.int) {
	defer recoverStatus(&status)
	*out = C.eh_list{}
	b, stats, err := viewOf(h, window, windowLen, now)
	if err != nil {
		return fail(err)
	}
	defer stats.observe(queryAround, nanotime())
	if before < 0 || after < 0 {
		return fail(fmt.Errorf("%w: before and after must be >= 0", errInvalidArgument))
	}
	entries, _, err := b.AroundAs(leaderboard.RankStyle(style), borrowString(id, idLen),
		clampInt(before), clampInt(after), float64(now))
	if err != nil {
		return fail(err)
	}
	w := listWriters.Get().(*listWriter)
	defer listWriters.Put(w)
	w.reset()
	for _, e := range entries {
		addRankedEntry(w, e)
	}
	w.writeTo(out)
	return ehOK
}

//export eh_board_percentile
func eh_board_percentile(h C.uint64_t, window *C.char, windowLen C.size_t, id *C.char, idLen C.size_t,
	now C.double, percentile *C.double, found *C.int) (status C.int) {
	defer recoverStatus(&status)
	b, stats, err := viewOf(h, window, windowLen, now)
	if err != nil {
		return fail(err)
	}
	defer stats.observe(queryRank, nanotime())
	p, ok, err := b.Percentile(borrowString(id, idLen))
	if err != nil {
		return fail(err)
	}
	*percentile, *found = C.double(p), 0
	if ok {
		*found = 1
	}
	return ehOK
}

//export eh_board_at_percentile
func eh_board_at_percentile(h C.uint64_t, window *C.char, windowLen C.size_t, p C.double, now C.double,
	style C.int, out *C.eh_list) (status C.int) {
	defer recoverStatus(&status)
	*out = C.eh_list{}
	b, stats, err := viewOf(h, window, windowLen, now)
	if err != nil {
		return fail(err)
	}
	defer stats.observe(queryPage, nanotime())
	e, ok, err := b.AtPercentile(leaderboard.RankStyle(style), float64(p), float64(now))
	if err != nil {
		return fail(err)
	}
	w := listWriters.Get().(*listWriter)
	defer listWriters.Put(w)
	w.reset()
	if ok {
		addRankedEntry(w, e)
	}
	w.writeTo(out)
	return ehOK
}

// addRankedEntry lays out a ranked user whose rank is not implied by its
// position: id, score, then two ints, rank and last update.
func addRankedEntry(w *listWriter, e leaderboard.Entry) {
	w.add(e.UserID)
	w.addReal(e.Score)
	w.addInt(int64(e.Rank))
	w.addInt(e.LastUpdate)
}
