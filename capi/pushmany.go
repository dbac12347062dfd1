package main

import (
	"slices"
	"sync"

	"github.com/engagehub/engagehub-native/core/stream"
)

// offerScratch is what offering a list of events builds on each call: the
// strings cut from the list and the events made of them. Kept in a pool:
// a drain of 1024 events would otherwise allocate about 90 KB of them,
// which is most of what makes the collector run while events stream in.
// The ring copies the events, so nothing outlives the call; both slices
// are cleared before they go back, so that they keep no list alive.
type offerScratch struct {
	columns []string
	events  []stream.Event
}

var offerScratches = sync.Pool{New: func() any { return new(offerScratch) }}

// offerCopy offers p's engine the n events of a push_many whose string
// list is the caller's bytes list. The events' strings share one copy of
// it, which they keep until they are analysed (ForgetFields drops them
// then; the copy is then reused, see listCopies). With a native sink the
// types come first: the sink writes them.
func (p *processor) offerCopy(list []byte, stamps []int64, n int) (int, error) {
	buf, pooled := p.copies.get(p.Processor, list)
	pushed, err := offerList(p.Processor, bytesString(buf), stamps, n, p.pump.Load() != nil)
	if pooled {
		p.copies.hold(p.Processor, buf, pushed)
	}
	return pushed, err
}

// offerList offers p the n events of a push_many: their strings are the
// list text (one copy of the caller's bytes, which the events share), as
// columns of n (the types when typed, then the user ids, then the channel
// ids), and their timestamps stamps. It returns how many p took. The events
// are offered as valid: cutStrings checked the UTF-8 of every string, types
// included.
func offerList(p *stream.Processor, text string, stamps []int64, n int, typed bool) (int, error) {
	sc := offerScratches.Get().(*offerScratch)
	defer func() {
		clear(sc.columns[:cap(sc.columns)]) // and what a failed cut wrote past its length
		clear(sc.events)
		offerScratches.Put(sc)
	}()
	width := 2
	if typed {
		width = 3
	}
	columns, err := cutStrings(sc.columns[:0], text, width*n)
	if err != nil {
		return 0, err
	}
	sc.columns = columns
	ids := columns[(width-2)*n:]
	events := slices.Grow(sc.events[:0], n)[:n]
	sc.events = events
	for i := range events {
		events[i] = stream.Event{UserID: ids[i], ChannelID: ids[n+i], Timestamp: stamps[i]}
	}
	if typed {
		for i := range events {
			events[i].Type = columns[i]
		}
	}
	return p.OfferValid(events)
}
