package leaderboard

import (
	"math"
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
// tree, tiedValues: an order-statistic treap holding only the values shared
// by two users or more, each weighted by m − 1, the entries it has beyond
// the first. Then
//
//	distinct values above g = countAbove(g) − Σ weights of tied values above g
//
// in O(log n) for the descent plus O(log t) for the treap (t the number of
// tied values). Why this structure rather than distinct counts kept in the
// tree's nodes or a second tree of every distinct value:
//
//   - Counts of distinct values per subtree do not add up (a value may
//     straddle two children), so keeping them in the tree means tracking
//     boundary equalities through every split, merge, shift and the fast
//     paths that update a leaf without a descent.
//   - A second tree of all distinct values costs every update a removal and
//     an insertion in it: about doubling the update's cost on a board of
//     distinct real-valued scores, where it is needed least.
//   - The treap of tied values costs an update that neither leaves nor joins
//     a tie a look at its neighbours in the leaf it is written to (in
//     cache). On a board where ties are many (integer points without
//     decay) the treap holds one node per tied score: thousands of users
//     share each value.
//
// An update that does leave or join a tie does not walk the treap either:
// it adds ±1 to its value in tieChanges, a map of the values changed since
// the treap was last read, and the first query that reads the treap applies
// them, each value's changes summed, in one walk per value. On a tie-heavy
// board the treap's two walks per move (dependent loads through its nodes)
// were about half of what a move among ties cost beyond one among distinct
// scores; the map holds one entry per value touched, in cache, and a batch
// of updates collapses into one walk per value.
//
// Percentiles need the multiplicity m of a value, which is 1 + its weight.

// tiedValues is a treap of the G values shared by two entries or more,
// weighted by how many entries each has beyond the first; nodes live in a
// slice and refer to each other by index (0: none), so the collector scans
// no pointers.
type tiedValues struct {
	nodes []tieNode // nodes[0] is the nil node
	free  []int32
	root  int32
	rng   uint64
}

type tieNode struct {
	g           float64
	w           int64 // entries with value g, minus 1 (≥ 1)
	sum         int64 // Σ w over the subtree
	left, right int32 // values below g, values above g
	prio        uint32
}

// tieChanges are the changes to the weights of tied values that updates
// made since the treap was last read: written only under the board's write
// lock, applied by the first reader (under its read lock, so readers
// serialise on mu) or by a writer when they grow past maxTieChanges.
type tieChanges struct {
	mu      sync.Mutex
	waiting atomic.Bool // delta holds changes
	delta   map[float64]int64
}

// maxTieChanges bounds the values tieChanges holds between reads, so that a
// board of millions of distinct tied values that is never read does not
// grow a second map of them: past it, the writer applies them.
const maxTieChanges = 1 << 12

// weight returns the weight of value g: its entries beyond the first, 0 if
// g is not tied.
func (t *tiedValues) weight(g float64) int64 {
	for i := t.root; i != 0; {
		nd := &t.nodes[i]
		switch {
		case g < nd.g:
			i = nd.left
		case g > nd.g:
			i = nd.right
		default:
			return nd.w
		}
	}
	return 0
}

// above returns the total weight of the tied values greater than g.
func (t *tiedValues) above(g float64) int64 {
	var s int64
	for i := t.root; i != 0; {
		nd := &t.nodes[i]
		if nd.g > g {
			s += nd.w + t.nodes[nd.right].sum
			i = nd.left
		} else {
			i = nd.right
		}
	}
	return s
}

// add changes the weight of a value that is in the treap by delta, removing
// it at 0, and reports whether the value was there (nothing changes if
// not): one walk down and back.
func (t *tiedValues) add(g float64, delta int64) bool {
	if t.root == 0 {
		return false
	}
	// The usual case, the value stays tied: every node on its path gains
	// delta in its sum, without the recursive walk's rewrites. The path is
	// remembered on the way down (a treap's depth is O(log t); a deeper
	// one takes the walk below).
	var path [64]int32
	d := 0
	for i := t.root; i != 0 && d < len(path); d++ {
		nd := &t.nodes[i]
		if nd.g == g {
			if nd.w+delta == 0 {
				break
			}
			nd.w += delta
			nd.sum += delta
			for _, j := range path[:d] {
				t.nodes[j].sum += delta
			}
			return true
		}
		path[d] = i
		if g < nd.g {
			i = nd.left
		} else {
			i = nd.right
		}
		if i == 0 {
			return false
		}
	}
	found := false
	t.root = t.addIn(t.root, g, delta, &found)
	return found
}

func (t *tiedValues) addIn(i int32, g float64, delta int64, found *bool) int32 {
	if i == 0 {
		return 0
	}
	nd := &t.nodes[i]
	switch {
	case g < nd.g:
		nd.left = t.addIn(nd.left, g, delta, found)
	case g > nd.g:
		nd.right = t.addIn(nd.right, g, delta, found)
	default:
		*found = true
		nd.w += delta
		if nd.w == 0 {
			l, r := nd.left, nd.right
			t.free = append(t.free, i)
			return t.merge(l, r)
		}
	}
	if *found {
		t.fix(i)
	}
	return i
}

// insert adds value g, not in the treap, with weight w.
func (t *tiedValues) insert(g float64, w int64) {
	if len(t.nodes) == 0 {
		t.nodes = make([]tieNode, 1, 16)
		t.rng = 0x9E3779B97F4A7C15
	}
	var i int32
	if n := len(t.free); n > 0 {
		i = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		i = int32(len(t.nodes))
		t.nodes = append(t.nodes, tieNode{})
	}
	t.rng ^= t.rng << 13
	t.rng ^= t.rng >> 7
	t.rng ^= t.rng << 17
	t.nodes[i] = tieNode{g: g, w: w, sum: w, prio: uint32(t.rng >> 32)}
	l, r := t.split(t.root, g)
	t.root = t.merge(t.merge(l, i), r)
}

// split cuts subtree i into the values below g and the values above it.
func (t *tiedValues) split(i int32, g float64) (int32, int32) {
	if i == 0 {
		return 0, 0
	}
	nd := &t.nodes[i]
	if nd.g < g {
		l, r := t.split(nd.right, g)
		t.nodes[i].right = l
		t.fix(i)
		return i, r
	}
	l, r := t.split(nd.left, g)
	t.nodes[i].left = r
	t.fix(i)
	return l, i
}

// merge joins subtrees a and b, every value of a below every value of b.
func (t *tiedValues) merge(a, b int32) int32 {
	if a == 0 {
		return b
	}
	if b == 0 {
		return a
	}
	if t.nodes[a].prio > t.nodes[b].prio {
		t.nodes[a].right = t.merge(t.nodes[a].right, b)
		t.fix(a)
		return a
	}
	t.nodes[b].left = t.merge(a, t.nodes[b].left)
	t.fix(b)
	return b
}

func (t *tiedValues) fix(i int32) {
	nd := &t.nodes[i]
	nd.sum = nd.w + t.nodes[nd.left].sum + t.nodes[nd.right].sum
}

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
	if c.hasTwin(c.placed.leaf, c.placed.pos) {
		c.tieChange(k.g, 1)
	}
}

// noteRemoving counts the tie the entry at position j of leaf id, about to
// leave the tree, leaves.
func (c *standings) noteRemoving(id int32, j int) {
	if c.hasTwin(id, j) {
		c.tieChange(c.leaves[id].g[j], -1)
	}
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
// treap is next read.
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
	if len(tc.delta) > maxTieChanges {
		c.tied()
	}
}

// tied returns the treap of tied values with every change applied. Safe
// for readers under the board's read lock, as for a writer.
func (c *standings) tied() *tiedValues {
	tc := c.tieChanges
	if tc == nil || !tc.waiting.Load() {
		return &c.ties
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.waiting.Load() {
		for g, d := range tc.delta {
			if d != 0 && !c.ties.add(g, d) {
				c.ties.insert(g, d) // a value newly tied: its weight so far
			}
		}
		clear(tc.delta)
		tc.waiting.Store(false)
	}
	return &c.ties
}

// rebuildTies recounts the tied values from the tree, in one pass.
func (c *standings) rebuildTies() {
	c.ties = tiedValues{}
	c.tieChanges = nil
	var run int64
	var g float64
	flush := func() {
		if run > 1 {
			c.ties.insert(g, run-1)
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
// which is in cache; its neighbours there settle, without the treap,
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
	nd := c.inners[c.leafParent[id]]
	i := 0
	for nd.child[i] != id {
		i++
	}
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
