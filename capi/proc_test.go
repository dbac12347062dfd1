package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/engagehub/engagehub-native/core/stream"
)

// TestKeptFromHoldsABatchBeingHandedOut: while one dispatcher's batch is
// between the engine and its recording, another dispatcher takes and
// records the next batch. keptFrom must still hold the first batch's
// events, or the Python side reuses their slots before the first
// dispatcher reads them (CI once saw 99 events delivered twice and as many
// lost with two dispatchers).
func TestKeptFromHoldsABatchBeingHandedOut(t *testing.T) {
	engine, err := stream.New(stream.Config{BufferSize: 64, BatchSize: 10, FlushInterval: time.Millisecond})
	require.NoError(t, err)
	defer engine.Close(0) // the third batch is never taken
	engine.SetConsumer(true)
	p := wrap(engine, nil)
	events := make([]stream.Event, 30)
	for i := range events {
		events[i] = stream.Event{Type: "m", UserID: "u", ChannelID: "c", Timestamp: 1_700_000_000}
	}
	require.Equal(t, 30, engine.PushMany(events))

	held, release := make(chan *stream.Batch), make(chan struct{})
	first := true
	afterTake = func(q *processor, b *stream.Batch) {
		if q == p && first {
			first = false
			held <- b
			<-release
		}
	}
	defer func() { afterTake = nil }()
	taken := make(chan *stream.Batch)
	go func() {
		b, _ := p.next(time.Second) // nil on an error, which the Same below reports
		taken <- b
	}()
	b1 := <-held
	b2, err := p.next(time.Second)
	require.NoError(t, err)
	require.NotNil(t, b2)
	require.Greater(t, b2.First, b1.First, "the engine hands batches out in stream order")
	require.LessOrEqual(t, p.keptFrom(), b1.First, "the batch not yet recorded is still held")

	close(release)
	require.Same(t, b1, <-taken)
	require.Equal(t, b1.First, p.keptFrom())
	require.Empty(t, p.taking)
	require.Len(t, p.handedOut, 2)
	engine.Done(b1)
	engine.Done(b2)
}
