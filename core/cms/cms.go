// Package cms implements a Count-Min Sketch with conservative update: a
// fixed-size table that estimates how often each item was counted, never
// under-estimating.
//
// With width w = ceil(e/ε) and depth d = ceil(ln(1/δ)), the estimate of an
// item exceeds its true count by at most εN (N = Total()) with probability at
// least 1−δ. Conservative update (Estan and Varghese, 2002) raises each of an
// item's d counters only as far as needed to keep its minimum at the new
// count, which keeps the same guarantees with a smaller error than plain
// Count-Min.
//
// Items are hashed once with 64-bit xxhash and the d row indexes are derived
// from that one hash by Kirsch–Mitzenmacher double hashing, so sketches built
// in different processes agree and can be merged or restored from
// MarshalBinary output.
package cms

import (
	"errors"
	"fmt"
	"math"

	"github.com/cespare/xxhash/v2"
)

// Shape limits accepted by NewWithSize (and UnmarshalBinary).
const (
	MaxWidth    = 1 << 31
	MaxDepth    = 64
	MaxCounters = 1 << 28 // width*depth: 2 GiB of counters
)

var (
	// ErrInvalidParams is returned by New and NewWithSize for parameters
	// outside their documented ranges.
	ErrInvalidParams = errors.New("cms: invalid parameters")
	// ErrShapeMismatch is returned by Merge when the sketches differ in width
	// or depth.
	ErrShapeMismatch = errors.New("cms: shape mismatch")
	// ErrCorrupt is wrapped by UnmarshalBinary when its input is not a
	// sketch written by MarshalBinary.
	ErrCorrupt = errors.New("cms: corrupt sketch")
)

// Sketch is a Count-Min Sketch with conservative update. Counts saturate at
// math.MaxUint64 instead of wrapping, so estimates never fall below the truth.
//
// The zero value is not usable (its methods panic): create sketches with New
// or NewWithSize. A plain struct copy shares the counters; do not copy a
// Sketch. A Sketch is not safe for concurrent use: callers that share one
// across goroutines must serialise access (the Estimate methods and Total may
// run concurrently with each other).
type Sketch struct {
	width, depth int
	total        uint64
	counters     []uint64 // depth rows of width counters, row-major
}

// New returns an empty sketch whose estimates exceed true counts by at most
// epsilon·Total() with probability at least 1−delta: width = ceil(e/epsilon),
// depth = ceil(ln(1/delta)). It returns ErrInvalidParams unless both lie in
// (0, 1) and the resulting shape is within the limits of NewWithSize.
func New(epsilon, delta float64) (*Sketch, error) {
	if !(epsilon > 0 && epsilon < 1) || !(delta > 0 && delta < 1) {
		return nil, fmt.Errorf("%w: epsilon %v and delta %v must lie in (0, 1)", ErrInvalidParams, epsilon, delta)
	}
	w := math.Ceil(math.E / epsilon)
	d := math.Max(1, math.Ceil(math.Log(1/delta)))
	if w > MaxWidth || d > MaxDepth {
		return nil, fmt.Errorf("%w: epsilon %v, delta %v need %v×%v counters", ErrInvalidParams, epsilon, delta, w, d)
	}
	return NewWithSize(int(w), int(d))
}

// NewWithSize returns an empty sketch of depth rows of width counters. It
// returns ErrInvalidParams unless 1 ≤ width ≤ MaxWidth, 1 ≤ depth ≤ MaxDepth
// and width·depth ≤ MaxCounters.
func NewWithSize(width, depth int) (*Sketch, error) {
	if err := checkShape(width, depth); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidParams, err)
	}
	return &Sketch{width: width, depth: depth, counters: make([]uint64, width*depth)}, nil
}

// prefaultUpTo is the largest sketch (in counters: 4 MiB) Prefault writes
// to. A larger one, sized for a tiny epsilon, keeps untouched pages out of
// memory until an item hashes to them.
const prefaultUpTo = 1 << 19

// Prefault writes one counter per 4 KiB page of a sketch of up to 4 MiB
// that has counted nothing yet (a zero Total: every counter is 0, and
// stays 0), for a sketch that many items will reach soon. Add reads an
// item's counters before it raises them: on a page fresh from the kernel
// that read maps the shared zero page, and the write after it faults again
// and flushes the page from the TLB of every CPU the process runs on (an
// interrupt each). A page written first faults once, with nothing to
// flush. Like Add, it must not run beside other calls on s.
func (s *Sketch) Prefault() {
	if s.total != 0 || len(s.counters) > prefaultUpTo {
		return
	}
	for i := 0; i < len(s.counters); i += 4096 / 8 {
		s.counters[i] = 0
	}
}

func checkShape(width, depth int) error {
	switch {
	case width < 1 || width > MaxWidth:
		return fmt.Errorf("width %d outside 1..%d", width, MaxWidth)
	case depth < 1 || depth > MaxDepth:
		return fmt.Errorf("depth %d outside 1..%d", depth, MaxDepth)
	case width*depth > MaxCounters:
		return fmt.Errorf("%d×%d counters exceed %d", width, depth, MaxCounters)
	}
	return nil
}

// Width returns the number of counters per row.
func (s *Sketch) Width() int { return s.width }

// Depth returns the number of rows.
func (s *Sketch) Depth() int { return s.depth }

// Total returns N, the sum of all counts added (saturating at
// math.MaxUint64), including those merged in.
func (s *Sketch) Total() uint64 { return s.total }

// Add counts data count times and returns its new estimate. A count of 0
// changes nothing and returns the current estimate.
func (s *Sketch) Add(data []byte, count uint64) uint64 {
	return s.AddHash(xxhash.Sum64(data), count)
}

// AddString is Add for a string; it does not allocate.
func (s *Sketch) AddString(v string, count uint64) uint64 {
	return s.AddHash(xxhash.Sum64String(v), count)
}

// AddHash is Add for an item given by its hash, which must be xxhash.Sum64
// of the item's bytes (xxhash.Sum64String for a string) for the sketch to
// agree with Add and Estimate.
func (s *Sketch) AddHash(h uint64, count uint64) uint64 {
	// One pass finds the item's counters and their minimum (the current
	// estimate); the second raises them.
	var cells [MaxDepth]*uint64
	h1, h2 := split(h)
	est := uint64(math.MaxUint64)
	for i := range s.depth {
		c := &s.counters[i*s.width+s.index(h1, h2, i)]
		cells[i] = c
		est = min(est, *c)
	}
	if count == 0 {
		return est
	}
	s.total = satAdd(s.total, count)
	target := satAdd(est, count)
	// Conservative update: raise each counter only up to the new estimate.
	for _, c := range cells[:s.depth] {
		if *c < target {
			*c = target
		}
	}
	return target
}

// Estimate returns the estimated count of data: never below the true count.
func (s *Sketch) Estimate(data []byte) uint64 { return s.EstimateHash(xxhash.Sum64(data)) }

// EstimateString is Estimate for a string; it does not allocate.
func (s *Sketch) EstimateString(v string) uint64 {
	return s.EstimateHash(xxhash.Sum64String(v))
}

// EstimateHash is Estimate for an item given by its xxhash (see AddHash).
func (s *Sketch) EstimateHash(h uint64) uint64 {
	h1, h2 := split(h)
	est := uint64(math.MaxUint64)
	for i := range s.depth {
		est = min(est, s.counters[i*s.width+s.index(h1, h2, i)])
	}
	return est
}

// split derives the two hashes of Kirsch–Mitzenmacher double hashing from one
// 64-bit hash. h2 is forced odd so that no item maps to the same column in
// every row.
func split(h uint64) (h1, h2 uint32) { return uint32(h), uint32(h>>32) | 1 }

// index returns the column of row i: g_i = h1 + i·h2 (mod 2^32), scaled onto
// 0..width-1 with Lemire's multiply-shift instead of a division.
func (s *Sketch) index(h1, h2 uint32, i int) int {
	g := h1 + uint32(i)*h2
	return int(uint64(g) * uint64(s.width) >> 32)
}

// Merge adds other's counters and total into s, so that s counts what was
// added to either; other is unchanged. On ErrShapeMismatch s is unchanged.
//
// Adding counters is correct for conservative-update sketches too: every
// counter of an item's columns is at least that item's true count in its own
// sketch, so the sums are at least its count in the union and the merged
// sketch still never under-estimates. The merged estimates may be somewhat
// higher than those of one sketch fed the union directly, but never more
// than a plain Count-Min Sketch of the union, so the εN bound still holds.
func (s *Sketch) Merge(other *Sketch) error {
	if s.width != other.width || s.depth != other.depth {
		return fmt.Errorf("%w: %d×%d and %d×%d", ErrShapeMismatch, s.width, s.depth, other.width, other.depth)
	}
	for i, c := range other.counters {
		s.counters[i] = satAdd(s.counters[i], c)
	}
	s.total = satAdd(s.total, other.total)
	return nil
}

// Reset sets every count to zero, keeping the shape and memory.
func (s *Sketch) Reset() {
	clear(s.counters)
	s.total = 0
}

// satAdd returns a+b, or math.MaxUint64 when that overflows.
func satAdd(a, b uint64) uint64 {
	if c := a + b; c >= a {
		return c
	}
	return math.MaxUint64
}
