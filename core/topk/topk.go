// Package topk tracks the heaviest keys of a stream in bounded memory with
// the Space-Saving algorithm (Metwally, Agrawal and El Abbadi, 2005).
//
// A Tracker of capacity m keeps at most m keys. When a new key arrives and
// the tracker is full, the key with the smallest count is replaced and the
// newcomer inherits that count as its possible over-estimate. This gives, for
// a stream of total weight N:
//
//   - a tracked key's Count never under-estimates its true count, and
//     Count − Error never over-estimates it;
//   - every key whose true count exceeds N/m is tracked.
//
// Add is O(log m): a min-heap orders the tracked keys by count and a map
// indexes them by key.
package topk

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// MaxCapacity is the largest capacity New accepts.
const MaxCapacity = 1 << 24

// ErrInvalidCapacity is returned by New for a capacity below 1 or above
// MaxCapacity.
var ErrInvalidCapacity = errors.New("topk: invalid capacity")

// Item is one tracked key. Count never under-estimates the key's true count
// and the true count is at least Count − Error.
type Item struct {
	Key   string
	Count uint64
	Error uint64
}

type entry struct {
	Item
	pos int // index in Tracker.heap
}

// Tracker holds the heavy hitters of a stream.
//
// The zero value is not usable: create a Tracker with New. A Tracker must not
// be copied (a copy shares its entries). It is not safe for concurrent use:
// callers that share one across goroutines must hold a lock around every call.
//
// Memory: at most Capacity() entries are kept, whatever the number of
// distinct keys. The bytes of the keys themselves are bounded only by the
// lengths of the keys callers pass: a tracker of capacity m holds m keys of
// whatever size they came in, so callers that accept untrusted keys should
// cap their length.
type Tracker struct {
	capacity int
	heap     []*entry // min-heap by Count
	index    map[string]*entry
	total    uint64
}

// New returns an empty Tracker that keeps at most capacity keys. It returns
// ErrInvalidCapacity unless 1 ≤ capacity ≤ MaxCapacity.
func New(capacity int) (*Tracker, error) {
	if capacity < 1 || capacity > MaxCapacity {
		return nil, fmt.Errorf("%w: %d (want 1..%d)", ErrInvalidCapacity, capacity, MaxCapacity)
	}
	hint := min(capacity, 1024) // grow on demand beyond this
	return &Tracker{
		capacity: capacity,
		heap:     make([]*entry, 0, hint),
		index:    make(map[string]*entry, hint),
	}, nil
}

// Add counts key count times. A count of 0 changes nothing. Counts saturate
// at math.MaxUint64.
//
// Add copies key when it starts tracking it and does not retain key
// otherwise, so key may alias a buffer that the caller reuses after Add
// returns (for example a string made with unsafe.String over a read buffer).
// Adding a key already tracked does not allocate.
func (t *Tracker) Add(key string, count uint64) {
	if count == 0 {
		return
	}
	t.total = satAdd(t.total, count)
	if e, ok := t.index[key]; ok {
		e.Count = satAdd(e.Count, count)
		t.down(e.pos)
		return
	}
	t.insert(key, count)
}

// insert starts tracking key, which is not tracked, with count.
func (t *Tracker) insert(key string, count uint64) {
	if len(t.heap) < t.capacity {
		e := &entry{Item: Item{Key: strings.Clone(key), Count: count}, pos: len(t.heap)}
		t.heap = append(t.heap, e)
		t.index[e.Key] = e
		t.up(e.pos)
		return
	}
	// Full: the key with the smallest count makes room, and the newcomer
	// inherits that count as its possible over-estimate.
	e := t.heap[0]
	delete(t.index, e.Key)
	e.Key = strings.Clone(key)
	e.Error = e.Count
	e.Count = satAdd(e.Count, count)
	t.index[e.Key] = e
	t.down(0)
}

// Count returns the tracked item of key, or false when key is not tracked
// (its true count is then at most the smallest tracked Count, and at most
// Total()/Capacity() once the tracker is full).
func (t *Tracker) Count(key string) (Item, bool) {
	if e, ok := t.index[key]; ok {
		return e.Item, true
	}
	return Item{}, false
}

// Top returns up to k tracked items, highest Count first, ties by Key
// ascending. It returns an empty slice for k ≤ 0. The result is a copy that
// the caller owns. It runs in O(m log k) time for m tracked keys and
// allocates only the result.
func (t *Tracker) Top(k int) []Item {
	k = max(0, min(k, len(t.heap)))
	// sel is a heap of the best k seen so far whose root is the one that
	// would come last in the result, so a better entry replaces it.
	sel := make([]Item, 0, k)
	if k == 0 {
		return sel
	}
	for _, e := range t.heap {
		switch {
		case len(sel) < k:
			sel = append(sel, e.Item)
			for i := len(sel) - 1; i > 0; {
				parent := (i - 1) / 2
				if compareItems(sel[i], sel[parent]) <= 0 {
					break
				}
				sel[i], sel[parent] = sel[parent], sel[i]
				i = parent
			}
		case compareItems(e.Item, sel[0]) < 0:
			sel[0] = e.Item
			for i := 0; ; {
				last := i
				if l := 2*i + 1; l < k && compareItems(sel[l], sel[last]) > 0 {
					last = l
				}
				if r := 2*i + 2; r < k && compareItems(sel[r], sel[last]) > 0 {
					last = r
				}
				if last == i {
					break
				}
				sel[i], sel[last] = sel[last], sel[i]
				i = last
			}
		}
	}
	slices.SortFunc(sel, compareItems)
	return sel
}

// compareItems orders items the way Top returns them.
func compareItems(a, b Item) int {
	if c := cmp.Compare(b.Count, a.Count); c != 0 {
		return c
	}
	return strings.Compare(a.Key, b.Key)
}

// Len returns the number of tracked keys, at most Capacity().
func (t *Tracker) Len() int { return len(t.heap) }

// Capacity returns the most keys the tracker keeps.
func (t *Tracker) Capacity() int { return t.capacity }

// Total returns the sum of all counts added (saturating at math.MaxUint64).
func (t *Tracker) Total() uint64 { return t.total }

// Reset forgets every key and the total, keeping the capacity.
func (t *Tracker) Reset() {
	clear(t.heap)
	t.heap = t.heap[:0]
	clear(t.index)
	t.total = 0
}

func (t *Tracker) less(i, j int) bool { return t.heap[i].Count < t.heap[j].Count }

func (t *Tracker) swap(i, j int) {
	t.heap[i], t.heap[j] = t.heap[j], t.heap[i]
	t.heap[i].pos = i
	t.heap[j].pos = j
}

func (t *Tracker) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !t.less(i, parent) {
			return
		}
		t.swap(i, parent)
		i = parent
	}
}

func (t *Tracker) down(i int) {
	n := len(t.heap)
	for {
		smallest := i
		if l := 2*i + 1; l < n && t.less(l, smallest) {
			smallest = l
		}
		if r := 2*i + 2; r < n && t.less(r, smallest) {
			smallest = r
		}
		if smallest == i {
			return
		}
		t.swap(i, smallest)
		i = smallest
	}
}

func satAdd(a, b uint64) uint64 {
	if c := a + b; c >= a {
		return c
	}
	return math.MaxUint64
}
