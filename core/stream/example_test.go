package stream_test

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/engagehub/engagehub-native/core/stream"
)

// The Python layer's shape: dispatcher goroutines (threads, in Python) pull
// batches in short slices and acknowledge each one after the callback ran.
func Example() {
	p, err := stream.New(stream.Config{BatchSize: 100, FlushInterval: 10 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	p.SetConsumer(true) // set_flush_callback(cb)

	var mu sync.Mutex
	delivered := 0
	var wg sync.WaitGroup
	for range 2 { // num_threads
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b, err := p.Next(100 * time.Millisecond)
				if errors.Is(err, stream.ErrClosed) {
					return
				}
				if b == nil {
					continue // timeout slice: check for signals, loop
				}
				mu.Lock()
				delivered += len(b.Events) // the callback
				mu.Unlock()
				p.Done(b)
			}
		}()
	}

	for i := range 250 {
		p.Push(stream.Event{Type: "message", UserID: fmt.Sprint("user-", i%50), ChannelID: "general"})
	}
	if err := p.Flush(5*time.Second, true); err != nil { // flush_now()
		panic(err)
	}
	fmt.Println("delivered:", delivered)
	fmt.Println("unique users:", p.UniqueUsers(time.Hour))
	fmt.Println("top:", p.TopChannels(1))
	trending, err := p.TrendingChannels(1, time.Hour)
	if err != nil {
		panic(err)
	}
	fmt.Println("trending this hour:", trending)

	if err := p.Close(5 * time.Second); err != nil {
		panic(err)
	}
	wg.Wait()
	// Output:
	// delivered: 250
	// unique users: 50
	// top: [{general 250 0}]
	// trending this hour: [{general 250 0}]
}
