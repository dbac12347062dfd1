package leaderboard

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// maxWaitingUpdates bounds the updates a Background holds beside the run of
// batches it is applying: Submit waits while this many wait, so a caller
// that outruns the board is slowed down instead of growing memory. It is
// what one run gathers (maxArrivals): four of Python's update_many
// crossings of 32,768 updates, or 128 of the 1,024 staged updates each of
// its drains submits, among which a user updated again and again moves in
// the tree once (arrivals.go).
const maxWaitingUpdates = maxArrivals

// Background applies batches of updates to a Board on a goroutine of its
// own, in the order they were submitted, so that whoever submits them (the
// Python side draining its staged updates) goes on at once and the board's
// work overlaps with the caller's. A reader that must see every update
// submitted before it calls Sync first. Updates the board refuses are
// counted and kept for Refusals. The goroutine runs only while there is
// work; a Background needs no closing.
type Background struct {
	board   *Board
	mu      sync.Mutex
	changed sync.Cond    // a batch was applied or taken off the queue
	queue   []batch      // submitted, not yet applied; those at its head may be being applied
	queued  atomic.Int64 // len(queue), for Sync to look at without the lock
	waiting int          // updates in the batches after the run being applied
	running bool         // a goroutine is applying the queue
	refused int          // updates refused since the last Refusals
	first   error        // the first of them
}

type batch struct {
	userIDs    []string
	points     []float64
	timestamps []int64
	first      int // the number of userIDs[0]'s update, < 0: none
	applied    func()
}

// NewBackground returns a Background applying to b.
func NewBackground(b *Board) *Background {
	g := &Background{board: b}
	g.changed.L = &g.mu
	return g
}

// Submit queues updates for UpdateManyValid: the caller has checked that
// every id is valid UTF-8. The slices, and the strings, belong to g until
// it calls applied (if not nil), once they are applied: the board keeps
// none of them, so the caller may then reuse their memory. It returns at
// once unless the updates waiting would pass maxWaitingUpdates with these
// (a batch larger than that waits alone). first numbers the
// updates for the caller's errors: the error of a refused update i (an
// *UpdateError) names it update first + i, or names no number when first
// is negative (updates the caller gathered from many calls).
func (g *Background) Submit(userIDs []string, points []float64, timestamps []int64, first int,
	applied func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.waiting > 0 && g.waiting+len(userIDs) > maxWaitingUpdates {
		g.changed.Wait()
	}
	g.queue = append(g.queue, batch{userIDs: userIDs, points: points, timestamps: timestamps,
		first: first, applied: applied})
	g.queued.Store(int64(len(g.queue)))
	g.waiting += len(userIDs)
	if !g.running {
		g.running = true
		go g.apply()
	}
}

// apply applies the queue until it is empty, in runs: every batch waiting
// when a run starts, and those submitted while it is applied (up to
// maxRunUpdates), under one acquisition of the board's lock, their new
// users put in the tree together, so that a caller who submits in batches
// of a few thousand gets what one UpdateMany of them all would give
// (filling a board of 10M users in Go, UpdateMany calls of 131,072 new
// users measured 1,041 and 1,044 ns per user against 1,203 and 1,241 in
// calls of 32,768, alternating), and the placer (placer.go) keeps working
// beside the run.
func (g *Background) apply() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for len(g.queue) > 0 {
		g.mu.Unlock()
		run, refused, err := g.applyRun()
		for _, x := range run {
			if x.applied != nil {
				x.applied()
			}
		}
		g.mu.Lock()
		clear(g.queue[:len(run)])
		g.queue = g.queue[len(run):]
		g.queued.Store(int64(len(g.queue)))
		g.refused += refused
		if g.first == nil {
			g.first = err
		}
		g.changed.Broadcast()
	}
	g.queue = nil
	g.running = false
}

// maxRunUpdates bounds the updates of the batches a run takes once it has
// begun, so that the batches it holds (until it ends and hands them back)
// stay a few MiB.
const maxRunUpdates = 2 * maxArrivals

// applyRun applies batches in order, from the head of the queue, until it
// finds no more or has taken maxRunUpdates, and returns them, how many
// updates the board refused, and the first one's error.
func (g *Background) applyRun() (run []batch, refused int, first error) {
	b := g.board
	b.mu.Lock()
	var place func() // once the run gathers new users' keys (Board.gather)
	defer func() {
		if place != nil {
			go g.finishRun(place)
		} else {
			b.mu.Unlock()
		}
	}()
	taken := 0
	for {
		g.mu.Lock()
		more := g.queue[len(run):] // Submit appends after them; nobody writes them
		if taken >= maxRunUpdates {
			more = nil
		}
		run = g.queue[:len(run)+len(more)]
		n := updatesIn(more)
		g.waiting -= n
		g.changed.Broadcast() // room for the next batches while these are applied
		g.mu.Unlock()
		if len(more) == 0 {
			return run, refused, first
		}
		taken += n
		place = b.gatherRun(n, place)
		for _, x := range more {
			r, err := b.applyUpdates(x.userIDs, x.points, x.timestamps, true)
			var refusal *UpdateError
			if errors.As(err, &refusal) {
				refusal.Renumber(x.first)
			}
			refused += r
			if first == nil {
				first = err
			}
		}
	}
}

// gatherRun decides for n more updates of a run whether new users' keys
// wait to be placed together: it starts gathering (and returns the
// function that places them, from Board.gather) or, when the run gathers
// already and the n could evict, places what waits first and stops, as
// evictions depend on the order of arrival. place is the run's function,
// nil while it gathers nothing; the caller holds the board's lock.
func (b *Board) gatherRun(n int, place func()) func() {
	if b.arrivals.gathering && !b.roomFor(n) {
		place()
		place = nil
	}
	if !b.arrivals.gathering {
		if p := b.gather(n); b.arrivals.gathering {
			place = p
		}
	}
	return place
}

// finishRun puts the waiting keys of a run that gathered them in the tree
// (place, from Board.gather), and then releases the board's lock, which the
// run left to it. It runs on a goroutine of its own, so that the run's
// updates count as applied (Sync returns, with their refusals known) while
// the tree is completed: the caller goes on (Python preparing its next
// update_many) instead of waiting, and every read waits for the lock. A
// panic, which would leave the board unsound, is kept as the run's error
// for Refusals.
func (g *Background) finishRun(place func()) {
	defer g.board.mu.Unlock()
	defer func() {
		if v := recover(); v != nil {
			g.mu.Lock()
			g.refused++
			if g.first == nil {
				g.first = &UpdateError{Index: -1, Err: fmt.Errorf("placing new users: %v", v)}
			}
			g.mu.Unlock()
		}
	}()
	place()
}

// updatesIn returns how many updates batches hold.
func updatesIn(batches []batch) int {
	n := 0
	for _, x := range batches {
		n += len(x.userIDs)
	}
	return n
}

// Sync waits until every batch submitted before it has been applied: their
// refusals are known, and every read of the board, which takes its lock,
// sees them (the last run's new users may still be being put in the tree,
// under that lock: see finishRun).
func (g *Background) Sync() {
	if g.queued.Load() == 0 { // the usual case: one atomic load, not the lock
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for len(g.queue) > 0 {
		g.changed.Wait()
	}
}

// Refusals returns how many submitted updates the board refused since the
// last call, with the first one's error, and forgets them.
func (g *Background) Refusals() (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n, err := g.refused, g.first
	g.refused, g.first = 0, nil
	return n, err
}
