package leaderboard

import (
	"cmp"
	"math/bits"
	"slices"
)

// tiedValues holds the G values shared by two entries or more, each
// weighted by how many entries it has beyond the first (see ties.go), and
// answers a value's weight and the total weight of the values above one.
//
// The values sit in one ascending array and their weights in a Fenwick
// tree over it, so a weight changes and a sum is read in O(log t) (t the
// number of values) through one flat array: independent loads, where a
// balanced tree's walk is a chain of dependent ones (the treap this
// replaced cost a move of BenchmarkUpdateMovesAfterFill's tie-heavy board
// about 380 ns in its walks, 13 % of the move).
// A value new to the array waits, with its weight, in fresh (ascending,
// at most about √t of them), read beside the array, until fresh is full:
// then the two are merged in one pass, O(t). A value whose weight falls to
// 0 stays in the array with weight 0 until a merge drops it (the next one,
// or one made for it once such values are half the array). The changes a
// read applies at once (tieChanges) go in together: the values' weights
// first, then the new values in one merge if fresh cannot take them.
//
// -0 and 0 are one value, as in the tree (every comparison here is of
// floats); no value is NaN.
type tiedValues struct {
	g     []float64 // ascending, distinct
	w     []int64   // w[i]: g[i]'s weight, 0 for a value no longer tied
	fen   []int64   // Fenwick tree of w: fen[i] sums w[i-lowbit(i) : i]
	total int64     // Σ w
	dead  int       // values of g with weight 0
	fresh []tiedValue
	// The arrays the next merge writes (the previous ones, reused).
	spareG []float64
	spareW []int64
}

// tiedValue is a value with its weight.
type tiedValue struct {
	g float64
	w int64
}

// freshMost is how many values fresh holds before a merge: about √t, so a
// new value costs O(√t) amortized (its share of the merge, and its place in
// fresh), and a read sums O(√t) of fresh at worst.
func (t *tiedValues) freshMost() int {
	return max(64, 1<<((bits.Len(uint(len(t.g)))+1)/2))
}

// find returns the position in the array of the first value not below g,
// and whether it is g.
func (t *tiedValues) find(g float64) (int, bool) { return slices.BinarySearch(t.g, g) }

// findFresh is find in fresh.
func (t *tiedValues) findFresh(g float64) (int, bool) {
	return slices.BinarySearchFunc(t.fresh, g, func(v tiedValue, g float64) int { return cmp.Compare(v.g, g) })
}

// weight returns the weight of value g: its entries beyond the first, 0 if
// g is not tied.
func (t *tiedValues) weight(g float64) int64 {
	if i, ok := t.find(g); ok {
		return t.w[i]
	}
	if i, ok := t.findFresh(g); ok {
		return t.fresh[i].w
	}
	return 0
}

// above returns the total weight of the tied values greater than g.
func (t *tiedValues) above(g float64) int64 {
	i, ok := t.find(g)
	if ok {
		i++
	}
	s := t.total - t.prefix(i)
	j, ok := t.findFresh(g)
	if ok {
		j++
	}
	for _, v := range t.fresh[j:] {
		s += v.w
	}
	return s
}

// prefix returns Σ w[:i].
func (t *tiedValues) prefix(i int) int64 {
	var s int64
	for ; i > 0; i &= i - 1 {
		s += t.fen[i]
	}
	return s
}

// addAt adds delta to w[i].
func (t *tiedValues) addAt(i int, delta int64) {
	t.w[i] += delta
	t.total += delta
	for j := i + 1; j < len(t.fen); j += j & -j {
		t.fen[j] += delta
	}
}

// add changes the weight of a tied value by delta, dropping it at 0, and
// reports whether g was tied (nothing changes if not).
func (t *tiedValues) add(g float64, delta int64) bool {
	if i, ok := t.find(g); ok && t.w[i] != 0 {
		t.addAt(i, delta)
		if t.w[i] == 0 {
			t.dead++
			if t.dead > 64 && 2*t.dead > len(t.g) {
				t.merge(nil)
			}
		}
		return true
	}
	if i, ok := t.findFresh(g); ok {
		if t.fresh[i].w += delta; t.fresh[i].w == 0 {
			t.fresh = slices.Delete(t.fresh, i, i+1)
		}
		return true
	}
	return false
}

// insert adds value g, not tied, with weight w.
func (t *tiedValues) insert(g float64, w int64) {
	t.insertMany([]tiedValue{{g, w}})
}

// insertMany adds values that are not tied, each with its weight; vs may be
// reordered.
func (t *tiedValues) insertMany(vs []tiedValue) {
	if len(t.fresh)+len(vs) > t.freshMost() {
		slices.SortFunc(vs, func(a, b tiedValue) int { return cmp.Compare(a.g, b.g) })
		t.merge(vs)
		return
	}
	for _, v := range vs {
		if i, ok := t.find(v.g); ok { // no longer tied, still in the array
			if t.w[i] == 0 {
				t.dead--
			}
			t.addAt(i, v.w)
			continue
		}
		i, ok := t.findFresh(v.g)
		if !ok {
			t.fresh = slices.Insert(t.fresh, i, v)
		} else if t.fresh[i].w += v.w; t.fresh[i].w == 0 {
			t.fresh = slices.Delete(t.fresh, i, i+1)
		}
	}
}

// apply makes the weight changes deltas holds (value → change, the changes
// a read finds in tieChanges).
func (t *tiedValues) apply(deltas map[float64]int64) {
	var news []tiedValue
	for g, d := range deltas {
		if d != 0 && !t.add(g, d) {
			news = append(news, tiedValue{g, d}) // a value newly tied: its weight so far
		}
	}
	if len(news) > 0 {
		t.insertMany(news)
	}
}

// merge rebuilds the array from itself, fresh and vs (ascending, values not
// tied), dropping values of weight 0.
func (t *tiedValues) merge(vs []tiedValue) {
	n := len(t.g) - t.dead + len(t.fresh) + len(vs)
	gs, ws := t.spareG[:0], t.spareW[:0]
	if cap(gs) < n {
		gs, ws = make([]float64, 0, n+n/4), make([]int64, 0, n+n/4)
	}
	i, j, k := 0, 0, 0
	for i < len(t.g) || j < len(t.fresh) || k < len(vs) {
		// The smallest value left in any of the three, and its total weight.
		g := 0.0
		first := true
		if i < len(t.g) {
			g, first = t.g[i], false
		}
		if j < len(t.fresh) && (first || t.fresh[j].g < g) {
			g, first = t.fresh[j].g, false
		}
		if k < len(vs) && (first || vs[k].g < g) {
			g = vs[k].g
		}
		var w int64
		if i < len(t.g) && t.g[i] == g {
			w += t.w[i]
			i++
		}
		if j < len(t.fresh) && t.fresh[j].g == g {
			w += t.fresh[j].w
			j++
		}
		for k < len(vs) && vs[k].g == g {
			w += vs[k].w
			k++
		}
		if w != 0 {
			gs, ws = append(gs, g), append(ws, w)
		}
	}
	t.spareG, t.spareW = t.g, t.w
	t.reset(gs, ws)
}

// reset makes gs (ascending, distinct) with weights ws (none 0) the values,
// and builds their Fenwick tree in O(t).
func (t *tiedValues) reset(gs []float64, ws []int64) {
	t.g, t.w, t.fresh, t.dead, t.total = gs, ws, t.fresh[:0], 0, 0
	if cap(t.fen) < len(ws)+1 {
		t.fen = make([]int64, len(ws)+1, cap(ws)+1)
	}
	t.fen = t.fen[:len(ws)+1]
	t.fen[0] = 0
	copy(t.fen[1:], ws)
	for i := 1; i < len(t.fen); i++ {
		t.total += ws[i-1]
		if j := i + i&-i; j < len(t.fen) {
			t.fen[j] += t.fen[i]
		}
	}
}
