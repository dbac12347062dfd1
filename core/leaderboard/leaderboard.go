// Package leaderboard ranks users by exponentially decayed points.
//
// A Board keeps, per user, Σ points_i · f^((t − t_i)/86400) for a decay
// factor f in (0, 1], ranks users by that score (highest first, ties by user
// id in byte order) and answers top-k, pages, the rank of one user and the
// neighbourhood of one user in O(log n + k), for any query time, without
// ever rescoring: scores are stored in forward-decay form (see decay.go).
//
// # Structure
//
// The ranking is an order-statistic B+tree (per-child counts in inner nodes;
// btree.go) rather than an indexable skip list. Both give O(log n) rank and
// k-th entry, but the B+tree keeps 63 keys (G, the id's first 8 bytes,
// user) contiguously per leaf, so a lookup touches about four nodes instead
// of ~20 scattered skip-list nodes, it costs about 20–25 bytes per user
// instead of ~40 for nodes with towers of links and spans, and it holds no
// Go pointer per user. The id prefix in the key lets an update place a user
// among thousands with the same score (integer points) by comparing
// numbers in the node, not the neighbours' ids in their records. Users live
// in chunks of 32-byte records (last update, leaf, and the id itself when
// it has at most 15 bytes; G is kept once, in the user's key in the tree)
// addressed by int32 (users.go), longer ids once in a chunked byte arena,
// and an
// open-addressing hash index (xxhash, linear probing; index.go) maps an id
// to its user: no Go map and no per-user object, so the garbage collector has
// almost nothing to scan (heap per user: BenchmarkMemory, and
// BenchmarkMemoryScale for 18-digit ids).
//
// Nodes are searched by linear scans (independent loads) rather than
// bisection (dependent loads). Every user knows its leaf and every node its
// parent, so Rank climbs from the leaf instead of descending from the root,
// and an update removes the old key at its leaf (or moves it inside the
// leaf) instead of descending, except when the leaf would underflow or the
// key is the leaf's first.
//
// At a million users every operation is dominated by dependent cache misses
// (about 150–250 ns each on the 2-core machine this was measured on): a
// lookup costs 2 in a row (hash bucket, user record with its id; a third for
// an id longer than 15 bytes, in the arena; the bucket's
// fingerprints spare the misses of other users' records), Rank about one
// more (leaf and parent, fetched in parallel), and an update two or three
// more (the old key's leaf, then the new key's descent and leaf).
// UpdateMany overlaps these misses across the updates of a batch (see
// warm).
//
// # Concurrency
//
// All methods are safe for concurrent use; queries share a read lock and
// updates take the write lock. A Board must not be copied after first use.
// The zero Board is not usable; create one with New.
package leaderboard

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

var (
	// ErrInvalidDecay is returned by New for a decay factor that is not a
	// finite number in (0, 1].
	ErrInvalidDecay = errors.New("leaderboard: decay factor must be in (0, 1]")
	// ErrInvalidLimit is returned by New for a maxUsers that is negative or
	// beyond MaxUsersLimit.
	ErrInvalidLimit = errors.New("leaderboard: max users must lie in 0..2147483646")
	// ErrInvalidPoints is returned by Update for NaN or infinite points, or
	// when the user's total would overflow; the board is unchanged.
	ErrInvalidPoints = errors.New("leaderboard: points must be finite and keep the score finite")
	// ErrInvalidUserID is returned by Update for a user id that is not valid
	// UTF-8; the board is unchanged. The empty id is allowed.
	ErrInvalidUserID = errors.New("leaderboard: user id must be valid UTF-8")
	// ErrSnapshot is wrapped by ReadSnapshot and Load for input that is not a
	// well-formed snapshot; the board is unchanged.
	ErrSnapshot = errors.New("leaderboard: malformed snapshot")
	// ErrTimestampRange is wrapped by Update for a timestamp so far in the
	// future that accepting it would corrupt other users' scores (for
	// example milliseconds passed as seconds; see "The horizon" in
	// decay.go), and by ReadSnapshot and Load (together with ErrSnapshot)
	// for a snapshot holding such an entry. The board is unchanged. Boards
	// with decay factor 1 accept every timestamp.
	ErrTimestampRange = errors.New("leaderboard: timestamp too far in the future")
	// ErrFull is returned by Update when the board already holds 2^31−2
	// users or 4 GiB of user ids; the board is unchanged.
	ErrFull = errors.New("leaderboard: capacity exhausted")
)

// Entry is one ranked user.
type Entry struct {
	UserID     string
	Score      float64 // decayed to the `now` given to the query
	Rank       int     // 1-based
	LastUpdate int64   // latest timestamp seen for the user
}

// Board is an in-memory ranking of users by decayed points.
type Board struct {
	mu sync.RWMutex
	standings
}

// standings is the board's state without its lock, so that a snapshot can
// be built aside and swapped in whole. Its parts, one file each: the decay
// clock (decay.go), the user records (users.go), the hash index from id to
// user (index.go) and the order-statistic tree that ranks them (btree.go).
// Operations that keep the parts consistent with one another (update,
// removal, rebase) are its own methods.
type standings struct {
	forwardDecay
	maxUsers int
	userTable
	userIndex
	tree
	arrivals               // new users' keys waiting to be put in the tree (arrivals.go)
	placer     *placer     // puts a group of them in the tree beside the UpdateMany (placer.go)
	ties       tiedValues  // equal G values and how many share each (ties.go)
	tieChanges *tieChanges // changes to ties not applied yet (nil: none so far)
	windows    []*window   // time-windowed boards fed by the same updates (timewindows.go)
	origin     int64       // the windows' periods start at origin + k·length
	tieBreak   TieBreak
	seq        uint64 // TieEarliest: the last arrival number given to a key (ties.go)
}

// New returns an empty board. decayFactor is the fraction of a point kept
// after one day (1 = no decay); maxUsers > 0 bounds the board, dropping the
// lowest-ranked user when an update makes it larger, and 0 means unlimited.
func New(decayFactor float64, maxUsers int) (*Board, error) {
	return NewBoard(Config{DecayFactor: decayFactor, MaxUsers: maxUsers})
}

func newStandings(decayFactor float64, maxUsers int) (*standings, error) {
	if !(decayFactor > 0 && decayFactor <= 1) {
		return nil, ErrInvalidDecay
	}
	if maxUsers < 0 || maxUsers > MaxUsersLimit {
		return nil, ErrInvalidLimit
	}
	s := &standings{
		forwardDecay: newForwardDecay(decayFactor),
		maxUsers:     maxUsers,
		userTable:    newUserTable(),
	}
	s.initTree()
	return s, nil
}

// DecayFactor returns the fraction of a point kept after one day.
func (b *Board) DecayFactor() float64 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.factor
}

// MaxUsers returns the bound on the number of users, 0 for none.
func (b *Board) MaxUsers() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.maxUsers
}

// LatestTimestamp returns the latest timestamp Update accepts now: the wall
// clock plus the board's horizon (math.MaxInt64 for decay factor 1). A
// caller that checks timestamps against it ahead of Update may keep the
// value for a while: it only grows.
func (b *Board) LatestTimestamp() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.latestTimestamp()
}

// Len returns the number of users on the board.
func (b *Board) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.size
}

// Contains reports whether userID is on the board.
func (b *Board) Contains(userID string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.lookup(userID, xxhash.Sum64String(userID)) >= 0
}

// Update adds points earned at timestamp to userID's score. Points of 0 for
// an unknown user do nothing; for a known user they only advance its
// LastUpdate. Timestamps may arrive in any order. When the board grows past
// MaxUsers, its lowest-ranked user (possibly userID) is removed. A
// timestamp further after the wall clock's now than the board's horizon
// (600/|ln f| days: 865 for f = 0.5, about 32 years for f = 0.95, unbounded
// for f = 1) yields an error wrapping ErrTimestampRange, unless the points
// are 0 for an unknown user; past timestamps are always accepted. On error
// the board is unchanged.
func (b *Board) Update(userID string, points float64, timestamp int64) error {
	if err := checkUpdate(userID, points); err != nil {
		return err
	}
	h := xxhash.Sum64String(userID)
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.update(userID, h, points, timestamp); err != nil {
		return err
	}
	b.updateWindows(userID, h, points, timestamp)
	return nil
}

// UpdateMany applies updates i = 0, 1, ... (userIDs[i], points[i],
// timestamps[i]) in order, as Update would, under one acquisition of the
// write lock. An update Update would refuse is skipped; UpdateMany returns
// how many were, and the first one's error, an *UpdateError naming its
// index. The three slices must have the same length.
func (b *Board) UpdateMany(userIDs []string, points []float64, timestamps []int64) (refused int, first error) {
	return b.updateMany(userIDs, points, timestamps, false)
}

// UpdateManyValid is UpdateMany for ids the caller has already checked are
// valid UTF-8 (the C ABI decodes them with that check), so it does not
// check them again. Points are still checked.
func (b *Board) UpdateManyValid(userIDs []string, points []float64, timestamps []int64) (refused int, first error) {
	return b.updateMany(userIDs, points, timestamps, true)
}

func (b *Board) updateMany(userIDs []string, points []float64, timestamps []int64, validIDs bool) (refused int, first error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	defer b.gather(len(userIDs))()
	return b.applyUpdates(userIDs, points, timestamps, validIDs)
}

// gather lets the new users of the n updates about to be applied wait to
// be put in the tree together (arrivals.go), when n is large enough and
// none of them can evict anyone (roomFor); the function it returns puts
// them there. The caller holds the write lock.
func (b *Board) gather(n int) (place func()) {
	b.arrivals.gathering = n >= gatherFrom && b.roomFor(n)
	b.arrivals.handing = b.arrivals.gathering && len(b.windows) == 0
	return func() {
		b.placeArrivals()
		b.arrivals.gathering, b.arrivals.handing = false, false
	}
}

// roomFor reports whether n more users fit beside those the board holds,
// within its limit if it has one. Then n updates evict nobody, so the
// order in which their keys are placed changes nothing.
func (c *standings) roomFor(n int) bool { return c.maxUsers == 0 || c.users()+n <= c.maxUsers }

// applyUpdates is updateMany's work, under the write lock its caller holds.
func (b *Board) applyUpdates(userIDs []string, points []float64, timestamps []int64, validIDs bool) (refused int, first error) {
	var hashes [warmRun]uint64 // per run: a batch leaves no garbage behind
	var us [warmRun]int32
	for lo := 0; lo < len(userIDs); lo += warmRun {
		hi := min(lo+warmRun, len(userIDs))
		for i, id := range userIDs[lo:hi] {
			hashes[i] = xxhash.Sum64String(id)
		}
		b.warm(userIDs[lo:hi], hashes[:hi-lo], us[:hi-lo])
		frees := b.frees // a user found by warm is still that user while no slot is freed
		b.warmWindows(userIDs[lo:hi], hashes[:hi-lo])
		for i := lo; i < hi; i++ {
			id, h := userIDs[i], hashes[i-lo]
			err := checkPoints(points[i])
			if err == nil && !validIDs {
				err = checkID(id)
			}
			if err == nil {
				u := us[i-lo]
				if u < 0 || b.frees != frees {
					u = b.lookup(id, h)
				}
				err = b.updateUser(id, h, u, points[i], timestamps[i])
			}
			if err == nil && len(b.windows) > 0 {
				b.updateWindows(id, h, points[i], timestamps[i])
			}
			if err != nil {
				refused++
				if first == nil {
					first = &UpdateError{Index: i, UserID: strings.Clone(id), Timestamp: timestamps[i], Err: err}
				}
			}
		}
	}
	return refused, first
}

// UpdateError is the error of an update UpdateMany refused: its index in
// the slices, or in a longer sequence of updates that the caller numbered
// (see Background.Submit); Index < 0 when the update has no number.
type UpdateError struct {
	Index     int
	UserID    string
	Timestamp int64
	Err       error // why: wraps ErrInvalidPoints, ErrTimestampRange, ...
}

func (e *UpdateError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("update of user %q at %d: %v", e.UserID, e.Timestamp, e.Err)
	}
	return fmt.Sprintf("update %d (user %q): %v", e.Index, e.UserID, e.Err)
}

func (e *UpdateError) Unwrap() error { return e.Err }

// Renumber turns e's index among updates that a caller numbered from
// first into the caller's number for it; a negative first means they have
// none, and e then names the update by user and timestamp.
func (e *UpdateError) Renumber(first int) {
	if first < 0 {
		e.Index = -1
	} else {
		e.Index += first
	}
}

// warmFrom is the least number of users at which warming pays: a smaller
// board's buckets, records and leaves are in cache already, and the warm
// pass is only extra work (measured at 10k users: 14 % of UpdateMany's
// time; at 30k neither better nor worse; at 100k 6 to 9 % saved).
const warmFrom = 1 << 14

// warmRun is how many updates UpdateMany warms at once: their buckets,
// records, ids and leaves (a few KiB each) stay well inside L2.
const warmRun = 128

// warm loads what the updates of ids (hashes their hashes) will read, one
// pass per level: their index buckets, the records their buckets point to,
// the leaves holding the users found, and in those leaves the users' own
// entries with the slots of the leaves' parents that an update's climb
// changes. Within a pass the loads of different updates do not depend on
// one another, so their cache misses overlap, where applying the updates
// one by one waits for each miss in turn. It changes nothing, and puts in
// us the user of each id as the lookup found it, or -1: none, or not
// looked up, on a board too small for warming to pay (warmFrom), where it
// does nothing else. An update in the run may still add or remove users
// before a later one (see applyUpdates).
//
// Moving random existing users by 1..8 points on a board of integer
// points, in UpdateMany calls of 131,072 at 10M users and 32,768 at 1M and
// 100k (one process per size, calls alternating between the two ways): an
// update took 2,404–2,507 ns at 10M, 1,560 at 1M and 836 at 100k with only
// the buckets and each leaf's first line warmed and every user looked up
// again; 2,154–2,248, 1,317 and 772 with every pass above and the users
// found here kept.
func (c *standings) warm(ids []string, hashes []uint64, us []int32) {
	if c.users() < warmFrom {
		for i := range us {
			us[i] = -1
		}
		return
	}
	var sink uint32
	for _, h := range hashes {
		sink += c.home(h).overflow
	}
	for _, h := range hashes {
		bk, fp := c.home(h), fingerprint(h)
		for j, s := range bk.u {
			if s != 0 && bk.fp[j] == fp {
				sink += uint32(c.rec(s - 1).short[inlineMax])
			}
		}
	}
	for i, h := range hashes {
		us[i] = c.lookup(ids[i], h)
	}
	for _, u := range us {
		if u < 0 {
			continue
		}
		c.join() // the update will: see placer.go
		if _, waits := c.arrivalOf(u); !waits {
			lf := c.leaves[c.rec(u).leaf]
			sink += uint32(lf.n) + uint32(lf.g[0]) + uint32(lf.p[0])
			for j := 0; j < leafCap; j += 16 { // every line of the users, which userPos scans
				sink += uint32(lf.u[j])
			}
		}
	}
	for _, u := range us {
		if u < 0 || c.height == 0 {
			continue
		}
		if _, waits := c.arrivalOf(u); waits {
			continue
		}
		id, j := c.userPos(u)
		lf := c.leaves[id]
		sink += uint32(lf.g[j]) + uint32(lf.p[j])
		if s := lf.slot; uint32(s) < uint32(innerCap) { // a hint (childSlot)
			nd := c.inners[lf.parent]
			sink += uint32(nd.child[s]) + uint32(nd.count[s])
		}
	}
	c.warmSink = sink
}

// checkUpdate refuses what no board accepts: points that are not finite,
// a user id that is not UTF-8.
func checkUpdate(userID string, points float64) error {
	if err := checkPoints(points); err != nil {
		return err
	}
	return checkID(userID)
}

func checkPoints(points float64) error {
	if math.IsNaN(points) || math.IsInf(points, 0) {
		return ErrInvalidPoints
	}
	return nil
}

func checkID(userID string) error {
	if !utf8.ValidString(userID) {
		return ErrInvalidUserID
	}
	return nil
}

// update applies one update of id, whose hash is h.
func (c *standings) update(id string, h uint64, p float64, ts int64) error {
	return c.updateUser(id, h, c.lookup(id, h), p, ts)
}

// updateUser is update once id's user is known: u, or -1 when id is on no
// record.
func (c *standings) updateUser(id string, h uint64, u int32, p float64, ts int64) error {
	if u >= 0 {
		c.join() // before reading the user's place: see placer.go
	}
	if p == 0 {
		if u >= 0 {
			if r := c.rec(u); ts > r.last {
				// A LastUpdate beyond the horizon would make the board's
				// own snapshot unloadable.
				if err := c.checkFuture(ts); err != nil {
					return err
				}
				r.last = ts
			}
		}
		return nil
	}
	if err := c.checkFuture(ts); err != nil {
		return err
	}
	if c.users() == 0 {
		c.landmark = ts
	} else if c.lnf != 0 && -c.exponentAt(float64(ts)) > rebaseBound {
		c.rebase(ts)
	}
	var was key // u's key
	at := 0     // and its position in u's leaf
	waits := -1 // or among the arrivals, when it waits there
	if u >= 0 {
		if i, ok := c.arrivalOf(u); ok {
			was, waits = c.arrivals.keys[i], i
		} else {
			was, at = c.entryOf(u)
		}
	}
	old := was.g
	ng := old + p*c.weightAt(ts)
	if math.IsInf(ng, 0) || math.IsNaN(ng) {
		// The total may fit with the landmark at ts.
		if c.lnf == 0 || ts <= c.landmark {
			return ErrInvalidPoints
		}
		if g2 := old*math.Exp(c.exponentAt(float64(ts))) + p; math.IsInf(g2, 0) {
			return ErrInvalidPoints
		}
		c.rebase(ts) // places the arrivals
		if u >= 0 {
			was, at = c.entryOf(u)
			waits = -1
		}
		old = was.g
		ng = old + p
		if math.IsInf(ng, 0) {
			return ErrInvalidPoints
		}
	}
	if u < 0 {
		if c.users() >= maxUserSlots {
			return ErrFull
		}
		nu, ok := c.newUser(id, ts)
		if !ok {
			return ErrFull
		}
		c.indexInsert(nu, h)
		c.arrive(key{ng, c.newTieKey(id), nu})
		if c.maxUsers > 0 && c.size > c.maxUsers {
			lid, pos := c.kth(c.size - 1)
			c.removeUser(c.leaves[lid].u[pos])
		}
		return nil
	}
	r := c.rec(u)
	if ts > r.last {
		r.last = ts
	}
	if ng == old {
		return nil
	}
	nk := key{ng, c.newTieKey(id), u}
	if waits >= 0 {
		c.arrivals.keys[waits] = nk // the user moves once, when the arrivals are placed
		return nil
	}
	c.noteRemoving(c.rec(u).leaf, at)
	if !c.arrivals.gathering && c.moveInLeaf(nk, at) {
		c.noteInserted(nk)
	} else {
		c.treeRemoveUser(was, at)
		c.arrive(nk)
	}
	return nil
}

// Remove deletes userID, from the board and its windows, and reports
// whether it was on the board.
func (b *Board) Remove(userID string) bool {
	h := xxhash.Sum64String(userID)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, w := range b.windows { // a user the limit dropped may still be in a window
		w.board.mu.Lock()
		if wu := w.board.lookup(userID, h); wu >= 0 {
			w.board.removeUser(wu)
		}
		w.board.mu.Unlock()
	}
	u := b.lookup(userID, h)
	if u < 0 {
		return false
	}
	b.removeUser(u)
	return true
}

func (c *standings) removeUser(u int32) {
	k, at := c.entryOf(u)
	c.noteRemoving(c.rec(u).leaf, at)
	c.treeRemoveUser(k, at)
	var buf idBuf
	c.indexDelete(u, hashID(c.idIn(u, &buf)))
	c.freeUser(u)
}

// Score returns userID's score decayed to now, and whether it is on the board.
func (b *Board) Score(userID string, now float64) (float64, bool) {
	h := xxhash.Sum64String(userID)
	b.mu.RLock()
	defer b.mu.RUnlock()
	u := b.lookup(userID, h)
	if u < 0 {
		return 0, false
	}
	return scale(b.g(u), b.exponentAt(now)), true
}

// Rank returns userID's entry with its score decayed to now, and whether it
// is on the board.
func (b *Board) Rank(userID string, now float64) (Entry, bool) {
	e, ok, _ := b.RankAs(Ordinal, userID, now) // Ordinal is valid: no error
	return e, ok
}

// Page returns the entries ranked offset+1 to offset+limit, scores decayed
// to now. Negative offset or limit count as 0.
func (b *Board) Page(offset, limit int, now float64) []Entry {
	offset, limit = max(offset, 0), max(limit, 0)
	b.mu.RLock()
	defer b.mu.RUnlock()
	if offset >= b.size || limit == 0 {
		return []Entry{}
	}
	out := make([]Entry, 0, min(limit, b.size-offset))
	b.visit(offset, limit, now, func(e Entry) bool {
		out = append(out, e)
		return true
	})
	ownIDs(out)
	return out
}

// ownIDs copies the user ids of es, which refer to the arena, into one new
// allocation shared by all of them (one allocation instead of one per id).
func ownIDs(es []Entry) {
	n := 0
	for _, e := range es {
		n += len(e.UserID)
	}
	if n == 0 {
		for i := range es {
			es[i].UserID = ""
		}
		return
	}
	buf := make([]byte, 0, n)
	for _, e := range es {
		buf = append(buf, e.UserID...)
	}
	all := unsafe.String(unsafe.SliceData(buf), len(buf))
	off := 0
	for i := range es {
		k := len(es[i].UserID)
		es[i].UserID = all[off : off+k]
		off += k
	}
}

// Top returns the k highest-ranked entries: Page(0, k, now).
func (b *Board) Top(k int, now float64) []Entry { return b.Page(0, k, now) }

// Around returns up to before users ranked just above userID, userID, and
// up to after users ranked just below, in rank order, and whether userID is
// on the board. Negative before or after count as 0.
func (b *Board) Around(userID string, before, after int, now float64) ([]Entry, bool) {
	before, after = max(before, 0), max(after, 0)
	h := xxhash.Sum64String(userID)
	b.mu.RLock()
	u := b.lookup(userID, h)
	if u < 0 {
		b.mu.RUnlock()
		return nil, false
	}
	r := b.rankOfUser(u)
	start := max(r-before, 0)
	limit := r - start + 1 + min(after, b.size-r-1)
	out := make([]Entry, 0, limit)
	b.visit(start, limit, now, func(e Entry) bool {
		out = append(out, e)
		return true
	})
	ownIDs(out)
	b.mu.RUnlock()
	return out, true
}

// Visit calls fn for the entries ranked offset+1 to offset+limit in rank
// order, scores decayed to now, until fn returns false. It holds the read
// lock during the calls, so fn must not call methods that update the board,
// and it allocates only to spell out numeric ids (one block a call):
// e.UserID refers to the board's memory and is valid only during the call
// (copy it to keep it). Negative offset or limit
// count as 0.
func (b *Board) Visit(offset, limit int, now float64, fn func(e Entry) bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	b.visit(offset, limit, now, fn)
}

func (c *standings) visit(offset, limit int, now float64, fn func(e Entry) bool) {
	offset, limit = max(offset, 0), max(limit, 0)
	if offset >= c.size || limit == 0 {
		return
	}
	limit = min(limit, c.size-offset)
	sc := c.scalerAt(now)
	id, pos := c.kth(offset)
	rank := offset + 1
	// Numeric ids are spelt out here, one after the other, so that every
	// entry's id stays valid for the whole visit (Page and Around keep the
	// entries until they copy their ids); older blocks live on when it grows.
	var digits []byte
	for id >= 0 {
		lf := c.leaves[id]
		for ; pos < int(lf.n); pos++ {
			u := lf.u[pos]
			r := c.rec(u)
			var idb []byte
			if r.short[inlineMax] == numericID {
				if digits == nil {
					digits = make([]byte, 0, maxDigits*min(limit, 1024))
				}
				start := len(digits)
				digits = strconv.AppendUint(digits, r.number(), 10)
				idb = digits[start:len(digits):len(digits)]
			} else {
				idb = r.id(&c.arena, nil)
			}
			e := Entry{
				UserID:     unsafe.String(unsafe.SliceData(idb), len(idb)),
				Score:      sc.score(lf.g[pos]),
				Rank:       rank,
				LastUpdate: r.last,
			}
			if !fn(e) {
				return
			}
			rank++
			if limit--; limit == 0 {
				return
			}
		}
		id, pos = lf.next, 0
	}
}
