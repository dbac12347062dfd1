package leaderboard

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Users live in columnar chunks indexed by an int32 user index, so that the
// board holds no Go pointer per user: the garbage collector scans a few
// thousand chunk pointers instead of millions of objects, and a chunk never
// moves when the board grows.
const (
	userChunkBits = 13
	userChunkSize = 1 << userChunkBits
	userChunkMask = userChunkSize - 1

	maxUserSlots = MaxUsersLimit
)

// MaxUsersLimit is the most users a board can hold (user slots are int32,
// with one value reserved), hence the largest maxUsers New accepts.
const MaxUsersLimit = math.MaxInt32 - 1

// A user's fields sit together in one 32-byte record (two to a cache line),
// with its id when the id has at most inlineMax bytes, so that a lookup
// confirms the match in the record it reads anyway: one cache line instead
// of a further dependent miss into the arena. A longer id
// that is a decimal number (Discord's 17- to 19-digit snowflakes) is kept
// in the record too, as its value (short[inlineMax] == numericID); other
// longer ids live in the arena (short[inlineMax] == longID, ref their
// location). The user's value G is not kept here: the tree's entry holds
// it (standings.g), and a second copy would cost 8 bytes per user.
type user struct {
	last  int64               // latest timestamp seen
	ref   uint32              // arena location of a long id; next free slot + 1 when free
	leaf  int32               // leaf of the tree holding the user (see rankOfUser)
	short [inlineMax + 1]byte // id bytes, length in short[inlineMax]
}

const (
	inlineMax = 15
	longID    = 0xff // short[inlineMax] of a user whose id is in the arena
	freeSlot  = 0xfe // short[inlineMax] of a free slot
	numericID = 0xfd // short[inlineMax] of a user whose id is numericValue's, in short[:8]

	maxDigits = 19 // every 19-digit number fits a uint64
)

// numericValue returns the value of an id that is kept as a number: more
// than inlineMax decimal digits, at most maxDigits, no leading zero (so the
// digits are the value's one decimal form and the id's bytes come back
// exactly).
func numericValue(id string) (uint64, bool) {
	if len(id) <= inlineMax || len(id) > maxDigits || id[0] == '0' {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(id); i++ {
		d := id[i] - '0'
		if d > 9 {
			return 0, false
		}
		v = v*10 + uint64(d)
	}
	return v, true
}

// putNumeric stores a numeric id's value in its record.
func putNumeric(r *user, v uint64) {
	binary.LittleEndian.PutUint64(r.short[:8], v)
	r.short[inlineMax] = numericID
}

// number returns the value of a numeric id.
func (r *user) number() uint64 { return binary.LittleEndian.Uint64(r.short[:8]) }

// idBuf holds the digits of a numeric id while it is compared or written.
type idBuf [maxDigits]byte

type userChunk [userChunkSize]user

// userTable holds the user records, addressed by an int32 user index, and
// the arena of long ids. Freed slots form a list threaded through ref.
type userTable struct {
	uchunks []*userChunk
	uhigh   int32  // slots ever used
	ufree   int32  // head of the free-slot list, -1 if none
	frees   uint64 // slots freed so far
	arena   idArena
}

func newUserTable() userTable { return userTable{ufree: -1, arena: newArena()} }

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
		a.chunks = append(a.chunks, hugePagesFor(make([]byte, 0, arenaChunkSize)))
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

// forEachUser calls fn with every user's slot and record, in slot order.
func (ut *userTable) forEachUser(fn func(u int32, r *user)) {
	for u := int32(0); u < ut.uhigh; u++ {
		if r := ut.rec(u); r.short[inlineMax] != freeSlot {
			fn(u, r)
		}
	}
}

func (ut *userTable) rec(u int32) *user { return &ut.uchunks[u>>userChunkBits][u&userChunkMask] }

// id returns u's id bytes; a numeric id is spelt out in new memory, so hot
// paths use idIn instead.
func (ut *userTable) id(u int32) []byte { return ut.rec(u).id(&ut.arena, new(idBuf)) }

// idIn returns u's id bytes: the board's own memory, or buf holding the
// digits of a numeric id. Either is valid until the board or buf changes.
func (ut *userTable) idIn(u int32, buf *idBuf) []byte { return ut.rec(u).id(&ut.arena, buf) }

// prefix returns idPrefix of u's id.
func (ut *userTable) prefix(u int32) uint64 {
	var buf idBuf
	return idPrefix(ut.idIn(u, &buf))
}

func (r *user) id(a *idArena, buf *idBuf) []byte {
	switch n := r.short[inlineMax]; {
	case n <= inlineMax:
		return r.short[:n]
	case n == numericID:
		return strconv.AppendUint(buf[:0], r.number(), 10)
	}
	return a.get(r.ref)
}

// hasID reports whether r's id is id; num, isNum are numericValue(id),
// computed by the caller once for all the records it checks.
func (r *user) hasID(a *idArena, id string, num uint64, isNum bool) bool {
	switch n := r.short[inlineMax]; {
	case n <= inlineMax:
		return string(r.short[:n]) == id
	case n == numericID:
		return isNum && r.number() == num
	}
	return string(a.get(r.ref)) == id
}

// newUser stores id in a free slot and returns the slot, or false when the
// board's capacity (2^31-1 users, 4 GiB of ids) is exhausted.
func (ut *userTable) newUser(id string, last int64) (int32, bool) {
	var ref uint32
	num, numeric := numericValue(id)
	long := len(id) > inlineMax && !numeric
	if long {
		var ok bool
		if ref, ok = ut.arena.add(id); !ok {
			ut.compact()
			if ref, ok = ut.arena.add(id); !ok {
				return 0, false
			}
		}
	}
	var u int32
	if ut.ufree >= 0 {
		u = ut.ufree
		ut.ufree = int32(ut.rec(u).ref) - 1
	} else {
		if ut.uhigh >= maxUserSlots {
			if long {
				ut.arena.free(ref)
			}
			return 0, false
		}
		u = ut.uhigh
		ut.uhigh++
		if int(u>>userChunkBits) == len(ut.uchunks) {
			ut.uchunks = append(ut.uchunks, hugePages(new(userChunk)))
		}
	}
	r := ut.rec(u)
	*r = user{last: last, ref: ref}
	switch {
	case numeric:
		putNumeric(r, num)
	case long:
		r.short[inlineMax] = longID
	default:
		copy(r.short[:], id)
		r.short[inlineMax] = byte(len(id))
	}
	return u, true
}

// freeUser releases u's slot and id bytes; u must already be out of the
// tree and the index.
func (ut *userTable) freeUser(u int32) {
	r := ut.rec(u)
	if r.short[inlineMax] == longID {
		ut.arena.free(r.ref)
	}
	r.ref = uint32(ut.ufree + 1)
	r.short[inlineMax] = freeSlot
	ut.ufree = u
	ut.frees++
	if ut.arena.dead > ut.arena.live && ut.arena.dead > 4*arenaChunkSize {
		ut.compact()
	}
}

// compact rewrites the live ids into a fresh arena, dropping dead bytes.
func (ut *userTable) compact() {
	na := newArena()
	for u := range ut.uhigh {
		if r := ut.rec(u); r.short[inlineMax] == longID {
			r.ref, _ = na.add(string(ut.arena.get(r.ref)))
		}
	}
	ut.arena = na
}
