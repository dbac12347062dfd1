package leaderboard

import (
	"runtime/debug"
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

// The index maps an id to its user: buckets of ten slots, each slot the
// user + 1 (0 = empty) and a 16-bit fingerprint of the id's hash, in one
// 64-byte cache line. A lookup reads its home bucket and compares ids only
// for matching fingerprints, so it rarely touches a user that is not the
// one sought; it goes on to the next bucket only if the bucket has ever
// overflowed. The table holds at most 8 users per bucket on average, and is
// rebuilt when it grows or when half its buckets carry overflow marks
// (deletions leave them behind).
const bucketSlots = 10

// userIndex is the hash index from an id to its user in a userTable.
type userIndex struct {
	buckets   []bucket
	overflows int // buckets with an overflow mark
	indexed   int
	warmSink  uint32 // what loads made only to warm the cache read (rebuild, warm, a load), kept so they stay
}

// rehashRun is how many users a rebuild puts in their new buckets at once,
// after loading those buckets together.
const rehashRun = 64

type bucket struct {
	u        [bucketSlots]int32
	fp       [bucketSlots]uint16
	overflow uint32 // nonzero once an insert passed this bucket full
}

func hashID(id []byte) uint64 { return xxhash.Sum64(id) }

func fingerprint(h uint64) uint16 { return uint16(h >> 48) }

func (ix *userIndex) find(users *userTable, id string, h uint64) int32 {
	if len(ix.buckets) == 0 {
		return -1
	}
	mask := uint64(len(ix.buckets) - 1)
	fp := fingerprint(h)
	i := h & mask
	var num uint64
	var isNum, parsed bool // id's numericValue, once a fingerprint matches
	for range len(ix.buckets) {
		bk := &ix.buckets[i]
		for j := range bucketSlots {
			if s := bk.u[j]; s != 0 && bk.fp[j] == fp {
				if !parsed {
					num, isNum = numericValue(id)
					parsed = true
				}
				if users.rec(s-1).hasID(&users.arena, id, num, isNum) {
					return s - 1
				}
			}
		}
		if bk.overflow == 0 {
			return -1
		}
		i = (i + 1) & mask
	}
	return -1
}

// home returns the bucket where the search for hash h starts; the index
// has buckets.
func (ix *userIndex) home(h uint64) *bucket { return &ix.buckets[h&uint64(len(ix.buckets)-1)] }

// holds reports whether n buckets may hold users users: 8 per bucket on
// average at most.
func holds(n, users int) bool { return users*10 <= n*bucketSlots*8 }

// insert adds user u, the newest in users, whose id hashes to h.
func (ix *userIndex) insert(users *userTable, u int32, h uint64) {
	ix.indexed++
	if holds(len(ix.buckets), ix.indexed) {
		ix.put(u, h)
	} else {
		ix.rebuild(users, max(2*len(ix.buckets), 2)) // u included
	}
	if ix.overflows*2 > len(ix.buckets) {
		// Deletions leave overflow marks behind; with churn at a steady
		// size they would pile up and lengthen every probe.
		ix.rebuild(users, len(ix.buckets))
	}
}

func (ix *userIndex) put(u int32, h uint64) {
	mask := uint64(len(ix.buckets) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		bk := &ix.buckets[i]
		for j := range bucketSlots {
			if bk.u[j] == 0 {
				bk.u[j], bk.fp[j] = u+1, fingerprint(h)
				return
			}
		}
		if bk.overflow == 0 {
			bk.overflow = 1
			ix.overflows++
		}
	}
}

// reserve grows the table, once, to the size the inserts of n users in all
// would grow it to, so that a load whose size is known rehashes nothing
// as it goes.
func (ix *userIndex) reserve(users *userTable, n int) {
	size := max(len(ix.buckets), 2)
	for !holds(size, n) {
		size *= 2
	}
	if size > len(ix.buckets) {
		ix.rebuild(users, size)
	}
}

// rebuild rehashes every user of users into n fresh buckets. It reads the
// users in slot order, so their records stream from memory in sequence
// (in bucket order each was a miss), and puts them rehashRun at a time:
// first a load of each one's new bucket, then the puts. The loads do not
// depend on one another, so their cache misses overlap, where a put after
// put waited for each in turn (see rehashRun).
func (ix *userIndex) rebuild(users *userTable, n int) {
	old := ix.buckets
	ix.buckets = hugePagesFor(make([]bucket, n))
	ix.overflows = 0
	var buf idBuf
	var run [rehashRun]struct {
		u int32
		h uint64
	}
	k := 0
	putRun := func() {
		var sink uint32
		for _, e := range run[:k] {
			sink += ix.home(e.h).overflow
		}
		for _, e := range run[:k] {
			ix.put(e.u, e.h)
		}
		ix.warmSink += sink
		k = 0
	}
	users.forEachUser(func(u int32, r *user) {
		run[k].u, run[k].h = u, hashID(r.id(&users.arena, &buf))
		if k++; k == rehashRun {
			putRun()
		}
	})
	putRun()
	if len(old)*int(unsafe.Sizeof(bucket{})) >= returnAfterRehash {
		old = nil
		debug.FreeOSMemory()
	}
}

// returnAfterRehash is the size of a bucket array from which a rehash gives
// the old array's memory back to the system at once. Otherwise Go's runtime
// keeps the dead array's pages (67 MB at 10M users) until its heap would
// outgrow them, so a large board's resident memory stays at its rehash's
// peak. Returning them costs a full collection, quick over a board's
// pointer-free memory (a few ms to 0.2 s at 10M users), beside the rehash's
// own second; it happens once per doubling past 4M users.
const returnAfterRehash = 32 << 20

func (ix *userIndex) remove(u int32, h uint64) {
	mask := uint64(len(ix.buckets) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		bk := &ix.buckets[i]
		for j := range bucketSlots {
			if bk.u[j] == u+1 {
				bk.u[j], bk.fp[j] = 0, 0
				ix.indexed--
				return
			}
		}
	}
}

// lookup returns the user whose id is id (h its hash), or -1.
func (s *standings) lookup(id string, h uint64) int32 { return s.userIndex.find(&s.userTable, id, h) }

func (s *standings) indexInsert(u int32, h uint64) { s.userIndex.insert(&s.userTable, u, h) }

func (s *standings) indexDelete(u int32, h uint64) { s.userIndex.remove(u, h) }
