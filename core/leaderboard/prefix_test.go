package leaderboard

import (
	"bytes"
	"cmp"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// idPrefix must never contradict byte order: p(a) < p(b) only if a < b.
func checkPrefixOrder(t *testing.T, a, b []byte) {
	t.Helper()
	pa, pb := idPrefix(a), idPrefix(b)
	if c := cmp.Compare(pa, pb); c != 0 {
		assert.Equal(t, c, bytes.Compare(a, b), "idPrefix(%q) = %#x, idPrefix(%q) = %#x", a, pa, b, pb)
	}
	if bytes.Equal(a, b) {
		assert.Equal(t, pa, pb)
	}
}

func TestIDPrefixOrder(t *testing.T) {
	ids := []string{"", "0", "00", "0/", "0:", "09", "1", "12", "12\x00", "123abc", "123ABC",
		"9", "9~", ":", "a", "alice", "alice_wonder", "630000000000000000", "630000000000007919",
		"630000000000015838", "1234567890123456", "1234567890123457", "12345678901234560",
		"1\xff", "1\x2f", "1\x3a", "\xff", "\xff\xff\xff\xff\xff\xff\xff\xff\xff", "9999999999999999999"}
	for _, a := range ids {
		for _, b := range ids {
			checkPrefixOrder(t, []byte(a), []byte(b))
		}
	}
	// Decimal ids sharing 11 leading digits still get distinct prefixes.
	assert.NotEqual(t, idPrefix("630000000000007919"), idPrefix("630000000000015838"))
	assert.Less(t, idPrefix("630000000000007919"), idPrefix("630000000000015838"))
}

func FuzzIDPrefixOrder(f *testing.F) {
	f.Add([]byte("630000000000007919"), []byte("630000000000015838"))
	f.Add([]byte("12a"), []byte("12:"))
	f.Add([]byte("1"), []byte("1\x00"))
	f.Add([]byte("user0001"), []byte("user0002"))
	f.Add([]byte("1234567890123456789"), []byte("12345678901234a6789"))
	f.Add([]byte("123456789012345"), []byte("1234567/90123456"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		checkPrefixOrder(t, a, b)
	})
}

// TestIDPrefixEightDigitsAtOnce: the decimal fast path agrees with the code
// taken a byte at a time, for ids of 15 to 20 digits and for the same ids
// with one byte among their first 15 replaced by a neighbour of the digits,
// which the fast path must hand back.
func TestIDPrefixEightDigitsAtOnce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 15))
	for range 20_000 {
		id := make([]byte, 15+rng.IntN(6))
		for i := range id {
			id[i] = '0' + byte(rng.IntN(10))
		}
		assert.Equal(t, codedPrefix(id), idPrefix(id), "%s", id)
		assert.Equal(t, codedPrefix(id), idPrefix(string(id)), "%s", id)
		odd := []byte{'/', ':', 0, 0xff, '0' - 6, '9' + 7, 0xc9, 0xfa}
		id[1+rng.IntN(14)] = odd[rng.IntN(len(odd))]
		assert.Equal(t, codedPrefix(id), idPrefix(id), "%q", id)
	}
}

// BenchmarkIDPrefix: the prefix of an 18-digit snowflake, taken for every
// new key (an insert, a loaded entry).
func BenchmarkIDPrefix(b *testing.B) {
	ids := snowflakeIDs(1024, 1)
	var sum uint64
	for i := 0; i < b.N; i++ {
		sum += idPrefix(ids[i&1023])
	}
	sinkUint = sum
}
