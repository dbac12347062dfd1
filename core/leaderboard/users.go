package leaderboard

import (
	"encoding/binary"
	"math"

	"github.com/cespare/xxhash/v2"
)

// Users live in columnar chunks indexed by an int32 user index, so that the
// board holds no Go pointer per user: the garbage collector scans a few
// thousand chunk pointers instead of millions of objects, and a chunk never
// moves when the board grows.
const (
	userChunkBits = 13
	userChunkSize = 1 << userChunkBits
	userChunkMask = userChunkSize - 1

	maxUserSlots = math.MaxInt32 - 1
)

// A user's fields sit together in one 40-byte record, with its id when the
// id has at most inlineMax bytes, so that a lookup confirms the match in the
// record it reads anyway: one or two adjacent cache lines, fetched in
// parallel, instead of a further dependent miss into the arena. Longer ids
// live in the arena (short[inlineMax] == longID, ref their location).
type user struct {
	g     float64             // forward-decayed value G (see decay.go)
	last  int64               // latest timestamp seen
	ref   uint32              // arena location of a long id; next free slot + 1 when free
	leaf  int32               // leaf of the tree holding the user (see rankOfUser)
	short [inlineMax + 1]byte // id bytes, length in short[inlineMax]
}

const (
	inlineMax = 15
	longID    = 0xff
)

type userChunk [userChunkSize]user

// Ids are stored once, as a uvarint length followed by the bytes, in 1 MiB
// chunks addressed by a uint32 offset (chunk<<20 | position). An id never
// straddles chunks; an id longer than a chunk gets consecutive chunk numbers
// of its own. Removed ids leave dead bytes that compact() reclaims.
const (
	arenaChunkBits = 20
	arenaChunkSize = 1 << arenaChunkBits
	arenaChunkMask = arenaChunkSize - 1
	maxArenaChunks = 1 << (32 - arenaChunkBits)
)

type idArena struct {
	chunks [][]byte
	cur    int // chunk being filled, -1 before the first
	live   int64
	dead   int64
}

func newArena() idArena { return idArena{cur: -1} }

func (a *idArena) add(id string) (uint32, bool) {
	var hdr [binary.MaxVarintLen64]byte
	h := binary.PutUvarint(hdr[:], uint64(len(id)))
	size := h + len(id)
	if size > arenaChunkSize {
		k := (size + arenaChunkSize - 1) / arenaChunkSize
		if len(a.chunks)+k > maxArenaChunks {
			return 0, false
		}
		buf := make([]byte, 0, size)
		buf = append(buf, hdr[:h]...)
		buf = append(buf, id...)
		ref := uint32(len(a.chunks)) << arenaChunkBits
		a.chunks = append(a.chunks, buf)
		for i := 1; i < k; i++ {
			a.chunks = append(a.chunks, nil)
		}
		a.live += int64(size)
		return ref, true
	}
	if a.cur < 0 || len(a.chunks[a.cur])+size > arenaChunkSize {
		if len(a.chunks) >= maxArenaChunks {
			return 0, false
		}
		a.chunks = append(a.chunks, make([]byte, 0, arenaChunkSize))
		a.cur = len(a.chunks) - 1
	}
	ch := a.chunks[a.cur]
	ref := uint32(a.cur)<<arenaChunkBits | uint32(len(ch))
	ch = append(ch, hdr[:h]...)
	a.chunks[a.cur] = append(ch, id...)
	a.live += int64(size)
	return ref, true
}

func (a *idArena) get(ref uint32) []byte {
	ch := a.chunks[ref>>arenaChunkBits][ref&arenaChunkMask:]
	if n := ch[0]; n < 0x80 {
		return ch[1 : 1+int(n)]
	}
	n, k := binary.Uvarint(ch)
	return ch[k : k+int(n)]
}

func (a *idArena) free(ref uint32) {
	id := a.get(ref)
	var hdr [binary.MaxVarintLen64]byte
	size := int64(binary.PutUvarint(hdr[:], uint64(len(id))) + len(id))
	a.live -= size
	a.dead += size
}

func (c *core) rec(u int32) *user { return &c.uchunks[u>>userChunkBits][u&userChunkMask] }

func (c *core) g(u int32) float64 { return c.uchunks[u>>userChunkBits][u&userChunkMask].g }

func (c *core) id(u int32) []byte { return c.rec(u).id(&c.arena) }

func (r *user) id(a *idArena) []byte {
	if n := r.short[inlineMax]; n <= inlineMax {
		return r.short[:n]
	}
	return a.get(r.ref)
}

// newUser stores id in a free slot and returns the slot, or false when the
// board's capacity (2^31-1 users, 4 GiB of ids) is exhausted.
func (c *core) newUser(id string, g float64, last int64) (int32, bool) {
	var ref uint32
	long := len(id) > inlineMax
	if long {
		var ok bool
		if ref, ok = c.arena.add(id); !ok {
			c.compact()
			if ref, ok = c.arena.add(id); !ok {
				return 0, false
			}
		}
	}
	var u int32
	if c.ufree >= 0 {
		u = c.ufree
		c.ufree = int32(c.rec(u).ref) - 1
	} else {
		if c.uhigh >= maxUserSlots {
			if long {
				c.arena.free(ref)
			}
			return 0, false
		}
		u = c.uhigh
		c.uhigh++
		if int(u>>userChunkBits) == len(c.uchunks) {
			c.uchunks = append(c.uchunks, new(userChunk))
		}
	}
	r := c.rec(u)
	*r = user{g: g, last: last, ref: ref}
	if long {
		r.short[inlineMax] = longID
	} else {
		copy(r.short[:], id)
		r.short[inlineMax] = byte(len(id))
	}
	return u, true
}

// freeUser releases u's slot and id bytes; u must already be out of the
// tree and the index.
func (c *core) freeUser(u int32) {
	r := c.rec(u)
	if r.short[inlineMax] == longID {
		c.arena.free(r.ref)
	}
	r.ref = uint32(c.ufree + 1)
	c.ufree = u
	if c.arena.dead > c.arena.live && c.arena.dead > 4*arenaChunkSize {
		c.compact()
	}
}

// compact rewrites the live ids into a fresh arena, dropping dead bytes.
func (c *core) compact() {
	na := newArena()
	c.forEachLive(func(u int32) {
		if r := c.rec(u); r.short[inlineMax] == longID {
			r.ref, _ = na.add(string(c.arena.get(r.ref)))
		}
	})
	c.arena = na
}

// The index maps an id to its user: buckets of ten slots, each slot the
// user + 1 (0 = empty) and a 16-bit fingerprint of the id's hash, in one
// 64-byte cache line. A lookup reads its home bucket and compares ids only
// for matching fingerprints, so it rarely touches a user that is not the
// one sought; it goes on to the next bucket only if the bucket has ever
// overflowed. The table holds at most 8 users per bucket on average, and is
// rebuilt when it grows or when half its buckets carry overflow marks
// (deletions leave them behind).
const bucketSlots = 10

type bucket struct {
	u        [bucketSlots]int32
	fp       [bucketSlots]uint16
	overflow uint32 // nonzero once an insert passed this bucket full
}

func hashID(id []byte) uint64 { return xxhash.Sum64(id) }

func fingerprint(h uint64) uint16 { return uint16(h >> 48) }

func (c *core) lookup(id string, h uint64) int32 {
	if len(c.buckets) == 0 {
		return -1
	}
	mask := uint64(len(c.buckets) - 1)
	fp := fingerprint(h)
	i := h & mask
	for range len(c.buckets) {
		bk := &c.buckets[i]
		for j := range bucketSlots {
			if s := bk.u[j]; s != 0 && bk.fp[j] == fp && string(c.id(s-1)) == id {
				return s - 1
			}
		}
		if bk.overflow == 0 {
			return -1
		}
		i = (i + 1) & mask
	}
	return -1
}

func (c *core) indexInsert(u int32, h uint64) {
	if (c.indexed+1)*10 > len(c.buckets)*bucketSlots*8 {
		c.indexGrow()
	}
	c.indexPut(u, h)
	c.indexed++
	if c.overflows*2 > len(c.buckets) {
		// Deletions leave overflow marks behind; with churn at a steady
		// size they would pile up and lengthen every probe.
		c.indexRebuild(len(c.buckets))
	}
}

func (c *core) indexPut(u int32, h uint64) {
	mask := uint64(len(c.buckets) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		bk := &c.buckets[i]
		for j := range bucketSlots {
			if bk.u[j] == 0 {
				bk.u[j], bk.fp[j] = u+1, fingerprint(h)
				return
			}
		}
		if bk.overflow == 0 {
			bk.overflow = 1
			c.overflows++
		}
	}
}

func (c *core) indexGrow() { c.indexRebuild(max(2*len(c.buckets), 2)) }

// indexRebuild rehashes every user into n fresh buckets.
func (c *core) indexRebuild(n int) {
	old := c.buckets
	c.buckets = make([]bucket, n)
	c.overflows = 0
	for i := range old {
		for _, s := range old[i].u {
			if s != 0 {
				c.indexPut(s-1, hashID(c.id(s-1)))
			}
		}
	}
}

func (c *core) indexDelete(u int32, h uint64) {
	mask := uint64(len(c.buckets) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		bk := &c.buckets[i]
		for j := range bucketSlots {
			if bk.u[j] == u+1 {
				bk.u[j], bk.fp[j] = 0, 0
				c.indexed--
				return
			}
		}
	}
}
