package leaderboard

import (
	"math"
	"slices"
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
// Precision: a user whose score is more than ~1e308 times smaller than the
// largest weights in play (for f = 0.5, updates about three years older than
// the newest) underflows to 0. At any time near the newest updates its exact
// score is below the smallest float64 anyway.
const (
	secondsPerDay = 86400
	rebaseBound   = 300 // |ln f|·(t − L)/D at which L moves; e^300 ≈ 1e130
)

// exponentAt returns ln f · (t − L)/D: the log of the factor that turns G
// into a score at t, and minus the log of an update's weight at t.
func (c *core) exponentAt(t float64) float64 {
	if c.lnf == 0 {
		return 0
	}
	return c.lnf * (t - float64(c.landmark)) / secondsPerDay
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

func (c *core) scalerAt(now float64) scaler {
	y := c.exponentAt(now)
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
func (c *core) rebase(l int64) {
	if c.lnf == 0 || l == c.landmark {
		c.landmark = l
		return
	}
	factor := math.Exp(c.exponentAt(float64(l)))
	c.landmark = l
	for _, ch := range c.uchunks {
		for i := range ch {
			ch[i].g *= factor
		}
	}
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

// reorderIfNeeded rebuilds the tree when its leaves are out of rank order.
func (c *core) reorderIfNeeded() {
	ordered := true
	var pg float64
	pu := int32(-1)
	c.forEachLive(func(u int32) {
		g := c.g(u)
		if pu >= 0 && ordered && !c.before(pg, pu, g, u) {
			ordered = false
		}
		pg, pu = g, u
	})
	if ordered {
		return
	}
	us := make([]int32, 0, c.size)
	c.forEachLive(func(u int32) { us = append(us, u) })
	slices.SortFunc(us, func(a, b int32) int {
		switch {
		case c.before(c.g(a), a, c.g(b), b):
			return -1
		case c.before(c.g(b), b, c.g(a), a):
			return 1
		}
		return 0
	})
	gs := make([]float64, len(us))
	for i, u := range us {
		gs[i] = c.g(u)
	}
	c.buildTree(gs, us)
}
