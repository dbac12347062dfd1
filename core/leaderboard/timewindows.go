package leaderboard

import (
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// Time-windowed boards: "this week", "this month" beside "all time", fed
// by the one stream of updates the board gets.
//
// A window of length W splits time into periods [origin + k·W,
// origin + (k+1)·W) and ranks the points earned in the current period,
// decayed like the board's (so with decay factor 1, plain sums): a weekly
// board that starts afresh every week, as community leaderboards do. Each
// window is a board of its own (same decay, limit and tie-break) that
// every update accepted by the main board is also applied to, when its
// timestamp lies in the window's current period; a timestamp in a later
// period rolls the window over to it, one in an earlier period (a late
// event of a period already over) is not counted in the window.
//
// Why tumbling periods, each a board, rather than a sliding window kept in
// buckets: a sliding window must take every expiring bucket's points off
// every user who earned any, which at a million users is either a pause
// (all at once) or a board whose ranking is inconsistent while it catches
// up (a bit at a time), and per-user buckets cost memory per bucket. A
// period's rollover replaces the window's board by an empty one, O(1)
// under the write lock: no query ever waits for a rebuild, and memory is
// one board entry per user active in the period. The old period's memory
// is left to the garbage collector, which reclaims it concurrently.
//
// Queries name the window and give their `now`: a window whose current
// period ended before now (nobody has earned points since) answers as an
// empty board.

// Window is one time window of a board: periods of Length seconds.
type Window struct {
	Name   string
	Length int64 // seconds, a positive whole number of minutes
}

// MaxWindows is the most windows a board may have, and MaxWindowOrigin
// bounds Config.WindowOrigin (periods only depend on it modulo their
// length, so any origin has an equivalent one in range).
const (
	MaxWindows      = 16
	MaxWindowOrigin = 1 << 40
)

var (
	// ErrInvalidWindow is returned by NewBoard for a window without a name
	// (or whose name is not UTF-8, or repeats another's), with a length that
	// is not a positive whole number of minutes, or for more than
	// MaxWindows windows.
	ErrInvalidWindow = errors.New("leaderboard: a window needs a unique name and a length that is a positive whole number of minutes")
	// ErrUnknownWindow is returned by Window for a name the board has no
	// window for.
	ErrUnknownWindow = errors.New("leaderboard: no window of that name")
)

// window is a Window's state: the period its board holds, the board, and
// an empty board that answers for it once that period is over.
type window struct {
	Window
	period int64 // index k of the period held; math.MinInt64 before any update
	board  *Board
	empty  *Board
}

func checkWindows(ws []Window, origin int64) error {
	if origin < 0 || origin >= MaxWindowOrigin {
		return fmt.Errorf("%w: origin %d is not in 0..2^40", ErrInvalidWindow, origin)
	}
	if len(ws) > MaxWindows {
		return fmt.Errorf("%w: %d windows, at most %d", ErrInvalidWindow, len(ws), MaxWindows)
	}
	seen := map[string]bool{}
	for _, w := range ws {
		switch {
		case w.Name == "" || !utf8.ValidString(w.Name):
			return fmt.Errorf("%w: window name %q", ErrInvalidWindow, w.Name)
		case seen[w.Name]:
			return fmt.Errorf("%w: window %q given twice", ErrInvalidWindow, w.Name)
		case w.Length <= 0 || w.Length%60 != 0:
			return fmt.Errorf("%w: window %q of %d seconds", ErrInvalidWindow, w.Name, w.Length)
		}
		seen[w.Name] = true
	}
	return nil
}

// newWindows returns empty windows ws for standings c.
func (c *standings) newWindows(ws []Window) []*window {
	out := make([]*window, len(ws))
	for i, w := range ws {
		out[i] = &window{Window: w, period: math.MinInt64, board: c.emptyLike(), empty: c.emptyLike()}
	}
	return out
}

// emptyLike returns an empty board with c's decay factor, limit and
// tie-break, and no windows.
func (c *standings) emptyLike() *Board {
	s, _ := newStandings(c.factor, c.maxUsers) // c's settings were checked
	s.tieBreak = c.tieBreak
	return &Board{standings: *s}
}

// periodOf returns the index of the period of w holding time t.
func (c *standings) periodOf(w *window, t int64) int64 {
	d := t - c.origin
	k := d / w.Length
	if d%w.Length < 0 {
		k--
	}
	return k
}

// updateWindows applies an update the board accepted to every window whose
// current period holds ts, rolling windows over to a later period first.
func (c *standings) updateWindows(id string, h uint64, p float64, ts int64) {
	for _, w := range c.windows {
		k := c.periodOf(w, ts)
		if k < w.period {
			continue
		}
		wb := w.board
		wb.mu.Lock()
		if k > w.period {
			s, _ := newStandings(c.factor, c.maxUsers)
			s.tieBreak = c.tieBreak
			wb.standings = *s
			w.period = k
		}
		// The window holds a part of the user's points, so it refuses
		// nothing the board accepted but an overflow of its own; the board
		// decides the update's fate.
		_ = wb.update(id, h, p, ts)
		wb.mu.Unlock()
	}
}

// warmWindows is warm for every window's board.
func (c *standings) warmWindows(ids []string, hashes []uint64) {
	var us [warmRun]int32
	for _, w := range c.windows {
		w.board.mu.RLock()
		w.board.warm(ids, hashes, us[:len(ids)])
		w.board.mu.RUnlock()
	}
}

// Windows returns the board's windows, in the order they were configured.
func (b *Board) Windows() []Window {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]Window, len(b.windows))
	for i, w := range b.windows {
		out[i] = w.Window
	}
	return out
}

// WindowOrigin returns the time the windows' periods are counted from.
func (b *Board) WindowOrigin() int64 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.origin
}

// Window returns the board of window name as of now: the board of its
// current period, or an empty board once that period has ended (no
// update since). The returned board answers every query; updates go to
// b, never to it. It returns an error wrapping ErrUnknownWindow for a name
// the board has no window for.
func (b *Board) Window(name string, now float64) (*Board, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, w := range b.windows {
		if w.Name == name {
			t := int64(math.Floor(max(min(now, 1<<62), -(1 << 62)))) // NaN: -2^62
			if now != now {
				t = -(1 << 62)
			}
			if b.periodOf(w, t) > w.period {
				return w.empty, nil
			}
			return w.board, nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownWindow, name)
}
