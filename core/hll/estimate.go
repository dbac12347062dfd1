package hll

import "math"

// Estimate returns the estimated number of distinct items added. It is 0 for
// an empty sketch, near exact for counts much smaller than the number of
// registers, and within about 1.04/sqrt(2^precision) relative standard error
// above that. It runs in O(2^precision) time and does not modify s.
func (s *Sketch) Estimate() uint64 {
	// Histogram of register values: c[k] registers hold rank k.
	q := 64 - int(s.p) // bits left for the rank
	var c [66]int
	for _, r := range s.regs {
		c[r]++
	}
	m := float64(len(s.regs))
	if c[0] == len(s.regs) {
		return 0
	}

	// Ertl 2017, Algorithm 6 (improved raw estimator).
	z := m * tau(1-float64(c[q+1])/m)
	for k := q; k >= 1; k-- {
		z = 0.5 * (z + float64(c[k]))
	}
	z += m * sigma(float64(c[0])/m)
	const alphaInf = 1 / (2 * math.Ln2)
	return uint64(math.Round(alphaInf * m * m / z))
}

// sigma(x) = x + Σ_{k≥1} x^(2^k) 2^(k-1), the correction for registers still
// at zero (it plays the part of linear counting).
func sigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y := 1.0
	z := x
	for {
		x *= x
		prev := z
		z += x * y
		y += y
		if z == prev {
			return z
		}
	}
}

// tau(x) = (1 - x - Σ_{k≥1} (1 - x^(2^-k))^2 2^-k) / 3, the correction for
// registers at the maximum rank.
func tau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y := 1.0
	z := 1 - x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		z -= (1 - x) * (1 - x) * y
		if z == prev {
			return z / 3
		}
	}
}
