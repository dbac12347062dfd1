package leaderboard

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNumericValueTakesOnlyIdsItSpellsBackExactly(t *testing.T) {
	for id, want := range map[string]bool{
		"1234567890123456":     true,  // 16 digits: the shortest kept as a number
		"9999999999999999999":  true,  // 19 digits: the longest
		"123456789012345":      false, // 15 digits fit the record as bytes
		"10000000000000000000": false, // 20 digits
		"0123456789012345678":  false, // a leading zero would be lost
		"12345678901234567a":   false,
		"1234567890123456 ":    false,
		"１２３４５６７８９０１２３４５６": false, // not ASCII digits
	} {
		v, ok := numericValue(id)
		assert.Equal(t, want, ok, id)
		if ok {
			var buf idBuf
			u := user{}
			putNumeric(&u, v)
			assert.Equal(t, id, string(u.id(nil, &buf)), "spelt back")
		}
	}
}

// TestNumericValueAgreesWithParseUint: random ids of 16 to 19 digits, and
// the same with one byte replaced by a neighbour of the digits, which the
// eight-at-a-time check must refuse wherever it falls.
func TestNumericValueAgreesWithParseUint(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 8))
	odd := []byte{'/', ':', 0, 0xff, '0' - 6, '9' + 7, 0xc9, 0xfa, ' '}
	for range 50_000 {
		id := make([]byte, 16+rng.IntN(4))
		for i := range id {
			id[i] = '0' + byte(rng.IntN(10))
		}
		id[0] = '1' + byte(rng.IntN(9))
		v, ok := numericValue(string(id))
		want, err := strconv.ParseUint(string(id), 10, 64)
		require.NoError(t, err)
		require.True(t, ok, "%s", id)
		require.Equal(t, want, v, "%s", id)
		id[rng.IntN(len(id))] = odd[rng.IntN(len(odd))]
		_, ok = numericValue(string(id))
		require.False(t, ok, "%q", id)
	}
}

// TestNumericIdsKeepEveryBoardBehaviour: lookups, ranks among ties (by id
// bytes, not by value), removal and a snapshot round trip, for numeric ids
// beside inline and arena ids of the same lengths.
func TestNumericIdsKeepEveryBoardBehaviour(t *testing.T) {
	ids := []string{"9", "10", "1234567890123456", "999999999999999999", "1000000000000000000",
		"0123456789012345678", "12345678901234567890", "123456789012345678a", "9999999999999999999"}
	b, err := New(1, 0)
	require.NoError(t, err)
	for _, id := range ids {
		require.NoError(t, b.Update(id, 5, 1_700_000_000)) // all tied
	}
	top := b.Top(len(ids), 1_700_000_000)
	require.Len(t, top, len(ids))
	for i := 1; i < len(top); i++ {
		assert.Negative(t, bytes.Compare([]byte(top[i-1].UserID), []byte(top[i].UserID)), "ties by id bytes")
	}
	for _, id := range ids {
		s, ok := b.Score(id, 1_700_000_000)
		assert.True(t, ok, id)
		assert.Equal(t, 5.0, s)
	}
	assert.False(t, b.Contains("1234567890123457"))
	assert.False(t, b.Contains("01234567890123456"))

	var snap bytes.Buffer
	require.NoError(t, b.WriteSnapshot(&snap))
	assert.Contains(t, snap.String(), `"999999999999999999"`)
	c, err := New(1, 0)
	require.NoError(t, err)
	require.NoError(t, c.ReadSnapshot(&snap))
	assert.Equal(t, top, c.Top(len(ids), 1_700_000_000))

	require.True(t, b.Remove("999999999999999999"))
	assert.False(t, b.Contains("999999999999999999"))
	assert.Equal(t, len(ids)-1, b.Len())
	checkTree(t, b)
}

// BenchmarkNumericValue: an 18-digit snowflake's value, taken for every new
// user and every lookup that finds a candidate.
func BenchmarkNumericValue(b *testing.B) {
	ids := snowflakeIDs(1024, 1)
	var sum uint64
	for i := 0; i < b.N; i++ {
		v, _ := numericValue(ids[i&1023])
		sum += v
	}
	sinkUint = sum
}

var sinkUint uint64
