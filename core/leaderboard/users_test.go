package leaderboard

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// TestUserRecordIsHalfACacheLine: the board's bytes per user (≤ 80 at 10M
// users) count on 32-byte records, two to a cache line, so that a record
// never straddles two lines and a lookup reads one.
func TestUserRecordIsHalfACacheLine(t *testing.T) {
	assert.EqualValues(t, 32, unsafe.Sizeof(user{}))
	assert.Zero(t, unsafe.Sizeof(userChunk{})%64)
}
