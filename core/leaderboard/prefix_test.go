package leaderboard

import (
	"bytes"
	"cmp"
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
	f.Fuzz(func(t *testing.T, a, b []byte) {
		checkPrefixOrder(t, a, b)
	})
}
