package leaderboard

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireIdentical compares two boards entry by entry, scores bit for bit.
func requireIdentical(t *testing.T, want, got *Board, at float64) {
	t.Helper()
	w, g := want.Page(0, want.Len(), at), got.Page(0, got.Len(), at)
	require.Equal(t, w, g, "at %v", at)
}

// TestSnapshotKeepsExactTies is the reproduction: users with
// identical histories are tied on the board, and a reload used to rebuild G
// from a score decayed to each user's own last_update, a few bits off,
// swapping some pairs ("b" before "a") and moving scores.
func TestSnapshotKeepsExactTies(t *testing.T) {
	for _, decay := range []float64{0.5, 0.9, 0.95, 0.999, 1} {
		t.Run(fmt.Sprint(decay), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(decay*1000)))
			b, err := New(decay, 0)
			require.NoError(t, err)
			const pairs = 400
			ts := int64(1_700_000_000)
			for step := 0; step < 4000; step++ {
				i := rng.IntN(pairs)
				p := float64(rng.IntN(2000)-200) / 7
				at := ts - int64(rng.IntN(30*day))
				ts += int64(rng.IntN(4 * 3600))
				// The pair's histories are identical; each pair's last
				// updates differ from other pairs' so their own
				// last_update decay differs.
				require.NoError(t, b.Update(fmt.Sprintf("a%03d", i), p, at))
				require.NoError(t, b.Update(fmt.Sprintf("b%03d", i), p, at))
			}
			for i := 0; i < pairs; i++ {
				sa, oka := b.Score(fmt.Sprintf("a%03d", i), float64(ts))
				sb, okb := b.Score(fmt.Sprintf("b%03d", i), float64(ts))
				require.Equal(t, oka, okb)
				require.Equal(t, sa, sb, "precondition: pair %d tied", i)
			}
			var buf bytes.Buffer
			require.NoError(t, b.WriteSnapshot(&buf))
			c, err := New(1, 0)
			require.NoError(t, err)
			require.NoError(t, c.ReadSnapshot(bytes.NewReader(buf.Bytes())))
			for _, at := range []float64{float64(ts), float64(ts + 3*day), float64(ts) - 0.5, 0} {
				requireIdentical(t, b, c, at)
			}
			checkTree(t, c)
			// And again, from a file.
			path := t.TempDir() + "/board.json"
			require.NoError(t, c.Save(path))
			d, err := New(0.5, 3)
			require.NoError(t, err)
			require.NoError(t, d.Load(path))
			requireIdentical(t, b, d, float64(ts))
		})
	}
}

// Old files (no landmark, no g) load as before; a file with a landmark may
// mix entries with and without g.
func TestSnapshotExactFieldsAreOptional(t *testing.T) {
	b, err := New(1, 0)
	require.NoError(t, err)
	require.NoError(t, b.ReadSnapshot(strings.NewReader(`{"decay_factor":0.5,"max_users":0,"landmark":1000,"entries":[
		{"user_id":"x","score":4,"last_update":87400,"g":8},
		{"user_id":"y","score":1,"last_update":1000}]}`)))
	s, _ := b.Score("x", 1000)
	assert.Equal(t, 8.0, s)
	s, _ = b.Score("y", 1000+day)
	assert.Equal(t, 0.5, s)

	for name, input := range map[string]string{
		"landmark string":   `{"decay_factor":0.5,"max_users":0,"landmark":"1","entries":[]}`,
		"landmark fraction": `{"decay_factor":0.5,"max_users":0,"landmark":1.5,"entries":[]}`,
		"g string":          `{"decay_factor":0.5,"max_users":0,"landmark":1,"entries":[{"user_id":"x","score":1,"last_update":1,"g":"1"}]}`,
		"g huge":            `{"decay_factor":0.5,"max_users":0,"landmark":1,"entries":[{"user_id":"x","score":1,"last_update":1,"g":1e999}]}`,
		"g far future":      `{"decay_factor":0.5,"max_users":0,"landmark":1,"entries":[{"user_id":"x","score":1,"last_update":1700000000000,"g":1}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			before := dump(t, b)
			require.ErrorIs(t, b.ReadSnapshot(strings.NewReader(input)), ErrSnapshot)
			assert.Equal(t, before, dump(t, b))
		})
	}
}
