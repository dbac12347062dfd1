package stream

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// benchEvents returns a realistic mix: 100k users drawn at random, 1000
// channels with a Zipf skew, timestamps of the last few seconds.
func benchEvents(n int) []Event {
	r := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(r, 1.1, 1, 999)
	users := make([]string, 100_000)
	for i := range users {
		users[i] = "user-" + strconv.Itoa(1_000_000+i)
	}
	channels := make([]string, 1000)
	for i := range channels {
		channels[i] = "channel-" + strconv.Itoa(900_000_000_000_000_000+i)
	}
	types := []string{"message", "reaction", "voice_join"}
	out := make([]Event, n)
	for i := range out {
		out[i] = Event{
			Type:      types[r.IntN(len(types))],
			UserID:    users[r.IntN(len(users))],
			ChannelID: channels[zipf.Uint64()],
			Timestamp: testEpoch - int64(r.IntN(5)), // live events: now, give or take
		}
	}
	return out
}

func benchProcessor(b *testing.B, cfg Config) (*Processor, *consumers) {
	cfg.Now = newFakeClock(testEpoch).Now
	p, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	c := startConsumersKeeping(b, p, 1, false)
	b.Cleanup(func() { _ = p.Close(10 * time.Second) })
	return p, c
}

// BenchmarkProcessor: one producer calling Push, the analyser, one consumer
// draining batches of 1000, until everything is delivered.
func BenchmarkProcessor(b *testing.B) {
	benchPush(b, Config{BufferSize: 8192, BatchSize: 1000})
}

// BenchmarkProcessorDefaults: the Python defaults (batch_size 1, buffer
// 1024): every event is its own batch, so this is the Go cost per batch
// (cut, Next, Done) a dispatcher pays on top of its callback.
func BenchmarkProcessorDefaults(b *testing.B) {
	benchPush(b, Config{})
}

// benchPush pushes b.N events one at a time through a processor made from
// cfg, backing off on a full buffer, and reports the rate once all are
// delivered.
func benchPush(b *testing.B, cfg Config) {
	p, _ := benchProcessor(b, cfg)
	events := benchEvents(1 << 16)
	mask := len(events) - 1
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime(b)
	for i := 0; i < b.N; i++ {
		for fails := 0; !p.Push(events[i&mask]); fails++ {
			backOff(fails)
		}
	}
	if err := p.Flush(time.Minute, true); err != nil {
		b.Fatal(err)
	}
	reportRate(b, start, cpu0)
}

// BenchmarkPushMany: as BenchmarkProcessor, the producer pushing slices of
// 256 events.
func BenchmarkPushMany(b *testing.B) {
	p, _ := benchProcessor(b, Config{BufferSize: 8192, BatchSize: 1000})
	events := benchEvents(1 << 16)
	const chunk = 256
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime(b)
	fails := 0
	for i := 0; i < b.N; {
		off := i & (len(events) - 1)
		s := events[off:min(off+chunk, len(events), off+b.N-i)]
		n := p.PushMany(s)
		i += n
		if n < len(s) {
			backOff(fails)
			fails++
		} else {
			fails = 0
		}
	}
	if err := p.Flush(time.Minute, true); err != nil {
		b.Fatal(err)
	}
	reportRate(b, start, cpu0)
}

// BenchmarkPushUncontended is the producer-side cost of one Push alone.
func BenchmarkPushUncontended(b *testing.B) {
	p, _ := benchProcessor(b, Config{BufferSize: 1 << 20, BatchSize: 1000, MaxPending: 1 << 22})
	events := benchEvents(1 << 16)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !p.Push(events[i&(len(events)-1)]) {
			b.StopTimer()
			_ = p.Flush(time.Minute, true)
			b.StartTimer()
		}
	}
}

func loadedProcessor(b *testing.B) (*Processor, *fakeClock) {
	clock := newFakeClock(testEpoch)
	p, err := New(Config{BufferSize: 8192, BatchSize: 1000, Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	startConsumersKeeping(b, p, 1, false)
	b.Cleanup(func() { _ = p.Close(10 * time.Second) })
	// Spread over the whole hour, so every one of the 60 buckets is full.
	events := benchEvents(200_000)
	for i := range events {
		events[i].Timestamp = testEpoch - int64(i%3600)
	}
	pushAll(b, p, events)
	if err := p.Flush(time.Minute, true); err != nil {
		b.Fatal(err)
	}
	return p, clock
}

func BenchmarkUniqueUsers(b *testing.B) {
	b.Run("cached", func(b *testing.B) {
		p, _ := loadedProcessor(b)
		p.UniqueUsers(time.Hour)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			p.UniqueUsers(time.Hour)
		}
	})
	b.Run("current-minute-changed", func(b *testing.B) {
		p, _ := loadedProcessor(b)
		e := Event{UserID: "u", ChannelID: "c", Timestamp: testEpoch}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			e.UserID = strconv.Itoa(i)
			pushAll(b, p, []Event{e})
			_ = p.Flush(time.Second, false)
			b.StartTimer()
			p.UniqueUsers(time.Hour)
		}
	})
	b.Run("minute-changed", func(b *testing.B) {
		p, clock := loadedProcessor(b)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			clock.Advance(time.Minute)
			if i%30 == 29 {
				clock.Advance(-30 * time.Minute)
			}
			b.StartTimer()
			p.UniqueUsers(time.Hour)
		}
	})
}

// BenchmarkTopChannels: the all-time top k on the loaded processor, and on
// a quiet one whose 50,000 channels have one event each ("quiet": every
// tracked count is equal, so every tracked channel is looked at).
func BenchmarkTopChannels(b *testing.B) {
	p, _ := loadedProcessor(b)
	for _, k := range []int{10, 100} {
		b.Run("k="+strconv.Itoa(k), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				p.TopChannels(k)
			}
		})
	}
	quiet, err := New(Config{BufferSize: 8192, BatchSize: 1000})
	if err != nil {
		b.Fatal(err)
	}
	startConsumersKeeping(b, quiet, 1, false)
	b.Cleanup(func() { _ = quiet.Close(10 * time.Second) })
	events := make([]Event, 50_000)
	for i := range events {
		events[i] = Event{UserID: "u", ChannelID: "channel-" + strconv.Itoa(i), Timestamp: testEpoch}
	}
	pushAll(b, quiet, events)
	if err := quiet.Flush(time.Minute, true); err != nil {
		b.Fatal(err)
	}
	b.Run("quiet/k=10", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			quiet.TopChannels(10)
		}
	})
}

// reportRate reports wall-clock throughput and the CPU (all goroutines:
// producer, analyser, consumer, runtime) spent per event; the latter does
// not depend on what else the machine runs.
func reportRate(b *testing.B, start time.Time, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/event")
}

// BenchmarkAnalyse is the analytics cost per event alone (HLL, CMS, top-k),
// in chunks as the analyser runs them, without the ring or goroutines.
func BenchmarkAnalyse(b *testing.B) {
	var a analytics
	cfg, _ := Config{}.withDefaults()
	if err := a.init(cfg); err != nil {
		b.Fatal(err)
	}
	events := benchEvents(1 << 16)
	now := time.Unix(testEpoch, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i += chunkSize {
		off := i & (len(events) - 1)
		a.add(events[off:off+chunkSize], now)
	}
}

// backOff is how a producer that wants every event in waits for room: it
// yields a few times, then sleeps, leaving the CPU to the analyser (on a
// busy machine the two share a core).
func backOff(fails int) {
	if fails < 4 {
		runtime.Gosched()
		return
	}
	time.Sleep(50 * time.Microsecond)
}

// trendingProcessor: 1M events over 1M possible channels (Zipf, so most of
// them distinct), spread over the hour, every minute bucket full.
func trendingProcessor(b *testing.B) *Processor {
	clock := newFakeClock(testEpoch)
	p, err := New(Config{BufferSize: 8192, BatchSize: 1000, Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	startConsumersKeeping(b, p, 1, false)
	b.Cleanup(func() { _ = p.Close(10 * time.Second) })
	r := rand.New(rand.NewPCG(5, 6))
	zipf := rand.NewZipf(r, 1.1, 1, 999_999)
	events := make([]Event, 1_000_000)
	for i := range events {
		events[i] = Event{UserID: "u", ChannelID: "channel-" + strconv.FormatUint(zipf.Uint64(), 10),
			Timestamp: testEpoch - int64(i%3600)}
	}
	pushAll(b, p, events)
	if err := p.Flush(time.Minute, true); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkTrendingChannels: top 10 of the last hour over 1M channels.
// "unchanged": nothing changed since the last query (the cached answer); "current-minute-changed":
// an event arrived in the current minute before each query (the live case).
func BenchmarkTrendingChannels(b *testing.B) {
	p := trendingProcessor(b)
	b.Run("unchanged", func(b *testing.B) {
		_, _ = p.TrendingChannels(10, time.Hour)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.TrendingChannels(10, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("current-minute-changed", func(b *testing.B) {
		e := Event{UserID: "u", ChannelID: "channel-1", Timestamp: testEpoch}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			pushAll(b, p, []Event{e})
			_ = p.Flush(time.Second, false)
			b.StartTimer()
			if _, err := p.TrendingChannels(10, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("past-rebuilt", func(b *testing.B) {
		width := []time.Duration{time.Hour, 59 * time.Minute}
		for i := 0; i < b.N; i++ {
			if _, err := p.TrendingChannels(10, width[i%2]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
