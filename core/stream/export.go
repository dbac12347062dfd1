package stream

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/engagehub/engagehub-native/core/cms"
	"github.com/engagehub/engagehub-native/core/hll"
	"github.com/engagehub/engagehub-native/core/topk"
)

var (
	// ErrCorruptAnalytics is returned (wrapped) by MergeAnalytics for data
	// that MarshalAnalytics did not write: another format version,
	// truncated, or garbage.
	ErrCorruptAnalytics = errors.New("stream: corrupt analytics state")
	// ErrAnalyticsMismatch is returned (wrapped) by MergeAnalytics for a
	// state written by a processor whose sketches have another shape (HLL
	// precision, Count-Min size, top-k capacity): such sketches cannot be
	// merged.
	ErrAnalyticsMismatch = errors.New("stream: analytics state of another configuration")
)

// Binary format of MarshalAnalytics, version 1, little-endian. Sketches are
// embedded in their own packages' MarshalBinary formats, each preceded by
// its length (uint32):
//
//	bytes 0..2   "EHA"
//	byte 3       format version (1)
//	byte 4       HyperLogLog precision
//	all-time channel counts: Count-Min Sketch, Space-Saving tracker
//	byte         number of distinct-user buckets (≤ 60), then each:
//	             minute (int64, Unix seconds / 60), HyperLogLog
//	byte         number of trend buckets (≤ 60), then each:
//	             minute (int64), Count-Min Sketch, Space-Saving tracker
const (
	analyticsMagic   = "EHA"
	analyticsVersion = 1
)

// analyticsState is a decoded MarshalAnalytics output.
type analyticsState struct {
	precision uint8
	cms       *cms.Sketch
	top       *topk.Tracker
	unique    []uniqueState
	trend     []trendState
}

type uniqueState struct {
	minute int64
	sketch *hll.Sketch
}

type trendState struct {
	minute int64
	cms    *cms.Sketch
	top    *topk.Tracker
}

// MarshalAnalytics encodes the processor's analytics: the all-time channel
// counts and the buckets of the last hour (distinct users and channel
// counts), for MergeAnalytics in another processor, here or in another
// process. Events not yet analysed are not in it (Flush first).
func (p *Processor) MarshalAnalytics() ([]byte, error) {
	nowMin := p.cfg.Now().Unix() / 60
	oldest := nowMin - windowMinutes + 1
	p.analyticsMu.Lock()
	defer p.analyticsMu.Unlock()
	a := &p.analytics
	a.flushChannels()
	st := analyticsState{precision: p.cfg.HLLPrecision, cms: a.cms, top: a.top}
	for i := range a.buckets {
		if b := &a.buckets[i]; b.minute >= oldest && b.minute <= nowMin && !b.sketch.IsEmpty() {
			st.unique = append(st.unique, uniqueState{minute: b.minute, sketch: b.sketch})
		}
		if b := &a.trend[i]; b.minute >= oldest && b.minute <= nowMin && b.top.Len() > 0 {
			st.trend = append(st.trend, trendState{minute: b.minute, cms: b.cms, top: b.top})
		}
	}
	return st.marshal(), nil
}

// marshal encodes st in the format above.
func (st *analyticsState) marshal() []byte {
	out := append([]byte(analyticsMagic), analyticsVersion, st.precision)
	out = appendSketch(out, st.cms)
	out = appendSketch(out, st.top)
	out = append(out, byte(len(st.unique)))
	for _, u := range st.unique {
		out = binary.LittleEndian.AppendUint64(out, uint64(u.minute))
		out = appendSketch(out, u.sketch)
	}
	out = append(out, byte(len(st.trend)))
	for _, t := range st.trend {
		out = binary.LittleEndian.AppendUint64(out, uint64(t.minute))
		out = appendSketch(out, t.cms)
		out = appendSketch(out, t.top)
	}
	return out
}

type binaryMarshaler interface{ MarshalBinary() ([]byte, error) }

func appendSketch(out []byte, s binaryMarshaler) []byte {
	b, _ := s.MarshalBinary() // the sketches' encoders never fail
	out = binary.LittleEndian.AppendUint32(out, uint32(len(b)))
	return append(out, b...)
}

// decodeAnalytics parses a MarshalAnalytics output whole, checking every
// sketch; it does not compare shapes with any processor (see compatible).
func decodeAnalytics(data []byte) (*analyticsState, error) {
	d := decoder{data: data}
	if len(data) < 5 || string(data[:3]) != analyticsMagic {
		return nil, fmt.Errorf("%w: not an analytics state (bad header)", ErrCorruptAnalytics)
	}
	if data[3] != analyticsVersion {
		return nil, fmt.Errorf("%w: format version %d, this build reads %d", ErrCorruptAnalytics, data[3], analyticsVersion)
	}
	st := &analyticsState{precision: data[4], cms: new(cms.Sketch), top: new(topk.Tracker)}
	d.data = data[5:]
	d.sketch("all-time counts", st.cms)
	d.sketch("all-time top channels", st.top)
	seen := map[int64]bool{}
	for i, n := 0, d.count("distinct-user buckets"); i < n && d.err == nil; i++ {
		u := uniqueState{minute: d.minute(seen), sketch: new(hll.Sketch)}
		d.sketch("distinct-user bucket", u.sketch)
		if d.err == nil && u.sketch.Precision() != st.precision {
			d.fail("a distinct-user bucket has precision %d, the header %d", u.sketch.Precision(), st.precision)
		}
		st.unique = append(st.unique, u)
	}
	clear(seen)
	for i, n := 0, d.count("trend buckets"); i < n && d.err == nil; i++ {
		t := trendState{minute: d.minute(seen), cms: new(cms.Sketch), top: new(topk.Tracker)}
		d.sketch("trend bucket counts", t.cms)
		d.sketch("trend bucket top channels", t.top)
		st.trend = append(st.trend, t)
	}
	if d.err == nil && len(d.data) != 0 {
		d.fail("%d bytes after the end", len(d.data))
	}
	if d.err != nil {
		return nil, d.err
	}
	return st, nil
}

// decoder reads the sections of an analytics state; the first error sticks.
type decoder struct {
	data []byte
	err  error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorruptAnalytics, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.data) {
		d.fail("truncated in %s", what)
		return nil
	}
	b := d.data[:n]
	d.data = d.data[n:]
	return b
}

func (d *decoder) count(what string) int {
	b := d.take(1, what)
	if b == nil {
		return 0
	}
	if b[0] > windowMinutes {
		d.fail("%d %s, at most %d", b[0], what, windowMinutes)
		return 0
	}
	return int(b[0])
}

func (d *decoder) minute(seen map[int64]bool) int64 {
	b := d.take(8, "a bucket's minute")
	if b == nil {
		return 0
	}
	m := int64(binary.LittleEndian.Uint64(b))
	if m < 0 || seen[m] {
		d.fail("bucket minute %d negative or repeated", m)
	}
	seen[m] = true
	return m
}

type binaryUnmarshaler interface{ UnmarshalBinary([]byte) error }

func (d *decoder) sketch(what string, s binaryUnmarshaler) {
	b := d.take(4, what)
	if b == nil {
		return
	}
	body := d.take(int(binary.LittleEndian.Uint32(b)), what)
	if d.err != nil {
		return
	}
	if err := s.UnmarshalBinary(body); err != nil {
		d.err = fmt.Errorf("%w: %s: %w", ErrCorruptAnalytics, what, err)
	}
}

// compatible reports whether st's sketches have the shapes of p's, so that
// merging them cannot fail half-way.
func (st *analyticsState) compatible(p *Processor) error {
	a := &p.analytics
	mismatch := func(what string, theirs, ours any) error {
		return fmt.Errorf("%w: %s %v, this processor's is %v", ErrAnalyticsMismatch, what, theirs, ours)
	}
	if st.precision != p.cfg.HLLPrecision {
		return mismatch("HyperLogLog precision", st.precision, p.cfg.HLLPrecision)
	}
	if st.cms.Width() != a.cms.Width() || st.cms.Depth() != a.cms.Depth() {
		return mismatch("Count-Min size", fmt.Sprintf("%d×%d", st.cms.Width(), st.cms.Depth()),
			fmt.Sprintf("%d×%d", a.cms.Width(), a.cms.Depth()))
	}
	if st.top.Capacity() != a.top.Capacity() {
		return mismatch("top-k capacity", st.top.Capacity(), a.top.Capacity())
	}
	for _, t := range st.trend {
		if t.cms.Width() != trendCMSWidth || t.cms.Depth() != trendCMSDepth || t.top.Capacity() != trendCapacity {
			return mismatch("trend bucket shape", fmt.Sprintf("%d×%d/%d", t.cms.Width(), t.cms.Depth(), t.top.Capacity()),
				fmt.Sprintf("%d×%d/%d", trendCMSWidth, trendCMSDepth, trendCapacity))
		}
	}
	return nil
}

// MergeAnalytics adds the analytics that MarshalAnalytics encoded in data
// (from this processor or another, in any process) into p's, as if p had
// analysed those events too: distinct users merge exactly (HyperLogLog
// union: the same registers as one sketch fed both streams), channel counts
// add (Count-Min Sketches sum; Space-Saving summaries merge as in Agarwal et
// al.'s mergeable summaries), so every count stays an upper bound with a
// guaranteed lower bound. Buckets merge by minute, with p's clock deciding
// what the last hour is: a bucket older than p's window is skipped, one of
// the minute after p's current minute (clocks up to a minute apart) counts
// in the current minute, as analyse does with events up to 60 s ahead, and
// a later one is skipped.
//
// It returns an error wrapping ErrCorruptAnalytics for data that is not a
// whole, valid state of this format version, and ErrAnalyticsMismatch for a
// state whose sketches have another shape; on error p is unchanged.
func (p *Processor) MergeAnalytics(data []byte) error {
	st, err := decodeAnalytics(data)
	if err != nil {
		return err
	}
	if err := st.compatible(p); err != nil {
		return err
	}
	nowMin := p.cfg.Now().Unix() / 60
	oldest := nowMin - windowMinutes + 1
	slot := func(m int64) (int64, bool) {
		if m == nowMin+1 {
			m = nowMin
		}
		return m, m >= oldest && m <= nowMin
	}
	p.analyticsMu.Lock()
	defer p.analyticsMu.Unlock()
	a := &p.analytics
	a.flushChannels()
	// Shapes were checked: none of these merges can fail.
	_ = a.cms.Merge(st.cms)
	_ = a.top.Merge(st.top)
	for _, u := range st.unique {
		m, ok := slot(u.minute)
		b := &a.buckets[m%windowMinutes]
		if !ok || b.minute > m {
			continue
		}
		if b.minute < m {
			b.sketch.Reset()
			b.minute = m
		}
		_ = b.sketch.Merge(u.sketch)
		b.version++
	}
	for _, t := range st.trend {
		m, ok := slot(t.minute)
		b := &a.trend[m%windowMinutes]
		if !ok || b.minute > m {
			continue
		}
		if b.minute < m {
			b.cms.Reset()
			b.top.Reset()
			b.minute = m
		}
		_ = b.cms.Merge(t.cms)
		_ = b.top.Merge(t.top)
		b.version++
	}
	return nil
}
