package stream

import (
	"time"

	"github.com/engagehub/engagehub-native/core/hll"
)

// Z95 is the number of standard errors of a two-sided 95 % normal interval,
// the confidence UniqueUsersBounds states.
const Z95 = 1.959963984540054

// UniqueUsersBounds is UniqueUsers with an interval that holds the true
// number with about 95 % confidence (hll.Bounds at the processor's
// precision: ±1.96 relative standard errors, 1.04/√(2^p)). estimate is
// exactly what UniqueUsers(window) returns.
func (p *Processor) UniqueUsersBounds(window time.Duration) (estimate, lower, upper uint64) {
	estimate = p.UniqueUsers(window)
	lower, upper = hll.Bounds(estimate, p.cfg.HLLPrecision, Z95)
	return estimate, lower, upper
}
