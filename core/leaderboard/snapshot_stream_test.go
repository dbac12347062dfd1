package leaderboard

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSnapshotStreamsByteByByte reads a snapshot one byte per Read, so
// multi-byte UTF-8 ids straddle reads, and with its top-level keys in any
// order: the landmark after the entries still makes the load exact.
func TestSnapshotStreamsByteByByte(t *testing.T) {
	b, err := New(0.9, 0)
	require.NoError(t, err)
	for i, id := range []string{"é", "日本語", "a😀b", "plain", "18446744073709551615"} {
		require.NoError(t, b.Update(id, float64(i%2+1)/3, int64(1_700_000_000+i*5000)))
	}
	snap := dump(t, b)
	c, err := New(1, 0)
	require.NoError(t, err)
	require.NoError(t, c.ReadSnapshot(iotest.OneByteReader(strings.NewReader(snap))))
	requireIdentical(t, b, c, 1_700_100_000)

	i := strings.Index(snap, `"landmark"`)
	j := strings.Index(snap, `"entries"`)
	moved := "{" + snap[j:len(snap)-2] + "," + snap[i:j-1] + `,"max_users":0,"DECAY_FACTOR":0.9}`
	d, err := New(1, 0)
	require.NoError(t, err)
	require.NoError(t, d.ReadSnapshot(strings.NewReader(moved)), moved)
	requireIdentical(t, b, d, 1_700_100_000)
	assert.Equal(t, snap, dump(t, d))

	bad := strings.Replace(snap, "é", "\xc3", 1)
	require.ErrorIs(t, c.ReadSnapshot(iotest.OneByteReader(strings.NewReader(bad))), ErrSnapshot)
	requireIdentical(t, b, c, 1_700_100_000)
}

// TestAppendEntryMatchesEncodingJSON checks the snapshot's entry writer
// against encoding/json byte for byte, with its last score and G new,
// repeated, and flipped in sign (0 and -0 are written apart).
func TestAppendEntryMatchesEncodingJSON(t *testing.T) {
	ids := []string{"", "plain", "18446744073709551615", `q"uote`, `back\slash`, "tab\t", "nul\x00", "<&>", "é", "\u2028", "\x7f", "\xff"}
	floats := []float64{0, -0.0, 1, -1, 0.1, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 1.5e300, -2.5e-300, 5e-324, math.MaxFloat64, 1.0 / 3}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	f := newEntryFormat()
	for i, id := range ids {
		for j, score := range floats {
			for _, g := range []float64{floats[(i+j)%len(floats)], floats[(i+j)%len(floats)], -floats[(i+j)%len(floats)]} {
				buf.Reset()
				require.NoError(t, enc.Encode(entryOut{UserID: id, Score: score, LastUpdate: int64(j*1e9 - 7), G: g}))
				got, err := f.appendEntry(nil, []byte(id), score, int64(j*1e9-7), g)
				require.NoError(t, err)
				require.Equal(t, strings.TrimSuffix(buf.String(), "\n"), string(got))
			}
		}
	}
	_, err := f.appendEntry(nil, []byte("x"), math.Inf(1), 0, 0)
	require.Error(t, err)
	_, err = f.appendEntry(nil, []byte("x"), 1, 0, math.NaN())
	require.Error(t, err)
}
