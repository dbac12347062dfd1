package stream

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestKeptFromFollowsHandOutsAndDones: the oldest batch handed out and not
// Done holds KeptFrom, whatever order batches are Done in; with none held,
// it is the first position not handed out.
func TestKeptFromFollowsHandOutsAndDones(t *testing.T) {
	p := newTestProcessor(t, Config{BufferSize: 64, BatchSize: 10, FlushInterval: time.Millisecond})
	p.SetConsumer(true)
	require.Equal(t, uint64(0), p.KeptFrom())
	require.Equal(t, 30, p.PushMany(userEvents(30, "u", testEpoch)))
	b1, err := p.Next(time.Second)
	require.NoError(t, err)
	b2, err := p.Next(time.Second)
	require.NoError(t, err)
	require.Equal(t, []uint64{0, 10}, []uint64{b1.First, b2.First})
	require.Equal(t, uint64(0), p.KeptFrom())
	p.Done(b2)
	require.Equal(t, uint64(0), p.KeptFrom(), "b1 is still held")
	p.Done(b1)
	require.Equal(t, uint64(20), p.KeptFrom(), "the third batch is not handed out yet")
	b3, err := p.Next(time.Second)
	require.NoError(t, err)
	require.Equal(t, uint64(20), p.KeptFrom())
	p.Done(b3)
	require.Equal(t, uint64(30), p.KeptFrom())
}

// TestDoneIDActsOnceOnABatchHandedOut: DoneID is Done by ID; it refuses an
// ID that is not handed out, and one already done.
func TestDoneIDActsOnceOnABatchHandedOut(t *testing.T) {
	p := newTestProcessor(t, Config{BufferSize: 64, BatchSize: 10, FlushInterval: time.Millisecond})
	p.SetConsumer(true)
	require.Equal(t, 20, p.PushMany(userEvents(20, "u", testEpoch)))
	b1, err := p.Next(time.Second)
	require.NoError(t, err)
	require.ErrorIs(t, p.DoneID(b1.ID+1), ErrNotHandedOut, "cut, not handed out yet")
	require.NoError(t, p.DoneID(b1.ID))
	require.ErrorIs(t, p.DoneID(b1.ID), ErrNotHandedOut, "done already")
	require.Equal(t, uint64(10), p.KeptFrom())
	b2, err := p.Next(time.Second)
	require.NoError(t, err)
	require.NoError(t, p.DoneID(b2.ID))
	require.Equal(t, uint64(20), p.KeptFrom())
	require.Equal(t, uint64(20), p.Stats().Delivered)
}

// TestKeptFromNeverPassesAHeldBatch: consumers on several goroutines take
// and acknowledge batches while producers push; each consumer checks, while
// it holds a batch, that KeptFrom is not above the batch's first position.
// (The C ABI once kept this record itself, after Next returned: a second
// consumer's later batch recorded first passed the first one's, and the
// Python side reused its events' places before reading them.)
func TestKeptFromNeverPassesAHeldBatch(t *testing.T) {
	p := newTestProcessor(t, Config{BufferSize: 256, BatchSize: 7, FlushInterval: time.Millisecond})
	p.SetConsumer(true)
	const producers, perProducer, takers = 4, 20_000, 4
	var wg sync.WaitGroup
	for range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs := userEvents(50, "u", testEpoch)
			for sent := 0; sent < perProducer; {
				sent += p.PushMany(evs[:min(len(evs), perProducer-sent)])
			}
		}()
	}
	var taken sync.WaitGroup
	var mu sync.Mutex
	seen, passed := 0, 0
	for range takers {
		taken.Add(1)
		go func() {
			defer taken.Done()
			for {
				b, err := p.Next(50 * time.Millisecond)
				if err != nil {
					return
				}
				if b == nil {
					continue
				}
				from := p.KeptFrom()
				mu.Lock()
				seen += len(b.Events)
				if from > b.First {
					passed++
				}
				mu.Unlock()
				p.Done(b)
			}
		}()
	}
	wg.Wait()
	require.NoError(t, p.Close(10*time.Second))
	taken.Wait()
	require.Equal(t, producers*perProducer, seen)
	require.Zero(t, passed, "KeptFrom passed a batch still held")
}
