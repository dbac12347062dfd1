package leaderboard

import "math"

// Decay is the forward-decay arithmetic of a Board (see decay.go), for
// other stores of the same scores (core/redisboard keeps G values relative
// to a landmark in a Redis sorted set): what they show must be what a Board
// shows for the same updates. The zero Decay is not usable; create one with
// NewDecay. A Decay holds no state besides its factor and may be copied.
type Decay struct {
	d forwardDecay
}

// NewDecay returns the arithmetic of decay factor f in (0, 1], or
// ErrInvalidDecay.
func NewDecay(f float64) (Decay, error) {
	if !(f > 0 && f <= 1) {
		return Decay{}, ErrInvalidDecay
	}
	return Decay{newForwardDecay(f)}, nil
}

// Factor returns f.
func (d Decay) Factor() float64 { return d.d.factor }

// LnFactor returns ln f as a Board computes it (≤ 0): a store that weighs
// updates elsewhere uses this value so that exponents match bit for bit.
func (d Decay) LnFactor() float64 { return d.d.lnf }

// Score returns the score at now of a value g stored relative to landmark,
// as a Board shows it (no overflow or underflow in between).
func (d Decay) Score(g float64, landmark int64, now float64) float64 {
	d.d.landmark = landmark
	return scale(g, d.d.exponentAt(now))
}

// Horizon returns how many seconds after the wall clock's now an update's
// timestamp may lie (+Inf for f = 1); see "The horizon" in decay.go.
func (d Decay) Horizon() float64 { return d.d.horizon }

// LatestTimestamp returns the latest timestamp a Board with this factor
// accepts now: the wall clock plus the horizon.
func (d Decay) LatestTimestamp() int64 {
	latest := float64(wallClock()) + d.d.horizon
	if latest >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(latest)
}

// RebaseBound is the exponent |ln f|·(t − L)/86400 beyond which a Board
// moves its landmark L to t; stores of the same values use the same bound.
const RebaseBound = rebaseBound
