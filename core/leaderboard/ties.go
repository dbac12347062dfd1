package leaderboard

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
)

// Ties, rank styles and percentiles.
//
// Two users are tied when their stored values G are equal. Every score shown
// at a time t is G times one positive factor (decay.go), so equal G means
// equal scores at every t, and it is exactly the equality the tree orders by
// (less compares G first). Scores of distinct G are distinct in the tree's
// order even if, decayed and rounded to a float64 for display, two of them
// happen to print alike.
//
// Competition rank is 1 + the number of entries with a strictly greater G:
// one descent of the tree (countAbove). Dense rank is 1 + the number of
// distinct G values above, which the tree's counts cannot give: a value
// shared by m users counts m times there. So the board keeps, beside the
// tree, tiedValues (tiedvalues.go): the values shared by two users or more
// only, each weighted by m − 1, the entries it has beyond the first, in a
// sorted array with a Fenwick tree of the weights. Then
//
//	distinct values above g = countAbove(g) − Σ weights of tied values above g
//
// in O(log n) for the descent plus O(log t) for the sum (t the number of
// tied values). Why this rather than distinct counts kept in the tree's
// nodes or a second tree of every distinct value:
//
//   - Counts of distinct values per subtree do not add up (a value may
//     straddle two children), so keeping them in the tree means tracking
//     boundary equalities through every split, merge, shift and the fast
//     paths that update a leaf without a descent.
//   - A second tree of all distinct values costs every update a removal and
//     an insertion in it: about doubling the update's cost on a board of
//     distinct real-valued scores, where it is needed least.
//   - The tied values cost an update that neither leaves nor joins a tie a
//     look at its neighbours in the leaf it is written to (in cache). On a
//     board where ties are many (integer points without decay) they hold
//     one value per tied score: thousands of users share each.
//
// An update that does leave or join a tie does not change tiedValues
// either: it adds ±1 to its value in tieChanges, a map of the values
// changed since tiedValues was last read, and the first query that reads
// them applies them, each value's changes summed. The map holds one entry
// per value touched, in cache, and a batch of updates collapses into one
// change per value.
//
// Percentiles need the multiplicity m of a value, which is 1 + its weight.

// tieChanges are the changes to the weights of tied values that updates
// made since tiedValues was last read: written only under the board's
// write lock, applied by the first reader (under its read lock, so readers
// serialise on mu) or by a writer when they grow past maxTieChanges.
//
// Tied values nobody reads are not kept for long: once writers have
// counted more changes since the last read than keepTiesFor allows (about
// what recounting the board's ties costs), they drop the tied values and
// stop counting (unkept), so a board whose readers never ask for dense
// ranks or percentiles stops paying for them; the next reader that asks
// recounts them from the tree, in one pass, and writers count again.
type tieChanges struct {
	mu      sync.Mutex
	waiting atomic.Bool // delta holds changes
	unkept  atomic.Bool // tiedValues is not kept: the next reader recounts it
	read    atomic.Bool // a reader asked for the tied values since writers last looked
	changes int         // changes counted since writers last saw read (writers only)
	delta   map[float64]int64
}

// maxTieChanges bounds the values tieChanges holds between reads, so that a
// board of millions of distinct tied values that is never read does not
// grow a second map of them: past it, the writer applies them.
const maxTieChanges = 1 << 12

// keepTiesFor returns how many tie changes writers count, with no reader
// asking, before they stop keeping the tied values of a board of size
// entries: about as many as cost what one recount does. Counting and
// applying a change took writers about 280 ns on a tie-heavy board
// (BenchmarkUpdateMovesAfterFill's profile), a recount about 9 ns per entry
// (8–10 ms at 1M), so the two meet near size/32 changes.
func keepTiesFor(size int) int { return max(4*maxTieChanges, size/32) }

// newTieKey returns the p of a key user id's value is about to be stored
// under: the id's prefix (TieByUserID), or the next arrival number
// (TieEarliest: among equal values the smaller number, the value reached
// first, ranks first).
func (c *standings) newTieKey(id string) uint64 {
	if c.tieBreak == TieEarliest {
		c.seq++
		return c.seq
	}
	return idPrefix(id)
}

// insertKey adds k to the tree and counts its tie.
func (c *standings) insertKey(k key) {
	c.treeInsert(k)
	c.noteInserted(k)
}

// noteInserted counts the tie k, just put in the tree (at c.placed), joins:
// a value held by another entry already has one entry more beyond its first.
func (c *standings) noteInserted(k key) {
	if c.tiesKept() && c.hasTwin(c.placed.leaf, c.placed.pos) {
		c.tieChange(k.g, 1)
	}
}

// noteRemoving counts the tie the entry at position j of leaf id, about to
// leave the tree, leaves.
func (c *standings) noteRemoving(id int32, j int) {
	if c.tiesKept() && c.hasTwin(id, j) {
		c.tieChange(c.leaves[id].g[j], -1)
	}
}

// tiesKept reports whether writers count tie changes (see tieChanges).
func (c *standings) tiesKept() bool {
	return c.tieChanges == nil || !c.tieChanges.unkept.Load()
}

// hasTwin reports whether an entry next to the one at position j of leaf id
// in rank order has the same value: equal values are neighbours, so a
// value has two entries or more exactly when each of them has a twin.
func (c *standings) hasTwin(id int32, j int) bool {
	lf := c.leaves[id]
	g := lf.g[j]
	if j > 0 {
		if lf.g[j-1] == g {
			return true
		}
	} else if lf.prev >= 0 {
		pl := c.leaves[lf.prev]
		if pl.g[pl.n-1] == g {
			return true
		}
	}
	if j+1 < int(lf.n) {
		return lf.g[j+1] == g
	}
	return lf.next >= 0 && c.leaves[lf.next].g[0] == g
}

// tieChange adds delta to the weight of value g, in tieChanges until the
// tied values are next read.
func (c *standings) tieChange(g float64, delta int64) {
	tc := c.tieChanges
	if tc == nil {
		tc = &tieChanges{delta: make(map[float64]int64)}
		c.tieChanges = tc
	}
	if len(tc.delta) == 0 {
		tc.waiting.Store(true)
	}
	tc.delta[g] += delta
	tc.changes++
	if len(tc.delta) > maxTieChanges {
		if tc.read.Load() {
			tc.read.Store(false)
			tc.changes = len(tc.delta)
		}
		if tc.changes > keepTiesFor(c.size) {
			clear(tc.delta)
			tc.waiting.Store(false)
			tc.unkept.Store(true)
			c.ties = tiedValues{}
			return
		}
		c.settleTies(tc) // no reader runs beside a writer
	}
}

// tied returns the tied values with every change applied, for a reader:
// safe under the board's read lock.
func (c *standings) tied() *tiedValues {
	tc := c.tieChanges
	if tc == nil {
		return &c.ties
	}
	if !tc.read.Load() {
		tc.read.Store(true)
	}
	if !tc.waiting.Load() && !tc.unkept.Load() {
		return &c.ties
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	c.settleTies(tc)
	return &c.ties
}

// settleTies applies the waiting changes to the tied values, or recounts
// them if they were not kept; under tc.mu or the board's write lock.
func (c *standings) settleTies(tc *tieChanges) {
	if tc.unkept.Load() {
		c.ties = c.countTies()
		tc.unkept.Store(false)
	} else if tc.waiting.Load() {
		c.ties.apply(tc.delta)
	}
	clear(tc.delta)
	tc.waiting.Store(false)
}

// rebuildTies recounts the tied values from the tree, in one pass, with
// no change waiting.
func (c *standings) rebuildTies() {
	c.ties = c.countTies()
	c.tieChanges = nil
}

// countTies returns the tied values of the tree, counted in one pass.
func (c *standings) countTies() tiedValues {
	var gs []float64 // in rank order: descending
	var ws []int64
	var run int64
	var g float64
	flush := func() {
		if run > 1 {
			gs, ws = append(gs, g), append(ws, run-1)
		}
	}
	c.forEachLeafKeys(func(lf *leafNode) {
		for j := 0; j < int(lf.n); j++ {
			if run > 0 && lf.g[j] == g {
				run++
				continue
			}
			flush()
			g, run = lf.g[j], 1
		}
	})
	flush()
	slices.Reverse(gs)
	slices.Reverse(ws)
	var tv tiedValues
	tv.reset(gs, ws)
	return tv
}

// forEachLeafKeys calls fn with every leaf, in rank order.
func (c *standings) forEachLeafKeys(fn func(lf *leafNode)) {
	if c.size == 0 {
		return
	}
	id, _ := c.kth(0)
	for ; id >= 0; id = c.leaves[id].next {
		fn(c.leaves[id])
	}
}

// countAbove returns the number of entries whose value is greater than g:
// one descent, taking at each level the last child whose smallest key (its
// separator) is still above g, since every child before it holds only
// values above g and none after it does.
func (c *standings) countAbove(g float64) int {
	r := 0
	id := c.root
	for level := c.height; level > 0; level-- {
		nd := c.inners[id]
		n := int(nd.n)
		i := 0
		for i+1 < n && nd.g[i+1] > g {
			r += int(nd.count[i])
			i++
		}
		id = nd.child[i]
	}
	lf := c.leaves[id]
	j := 0
	for j < int(lf.n) && lf.g[j] > g {
		j++
	}
	return r + j
}

// aboveOf returns the number of entries whose value is greater than g, the
// value of the entry at position j of leaf id with 0-based ordinal rank
// ord, or ord < 0 when the caller has not climbed for it: aboveOf climbs
// only when it needs the rank, and a tie reaching back past its leaf needs
// none. Entries tied with it are counted back from j within its leaf,
// which is in cache; its neighbours there settle, without tiedValues,
// whether g is tied at all unless it lies at an edge of the leaf. A tie
// that reaches the leaf's first entry is settled by the leaf's separator in
// its parent: every entry of the leaves before ranks before the separator,
// so when the separator's value is above g none of them ties g. Only a tie
// that may reach back into the previous leaf takes a descent (countAbove),
// and the previous leaf is not read first: on a tie-heavy board the run of
// a value spans many leaves, and the descent reads the one leaf where it
// starts.
func (c *standings) aboveOf(g float64, id int32, j, ord int) int {
	lf := c.leaves[id]
	n := int(lf.n)
	tiedBefore := j > 0 && lf.g[j-1] == g
	if !tiedBefore && (j+1 >= n || lf.g[j+1] != g) &&
		((j > 0 && j+1 < n) || c.tied().weight(g) == 0) {
		return c.ordinal(id, j, ord) // no entry ties g: exactly the ones before it are above
	}
	k := j
	if tiedBefore {
		k = tieStart(lf.g[:j], g)
	}
	if k > 0 || lf.prev < 0 || c.leafSeparator(id) > g { // lf.prev < 0: the first leaf
		return c.ordinal(id, j, ord) - (j - k)
	}
	return c.countAbove(g)
}

// tieStart returns the position of the first value equal to g in gs, which
// is in rank order (descending) and ends with g: a bisection, since a run of
// ties often fills most of a leaf.
func tieStart(gs []float64, g float64) int {
	lo, hi := 0, len(gs)-1 // gs[hi] == g
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if gs[m] > g {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// ordinal returns ord, the 0-based ordinal rank of the entry at position j
// of leaf id, climbing for it when ord < 0 (not known yet).
func (c *standings) ordinal(id int32, j, ord int) int {
	if ord < 0 {
		return c.rankAt(id, j)
	}
	return ord
}

// leafSeparator returns the value of the separator of leaf id, which is not
// the root, in its parent, or -Inf for a first child (whose separator slot
// is never consulted), which is above no value.
func (c *standings) leafSeparator(id int32) float64 {
	lf := c.leaves[id]
	nd := c.inners[lf.parent]
	i := childSlot(nd, id, lf.slot)
	if i == 0 {
		return math.Inf(-1)
	}
	return nd.g[i]
}

// styledRank returns the rank in style of the entry at position j of leaf
// id, whose value is g and 0-based ordinal rank ord (< 0: not known yet,
// climbed for only when needed; see aboveOf).
func (c *standings) styledRank(style RankStyle, g float64, id int32, j, ord int) int {
	if style == Ordinal {
		return c.ordinal(id, j, ord) + 1
	}
	above := c.aboveOf(g, id, j, ord)
	if style == Competition {
		return above + 1
	}
	return above - int(c.tied().above(g)) + 1
}
