package stream

import (
	"slices"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/engagehub/engagehub-native/core/cms"
	"github.com/engagehub/engagehub-native/core/hll"
	"github.com/engagehub/engagehub-native/core/topk"
)

// windowMinutes is the number of one-minute HyperLogLog buckets: the
// longest window UniqueUsers answers.
const windowMinutes = 60

// minuteBucket holds the distinct users of the events whose timestamp falls
// in one minute (Unix seconds / 60).
type minuteBucket struct {
	minute  int64
	version uint64 // bumped on every change, for the query cache
	sketch  *hll.Sketch
}

// analytics is guarded by Processor.analyticsMu; only the analyser mutates it.
type analytics struct {
	buckets [windowMinutes]minuteBucket
	cms     *cms.Sketch
	top     *topk.Tracker
	trend   [windowMinutes]trendBucket // channel counts per minute (trend.go)

	sums   [channelSlots]channelSum // channel counts not yet in the sketches
	used   []uint16                 // occupied indexes of sums
	staged int                      // events counted in sums since the last flush

	warmSink byte // keeps warm's loads from being optimised away
}

func (a *analytics) init(cfg Config) error {
	for i := range a.buckets {
		s, err := hll.New(cfg.HLLPrecision)
		if err != nil {
			return err
		}
		a.buckets[i] = minuteBucket{minute: -1, sketch: s}
	}
	var err error
	if a.cms, err = cms.New(cfg.CMSEpsilon, cfg.CMSDelta); err != nil {
		return err
	}
	a.cms.Prefault() // every event reaches it (the minute buckets' sketches stay lazy)
	if a.top, err = topk.New(cfg.TopKCapacity); err != nil {
		return err
	}
	return a.initTrend()
}

// add analyses a chunk of events at wall-clock time now.
//
// Unique users: an event counts in the bucket of its minute. An event up to
// 60 s in the future (clock skew between hosts) counts as now; one further
// in the future, or older than the 60-minute window, is not counted in any
// window. A bucket is recycled when an event of a newer minute with the same
// index arrives.
//
// Channels: events are first summed per channel and minute over up to
// stageEvents events, then each sum updates the all-time CMS and top-k and
// its minute's trend bucket once: real traffic is skewed (a few busy
// channels), so this saves most of the sketch updates. Counts added in one
// step are still upper bounds under conservative update.
func (a *analytics) add(chunk []Event, now time.Time) {
	nowSec := now.Unix()
	nowMin := nowSec / 60
	oldest := nowMin - windowMinutes + 1

	a.warm(chunk)
	prevMin := int64(-1)
	var b *minuteBucket
	for i := range chunk {
		e := &chunk[i]
		ts := e.Timestamp
		m := int64(-1) // the event's minute, -1 when outside the window
		if ts <= nowSec || ts-nowSec <= 60 {
			m = min(ts, nowSec) / 60
			if m < oldest {
				m = -1
			}
		}
		a.countChannel(e.ChannelID, m)
		if m < 0 {
			continue
		}
		if m != prevMin {
			b = &a.buckets[m%windowMinutes]
			if b.minute != m {
				if b.minute > m {
					// The slot holds a newer minute (the clock went back).
					prevMin = -1
					continue
				}
				b.sketch.Reset()
				b.minute = m
			}
			prevMin = m
		}
		b.sketch.AddHash(xxhash.Sum64String(e.UserID))
		b.version++
	}
	if a.staged += len(chunk); a.staged >= stageEvents {
		a.flushChannels()
	}
}

// channelSum is one channel's count within a chunk, in one minute of the
// window (minute -1: outside it, counted all-time only).
type channelSum struct {
	key    string
	hash   uint64
	minute int64
	n      uint64
}

// Channel counts are summed in an open-addressing table over up to
// stageEvents events (flushed earlier when half of its channelSlots are
// taken, and before every read of the channel sketches), so a channel
// updates the sketches once per flush rather than per event. A sum costs
// the sketches about 150 ns (the CMS rows and the top-k's map are cache
// misses), so the fewer sums per event the better. Flushed every 8 chunks,
// an analyser that kept up with its producers took small chunks and spent
// 46 ns of every event's time on sums (BenchmarkProcessor's profile, about
// one sum per three events); over 16,384 events of BenchmarkAnalyse's
// Zipf-skewed thousand channels it pays about one per 17. The table
// (160 KiB) is sized so that for a thousand busy channels the flush by
// events comes before the one by slots.
const (
	channelSlots = 4096
	stageEvents  = 16384
)

// warm loads the first bytes of every user and channel id of the chunk
// before any is hashed: the loads do not depend on one another, so their
// cache misses overlap (the strings were written by the producers, on
// other cores), where hashing id after id waits for each miss in turn.
func (a *analytics) warm(chunk []Event) {
	var sink byte
	for i := range chunk {
		e := &chunk[i]
		if len(e.UserID) > 0 {
			sink += e.UserID[0]
		}
		if len(e.ChannelID) > 0 {
			sink += e.ChannelID[0]
		}
	}
	a.warmSink = sink
}

// countChannel adds one event of channel ch in minute m (-1: outside the
// window) to the per-chunk sums.
func (a *analytics) countChannel(ch string, m int64) {
	h := xxhash.Sum64String(ch)
	for i := h ^ uint64(m+1)*0x9e3779b97f4a7c15; ; i++ {
		s := &a.sums[i%channelSlots]
		if s.n == 0 {
			// A copy: the sum outlives the event, whose strings the
			// producer may reuse once it is analysed (Released).
			*s = channelSum{key: strings.Clone(ch), hash: h, minute: m, n: 1}
			a.used = append(a.used, uint16(i%channelSlots))
			if len(a.used) >= channelSlots/2 {
				a.flushChannels()
			}
			return
		}
		if s.hash == h && s.minute == m && s.key == ch {
			s.n++
			return
		}
	}
}

// flushChannels applies the staged sums to the all-time CMS and top-k, and
// to their minute's trend bucket. Every read of those calls it first.
func (a *analytics) flushChannels() {
	for _, i := range a.used {
		s := &a.sums[i]
		a.cms.AddHash(s.hash, s.n)
		a.top.Add(s.key, s.n)
		if s.minute >= 0 {
			a.addTrend(s)
		}
		*s = channelSum{}
	}
	a.used = a.used[:0]
	a.staged = 0
}

// uniqueQuery caches what UniqueUsers computed: private clones of the
// buckets (so merging runs outside the analytics lock, which only copies
// buckets that changed), the merge of the window's past minutes and the
// last answer.
type uniqueQuery struct {
	clones   [windowMinutes]*hll.Sketch
	minutes  [windowMinutes]int64
	versions [windowMinutes]uint64

	pastValid  bool
	pastNowMin int64
	pastWidth  int64
	past       *hll.Sketch // merge of minutes (nowMin-width, nowMin)

	answerValid bool
	answerMin   int64
	answerWidth int64
	answerVer   uint64 // version of the current minute's bucket
	answer      uint64
}

func (q *uniqueQuery) init(precision uint8) {
	for i := range q.minutes {
		q.minutes[i] = -1
	}
	q.past, _ = hll.New(precision)
}

// UniqueUsers estimates the number of distinct user ids among the analysed
// events whose timestamp lies in the last window, counted in whole minutes:
// the current minute (Now / 60) and the window-1 minutes before it. window
// is rounded to the nearest minute, at least 1 and at most 60; window ≤ 0
// returns 0. A window outside 0..MaxWindow is clamped, not refused: callers
// that take it from users check it with ValidWindow first. Events more than 60 s in the future are not counted; see also
// the minute bucketing on analytics.add.
//
// The answer is cached until an event changes one of the window's buckets
// or the minute changes.
func (p *Processor) UniqueUsers(window time.Duration) uint64 {
	if window <= 0 {
		return 0
	}
	width := int64((window + 30*time.Second) / time.Minute)
	width = min(max(width, 1), windowMinutes)
	nowMin := p.cfg.Now().Unix() / 60
	oldest := nowMin - width + 1

	p.queryMu.Lock()
	defer p.queryMu.Unlock()
	q := &p.uniqueQuery

	// Under the analytics lock, only copy the buckets that changed.
	pastChanged := !q.pastValid || q.pastNowMin != nowMin || q.pastWidth != width
	curIdx := nowMin % windowMinutes
	p.analyticsMu.Lock()
	for m := oldest; m <= nowMin; m++ {
		i := m % windowMinutes
		b := &p.analytics.buckets[i]
		if b.minute != m {
			if q.minutes[i] == m {
				// Cached a minute the bucket no longer holds: cannot
				// happen unless the clock went back; forget it.
				q.minutes[i] = -1
				pastChanged = pastChanged || i != curIdx
			}
			continue
		}
		if q.minutes[i] == m && q.versions[i] == b.version {
			continue
		}
		if q.clones[i] == nil {
			q.clones[i] = b.sketch.Clone()
		} else {
			q.clones[i].Reset()
			_ = q.clones[i].Merge(b.sketch)
		}
		q.minutes[i], q.versions[i] = m, b.version
		if i != curIdx {
			pastChanged = true
		}
	}
	p.analyticsMu.Unlock()

	curVer := uint64(0)
	if q.minutes[curIdx] == nowMin {
		curVer = q.versions[curIdx]
	}
	if !pastChanged && q.answerValid && q.answerMin == nowMin && q.answerWidth == width && q.answerVer == curVer {
		return q.answer
	}
	if pastChanged {
		q.past.Reset()
		for m := oldest; m < nowMin; m++ {
			if i := m % windowMinutes; q.minutes[i] == m {
				_ = q.past.Merge(q.clones[i])
			}
		}
		q.pastValid, q.pastNowMin, q.pastWidth = true, nowMin, width
	}
	answer := q.past.Estimate()
	if q.minutes[curIdx] == nowMin {
		all := q.past.Clone()
		_ = all.Merge(q.clones[curIdx])
		answer = all.Estimate()
	}
	q.answerValid, q.answerMin, q.answerWidth, q.answerVer, q.answer = true, nowMin, width, curVer, answer
	return answer
}

// TopChannels returns up to k channels with the most events since New,
// highest count first, ties by channel id. Each count is the smaller of the
// Space-Saving count and the Count-Min estimate, both upper bounds, so it
// never under-estimates; MaxOvercount is how far above the true count it
// may be (the Space-Saving lower bound's distance). k ≤ 0 returns nil.
func (p *Processor) TopChannels(k int) []ChannelCount {
	if k <= 0 {
		return nil
	}
	p.analyticsMu.Lock()
	defer p.analyticsMu.Unlock()
	p.analytics.flushChannels()
	// Tightening counts with the CMS can reorder the Space-Saving list, so
	// the first 2k are fetched and, when the k-th tightened count does not
	// beat every count not fetched (each at most the last fetched
	// Space-Saving count), every tracked channel is looked at once: on a
	// quiet board of equal counts no shorter fetch would ever do, and
	// fetching again and again longer lists sorted each anew cost 50 times
	// the look.
	top := p.analytics.top
	if fetch := max(2*min(k, top.Len()), 16); fetch < top.Len() {
		items := top.Top(fetch)
		if best := p.analytics.tightened(items, k); best[k-1].Count > minCount(items) {
			return best
		}
	}
	return p.analytics.tightened(top.Items(), k)
}

// tightened returns the k best of items, each count tightened by the
// Count-Min estimate, highest count first, ties by channel id.
func (a *analytics) tightened(items []topk.Item, k int) []ChannelCount {
	best := make([]ChannelCount, 0, min(k, len(items))+1)
	for _, it := range items {
		count := min(it.Count, a.cms.EstimateString(it.Key))
		best = keepBest(best, ChannelCount{ChannelID: it.Key, Count: count, MaxOvercount: count - (it.Count - it.Error)}, k)
	}
	return best
}

// keepBest adds c to best, the k best channel counts so far in
// compareChannelCounts order, and returns the k best; c is dropped at once
// when it ranks after a full list's last.
func keepBest(best []ChannelCount, c ChannelCount, k int) []ChannelCount {
	if len(best) == k && compareChannelCounts(c, best[k-1]) >= 0 {
		return best
	}
	i, _ := slices.BinarySearchFunc(best, c, compareChannelCounts)
	best = slices.Insert(best, i, c)
	return best[:min(len(best), k)]
}

func minCount(items []topk.Item) uint64 {
	m := items[0].Count
	for _, it := range items[1:] {
		m = min(m, it.Count)
	}
	return m
}
