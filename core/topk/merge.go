package topk

import (
	"errors"
	"fmt"
	"slices"
)

// ErrCapacityMismatch is returned by Merge when the trackers differ in
// capacity.
var ErrCapacityMismatch = errors.New("topk: capacity mismatch")

// Floor returns an upper bound on the true count of every key the tracker
// does not track: the smallest tracked Count once the tracker is full, 0
// before (until then every key seen is tracked).
func (t *Tracker) Floor() uint64 {
	if len(t.heap) < t.capacity {
		return 0
	}
	return t.heap[0].Count
}

// Merge adds other's keys into t, so that t summarises both streams; other
// is unchanged. Trackers must have the same capacity; on
// ErrCapacityMismatch t is unchanged.
//
// This is the merge of mergeable Space-Saving summaries (Agarwal et al.,
// "Mergeable Summaries", PODS 2012): a key's merged Count and Error are the
// sums of its Count and Error on each side, where a side that does not
// track the key contributes its Floor to both; then the Capacity() keys
// with the highest merged Count are kept. Every guarantee of the package
// still holds for the union: Count never under-estimates, Count − Error
// never over-estimates, and an untracked key's true count is at most
// Floor().
func (t *Tracker) Merge(other *Tracker) error {
	if t.capacity != other.capacity {
		return fmt.Errorf("%w: %d and %d", ErrCapacityMismatch, t.capacity, other.capacity)
	}
	floorT, floorO := t.Floor(), other.Floor()
	merged := make([]Item, 0, len(t.heap)+len(other.heap))
	for _, e := range t.heap {
		it := e.Item
		if o, ok := other.index[it.Key]; ok {
			it.Count, it.Error = satAdd(it.Count, o.Count), satAdd(it.Error, o.Error)
		} else {
			it.Count, it.Error = satAdd(it.Count, floorO), satAdd(it.Error, floorO)
		}
		merged = append(merged, it)
	}
	for _, o := range other.heap {
		if _, ok := t.index[o.Key]; ok {
			continue
		}
		merged = append(merged, Item{Key: o.Key, Count: satAdd(o.Count, floorT), Error: satAdd(o.Error, floorT)})
	}
	slices.SortFunc(merged, compareItems)
	if len(merged) > t.capacity {
		merged = merged[:t.capacity]
	}
	total := satAdd(t.total, other.total)
	t.Reset()
	t.total = total
	t.load(merged)
	return nil
}

// load replaces the (empty) tracker's entries with items, which hold
// distinct keys, at most Capacity() of them.
func (t *Tracker) load(items []Item) {
	for _, it := range items {
		e := &entry{Item: it, pos: len(t.heap)}
		t.heap = append(t.heap, e)
		t.index[e.Key] = e
		t.up(e.pos)
	}
}

// Items returns a copy of every tracked item, in no particular order: the
// cheap way to visit them all when the order does not matter.
func (t *Tracker) Items() []Item {
	out := make([]Item, len(t.heap))
	for i, e := range t.heap {
		out[i] = e.Item
	}
	return out
}

// AddBounded is Add for a caller that also knows upper, an upper bound on
// key's true count including this count (a Count-Min estimate, say). A key
// that is tracked, or that Add would track without evicting, is added as
// Add does. An untracked key of a full tracker whose upper is at most
// Floor() is not inserted: Floor already bounds its count, so every
// guarantee of the package still holds, and a long tail of rare keys no
// longer evicts the tracked ones one by one. It reports whether key is
// tracked afterwards.
func (t *Tracker) AddBounded(key string, count, upper uint64) bool {
	if count == 0 {
		_, ok := t.index[key]
		return ok
	}
	t.total = satAdd(t.total, count)
	if e, ok := t.index[key]; ok {
		e.Count = satAdd(e.Count, count)
		t.down(e.pos)
		return true
	}
	if len(t.heap) == t.capacity && upper <= t.heap[0].Count {
		return false
	}
	t.insert(key, count)
	return true
}
