package redisboard

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/engagehub/engagehub-native/core/redisconn/redistest"
)

// BenchmarkUpdateBatch measures updates through the board, 1,024 per
// Submit, until Sync returns (all applied in Redis), against a throwaway
// loopback server: the engine's share of a Python update_many, without
// Python. Reported per update.
func BenchmarkUpdateBatch(b *testing.B) {
	s := redistest.Start(b)
	rb, err := Open(s.URL(), "bench", 0.95, 0, Options{})
	require.NoError(b, err)
	defer rb.Close()
	const batch = 1024
	ids := make([]string, batch)
	pts := make([]float64, batch)
	ts := make([]int64, batch)
	for i := range ids {
		ids[i], pts[i], ts[i] = "user"+strconv.Itoa(i*7919%10000), float64(1+i%10), t0+int64(i)
	}
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		require.NoError(b, rb.Submit(ids, pts, ts))
	}
	require.NoError(b, rb.Sync())
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
}
