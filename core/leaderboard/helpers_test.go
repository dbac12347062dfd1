package leaderboard

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// dump returns the board's full observable state: its snapshot, which holds
// the decay factor, the limit, and every entry in rank order.
func dump(t *testing.T, b *Board) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, b.WriteSnapshot(&buf))
	return buf.String()
}
