package leaderboard

import (
	"bytes"
	"encoding/binary"
)

// The ranking is an order-statistic B+tree. Leaves hold keys (G, id
// prefix, user) in rank order; inner nodes hold, per child, a separator key (a lower bound of
// the child's keys; slot 0 is never consulted) and the number of entries
// below it, so rank and k-th entry cost O(log n). Nodes live in slices and
// link to each other by int32 ids. Node sizes are chosen to fill Go size
// classes closely (1280 and 1792 bytes).
//
// Keys carry a prefix of the user's id (see idPrefix: 8 bytes, or 15
// digits of a decimal id) beside G, so that placing a key among users with
// equal G compares numbers held in the node, not ids in the users'
// records: with integer points thousands of users share each G, and
// reading each neighbour's id would be a dependent cache miss per
// comparison. Only keys whose G and prefix are both equal compare the full
// ids, bisecting the run of them (leafPos, childFor).
//
// Invariants: every consulted separator is the key of a live entry (removal
// repairs separators equal to the removed key), so tie-breaks by id never
// read a freed slot; non-root nodes hold more than a quarter of their
// capacity after every operation (insert splits or shifts full nodes on the
// way down, remove merges or rebalances thin nodes on the way down).
const (
	leafCap  = 63
	innerCap = 63
	leafMin  = leafCap / 4
	innerMin = innerCap / 4
	bulkFill = 7 // eighths of capacity filled by buildTree
)

type leafNode struct {
	g    [leafCap]float64
	p    [leafCap]uint64 // id prefixes
	u    [leafCap]int32
	n    int32
	prev int32
	next int32
	link
}

type innerNode struct {
	g     [innerCap]float64
	p     [innerCap]uint64
	u     [innerCap]int32
	child [innerCap]int32
	count [innerCap]int32
	n     int32
	link
}

// link is a node's place in the tree: the inner node holding it (stale in
// the root) and its position there, a hint (see childSlot). With each
// user's leaf (user.leaf) it gives a user's rank without a descent
// (rankOfUser), and an update's climb of the counts reads it from the leaf
// it has just changed.
type link struct {
	parent int32
	slot   int32
}

// placement is where the last key put in the tree went: its leaf and
// position (see noteInserted).
type placement struct {
	leaf int32
	pos  int
}

type tree struct {
	leaves     []*leafNode
	freeLeaves []int32
	inners     []*innerNode
	freeInners []int32
	root       int32
	height     int // 0: the root is a leaf
	size       int
	placed     placement
}

// key is an entry of the tree: user u with value g, and p the prefix of
// u's id.
type key struct {
	g float64
	p uint64
	u int32
}

// idPrefix returns an order-preserving digest of id's first bytes:
// idPrefix(a) < idPrefix(b) implies a < b in byte order, and equal prefixes
// decide nothing. Its top byte is id's first byte. An id that starts with
// anything but a decimal digit continues with its next 7 bytes, as they
// are. An id that starts with a digit continues with a code of its next
// bytes: a digit '0'..'9' as the nibble 1..10, any other byte as 12 bits,
// the nibble 0 (a byte below '0') or 11 (above '9') then the byte. That
// code is prefix-free and rises with the byte, so the order holds, and a
// decimal id keeps 15 of its digits, not 8: ids handed out by one counter,
// or Discord's snowflakes of accounts made close together, share their
// first digits, and ties among them are then told apart in the tree.
// Short ids are padded with zero bits.
func idPrefix[S string | []byte](id S) uint64 {
	if len(id) == 0 {
		return 0
	}
	if id[0] < '0' || id[0] > '9' {
		if len(id) >= 8 {
			return binary.BigEndian.Uint64([]byte(id[:8]))
		}
		var buf [8]byte
		copy(buf[:], id)
		return binary.BigEndian.Uint64(buf[:])
	}
	if len(id) >= 15 {
		// The usual decimal id (a snowflake has 17 to 19 digits): its
		// first 14 digits after the first byte, 8 at a time.
		hi, lo := binary.BigEndian.Uint64([]byte(id[1:9])), binary.BigEndian.Uint64([]byte(id[7:15]))
		if eightDigits(hi) && eightDigits(lo) {
			return uint64(id[0])<<56 | uint64(digitNibbles(hi))<<24 | uint64(digitNibbles(lo))&0xFFFFFF
		}
	}
	return codedPrefix(id)
}

// eightDigits reports whether the 8 bytes of x are all '0'..'9': each has
// the high nibble 3, and so does each plus 6 (a byte that carries into the
// next fails itself).
func eightDigits(x uint64) bool {
	return x&0xF0F0F0F0F0F0F0F0|(x+0x0606060606060606)&0xF0F0F0F0F0F0F0F0>>4 == 0x3333333333333333
}

// digitNibbles returns the digits of x, eight bytes '0'..'9' read big
// endian, as idPrefix codes them: each as the nibble 1..10, the first the
// highest.
func digitNibbles(x uint64) uint32 {
	x = x&0x0F0F0F0F0F0F0F0F + 0x0101010101010101
	x = (x | x>>4) & 0x00FF00FF00FF00FF
	x = (x | x>>8) & 0x0000FFFF0000FFFF
	return uint32(x | x>>16)
}

// codedPrefix is idPrefix of an id that starts with a decimal digit, a byte
// at a time.
func codedPrefix[S string | []byte](id S) uint64 {
	p := uint64(id[0]) << 56
	shift := 56
	for i := 1; i < len(id) && shift > 0; i++ {
		b := id[i]
		if b >= '0' && b <= '9' {
			shift -= 4
			p |= uint64(b-'0'+1) << shift
			continue
		}
		code := uint64(b) // 12 bits: the nibble 0 or 11, then the byte
		if b > '9' {
			code |= 11 << 8
		}
		if shift < 12 { // cut at 64 bits: the code's top bits
			return p | code>>(12-shift)
		}
		shift -= 12
		p |= code << shift
	}
	return p
}

// entryOf returns user u's key and its position in u's leaf.
func (c *standings) entryOf(u int32) (key, int) {
	id, j := c.userPos(u)
	return c.leaves[id].key(j), j
}

// g returns user u's value G, kept only in u's entry in the tree.
func (c *standings) g(u int32) float64 {
	id, j := c.userPos(u)
	return c.leaves[id].g[j]
}

// userPos returns user u's leaf and position in it.
func (c *standings) userPos(u int32) (int32, int) {
	id := c.rec(u).leaf
	lf := c.leaves[id]
	j := 0
	for lf.u[j] != u {
		j++
	}
	return id, j
}

// less reports whether key a ranks before key b: higher G first, then
// smaller id bytes.
func (c *standings) less(a, b key) bool {
	if a.g != b.g {
		return a.g > b.g
	}
	if a.p != b.p {
		return a.p < b.p
	}
	if a.u == b.u {
		return false
	}
	var x, y idBuf
	return bytes.Compare(c.idIn(a.u, &x), c.idIn(b.u, &y)) < 0
}

// compare is less as a three-way comparison, for sorting: the numbers in
// the keys decide almost every pair in one look.
func (c *standings) compare(a, b key) int {
	switch {
	case a.g > b.g:
		return -1
	case a.g < b.g:
		return 1
	case a.g != b.g: // NaN: neither ranks first, as with less
		return 0
	case a.p < b.p:
		return -1
	case a.p > b.p:
		return 1
	case c.less(a, b):
		return -1
	case c.less(b, a):
		return 1
	}
	return 0
}

func (lf *leafNode) key(j int) key { return key{lf.g[j], lf.p[j], lf.u[j]} }

func (lf *leafNode) setKey(j int, k key) { lf.g[j], lf.p[j], lf.u[j] = k.g, k.p, k.u }

func (nd *innerNode) key(i int) key { return key{nd.g[i], nd.p[i], nd.u[i]} }

func (nd *innerNode) setKey(i int, k key) { nd.g[i], nd.p[i], nd.u[i] = k.g, k.p, k.u }

func (c *standings) newLeaf() int32 {
	var id int32
	if n := len(c.freeLeaves); n > 0 {
		id = c.freeLeaves[n-1]
		c.freeLeaves = c.freeLeaves[:n-1]
	} else {
		id = int32(len(c.leaves))
		c.leaves = append(c.leaves, hugePages(new(leafNode)))
	}
	lf := c.leaves[id]
	lf.n, lf.prev, lf.next = 0, -1, -1
	return id
}

func (c *standings) newInner() int32 {
	var id int32
	if n := len(c.freeInners); n > 0 {
		id = c.freeInners[n-1]
		c.freeInners = c.freeInners[:n-1]
	} else {
		id = int32(len(c.inners))
		c.inners = append(c.inners, hugePages(new(innerNode)))
	}
	c.inners[id].n = 0
	return id
}

func (c *standings) initTree() {
	c.tree = tree{}
	c.root = c.newLeaf()
}

// leafPos returns the first position in lf whose key does not rank before
// k. Keys are scanned linearly rather than bisected: a node that is not
// in cache then costs about one miss (the loads are independent and the
// hardware prefetches ahead) instead of one dependent miss per probe. Keys
// that tie k in G and prefix are the exception: each comparison among them
// reads two users' ids, a dependent miss each, so they are bisected.
func (c *standings) leafPos(lf *leafNode, k key) int {
	n := int(lf.n)
	gs, ps := lf.g[:n], lf.p[:n]
	p := 0
	for p < len(gs) && gs[p] > k.g {
		p++
	}
	for p < len(gs) && gs[p] == k.g && ps[p] < k.p {
		p++
	}
	end := p
	for end < len(gs) && gs[end] == k.g && ps[end] == k.p {
		end++
	}
	for p < end { // the first of lf.key(p:end) that does not rank before k
		m := int(uint(p+end) >> 1)
		if c.less(lf.key(m), k) {
			p = m + 1
		} else {
			end = m
		}
	}
	return p
}

// childFor returns the child of nd whose range holds k: the last child
// whose separator does not rank after k, scanning linearly (and bisecting
// separators that tie k in G and prefix) as leafPos.
func (c *standings) childFor(nd *innerNode, k key) int {
	n := int(nd.n)
	gs, ps := nd.g[:n], nd.p[:n]
	i := 1
	for i < len(gs) && gs[i] > k.g {
		i++
	}
	for i < len(gs) && gs[i] == k.g && ps[i] < k.p {
		i++
	}
	end := i
	for end < len(gs) && gs[end] == k.g && ps[end] == k.p {
		end++
	}
	for i < end { // the first of nd.key(i:end) that ranks after k
		m := int(uint(i+end) >> 1)
		if c.less(k, nd.key(m)) {
			end = m
		} else {
			i = m + 1
		}
	}
	return i - 1
}

func (nd *innerNode) insertAt(i int, k key, child, count int32) {
	n := int(nd.n)
	copy(nd.g[i+1:n+1], nd.g[i:n])
	copy(nd.p[i+1:n+1], nd.p[i:n])
	copy(nd.u[i+1:n+1], nd.u[i:n])
	copy(nd.child[i+1:n+1], nd.child[i:n])
	copy(nd.count[i+1:n+1], nd.count[i:n])
	nd.setKey(i, k)
	nd.child[i], nd.count[i] = child, count
	nd.n++
}

func (nd *innerNode) removeAt(i int) {
	n := int(nd.n)
	copy(nd.g[i:n-1], nd.g[i+1:n])
	copy(nd.p[i:n-1], nd.p[i+1:n])
	copy(nd.u[i:n-1], nd.u[i+1:n])
	copy(nd.child[i:n-1], nd.child[i+1:n])
	copy(nd.count[i:n-1], nd.count[i+1:n])
	nd.n--
}

// treeInsert adds a key that is not in the tree.
func (c *standings) treeInsert(k key) {
	if c.height == 0 {
		if c.leaves[c.root].n == leafCap {
			c.growRoot()
		}
	} else if c.inners[c.root].n == innerCap {
		c.growRoot()
	}
	c.size++
	if c.height == 0 {
		c.leafInsert(c.root, k)
		return
	}
	nd := c.inners[c.root]
	for level := c.height; ; level-- {
		i := c.childFor(nd, k)
		if level == 1 {
			if c.leaves[nd.child[i]].n == leafCap {
				if !c.shiftLeaf(nd, i) {
					c.splitLeaf(nd, i)
				}
				i = c.childFor(nd, k)
			}
			nd.count[i]++
			c.leafInsert(nd.child[i], k)
			return
		}
		if c.inners[nd.child[i]].n == innerCap {
			c.splitInner(nd, i, level == 2)
			i = c.childFor(nd, k)
		}
		nd.count[i]++
		nd = c.inners[nd.child[i]]
	}
}

func (c *standings) leafInsert(id int32, k key) {
	lf := c.leaves[id]
	c.rec(k.u).leaf = id
	j := c.leafPos(lf, k)
	n := int(lf.n)
	copy(lf.g[j+1:n+1], lf.g[j:n])
	copy(lf.p[j+1:n+1], lf.p[j:n])
	copy(lf.u[j+1:n+1], lf.u[j:n])
	lf.setKey(j, k)
	lf.n++
	c.placed = placement{id, j}
}

// growRoot puts a new root above a full root and splits the old one.
func (c *standings) growRoot() {
	id := c.newInner()
	nd := c.inners[id]
	old := c.root
	if c.height == 0 {
		lf := c.leaves[old]
		nd.insertAt(0, lf.key(0), old, lf.n)
		lf.link = link{id, 0}
		c.root, c.height = id, 1
		c.splitLeaf(nd, 0)
		return
	}
	on := c.inners[old]
	var cnt int32
	for i := 0; i < int(on.n); i++ {
		cnt += on.count[i]
	}
	nd.insertAt(0, on.key(0), old, cnt)
	on.link = link{id, 0}
	c.root = id
	c.height++
	c.splitInner(nd, 0, c.height == 2)
}

func (c *standings) splitLeaf(p *innerNode, i int) {
	lid := p.child[i]
	rid := c.newLeaf()
	l, r := c.leaves[lid], c.leaves[rid]
	half := int(l.n) / 2
	k := int(l.n) - half
	copy(r.g[:k], l.g[half:l.n])
	copy(r.p[:k], l.p[half:l.n])
	copy(r.u[:k], l.u[half:l.n])
	r.n, l.n = int32(k), int32(half)
	c.setLeaf(rid, r.u[:k])
	r.link = link{l.parent, int32(i + 1)}
	r.prev, r.next = lid, l.next
	if l.next >= 0 {
		c.leaves[l.next].prev = rid
	}
	l.next = rid
	p.count[i] = l.n
	p.insertAt(i+1, r.key(0), rid, r.n)
}

// setLeaf records that users us live in leaf id.
func (c *standings) setLeaf(id int32, us []int32) {
	for _, u := range us {
		c.rec(u).leaf = id
	}
}

// setParent records that children kids (leaves if leafKids) hang below
// inner node id, from its position first on.
func (c *standings) setParent(id int32, kids []int32, first int, leafKids bool) {
	for i, k := range kids {
		if leafKids {
			c.leaves[k].link = link{id, int32(first + i)}
		} else {
			c.inners[k].link = link{id, int32(first + i)}
		}
	}
}

// splitInner splits p.child[i], whose children are leaves if leafKids.
func (c *standings) splitInner(p *innerNode, i int, leafKids bool) {
	lid := p.child[i]
	rid := c.newInner()
	l, r := c.inners[lid], c.inners[rid]
	half := int(l.n) / 2
	k := int(l.n) - half
	copy(r.g[:k], l.g[half:l.n])
	copy(r.p[:k], l.p[half:l.n])
	copy(r.u[:k], l.u[half:l.n])
	copy(r.child[:k], l.child[half:l.n])
	copy(r.count[:k], l.count[half:l.n])
	c.setParent(rid, r.child[:k], 0, leafKids)
	r.link = link{l.parent, int32(i + 1)}
	var moved int32
	for j := 0; j < k; j++ {
		moved += r.count[j]
	}
	r.n, l.n = int32(k), int32(half)
	p.count[i] -= moved
	p.insertAt(i+1, r.key(0), rid, moved)
}

// shiftLeaf makes room in the full leaf p.child[i] by moving entries to a
// sibling under the same parent that has room, which keeps leaves fuller
// than splitting alone. It reports whether it did.
func (c *standings) shiftLeaf(p *innerNode, i int) bool {
	l := c.leaves[p.child[i]]
	if i+1 < int(p.n) {
		if r := c.leaves[p.child[i+1]]; r.n <= leafCap-2 {
			c.moveLeafRight(p, i, (int(l.n)-int(r.n))/2)
			return true
		}
	}
	if i > 0 {
		if lf := c.leaves[p.child[i-1]]; lf.n <= leafCap-2 {
			c.moveLeafLeft(p, i-1, (int(l.n)-int(lf.n))/2)
			return true
		}
	}
	return false
}

// moveLeafRight moves the last k entries of child j to the front of child j+1.
func (c *standings) moveLeafRight(p *innerNode, j, k int) {
	a, b := c.leaves[p.child[j]], c.leaves[p.child[j+1]]
	an, bn := int(a.n), int(b.n)
	copy(b.g[k:bn+k], b.g[:bn])
	copy(b.p[k:bn+k], b.p[:bn])
	copy(b.u[k:bn+k], b.u[:bn])
	copy(b.g[:k], a.g[an-k:an])
	copy(b.p[:k], a.p[an-k:an])
	copy(b.u[:k], a.u[an-k:an])
	c.setLeaf(p.child[j+1], b.u[:k])
	a.n -= int32(k)
	b.n += int32(k)
	p.count[j] -= int32(k)
	p.count[j+1] += int32(k)
	p.setKey(j+1, b.key(0))
}

// moveLeafLeft moves the first k entries of child j+1 to the end of child j.
func (c *standings) moveLeafLeft(p *innerNode, j, k int) {
	a, b := c.leaves[p.child[j]], c.leaves[p.child[j+1]]
	an, bn := int(a.n), int(b.n)
	copy(a.g[an:an+k], b.g[:k])
	copy(a.p[an:an+k], b.p[:k])
	copy(a.u[an:an+k], b.u[:k])
	c.setLeaf(p.child[j], a.u[an:an+k])
	copy(b.g[:bn-k], b.g[k:bn])
	copy(b.p[:bn-k], b.p[k:bn])
	copy(b.u[:bn-k], b.u[k:bn])
	a.n += int32(k)
	b.n -= int32(k)
	p.count[j] += int32(k)
	p.count[j+1] -= int32(k)
	p.setKey(j+1, b.key(0))
}

// treeRemoveUser deletes key k, which is in the tree. In the common
// case it starts at u's leaf and walks up the parent links, without a
// descent: when the leaf stays above its minimum fill and u is not its
// first key. Only a leaf's first key can equal a separator (a separator is
// a live key that bounds its child from below, hence the child's minimum),
// so nothing above the leaf but the counts changes. Otherwise it falls back
// to treeRemove, which rebalances on the way down. j is k's position in
// the leaf.
func (c *standings) treeRemoveUser(k key, j int) {
	id := c.rec(k.u).leaf
	lf := c.leaves[id]
	if c.height > 0 && (lf.n <= leafMin || j == 0) {
		c.treeRemove(k)
		return
	}
	n := int(lf.n)
	copy(lf.g[j:n-1], lf.g[j+1:n])
	copy(lf.p[j:n-1], lf.p[j+1:n])
	copy(lf.u[j:n-1], lf.u[j+1:n])
	lf.n--
	c.size--
	if c.height == 0 {
		return
	}
	up := &lf.link
	for level := 1; ; level++ {
		nd := c.inners[up.parent]
		i := childSlot(nd, id, up.slot)
		up.slot = int32(i) // the hint, right again
		nd.count[i]--
		if level == c.height {
			return
		}
		id, up = up.parent, &nd.link
	}
}

// childSlot returns the position of child id in nd, its parent, given
// slot, the position recorded in the child. The record is a hint: exact
// when the child was put in nd, it goes stale when a sibling is inserted
// or removed before it, and is then put right by the next update that
// climbs through it. A right hint spares the climbs from an update or a
// rank the scan of nd's children, which waits for the child's cache line
// before the count's (a line each, at different places in a node out of
// cache): the two loads are independent.
func childSlot(nd *innerNode, id, slot int32) int {
	if uint32(slot) < uint32(nd.n) && nd.child[slot] == id {
		return int(slot)
	}
	i := 0
	for nd.child[i] != id {
		i++
	}
	return i
}

// moveInLeaf changes user k.u's key to k within its leaf and
// reports whether it could: when the new key ranks strictly between the
// leaf's first key and its last key other than u's. Then the leaf's first
// key (the only one a separator can equal) stays, and no count changes.
// j is u's position in the leaf.
func (c *standings) moveInLeaf(nk key, j int) bool {
	lf := c.leaves[c.rec(nk.u).leaf]
	n := int(lf.n)
	if n < 3 || j == 0 {
		return false
	}
	hi := n - 1
	if j == hi {
		hi--
	}
	if !c.less(lf.key(0), nk) || !c.less(nk, lf.key(hi)) {
		return false
	}
	copy(lf.g[j:n-1], lf.g[j+1:n])
	copy(lf.p[j:n-1], lf.p[j+1:n])
	copy(lf.u[j:n-1], lf.u[j+1:n])
	lf.n--
	k := c.leafPos(lf, nk)
	copy(lf.g[k+1:n], lf.g[k:n-1])
	copy(lf.p[k+1:n], lf.p[k:n-1])
	copy(lf.u[k+1:n], lf.u[k:n-1])
	lf.setKey(k, nk)
	lf.n++
	c.placed = placement{c.rec(nk.u).leaf, k}
	return true
}

// treeRemove deletes a key that is in the tree.
func (c *standings) treeRemove(k key) {
	c.size--
	if c.height == 0 {
		c.leafRemove(c.leaves[c.root], k)
		return
	}
	sepHit := false
	nd := c.inners[c.root]
	for level := c.height; ; level-- {
		i := c.childFor(nd, k)
		if level == 1 {
			if c.leaves[nd.child[i]].n <= leafMin {
				c.fixLeaf(nd, i)
				i = c.childFor(nd, k)
			}
		} else if c.inners[nd.child[i]].n <= innerMin {
			c.fixInner(nd, i, level == 2)
			i = c.childFor(nd, k)
		}
		if i > 0 && nd.u[i] == k.u && nd.g[i] == k.g {
			sepHit = true
		}
		nd.count[i]--
		if level == 1 {
			c.leafRemove(c.leaves[nd.child[i]], k)
			break
		}
		nd = c.inners[nd.child[i]]
	}
	for c.height > 0 && c.inners[c.root].n == 1 {
		old := c.root
		c.root = c.inners[old].child[0]
		c.freeInners = append(c.freeInners, old)
		c.height--
	}
	if sepHit {
		c.repairSeparators(k)
	}
}

func (c *standings) leafRemove(lf *leafNode, k key) {
	j := c.leafPos(lf, k)
	n := int(lf.n)
	copy(lf.g[j:n-1], lf.g[j+1:n])
	copy(lf.p[j:n-1], lf.p[j+1:n])
	copy(lf.u[j:n-1], lf.u[j+1:n])
	lf.n--
}

// repairSeparators replaces every consulted separator equal to the removed
// key k by the smallest key of the child it bounds.
func (c *standings) repairSeparators(k key) {
	if c.height == 0 {
		return
	}
	nd := c.inners[c.root]
	for level := c.height; level > 0; level-- {
		i := c.childFor(nd, k)
		if i > 0 && nd.u[i] == k.u && nd.g[i] == k.g {
			nd.setKey(i, c.minKey(nd.child[i], level-1))
		}
		if level == 1 {
			return
		}
		nd = c.inners[nd.child[i]]
	}
}

func (c *standings) minKey(id int32, level int) key {
	for ; level > 0; level-- {
		id = c.inners[id].child[0]
	}
	return c.leaves[id].key(0)
}

// fixLeaf gives the thin leaf p.child[i] more entries by merging it with a
// neighbour or taking some of the neighbour's.
func (c *standings) fixLeaf(p *innerNode, i int) {
	j := i
	if j+1 >= int(p.n) {
		j = i - 1
	}
	a, b := c.leaves[p.child[j]], c.leaves[p.child[j+1]]
	total := int(a.n) + int(b.n)
	if total <= leafCap*3/4 {
		an, bn := int(a.n), int(b.n)
		copy(a.g[an:an+bn], b.g[:bn])
		copy(a.p[an:an+bn], b.p[:bn])
		copy(a.u[an:an+bn], b.u[:bn])
		c.setLeaf(p.child[j], a.u[an:an+bn])
		a.n = int32(total)
		bid := p.child[j+1]
		a.next = b.next
		if b.next >= 0 {
			c.leaves[b.next].prev = p.child[j]
		}
		c.freeLeaves = append(c.freeLeaves, bid)
		p.count[j] = int32(total)
		p.removeAt(j + 1)
		return
	}
	if target := total / 2; int(a.n) > target {
		c.moveLeafRight(p, j, int(a.n)-target)
	} else {
		c.moveLeafLeft(p, j, target-int(a.n))
	}
}

// fixInner is fixLeaf for inner children (whose own children are leaves if
// leafKids): rotations pull the parent's separator down and push a child's
// separator up, as in any B-tree.
func (c *standings) fixInner(p *innerNode, i int, leafKids bool) {
	j := i
	if j+1 >= int(p.n) {
		j = i - 1
	}
	a, b := c.inners[p.child[j]], c.inners[p.child[j+1]]
	an, bn := int(a.n), int(b.n)
	total := an + bn
	if total <= innerCap*3/4 {
		copy(a.g[an:total], b.g[:bn])
		copy(a.p[an:total], b.p[:bn])
		copy(a.u[an:total], b.u[:bn])
		copy(a.child[an:total], b.child[:bn])
		copy(a.count[an:total], b.count[:bn])
		c.setParent(p.child[j], a.child[an:total], an, leafKids)
		a.setKey(an, p.key(j+1))
		a.n = int32(total)
		c.freeInners = append(c.freeInners, p.child[j+1])
		p.count[j] += p.count[j+1]
		p.removeAt(j + 1)
		return
	}
	target := total / 2
	if an > target {
		k := an - target
		copy(b.g[k:bn+k], b.g[:bn])
		copy(b.p[k:bn+k], b.p[:bn])
		copy(b.u[k:bn+k], b.u[:bn])
		copy(b.child[k:bn+k], b.child[:bn])
		copy(b.count[k:bn+k], b.count[:bn])
		copy(b.g[:k], a.g[an-k:an])
		copy(b.p[:k], a.p[an-k:an])
		copy(b.u[:k], a.u[an-k:an])
		copy(b.child[:k], a.child[an-k:an])
		copy(b.count[:k], a.count[an-k:an])
		c.setParent(p.child[j+1], b.child[:k], 0, leafKids)
		b.setKey(k, p.key(j+1))
		p.setKey(j+1, b.key(0))
		var moved int32
		for t := 0; t < k; t++ {
			moved += b.count[t]
		}
		a.n, b.n = int32(an-k), int32(bn+k)
		p.count[j] -= moved
		p.count[j+1] += moved
		return
	}
	k := target - an
	copy(a.g[an:an+k], b.g[:k])
	copy(a.p[an:an+k], b.p[:k])
	copy(a.u[an:an+k], b.u[:k])
	copy(a.child[an:an+k], b.child[:k])
	copy(a.count[an:an+k], b.count[:k])
	c.setParent(p.child[j], a.child[an:an+k], an, leafKids)
	a.setKey(an, p.key(j+1))
	p.setKey(j+1, b.key(k))
	var moved int32
	for t := 0; t < k; t++ {
		moved += b.count[t]
	}
	copy(b.g[:bn-k], b.g[k:bn])
	copy(b.p[:bn-k], b.p[k:bn])
	copy(b.u[:bn-k], b.u[k:bn])
	copy(b.child[:bn-k], b.child[k:bn])
	copy(b.count[:bn-k], b.count[k:bn])
	a.n, b.n = int32(an+k), int32(bn-k)
	p.count[j] += moved
	p.count[j+1] -= moved
}

// rankOf returns the 0-based rank of a key that is in the tree.
func (c *standings) rankOf(k key) int {
	r := 0
	id := c.root
	for level := c.height; level > 0; level-- {
		nd := c.inners[id]
		i := c.childFor(nd, k)
		for j := 0; j < i; j++ {
			r += int(nd.count[j])
		}
		id = nd.child[i]
	}
	return r + c.leafPos(c.leaves[id], k)
}

// rankOfUser returns the 0-based rank of user u, which is in the tree.
func (c *standings) rankOfUser(u int32) int { return c.rankAt(c.userPos(u)) }

// rankAt returns the 0-based rank of the entry at position j of leaf id,
// from the leaf up through the parent links: no key comparisons.
func (c *standings) rankAt(id int32, j int) int {
	r := j
	if c.height > 0 {
		up := c.leaves[id].link
		for level := 1; ; level++ {
			nd := c.inners[up.parent]
			for k := range childSlot(nd, id, up.slot) {
				r += int(nd.count[k])
			}
			if level == c.height {
				break
			}
			id, up = up.parent, nd.link
		}
	}
	return r
}

// kth returns the leaf and position of the entry with 0-based rank r < size.
func (c *standings) kth(r int) (int32, int) {
	id := c.root
	for level := c.height; level > 0; level-- {
		nd := c.inners[id]
		i := 0
		for ; i < int(nd.n)-1 && r >= int(nd.count[i]); i++ {
			r -= int(nd.count[i])
		}
		id = nd.child[i]
	}
	return id, r
}

// forEachLive calls fn for every user in rank order.
func (c *standings) forEachLive(fn func(u int32)) {
	if c.size == 0 {
		return
	}
	id, _ := c.kth(0)
	for ; id >= 0; id = c.leaves[id].next {
		lf := c.leaves[id]
		for j := 0; j < int(lf.n); j++ {
			fn(lf.u[j])
		}
	}
}

// forEachLeaf calls fn with the users of every leaf, in rank order.
func (c *standings) forEachLeaf(fn func(us []int32)) {
	if c.size == 0 {
		return
	}
	id, _ := c.kth(0)
	for ; id >= 0; id = c.leaves[id].next {
		lf := c.leaves[id]
		fn(lf.u[:lf.n])
	}
}

// buildTree replaces the tree by one holding keys, which must be in rank
// order, with nodes filled to bulkFill/8 of capacity.
func (c *standings) buildTree(keys []key) {
	c.initTree()
	c.ties = tiedValues{}
	n := len(keys)
	if n == 0 {
		return
	}
	type ref struct {
		id    int32
		k     key
		count int32
	}
	per := leafCap * bulkFill / 8
	m := (n + per - 1) / per
	level := make([]ref, 0, m)
	start := 0
	prev := int32(-1)
	for i := 0; i < m; i++ {
		sz := n / m
		if i < n%m {
			sz++
		}
		var id int32
		if i == 0 {
			id = c.root
		} else {
			id = c.newLeaf()
		}
		lf := c.leaves[id]
		for j, k := range keys[start : start+sz] {
			lf.setKey(j, k)
		}
		c.setLeaf(id, lf.u[:sz])
		lf.n = int32(sz)
		lf.prev = prev
		if prev >= 0 {
			c.leaves[prev].next = id
		}
		prev = id
		level = append(level, ref{id, lf.key(0), int32(sz)})
		start += sz
	}
	per = innerCap * bulkFill / 8
	for len(level) > 1 {
		m := (len(level) + per - 1) / per
		next := make([]ref, 0, m)
		start := 0
		for i := 0; i < m; i++ {
			sz := len(level) / m
			if i < len(level)%m {
				sz++
			}
			id := c.newInner()
			nd := c.inners[id]
			var cnt int32
			for k, r := range level[start : start+sz] {
				nd.setKey(k, r.k)
				nd.child[k], nd.count[k] = r.id, r.count
				cnt += r.count
			}
			nd.n = int32(sz)
			c.setParent(id, nd.child[:sz], 0, c.height == 0)
			next = append(next, ref{id, level[start].k, cnt})
			start += sz
		}
		level = next
		c.height++
	}
	c.root = level[0].id
	c.size = n
	c.rebuildTies()
}
