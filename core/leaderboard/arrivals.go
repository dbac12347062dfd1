package leaderboard

import (
	"math"
	"slices"
)

// Users new to the board in one UpdateMany are put in the tree together, in
// rank order, instead of one at a time in the order they came. One at a
// time, each insertion descends to a random place in the tree: on a board of
// millions its inner nodes and leaf are cache misses. In rank order,
// consecutive insertions descend the same path and often reach the same or
// the next leaf, which are still in cache. Filling a board with 1M or 10M
// new users in batches of 100,000 (Go, integer points, 18-digit ids, old
// and new code alternating) took 1.97–2.04 µs per user at 1M and
// 3.65–3.67 µs at 10M one at a time, 1.52 and 2.58–2.62 µs in rank order,
// the sort included.
//
// A user already on the board whose value an update changes waits there
// too: its key leaves the tree at once and its new key joins the
// arrivals. So a user updated again and again in one UpdateMany (a busy
// member, or any user of a small board in a large batch) moves in the tree
// once, however many times its value changes: a later update of a user
// whose key waits changes the waiting key. On a 10k-user board in
// UpdateMany calls of 32,768 (BenchmarkUpdateManyCrossings, old and new
// code alternating) an update took 340–595 ns moved at once, 199–225 with
// its move waiting.
//
// A new user's record and index entry are made at once; only its key
// waits, in standings.arrivals, and its record names the key's place there
// instead of a leaf (waitingAt). Nothing may read the tree while keys wait
// but the updates' own moves, so they are placed before anything else
// does: a rebase, the end of the UpdateMany. A board with a user limit
// gathers only while the users it holds and the updates being applied
// stay within the limit (roomFor); beyond it, each key is placed at once,
// as evictions depend on the order of arrival. So is every key of an
// UpdateMany of fewer than gatherFrom updates.

// gatherFrom is the least number of updates in an UpdateMany whose new
// users wait to be put in the tree together. Below it the sort costs about
// what the order saves (filling a 1M-user board in batches of 1,024: 2.03–2.29
// µs per user either way; of 4,096: 1.92–2.19 → 1.82–1.91; of 16,384:
// 1.88–1.92 → 1.58–1.61).
const gatherFrom = 4096

// maxArrivals bounds the keys that wait, so that an UpdateMany of millions
// of new users holds a few MiB of them at a time (3 MiB, and as much for
// the sort), not a copy of its input. It holds the four crossings of
// 32,768 updates that Python's update_many leaves queued for a Background
// run: the more keys sorted together, the more of them share a leaf.
const maxArrivals = 1 << 17

// arrivals are the keys of users new to the board that wait to be put in
// the tree (see above); gathering is set while an UpdateMany, or a
// Background's run of batches, is applied.
type arrivals struct {
	keys      []key
	gathering bool
	handing   bool         // groups of them may go to the placer (placer.go)
	spare     []key        // sortArrivals's second buffer
	counts    *radixCounts // sortArrivals's digit counts
}

// arrive puts user k.u's key in the tree, or keeps it to be put there with
// the others of its UpdateMany: the user's record then says where it waits
// (waitingAt), so that a later update of the same user in the UpdateMany
// changes the waiting key (arrivalOf) instead of placing them all.
func (c *standings) arrive(k key) {
	if !c.arrivals.gathering {
		c.insertKey(k)
		return
	}
	c.rec(k.u).leaf = waitingAt(len(c.arrivals.keys))
	c.arrivals.keys = append(c.arrivals.keys, k)
	n := len(c.arrivals.keys)
	if c.arrivals.handing && n >= placeFrom && (n == maxArrivals || c.idle()) {
		c.join()
		c.handOff()
	} else if n == maxArrivals {
		c.placeArrivals()
	}
}

// placeArrivals puts the waiting keys in the tree, in rank order.
func (c *standings) placeArrivals() {
	c.join() // the group before these first
	if len(c.arrivals.keys) == 0 {
		return
	}
	c.sortArrivals()
	for _, k := range c.arrivals.keys {
		c.insertKey(k)
	}
	c.arrivals.keys = c.arrivals.keys[:0]
}

// waiting returns how many users are not in the tree, their keys waiting.
func (c *standings) waiting() int { return len(c.arrivals.keys) }

// waitingAt is the leaf a user's record names while its key waits at
// position i of the arrivals: no leaf's id, as leaf ids are not negative.
func waitingAt(i int) int32 { return -1 - int32(i) }

// arrivalOf returns the position among the arrivals of user u's key, if it
// waits there rather than in the tree.
func (c *standings) arrivalOf(u int32) (int, bool) {
	leaf := c.rec(u).leaf
	return int(-1 - leaf), leaf < 0
}

// The waiting keys are sorted by the two numbers that decide almost every
// pair, the value G (higher first) and the id prefix, with a least
// significant digit first radix sort: a digit of 11 bits at a time, each
// pass a stable scatter, a pass skipped when every key has the same digit.
// Keys equal in both are then put in order by their ids. A comparison sort
// of 100,000 arrivals spent about 15% of a 10M-user fill in its calls of
// the comparison function (see BenchmarkSortArrivals).
const (
	radixBits   = 11
	radixMask   = 1<<radixBits - 1
	radixDigits = (64 + radixBits - 1) / radixBits // per 64-bit number
)

// radixCounts counts, for each digit position of the two numbers (the
// prefix's first, the low digits first), the keys with each digit.
type radixCounts [2 * radixDigits][1 << radixBits]uint32

// descending maps a value G to a number whose ascending order is G's
// descending order (both zeros alike; G is never NaN).
func descending(g float64) uint64 {
	if g == 0 {
		g = 0 // -0 sorts as +0, as compare has it
	}
	b := math.Float64bits(g)
	if b>>63 != 0 {
		return b // negative: the larger the bits, the smaller the value
	}
	return ^(b | 1<<63)
}

// digit returns digit d of key k's numbers: d < radixDigits counts in its
// id prefix, the rest in descending(G).
func digit(k key, d int) uint64 {
	w := k.p
	if d >= radixDigits {
		w, d = descending(k.g), d-radixDigits
	}
	return w >> (radixBits * d) & radixMask
}

// sortArrivals puts the waiting keys in rank order.
func (c *standings) sortArrivals() {
	a := &c.arrivals
	keys := a.keys
	if len(keys) < 2 {
		return
	}
	if a.counts == nil {
		a.counts = new(radixCounts)
	}
	counts := a.counts
	*counts = radixCounts{}
	for _, k := range keys {
		words := [2]uint64{k.p, descending(k.g)}
		for d := range counts {
			counts[d][words[d/radixDigits]>>(radixBits*(d%radixDigits))&radixMask]++
		}
	}
	a.spare = slices.Grow(a.spare[:0], len(keys))[:len(keys)]
	src, dst := keys, a.spare
	for d := range counts {
		count := &counts[d]
		if count[digit(src[0], d)] == uint32(len(src)) {
			continue // one digit for all: the order stands
		}
		var sum uint32
		for i, n := range count {
			count[i], sum = sum, sum+n
		}
		for _, k := range src {
			x := digit(k, d)
			dst[count[x]] = k
			count[x]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
	for i := 0; i < len(keys); { // keys of one G and prefix: their ids decide
		j := i + 1
		for j < len(keys) && keys[j].g == keys[i].g && keys[j].p == keys[i].p {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(keys[i:j], c.compare)
		}
		i = j
	}
}
