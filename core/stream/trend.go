package stream

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/engagehub/engagehub-native/core/cms"
	"github.com/engagehub/engagehub-native/core/topk"
)

// Trending channels: per one-minute bucket, a small Count-Min Sketch and a
// Space-Saving candidate set, so the memory is fixed whatever the number of
// channels (about 4 MiB for the 60 buckets plus the channel ids of at most
// trendCapacity candidates per bucket).
const (
	trendCMSWidth = 2048 // ε = e/2048 ≈ 0.13 % of a bucket's events
	trendCMSDepth = 4    // δ = e^-4 ≈ 1.8 % per bucket
	trendCapacity = 128  // candidates per minute
)

var (
	// ErrInvalidCount is returned (wrapped) by TrendingChannels for k < 1.
	ErrInvalidCount = errors.New("stream: invalid count")
	// ErrInvalidTrendWindow is returned (wrapped) by ValidTrendWindow and
	// TrendingChannels for a window that is not a whole number of minutes
	// within the kept hour.
	ErrInvalidTrendWindow = errors.New("stream: invalid window")
)

// ValidTrendWindow reports whether d is a window TrendingChannels answers:
// nil for a whole number of minutes from one minute to MaxWindow, else an
// error wrapping ErrInvalidTrendWindow.
func ValidTrendWindow(d time.Duration) error {
	if d < time.Minute || d > MaxWindow || d%time.Minute != 0 {
		return fmt.Errorf("%w: %v (want a whole number of minutes, 1m..%v)", ErrInvalidTrendWindow, d, MaxWindow)
	}
	return nil
}

// trendBucket holds the channel counts of the events whose timestamp falls
// in one minute.
type trendBucket struct {
	minute  int64
	version uint64 // bumped on every change, for the query cache
	cms     *cms.Sketch
	top     *topk.Tracker
}

func (a *analytics) initTrend() error {
	for i := range a.trend {
		s, err := cms.NewWithSize(trendCMSWidth, trendCMSDepth)
		if err != nil {
			return err
		}
		t, err := topk.New(trendCapacity)
		if err != nil {
			return err
		}
		a.trend[i] = trendBucket{minute: -1, cms: s, top: t}
	}
	return nil
}

// addTrend counts a staged sum (minute ≥ 0) in its minute's bucket,
// recycling the slot when it holds an older minute; a slot that holds a
// newer minute (the clock went back) keeps it and the sum is not counted
// there.
func (a *analytics) addTrend(s *channelSum) {
	b := &a.trend[s.minute%windowMinutes]
	if b.minute != s.minute {
		if b.minute > s.minute {
			return
		}
		b.cms.Reset()
		b.top.Reset()
		b.minute = s.minute
	}
	// The sketch's estimate gates the candidates: a rare channel whose
	// count is already below the floor does not evict a tracked one.
	b.top.AddBounded(s.key, s.n, b.cms.AddHash(s.hash, s.n))
	b.version++
}

// trendCandidate is one channel tracked in some past bucket of the window:
// over the buckets that track it, the sum of (count − that bucket's floor)
// and of (count − error).
type trendCandidate struct {
	key      string
	overFlr  uint64
	lowerSum uint64
}

// trendPast caches what TrendingChannels merged of the window's past
// minutes (all but the current and previous one, which change while events
// arrive): the sum of their sketches, of their floors, and their candidates
// sorted by upper bound. It is rebuilt when the minute or the width
// changes, or an event lands in a past minute.
type trendPast struct {
	valid    bool
	nowMin   int64
	width    int64
	minutes  [windowMinutes]int64
	versions [windowMinutes]uint64

	floor uint64      // Σ floors of the past buckets
	cms   *cms.Sketch // Σ of the past buckets' sketches
	cands []trendCandidate
	index map[string]int

	seen map[string]struct{} // scratch of a query

	// The last answer, valid while the past is unchanged and so are the
	// live buckets (their minute and version).
	answer      []ChannelCount
	answerValid bool
	answerK     int
	answerLive  [2][2]uint64

	// The previous minute's candidates in order, kept while its bucket is
	// unchanged: it is live (late events may still land in it) but seldom
	// changes, unlike the current minute.
	previous        []topk.Item
	previousMinute  int64
	previousVersion uint64
}

// previousOrder returns the candidates of b, the previous minute's bucket,
// highest count first, ordering them again only when b changed.
func (q *trendPast) previousOrder(b *trendBucket) []topk.Item {
	if q.previous == nil || q.previousMinute != b.minute || q.previousVersion != b.version {
		q.previous = b.top.Top(b.top.Len())
		q.previousMinute, q.previousVersion = b.minute, b.version
	}
	return q.previous
}

func (q *trendPast) refresh(a *analytics, nowMin, width int64) {
	oldest, last := nowMin-width+1, nowMin-2
	if q.valid && q.nowMin == nowMin && q.width == width {
		same := true
		for m := oldest; m <= last && same; m++ {
			i := m % windowMinutes
			b := &a.trend[i]
			has := b.minute == m
			same = (q.minutes[i] == m) == has && (!has || q.versions[i] == b.version)
		}
		if same {
			return
		}
	}
	if q.cms == nil {
		q.cms, _ = cms.NewWithSize(trendCMSWidth, trendCMSDepth)
		q.index = make(map[string]int)
	}
	q.cms.Reset()
	clear(q.index)
	q.cands, q.floor = q.cands[:0], 0
	q.answerValid = false
	for i := range q.minutes {
		q.minutes[i] = -1
	}
	for m := oldest; m <= last; m++ {
		i := m % windowMinutes
		b := &a.trend[i]
		if b.minute != m {
			continue
		}
		q.minutes[i], q.versions[i] = m, b.version
		_ = q.cms.Merge(b.cms) // same shape by construction
		f := b.top.Floor()
		q.floor += f
		for _, it := range b.top.Items() {
			j, ok := q.index[it.Key]
			if !ok {
				j = len(q.cands)
				q.index[it.Key] = j
				q.cands = append(q.cands, trendCandidate{key: it.Key})
			}
			q.cands[j].overFlr += it.Count - f
			q.cands[j].lowerSum += it.Count - it.Error
		}
	}
	slices.SortFunc(q.cands, func(x, y trendCandidate) int {
		if c := cmp.Compare(y.overFlr, x.overFlr); c != 0 {
			return c
		}
		return cmp.Compare(x.key, y.key)
	})
	for j, c := range q.cands {
		q.index[c.key] = j
	}
	q.valid, q.nowMin, q.width = true, nowMin, width
}

// liveList walks one live bucket's candidates, highest count first: the
// previous minute's from their kept order, the current minute's
// ordered only as far as the walk goes (that bucket changes with every
// event, so its order cannot be kept between queries).
type liveList struct {
	b       *trendBucket
	kept    bool        // the previous minute's list: walks its kept order
	ordered []topk.Item // what is left of the kept order
	ranking topk.Ranking
	started bool
}

// peek returns the count the next candidate has, or the bucket's floor
// once every candidate was seen: no channel not yet seen counts more in
// this bucket.
func (l *liveList) peek() (topk.Item, bool) {
	if l.kept {
		if len(l.ordered) > 0 {
			return l.ordered[0], true
		}
	} else {
		if !l.started {
			l.ranking, l.started = l.b.top.Ranking(), true
		}
		if it, ok := l.ranking.Peek(); ok {
			return it, true
		}
	}
	return topk.Item{Count: l.b.top.Floor()}, false
}

// next moves past the candidate peek returned.
func (l *liveList) next() {
	if l.kept {
		l.ordered = l.ordered[1:]
		return
	}
	l.ranking.Next()
}

// TrendingChannels returns up to k channels with the most events whose
// timestamp lies in the last window (a whole number of minutes, 1..60: the
// current minute and the ones before it), highest count first, ties by
// channel id. Count never under-estimates the channel's events in the
// window and Count − MaxOvercount never over-estimates them: both bounds
// are guaranteed, not probabilistic. It returns an error wrapping
// ErrInvalidCount for k < 1 and ErrInvalidTrendWindow for a window
// ValidTrendWindow refuses.
//
// Each minute keeps a Count-Min Sketch and a Space-Saving set of
// trendCapacity candidates; a channel's window count is the smaller of the
// sums of its per-minute Space-Saving bounds (a minute that does not track
// it contributes that minute's floor) and of its per-minute Count-Min
// estimates. The candidates are walked in the order of their upper bounds
// (Fagin's threshold algorithm over the past minutes, merged and cached,
// and the live current and previous minute), so a query looks at a few
// dozen channels, not all of them. A channel tracked in no minute of the
// window is never returned; its count is at most the sum of the floors.
func (p *Processor) TrendingChannels(k int, window time.Duration) ([]ChannelCount, error) {
	if k < 1 {
		return nil, fmt.Errorf("%w: k %d (want >= 1)", ErrInvalidCount, k)
	}
	if err := ValidTrendWindow(window); err != nil {
		return nil, err
	}
	width := int64(window / time.Minute)
	nowMin := p.cfg.Now().Unix() / 60

	p.trendMu.Lock()
	defer p.trendMu.Unlock()
	p.analyticsMu.Lock()
	defer p.analyticsMu.Unlock()
	a := &p.analytics
	a.flushChannels()
	q := &p.trendPast
	q.refresh(a, nowMin, width)

	var liveBuf [2]liveList
	live := liveBuf[:0]
	var liveKey [2][2]uint64
	for m := max(nowMin-1, nowMin-width+1); m <= nowMin; m++ {
		if b := &a.trend[m%windowMinutes]; b.minute == m {
			liveKey[len(live)] = [2]uint64{uint64(m), b.version}
			l := liveList{b: b}
			if m < nowMin {
				l.kept, l.ordered = true, q.previousOrder(b)
			}
			live = append(live, l)
		}
	}
	if q.answerValid && q.answerK == k && q.answerLive == liveKey {
		return slices.Clone(q.answer), nil
	}

	best := make([]ChannelCount, 0, min(k, trendCapacity)+1) // the k best so far, sorted
	if q.seen == nil {
		q.seen = make(map[string]struct{})
	}
	seen := q.seen
	clear(seen)
	evaluate := func(key string) {
		if _, ok := seen[key]; ok {
			return
		}
		seen[key] = struct{}{}
		upper, lower := q.floor, uint64(0)
		if j, ok := q.index[key]; ok {
			upper += q.cands[j].overFlr
			lower += q.cands[j].lowerSum
		}
		for _, l := range live {
			if it, ok := l.b.top.Count(key); ok {
				upper += it.Count
				lower += it.Count - it.Error
			} else {
				upper += l.b.top.Floor()
			}
		}
		count := upper
		if upper > lower { // the sketches may tighten it
			h := xxhash.Sum64String(key)
			est := q.cms.EstimateHash(h)
			for _, l := range live {
				est += l.b.cms.EstimateHash(h)
			}
			count = min(upper, est)
		}
		if count == 0 {
			return
		}
		best = keepBest(best, ChannelCount{ChannelID: key, Count: count, MaxOvercount: count - min(lower, count)}, k)
	}
	pastPos := 0
	for {
		// threshold: the most any channel not yet evaluated can count.
		threshold := q.floor
		progressed := false
		if pastPos < len(q.cands) {
			threshold += q.cands[pastPos].overFlr
		}
		for i := range live {
			it, _ := live[i].peek()
			threshold += it.Count
		}
		if len(best) == k && best[k-1].Count >= threshold {
			break
		}
		if pastPos < len(q.cands) {
			evaluate(q.cands[pastPos].key)
			pastPos++
			progressed = true
		}
		for i := range live {
			if it, ok := live[i].peek(); ok {
				evaluate(it.Key)
				live[i].next()
				progressed = true
			}
		}
		if !progressed {
			break
		}
	}
	q.answer, q.answerValid, q.answerK, q.answerLive = best, true, k, liveKey
	return slices.Clone(best), nil
}

func compareChannelCounts(a, b ChannelCount) int {
	if c := cmp.Compare(b.Count, a.Count); c != 0 {
		return c
	}
	return cmp.Compare(a.ChannelID, b.ChannelID)
}
