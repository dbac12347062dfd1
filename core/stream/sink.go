package stream

import "time"

// Sink is analytics kept outside the processor (Config.Shared). The
// analyser goroutine calls Observe with each chunk of events it analysed,
// in stream order, and the wall-clock now it analysed them at, before the
// events' strings may be dropped (Config.ForgetFields). Observe must not
// block and must copy what it keeps: the slice is reused.
type Sink interface {
	Observe(events []Event, now time.Time)
}
