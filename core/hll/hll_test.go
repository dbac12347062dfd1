package hll

import (
	"fmt"
	"math"
	"strconv"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// splitmix64 is a cheap generator of well-mixed distinct 64-bit values: it
// stands in for xxhash of distinct items where hashing would dominate the
// test's run time. It is a bijection, so distinct inputs give distinct hashes.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func stdError(p uint8) float64 { return 1.04 / math.Sqrt(float64(uint64(1)<<p)) }

func relErr(est uint64, n int) float64 { return (float64(est) - float64(n)) / float64(n) }

func TestNewPrecision(t *testing.T) {
	for p := range uint8(30) {
		s, err := New(p)
		if p < MinPrecision || p > MaxPrecision {
			require.ErrorIs(t, err, ErrInvalidPrecision, "precision %d", p)
			assert.Nil(t, s)
			continue
		}
		require.NoError(t, err, "precision %d", p)
		assert.Equal(t, p, s.Precision())
		assert.True(t, s.IsEmpty())
		assert.Zero(t, s.Estimate())
	}
	assert.Equal(t, uint8(14), New14().Precision())
}

func TestAccuracyP14(t *testing.T) {
	const p = 14
	bound := 3 * stdError(p)
	for _, n := range []int{1e2, 1e3, 1e4, 1e5, 1e6, 1e7} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			if n >= 1e7 && testing.Short() {
				t.Skip("-short")
			}
			s, err := New(p)
			require.NoError(t, err)
			for i := range uint64(n) {
				s.AddHash(splitmix64(i + uint64(n)<<40))
			}
			e := relErr(s.Estimate(), n)
			t.Logf("n=%d estimate=%d error=%+.3f%% (3σ bound %.2f%%)", n, s.Estimate(), 100*e, 100*bound)
			assert.LessOrEqual(t, math.Abs(e), bound)
		})
	}
}

// TestErrorAtOneMillion reports the error the issue asks about at 10⁶ distinct
// items with p=14, over several independent streams of real keys hashed with
// xxhash as Add does. The error of one stream is a random variable with
// standard deviation 1.04/sqrt(m) = 0.81 %, so a single stream lands beyond
// 1.5 % (1.85σ) about 6 % of the time: each stream is held to 3σ, and the mean
// absolute error, which estimates the sketch's typical error (expected
// σ·sqrt(2/π) ≈ 0.65 %), to 1.5 %.
func TestErrorAtOneMillion(t *testing.T) {
	const n = 1_000_000
	runs := 10
	if testing.Short() {
		runs = 2
	}
	var sumAbs, worst float64
	buf := make([]byte, 0, 32)
	for run := range runs {
		s := New14()
		for i := range n {
			buf = strconv.AppendInt(append(buf[:0], "user-"...), int64(run*n+i), 10)
			s.Add(buf)
		}
		e := relErr(s.Estimate(), n)
		sumAbs += math.Abs(e)
		worst = max(worst, math.Abs(e))
		t.Logf("run %d: n=%d estimate=%d error=%+.3f%%", run, n, s.Estimate(), 100*e)
		assert.LessOrEqual(t, math.Abs(e), 3*stdError(14))
	}
	mean := sumAbs / float64(runs)
	t.Logf("p=14, 10^6 distinct, %d streams: mean |error| %.3f%%, worst %.3f%%", runs, 100*mean, 100*worst)
	assert.LessOrEqual(t, mean, 0.015)
}

func TestAccuracyAcrossPrecisions(t *testing.T) {
	for _, p := range []uint8{4, 8, 12, 16, 18} {
		for _, n := range []int{1e3, 1e5} {
			t.Run(fmt.Sprintf("p%d_n%d", p, n), func(t *testing.T) {
				s, err := New(p)
				require.NoError(t, err)
				for i := range uint64(n) {
					s.AddHash(splitmix64(i ^ uint64(p)<<50))
				}
				assert.LessOrEqual(t, math.Abs(relErr(s.Estimate(), n)), 3*stdError(p)+1e-9)
			})
		}
	}
}

func TestSmallCountsNearExact(t *testing.T) {
	s := New14()
	assert.Zero(t, s.Estimate())
	for n := 1; n <= 100; n++ {
		s.AddString("item-" + strconv.Itoa(n))
		// Duplicates never count.
		s.AddString("item-1")
		est := int(s.Estimate())
		assert.InDelta(t, n, est, 1, "n=%d", n)
	}
}

func TestDuplicatesDoNotCount(t *testing.T) {
	s := New14()
	for range 1000 {
		for i := range 50 {
			s.AddString(strconv.Itoa(i))
		}
	}
	assert.Equal(t, uint64(50), s.Estimate())
}

func TestAddVariantsAgree(t *testing.T) {
	a, b, c := New14(), New14(), New14()
	for i := range 5000 {
		v := "k" + strconv.Itoa(i)
		a.Add([]byte(v))
		b.AddString(v)
		c.AddHash(xxhash.Sum64String(v))
	}
	assert.Equal(t, a.regs, b.regs)
	assert.Equal(t, a.regs, c.regs)
}

func TestAddStringDoesNotAllocate(t *testing.T) {
	s := New14()
	v := "some-user-id-123456789"
	allocs := testing.AllocsPerRun(1000, func() { s.AddString(v) })
	assert.Zero(t, allocs)
}

func TestMergeEqualsUnion(t *testing.T) {
	a, b, union := New14(), New14(), New14()
	for i := range uint64(60_000) {
		a.AddHash(splitmix64(i))
		union.AddHash(splitmix64(i))
	}
	for i := uint64(40_000); i < 100_000; i++ {
		b.AddHash(splitmix64(i))
		union.AddHash(splitmix64(i))
	}
	bBefore := b.Clone()
	require.NoError(t, a.Merge(b))
	assert.Equal(t, union.regs, a.regs, "merged registers differ from the union's")
	assert.Equal(t, union.Estimate(), a.Estimate())
	assert.Equal(t, bBefore.regs, b.regs, "Merge changed its argument")
	assert.LessOrEqual(t, math.Abs(relErr(a.Estimate(), 100_000)), 3*stdError(14))

	// Merging is idempotent and commutative.
	require.NoError(t, a.Merge(b))
	assert.Equal(t, union.regs, a.regs)
}

func TestMergeBytewise(t *testing.T) {
	// The word-at-a-time max must agree with the byte loop on every pair of
	// valid register values, including the odd tail of short slices.
	for _, n := range []int{0, 1, 7, 8, 9, 16, 67} {
		dst := make([]uint8, n)
		src := make([]uint8, n)
		want := make([]uint8, n)
		for i := range n {
			dst[i] = uint8(splitmix64(uint64(i)) % 62)
			src[i] = uint8(splitmix64(uint64(i)+1000) % 62)
			want[i] = max(dst[i], src[i])
		}
		maxBytes(dst, src)
		assert.Equal(t, want, dst, "n=%d", n)
	}
	for a := range uint8(66) {
		for b := range uint8(66) {
			dst := []uint8{a, b, a, b, b, a, 0, a}
			src := []uint8{b, a, b, a, a, b, b, 0}
			maxBytes(dst, src)
			m := max(a, b)
			require.Equal(t, []uint8{m, m, m, m, m, m, b, a}, dst, "a=%d b=%d", a, b)
		}
	}
}

func TestMergePrecisionMismatch(t *testing.T) {
	a := New14()
	a.AddString("x")
	b, err := New(12)
	require.NoError(t, err)
	b.AddString("y")
	before := a.Clone()
	require.ErrorIs(t, a.Merge(b), ErrPrecisionMismatch)
	assert.Equal(t, before.regs, a.regs, "receiver changed on error")
}

func TestCloneResetIsEmpty(t *testing.T) {
	s := New14()
	assert.True(t, s.IsEmpty())
	s.AddString("a")
	assert.False(t, s.IsEmpty())

	c := s.Clone()
	c.AddString("b")
	assert.Equal(t, uint64(1), s.Estimate(), "Clone shares registers")
	assert.Equal(t, uint64(2), c.Estimate())

	s.Reset()
	assert.True(t, s.IsEmpty())
	assert.Zero(t, s.Estimate())
	assert.Equal(t, uint8(14), s.Precision())
	assert.Equal(t, uint64(2), c.Estimate(), "Reset touched the clone")
}

func TestSaturatedRegisters(t *testing.T) {
	// A hash whose low 64-p bits are zero has the maximum rank; the estimate
	// must stay finite when every register holds it.
	s, err := New(4)
	require.NoError(t, err)
	for i := range uint64(16) {
		s.AddHash(i << 60)
	}
	for _, r := range s.regs {
		require.Equal(t, uint8(61), r)
	}
	est := s.Estimate()
	assert.Greater(t, est, uint64(1)<<60)
}
