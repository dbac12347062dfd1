package leaderboard

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Forward decay (Cormode et al., ICDE 2009). A user's score at time t is
//
//	S(t) = Σ p_i · f^((t − t_i)/D),  D = 86400 s.
//
// With a landmark L the board stores the time-independent
//
//	G = Σ p_i · f^((L − t_i)/D),  so that S(t) = G · f^((t − L)/D).
//
// Every user's score is G times the same positive factor, so ordering by G
// is ordering by score at any t, and nothing is rescored when time passes.
// The weight of an update at t_i is exp(ln f · (L − t_i)/D), which grows
// with t_i; before it could overflow (exponent beyond rebaseBound) the board
// moves L to t_i and multiplies every G by one factor (rebase).
//
// # The horizon
//
// A float64 G spans about e^±709, so one board can only represent timestamps
// within a bounded distance of one another. A rebase to a timestamp whose
// exponent is y multiplies every other G by e^−y; for a timestamp far in the
// future (milliseconds passed as seconds; ten years ahead with f = 0.5 is
// y ≈ 2530) every other user's G underflows to 0 and stays 0 after the
// outlier is removed, although their scores at the real now are ordinary.
//
// What tells a wrong timestamp from a real one is the clock, not the data: a
// board that last saw updates three years ago and now gets one at today's
// time must move on (its old scores really are ~0 now), while one that gets
// a timestamp years past today must not. The board therefore refuses, with an
// error wrapping ErrTimestampRange, any timestamp further in the future than
// its horizon, measured from the wall clock (time.Now; Go cannot consult
// the caller's own time source):
//
//	t − now  ≤  600/|ln f| days,  i.e. |ln f| · (t − now)/D ≤ 600
//
// (f = 0.5: 865 days; f = 0.95: 11,697 days ≈ 32 years; f = 1: unbounded,
// every timestamp is accepted). The landmark is always some accepted
// update's timestamp, so it never lies beyond the horizon either, and a
// rebase towards any accepted timestamp scales the G of users active up to
// the present by at least e^−600 ≈ 1e−261: a G above ~1e−47 stays a normal
// float64 with full precision, and removing the newcomer restores nothing
// because nothing was lost. Past timestamps are never refused: an update far
// older than the landmark only adds a weight that underflows to 0, which is
// its decayed value at any time since the landmark. The wall clock is read
// only when a timestamp lies beyond the horizon of the last reading, so
// updates pay for it about once per horizon. A machine whose clock is years
// behind refuses realistic timestamps; that is the price of not letting one
// bad timestamp wipe the board.
//
// Snapshots obey the same rule on load (see snapshot.go): a file with an
// entry (or landmark) beyond the horizon is refused whole, and the board is
// unchanged.
//
// Precision: a user whose score is more than ~1e308 times smaller than the
// largest weights in play (for f = 0.5, updates about three years older than
// the newest) underflows to 0. At any time near the newest updates its exact
// score is below the smallest float64 anyway.
const (
	secondsPerDay = 86400
	rebaseBound   = 300 // |ln f|·(t − L)/D at which L moves; e^300 ≈ 1e130
	// maxAheadExponent bounds |ln f|·(t − now)/D for an accepted timestamp.
	maxAheadExponent = 600
)

// wallClock returns the time against which the horizon is measured, in
// Unix seconds; tests replace it.
var wallClock = func() int64 { return time.Now().Unix() }

// forwardDecay is the board's decay clock: the factor f, its logarithm and
// the landmark L that every stored G is relative to.
type forwardDecay struct {
	factor   float64 // f, in (0, 1]
	lnf      float64 // ln f, ≤ 0
	landmark int64   // L, Unix seconds
	horizon  float64 // seconds a timestamp may lie after now; +Inf for f = 1
	clockAt  int64   // the wall clock's latest reading, 0 before the first
	weights  weightMemo
}

// weightMemo is the last weight weightAt computed, for the timestamp and
// landmark it was computed at.
type weightMemo struct {
	set      bool
	at       int64
	landmark int64
	weight   float64
}

func newForwardDecay(f float64) forwardDecay {
	lnf := math.Log(f)
	horizon := math.Inf(1)
	if lnf != 0 {
		horizon = maxAheadExponent / -lnf * secondsPerDay
	}
	return forwardDecay{factor: f, lnf: lnf, horizon: horizon}
}

// exponentAt returns ln f · (t − L)/D: the log of the factor that turns G
// into a score at t, and minus the log of an update's weight at t.
func (d *forwardDecay) exponentAt(t float64) float64 {
	if d.lnf == 0 {
		return 0
	}
	return d.lnf * (t - float64(d.landmark)) / secondsPerDay
}

// weightAt returns e^−exponentAt(ts), the weight of an update at ts. The
// updates of a batch mostly share their second, so the last weight is kept:
// one math.Exp per run of equal timestamps. Only updates call it, under the
// board's write lock.
func (d *forwardDecay) weightAt(ts int64) float64 {
	w := &d.weights
	if !w.set || w.at != ts || w.landmark != d.landmark {
		*w = weightMemo{set: true, at: ts, landmark: d.landmark, weight: math.Exp(-d.exponentAt(float64(ts)))}
	}
	return w.weight
}

// checkFuture returns an error wrapping ErrTimestampRange when ts lies
// further after the wall clock's now than the horizon (see "The horizon").
func (d *forwardDecay) checkFuture(ts int64) error {
	if float64(ts) <= float64(d.clockAt)+d.horizon {
		return nil
	}
	d.clockAt = wallClock() // the last reading may be stale
	if float64(ts) <= float64(d.clockAt)+d.horizon {
		return nil
	}
	return fmt.Errorf("%w: timestamp %d is %.0f days after now (%d); with decay factor %v the board accepts at most %.0f days ahead",
		ErrTimestampRange, ts, (float64(ts)-float64(d.clockAt))/secondsPerDay, d.clockAt, d.factor, d.horizon/secondsPerDay)
}

// latestTimestamp is the latest timestamp checkFuture accepts now.
func (d *forwardDecay) latestTimestamp() int64 {
	d.clockAt = wallClock()
	latest := float64(d.clockAt) + d.horizon
	if latest >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(latest)
}

// scale returns g·e^y without overflowing or underflowing in between.
func scale(g, y float64) float64 {
	if g == 0 || y == 0 {
		return g
	}
	if y > -700 && y < 700 {
		r := g * math.Exp(y)
		if a := math.Abs(r); a >= 0x1p-1022 && a <= math.MaxFloat64 {
			return r
		}
	}
	e2 := y / math.Ln2
	switch {
	case e2 > 1e6:
		return math.Copysign(math.Inf(1), g)
	case e2 < -1e6:
		return math.Copysign(0, g)
	}
	ie := math.Floor(e2)
	m, k := math.Frexp(g)
	return math.Ldexp(m*math.Exp2(e2-ie), k+int(ie))
}

// scaler turns many G values into scores at one time.
type scaler struct {
	y, ey float64
	fast  bool
}

func (d *forwardDecay) scalerAt(now float64) scaler {
	y := d.exponentAt(now)
	s := scaler{y: y}
	if y > -700 && y < 700 {
		s.ey, s.fast = math.Exp(y), true
	}
	return s
}

func (s scaler) score(g float64) float64 {
	if s.fast {
		r := g * s.ey
		if a := math.Abs(r); (a >= 0x1p-1022 && a <= math.MaxFloat64) || g == 0 {
			return r
		}
	}
	return scale(g, s.y)
}

// rebase moves the landmark to l, multiplying every G by f^((l − L)/D). The
// order is preserved except that values may collapse into ties (underflow
// to 0), whose id order may differ from the tree's; then the tree is rebuilt.
func (c *standings) rebase(l int64) {
	if c.lnf == 0 || l == c.landmark {
		c.landmark = l
		return
	}
	c.placeArrivals() // keys computed against the old landmark are rescaled with the tree's
	factor := math.Exp(c.exponentAt(float64(l)))
	c.landmark = l
	for _, nd := range c.inners {
		for i := range nd.g {
			nd.g[i] *= factor
		}
	}
	for _, lf := range c.leaves {
		for i := range lf.g {
			lf.g[i] *= factor
		}
	}
	c.reorderIfNeeded()
}

// reorderIfNeeded rebuilds the tree when its leaves are out of rank order,
// and otherwise recounts the ties (values that collapsed onto one another
// in the right order are new ties all the same).
func (c *standings) reorderIfNeeded() {
	ordered := true
	var prev key
	first := true
	c.forEachLeafKeys(func(lf *leafNode) {
		for j := 0; j < int(lf.n) && ordered; j++ {
			k := lf.key(j)
			if !first && !c.less(prev, k) {
				ordered = false
			}
			prev, first = k, false
		}
	})
	if ordered {
		c.rebuildTies()
		return
	}
	keys := make([]key, 0, c.size)
	c.forEachLeafKeys(func(lf *leafNode) {
		for j := 0; j < int(lf.n); j++ {
			keys = append(keys, lf.key(j))
		}
	})
	slices.SortFunc(keys, c.compare)
	c.buildTree(keys)
}
