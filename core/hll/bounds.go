package hll

import "math"

// RelativeStandardError is the relative standard error of an estimate at
// precision p: 1.04/√(2^p) (Flajolet et al., 2007), about 0.81 % at 14.
func RelativeStandardError(p uint8) float64 {
	return 1.04 / math.Sqrt(float64(uint64(1)<<p))
}

// Bounds returns an interval around an estimate made at precision p that
// holds the true count with the confidence of z standard errors (z = 1.96:
// about 95 %, assuming the estimator's error is normal, which holds once
// the count is well above a few registers): the n with
// |estimate − n| ≤ z·RelativeStandardError(p)·n, rounded outwards. An
// estimate of 0 is exact (every register is zero only when nothing was
// added), so its bounds are 0, 0. z must be ≥ 0; an interval that would be
// unbounded above (z·error ≥ 1, only for tiny precisions and large z) has
// upper math.MaxUint64.
func Bounds(estimate uint64, p uint8, z float64) (lower, upper uint64) {
	if estimate == 0 {
		return 0, 0
	}
	e := z * RelativeStandardError(p)
	v := float64(estimate)
	lower = uint64(math.Floor(v / (1 + e)))
	if e >= 1 {
		return lower, math.MaxUint64
	}
	up := math.Ceil(v / (1 - e))
	if up >= math.MaxUint64 {
		return lower, math.MaxUint64
	}
	return lower, uint64(up)
}
