package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/engagehub/engagehub-native/core/stream"
)

// BenchmarkPushManyPath is eh_proc_push_many without cgo: decode a string
// list of 1024 events, build the events, offer them, with the analyser
// consuming and a consumer acknowledging batches.
func BenchmarkPushManyPath(b *testing.B) {
	p, err := stream.New(stream.Config{BufferSize: 1 << 16, BatchSize: 512, FlushInterval: time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	p.SetConsumer(true)
	done := make(chan struct{})
	go func() {
		for {
			batch, err := p.Next(10 * time.Millisecond)
			if err != nil {
				close(done)
				return
			}
			if batch != nil {
				p.Done(batch)
			}
		}
	}()
	const n = 1024
	var w listWriter
	for i := range n {
		w.add(fmt.Sprint(80000000000000000 + i%5000))
	}
	for i := range n {
		w.add(fmt.Sprint(90000000000000000 + i%300))
	}
	list := append([]byte(nil), w.strings...)
	stamps := make([]int64, n)
	b.ResetTimer()
	for i := 0; i < b.N; i += n {
		columns, err := decodeStrings(list, 2*n)
		if err != nil {
			b.Fatal(err)
		}
		events := make([]stream.Event, n)
		for k := range events {
			events[k] = stream.Event{UserID: columns[k], ChannelID: columns[n+k], Timestamp: stamps[k]}
		}
		for off := 0; off < n; {
			got, err := p.Offer(events[off:])
			if err != nil {
				b.Fatal(err)
			}
			off += got
		}
	}
	b.StopTimer()
	_ = p.Close(5 * time.Second)
	<-done
}
