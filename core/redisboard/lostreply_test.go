package redisboard

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/engagehub/engagehub-native/core/redisconn"
	"github.com/engagehub/engagehub-native/core/redisconn/redistest"
)

// A batch applied in Redis whose reply is lost is retried as it was:
// updates submitted while it is retried go in the next batch, under the
// next number, not into the retry (which the script skips whole).
func TestLostReplyRetriesTheBatchAsItWas(t *testing.T) {
	s := redistest.Start(t)
	rb := open(t, s.URL(), "lost", 0.95, 0)
	lost := false
	// The board's own sender, but the first round trip's reply is lost
	// after Redis applied it, and "b" is submitted meanwhile.
	rb.sender = redisconn.NewSender(redisconn.SenderOptions{Where: rb.where, Waiting: "updates queued",
		Closed: ErrClosed, CloseWait: closeTimeout}, rb.take, func(batch []update, number uint64) error {
		if lost {
			return rb.send(batch, number)
		}
		lost = true
		rb.mu.Lock()
		decay, maxUsers := rb.decay, rb.maxUsers
		rb.mu.Unlock()
		if _, err := rb.apply(batch, number, decay, maxUsers); err != nil {
			return err
		}
		if err := rb.Submit([]string{"b"}, []float64{2}, []int64{t0}); err != nil {
			return err
		}
		return context.DeadlineExceeded
	})
	require.NoError(t, rb.Submit([]string{"a"}, []float64{1}, []int64{t0}))
	deadline := time.Now().Add(10 * time.Second)
	for rb.Sync() != nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.NoError(t, rb.Sync())
	for id, want := range map[string]float64{"a": 1, "b": 2} {
		e, ok, err := rb.Rank(id, t0)
		require.NoError(t, err)
		require.True(t, ok, "user %s applied", id)
		assert.Equal(t, want, e.Score, "user %s applied once", id)
	}
	st := rb.Stats()
	assert.Equal(t, uint64(2), st.Applied)
	assert.Equal(t, uint64(1), st.Retries)
}
