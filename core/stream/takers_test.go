package stream

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// takersWaiting is how many Next callers wait for a batch.
func takersWaiting(p *Processor) int {
	p.deliveryMu.Lock()
	defer p.deliveryMu.Unlock()
	return len(p.delivery.takers)
}

// nexts starts n consumers that each wait once in Next and report what
// they got on the channel returned.
func nexts(p *Processor, n int, timeout time.Duration) <-chan *Batch {
	got := make(chan *Batch, n)
	for range n {
		go func() {
			b, err := p.Next(timeout)
			if err != nil {
				b = nil
			}
			got <- b
		}()
	}
	return got
}

// A batch cut wakes one waiting consumer, not all of them: with four
// consumers waiting (the original's num_threads=4), every other one used to
// wake, find nothing and wait again, on every batch and every Done.
func TestABatchWakesOneTaker(t *testing.T) {
	p := newTestProcessor(t, Config{BatchSize: 2, FlushInterval: time.Hour})
	p.SetConsumer(true)
	got := nexts(p, 4, 10*time.Second)
	eventually(t, 5*time.Second, func() bool { return takersWaiting(p) == 4 }, "four takers wait")

	pushAll(t, p, seqEvents(0, 2))
	b := <-got
	require.NotNil(t, b)
	assert.Len(t, b.Events, 2)
	assert.Equal(t, 3, takersWaiting(p), "the other three still wait")

	p.Done(b)
	assert.Equal(t, 3, takersWaiting(p), "a Done gives no taker a batch, so wakes none")
	select {
	case extra := <-got:
		t.Fatalf("a taker returned with no batch to take: %v", extra)
	case <-time.After(50 * time.Millisecond):
	}

	// Three batches at once: one each.
	pushAll(t, p, seqEvents(2, 6))
	for range 3 {
		b := <-got
		require.NotNil(t, b)
		p.Done(b)
	}
	assert.Equal(t, 0, takersWaiting(p))
}

// A taker whose timeout passes leaves the line, and a batch cut after it
// left goes to the next caller.
func TestATakerThatTimedOutLeavesTheLine(t *testing.T) {
	p := newTestProcessor(t, Config{BatchSize: 2, FlushInterval: time.Hour})
	p.SetConsumer(true)
	b, err := p.Next(20 * time.Millisecond)
	require.NoError(t, err)
	assert.Nil(t, b)
	assert.Equal(t, 0, takersWaiting(p))

	pushAll(t, p, seqEvents(0, 2))
	b, err = p.Next(5 * time.Second)
	require.NoError(t, err)
	require.NotNil(t, b, "the batch waited for a taker")
	p.Done(b)
}

// Detaching the consumer and closing still wake every taker.
func TestBroadcastsWakeEveryTaker(t *testing.T) {
	p := newTestProcessor(t, Config{BatchSize: 2, FlushInterval: time.Hour})
	p.SetConsumer(true)
	got := nexts(p, 3, 10*time.Second)
	eventually(t, 5*time.Second, func() bool { return takersWaiting(p) == 3 }, "three takers wait")

	require.NoError(t, p.Close(5*time.Second))
	for range 3 {
		select {
		case b := <-got:
			assert.Nil(t, b, "closed with nothing queued: ErrClosed")
		case <-time.After(5 * time.Second):
			t.Fatal("a taker slept through the close")
		}
	}
	assert.Equal(t, 0, takersWaiting(p))
}
