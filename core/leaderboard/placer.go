package leaderboard

// While an UpdateMany of new users goes on, a full group of their waiting
// keys is put in the tree on a goroutine of its own, the placer, and the
// UpdateMany indexes the next users meanwhile: filling a large board, the
// sort and the tree's cache misses (about half the work) then take the
// second core instead of adding to the first's.
//
// The two never touch the same memory:
//   - the placer has the tree and the tied values to itself (in a standings
//     of its own, copied back when it is joined), and reads the user table
//     through copies of its chunk lists, made at the hand-off, so that
//     records and ids added meanwhile never move what it reads;
//   - of the records, it writes only the leaf of users already in the tree
//     or in its group, and reads their ids; the UpdateMany meanwhile writes
//     only new records and reads records only through the id index;
//   - the UpdateMany joins the placer before anything that reads the tree
//     or a record the placer may write: an update of a user already on the
//     board (or waiting), a rebase, placing the other arrivals, and its own
//     end, before the board's lock is released. So no reader ever sees a
//     group half placed, and the final tree is the one placing the groups in
//     turn would leave.
//
// A board with windows or a user limit never hands off: their updates read
// the tree as they go.

// placeFrom is the least number of waiting keys handed to the placer at
// once. While the placer is busy, keys keep gathering (up to maxArrivals),
// so the groups grow when placing is slower than indexing.
const placeFrom = 1 << 14

// placer puts one group of keys in the tree on its goroutine (see above).
type placer struct {
	on    standings // the tree, tied values and user table the goroutine works on
	after int       // the board's size once the group is placed
	done  chan any  // the goroutine's end: nil, or what it panicked with; nil when idle
	// Buffers kept for the next hand-off: the keys of the last group, and
	// the copies of the user table's chunk lists.
	free        []key
	uchunks     []*userChunk
	arenaChunks [][]byte
}

// placing returns the placer at work, or nil.
func (c *standings) placing() *placer {
	if p := c.placer; p != nil && p.done != nil {
		return p
	}
	return nil
}

// handOff gives the waiting keys to the placer, which must be idle, and
// lets the arrivals gather afresh.
func (c *standings) handOff() {
	if c.placer == nil {
		c.placer = &placer{}
	}
	p := c.placer
	p.uchunks = append(p.uchunks[:0], c.uchunks...)
	p.arenaChunks = append(p.arenaChunks[:0], c.arena.chunks...)
	on := &p.on
	on.tree = c.tree
	on.ties, on.tieChanges = c.ties, c.tieChanges
	on.userTable = c.userTable
	on.uchunks, on.arena.chunks = p.uchunks, p.arenaChunks
	on.arrivals.keys = c.arrivals.keys
	p.after = c.size + len(c.arrivals.keys)
	c.arrivals.keys = p.free[:0]
	p.free = nil
	p.done = make(chan any, 1)
	go p.run()
}

func (p *placer) run() {
	defer func() { p.done <- recover() }()
	p.on.placeArrivals()
}

// join waits for the placer, if at work, and takes back what it changed.
func (c *standings) join() {
	if p := c.placing(); p != nil {
		c.joined(p, <-p.done)
	}
}

// idle reports whether no placer is at work, joining one that has finished.
func (c *standings) idle() bool {
	p := c.placing()
	if p == nil {
		return true
	}
	select {
	case v := <-p.done:
		c.joined(p, v)
		return true
	default:
		return false
	}
}

// joined takes back the tree and the tied values from placer p, whose
// goroutine ended with v (what it panicked with: the panic goes on here).
func (c *standings) joined(p *placer, v any) {
	p.done = nil
	if v != nil {
		panic(v)
	}
	c.tree = p.on.tree
	c.ties, c.tieChanges = p.on.ties, p.on.tieChanges
	p.free = p.on.arrivals.keys[:0]
	// The board's now, not the placer's to keep alive.
	p.on.tree, p.on.ties, p.on.tieChanges, p.on.arrivals.keys = tree{}, tiedValues{}, nil, nil
	p.on.userTable = userTable{}
	clear(p.uchunks)
	clear(p.arenaChunks)
}

// users returns how many users the board holds, in the tree or waiting,
// without reading the tree's size while the placer may change it.
func (c *standings) users() int {
	if p := c.placing(); p != nil {
		return p.after + c.waiting()
	}
	return c.size + c.waiting()
}
