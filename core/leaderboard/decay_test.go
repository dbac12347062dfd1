package leaderboard

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const day = 86400

func TestDecayMatchesDirectFormula(t *testing.T) {
	for _, decay := range []float64{1, 0.95, 0.5} {
		t.Run(fmt.Sprint(decay), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, math.Float64bits(decay)))
			b, err := New(decay, 0)
			require.NoError(t, err)
			m := newModel(decay, 0)
			ts := int64(1_600_000_000)
			for range 3000 {
				id := fmt.Sprintf("u%d", rng.IntN(50))
				p := rng.Float64()*200 - 50 // negative points too
				ts += int64(rng.IntN(4 * 3600))
				at := ts - int64(rng.IntN(20*day)) // out of order
				require.NoError(t, b.Update(id, p, at))
				m.update(id, p, at)
			}
			for _, now := range []float64{float64(ts), float64(ts + 3*day), float64(ts) + 0.5} {
				for id := range m.ups {
					got, ok := b.Score(id, now)
					require.True(t, ok)
					near(t, m.score(id, now), got, "score of %s at %v", id, now)
				}
			}
		})
	}
}

// TestDecayFiftyYears crosses many landmark rebases: with f = 0.5 a score
// halves every day, so 50 years is 2^-18262, far beyond float64's range.
func TestDecayFiftyYears(t *testing.T) {
	b, err := New(0.5, 0)
	require.NoError(t, err)
	m := newModel(0.5, 0)
	start := int64(0)
	end := start + 50*365*day + 12*day
	steps := []struct {
		id string
		p  float64
		ts int64
	}{
		{"old", 100, start},
		{"neg", -40, start},
		{"both", 10, start},
		{"mid", 5, start + 25*365*day},
		{"both", -3, end - 2*day},
		{"neg", -7, end - day},
		{"new", 12.5, end},
		{"both", 4, end},
		{"late-but-early", 9, end - 3*day}, // out of order after the landmark moved
		{"new", 1e300, end},                // huge but finite
		{"old", 2, end - 10*day},
	}
	for _, s := range steps {
		require.NoError(t, b.Update(s.id, s.p, s.ts))
		m.update(s.id, s.p, s.ts)
	}
	for _, now := range []int64{end, end + day, end + 30*day} {
		for id := range m.ups {
			got, ok := b.Score(id, float64(now))
			require.True(t, ok)
			near(t, m.score(id, float64(now)), got, "score of %s at %d", id, now)
		}
		want := m.ranking(float64(now))
		got := b.Top(len(want), float64(now))
		require.Len(t, got, len(want))
		for i := range want {
			assert.Equal(t, want[i].UserID, got[i].UserID, "rank %d", i+1)
		}
	}
	checkTree(t, b)
}

func TestRebasePreservesOrderOfUnderflowedTies(t *testing.T) {
	b, err := New(0.5, 0)
	require.NoError(t, err)
	// Both scores underflow to 0 once the landmark is far ahead; ids then
	// decide, and "a" must come before "b" even though "b" had more points.
	require.NoError(t, b.Update("b", 2, 0))
	require.NoError(t, b.Update("a", 1, 0))
	require.NoError(t, b.Update("z", 1, 10*365*day))
	checkTree(t, b)
	top := b.Top(3, float64(10*365*day))
	require.Len(t, top, 3)
	assert.Equal(t, []string{"z", "a", "b"}, []string{top[0].UserID, top[1].UserID, top[2].UserID})
}

func TestUpdateOverflow(t *testing.T) {
	tests := []struct {
		name string
		ups  [][2]float64 // points, timestamp
		bad  [2]float64
	}{
		{"sum overflows", [][2]float64{{math.MaxFloat64, 0}}, [2]float64{math.MaxFloat64, 0}},
		{"negative sum overflows", [][2]float64{{-math.MaxFloat64, 0}}, [2]float64{-math.MaxFloat64, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := New(0.9, 0)
			require.NoError(t, err)
			for _, u := range tc.ups {
				require.NoError(t, b.Update("x", u[0], int64(u[1])))
			}
			before := dump(t, b)
			require.ErrorIs(t, b.Update("x", tc.bad[0], int64(tc.bad[1])), ErrInvalidPoints)
			assert.Equal(t, before, dump(t, b))
		})
	}
	// A huge value that only fits once the landmark moves to its timestamp.
	b, err := New(0.5, 0)
	require.NoError(t, err)
	require.NoError(t, b.Update("x", 1, 0))
	require.NoError(t, b.Update("y", math.MaxFloat64/2, 200*day))
	s, ok := b.Score("y", 200*day)
	require.True(t, ok)
	near(t, math.MaxFloat64/2, s, "huge score")
}

func TestScaleExtremes(t *testing.T) {
	tests := []struct{ g, y, want float64 }{
		{1, 0, 1},
		{0, 1e9, 0},
		{3, math.Log(2), 6},
		{1e-300, 1000, 1e-300 * math.Exp(500) * math.Exp(500)},
		{1e300, -1400, 1e300 * math.Exp(-700) * math.Exp(-700)},
		{-2, 1e7, math.Inf(-1)},
		{2, -1e7, 0},
	}
	for _, tc := range tests {
		got := scale(tc.g, tc.y)
		if math.IsInf(tc.want, 0) || tc.want == 0 {
			assert.Equal(t, tc.want, got)
			continue
		}
		assert.InEpsilon(t, tc.want, got, 1e-12, "scale(%v, %v)", tc.g, tc.y)
	}
}
