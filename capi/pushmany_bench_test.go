package main

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/engagehub/engagehub-native/core/stream"
)

// BenchmarkPushManyPath is eh_proc_push_many without cgo: decode a string
// list of 1024 events, build the events, offer them, with the analyser
// consuming and a consumer acknowledging batches.
func BenchmarkPushManyPath(b *testing.B) {
	p, err := stream.New(stream.Config{BufferSize: 1 << 16, BatchSize: 512, FlushInterval: time.Millisecond,
		ForgetFields: true}) // as newProcessor
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
	pr := &processor{Processor: p}
	b.ResetTimer()
	for pushed := 0; pushed < b.N; {
		// As eh_proc_push_many: a copy of the list (reused once released),
		// its events cut and offered; a full ring takes fewer, and the list
		// is offered again.
		got, err := pr.offerCopy(list, stamps, n)
		if err != nil {
			b.Fatal(err)
		}
		if got == 0 {
			runtime.Gosched()
		}
		pushed += got
	}
	b.StopTimer()
	_ = p.Close(5 * time.Second)
	<-done
}
