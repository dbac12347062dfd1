package leaderboard

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

// The snapshot format is the original extension's:
//
//	{"decay_factor": f, "max_users": n,
//	 "entries": [{"user_id": s, "score": x, "last_update": t}, ...]}
//
// with entries in rank order and each score decayed to its own last_update,
// so old readers keep reading it. Two fields make a reload exact:
//
//	"landmark": L      (top level, integer Unix seconds)
//	"g": G             (per entry, the forward-decay value, see decay.go)
//
// A user's score at t is G · f^((t − L)/86400). A score decayed to its own
// last_update and decayed back is a few bits off, which reorders exact ties
// and moves scores; G relative to L is the board's own value, bit for bit,
// so a reloaded board ranks exactly as the saved one. On load, an entry's
// "g" is used when the file has a "landmark"; entries without it (and files
// without a landmark, such as the original's) are rebuilt from "score" with
// the landmark at the newest last_update, as before. Either way the horizon
// rule of Update applies (see decay.go): a landmark or last_update further
// in the future than the horizon fails the whole load.

type entryOut struct {
	UserID     string  `json:"user_id"`
	Score      float64 `json:"score"`
	LastUpdate int64   `json:"last_update"`
	G          float64 `json:"g"`
}

// snapshotItem is one decoded entry: pointers and raw numbers tell a
// missing key or a wrong type from a zero.
type snapshotItem struct {
	UserID     *string         `json:"user_id"`
	Score      *float64        `json:"score"`
	LastUpdate json.RawMessage `json:"last_update"`
	G          *float64        `json:"g"`
}

// snapshotHeader is the snapshot's top level without its entries.
type snapshotHeader struct {
	DecayFactor float64 `json:"decay_factor"`
	MaxUsers    int     `json:"max_users"`
	Landmark    int64   `json:"landmark"`
	TieBreak    string  `json:"tie_break,omitempty"` // absent for TieByUserID
}

// WriteSnapshot writes the board as JSON in the original's format. It
// streams the entries to w under the read lock, so updates wait until the
// whole snapshot is written (queries do not); it holds no copy of the
// board.
func (b *Board) WriteSnapshot(w io.Writer) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if err := b.writeSnapshot(w); err != nil {
		return fmt.Errorf("leaderboard: write snapshot: %w", err)
	}
	return nil
}

// writeSnapshot writes what one json.Encoder (HTML escaping off) would
// write for the whole snapshot, one entry at a time.
func (c *standings) writeSnapshot(w io.Writer) error {
	bw, ok := w.(*bufio.Writer)
	if !ok {
		bw = bufio.NewWriterSize(w, 1<<16)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := c.writeBoard(bw, enc, &buf); err != nil {
		return err
	}
	if len(c.windows) > 0 {
		if err := c.writeWindows(bw, enc, &buf); err != nil {
			return err
		}
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// writeBoard writes the snapshot's object up to its entries' closing
// bracket, without the object's closing brace.
func (c *standings) writeBoard(bw *bufio.Writer, enc *json.Encoder, buf *bytes.Buffer) error {
	buf.Reset()
	hdr := snapshotHeader{DecayFactor: c.factor, MaxUsers: c.maxUsers, Landmark: c.landmark}
	if c.tieBreak != TieByUserID {
		hdr.TieBreak = c.tieBreak.String()
	}
	if err := enc.Encode(hdr); err != nil {
		return err
	}
	bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("}\n")))
	bw.WriteString(`,"entries":[`)
	if err := c.writeEntries(bw, max(1, min(runtime.GOMAXPROCS(0), maxSaveWorkers))); err != nil {
		return err
	}
	bw.WriteString("]")
	return nil
}

// Formatting the entries (floats, ids) is most of a save's work, so the
// entries are formatted by several goroutines at once, each taking a
// segment of saveSegmentLeaves consecutive leaves, and written in rank
// order by the saving goroutine. At most 2 segments per worker wait to be
// written, so a save holds a few MiB beside the board whatever its size.
var (
	maxSaveWorkers    = 4
	saveSegmentLeaves = 64
)

// saveSegment is a run of leaves formatted by one worker.
type saveSegment struct {
	leaf   int32 // the first leaf
	leaves int
	first  bool // holds the board's first entry (not preceded by a comma)
	done   chan saveResult
}

type saveResult struct {
	text []byte
	err  error
}

// writeEntries writes the entries, comma-separated, in rank order, the
// formatting spread over workers goroutines.
func (c *standings) writeEntries(bw *bufio.Writer, workers int) error {
	jobs := make(chan *saveSegment)
	order := make(chan *saveSegment, 2*workers)
	free := make(chan []byte, 3*workers) // formatted segments' buffers, for reuse
	go func() {
		defer close(order)
		defer close(jobs)
		id, _ := c.kth(0)
		for first := true; id >= 0; first = false {
			s := &saveSegment{leaf: id, first: first, done: make(chan saveResult, 1)}
			for ; id >= 0 && s.leaves < saveSegmentLeaves; s.leaves++ {
				id = c.leaves[id].next
			}
			// In order first, then to a worker: the segment the writer
			// waits for has always been handed out.
			order <- s
			jobs <- s
		}
	}()
	for range workers {
		go func() {
			f := newEntryFormat()
			for s := range jobs {
				var text []byte
				select {
				case text = <-free:
				default:
				}
				text, err := c.formatSegment(s, text[:0], f)
				s.done <- saveResult{text, err}
			}
		}()
	}
	var err error
	for s := range order { // every segment, even after an error, so the goroutines end
		r := <-s.done
		if err == nil {
			if err = r.err; err == nil {
				_, err = bw.Write(r.text)
			}
		}
		select {
		case free <- r.text:
		default:
		}
	}
	return err
}

// formatSegment appends the entries of segment s to text, each after a
// comma but the board's first.
func (c *standings) formatSegment(s *saveSegment, text []byte, f *entryFormat) ([]byte, error) {
	var warm uint32
	first := s.first
	id := s.leaf
	var err error
	for range s.leaves {
		lf := c.leaves[id]
		us := lf.u[:lf.n]
		// Rank order is random in memory: touch the leaf's records, then
		// their ids, each pass of independent loads, so that the misses
		// overlap instead of costing two in a row per entry.
		warm += c.warmIDs(us)
		if text, err = c.appendEntries(text, us, lf.g[:lf.n], &first, f); err != nil {
			break
		}
		id = lf.next
	}
	runtime.KeepAlive(warm)
	return text, err
}

// warmIDs loads the records and ids of users us (see writeSnapshot) and
// returns a sum of what it loaded, so that the loads are not optimised away.
func (c *standings) warmIDs(us []int32) uint32 {
	var sink uint32
	for _, u := range us {
		sink += c.rec(u).ref
	}
	for _, u := range us {
		if r := c.rec(u); r.short[inlineMax] == longID {
			sink += uint32(c.arena.chunks[r.ref>>arenaChunkBits][r.ref&arenaChunkMask])
		}
	}
	return sink
}

// appendEntries appends the entries of users us, with values G gs, to
// text, each after a comma unless *first (which it clears).
func (c *standings) appendEntries(text []byte, us []int32, gs []float64, first *bool, f *entryFormat) ([]byte, error) {
	for i, u := range us {
		if !*first {
			text = append(text, ',')
		}
		*first = false
		r := c.rec(u)
		var err error
		g := gs[i]
		text, err = f.appendEntry(text, r.id(&c.arena, &f.digits), scale(g, c.exponentAt(float64(r.last))), r.last, g)
		if err != nil {
			return text, err
		}
	}
	return text, nil
}

// entryFormat formats entries as one json.Encoder (HTML escaping off)
// would; each save worker has its own. It keeps the text of the last
// score, last update and G it wrote: ties are neighbours in rank order, so
// on a board of integer points nearly every entry repeats the score and G
// of the one before (and often its last update), and copying their text
// costs a fraction of formatting them again.
type entryFormat struct {
	enc            *json.Encoder // for ids that need escaping, into buf
	buf            bytes.Buffer
	digits         idBuf // a numeric id's digits
	score, last, g lastText
}

func newEntryFormat() *entryFormat {
	f := &entryFormat{}
	f.enc = json.NewEncoder(&f.buf)
	f.enc.SetEscapeHTML(false)
	return f
}

// appendEntry appends what the encoder would write for the entry (without
// its newline): numbers and plain ASCII ids are formatted here, as
// encoding/json formats them (TestAppendEntryMatchesEncodingJSON), and ids
// that need escaping are quoted by the encoder.
func (f *entryFormat) appendEntry(b []byte, id []byte, score float64, last int64, g float64) ([]byte, error) {
	b = append(b, `{"user_id":`...)
	if plainJSON(id) {
		b = append(b, '"')
		b = append(b, id...)
		b = append(b, '"')
	} else {
		f.buf.Reset()
		if err := f.enc.Encode(unsafe.String(unsafe.SliceData(id), len(id))); err != nil {
			return b, err
		}
		b = append(b, f.buf.Bytes()[:f.buf.Len()-1]...)
	}
	b = append(b, `,"score":`...)
	// Floats by their bits, not ==: 0 and -0 are written apart.
	b, err := f.score.append(b, math.Float64bits(score), func(b []byte) ([]byte, error) { return appendJSONFloat(b, score) })
	if err != nil {
		return b, err
	}
	b = append(b, `,"last_update":`...)
	b, _ = f.last.append(b, uint64(last), func(b []byte) ([]byte, error) { return strconv.AppendInt(b, last, 10), nil })
	b = append(b, `,"g":`...)
	b, err = f.g.append(b, math.Float64bits(g), func(b []byte) ([]byte, error) { return appendJSONFloat(b, g) })
	return append(b, '}'), err
}

// lastText is the last value an entryFormat wrote in one field, by its
// bits, and its text.
type lastText struct {
	bits uint64
	text []byte // nil until a value is written
}

// append appends the text of the value with these bits, which format
// appends to its argument, unless it is the last value.
func (m *lastText) append(b []byte, bits uint64, format func([]byte) ([]byte, error)) ([]byte, error) {
	if m.text != nil && bits == m.bits {
		return append(b, m.text...), nil
	}
	start := len(b)
	b, err := format(b)
	if err == nil {
		m.bits, m.text = bits, append(m.text[:0], b[start:]...)
	}
	return b, err
}

// plainJSON reports whether id is printable ASCII that a JSON string holds
// unescaped.
func plainJSON(id []byte) bool {
	for _, c := range id {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// appendJSONFloat formats f as encoding/json does (ES6 number style).
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 → e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// ReadSnapshot replaces the board's contents, decay factor and max users
// with those of the snapshot read from r. Input that is not a well-formed
// snapshot (see the package's snapshot format) yields an error wrapping
// ErrSnapshot, and input longer than MaxSnapshotSize one that also wraps
// ErrSnapshotTooLarge (reading stops there); on any error the board is
// unchanged. When the snapshot holds more entries than its max_users, the
// top max_users are kept. The snapshot is decoded entry by entry into a
// new board, swapped in when complete: a load needs about one board's
// memory beside the current one.
func (b *Board) ReadSnapshot(r io.Reader) error {
	def := b.loadDefaults()
	def.size = inMemorySize(r)
	c, err := readStandings(r, def)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.standings = *c
	b.mu.Unlock()
	return nil
}

// inMemorySize returns the unread length of a snapshot held in memory (a
// bytes.Reader, bytes.Buffer or strings.Reader), else 0 (unknown). Like a
// file's length for Load, it sizes the new board's index and keys once:
// grown step by step instead, each step copies and clears them in passes
// the runtime cannot preempt, and reading 10M users from memory took
// 7.5-8.6 s instead of 2.9-3.4 s.
func inMemorySize(r io.Reader) int64 {
	switch r := r.(type) {
	case *bytes.Reader:
		return int64(r.Len())
	case *bytes.Buffer:
		return int64(r.Len())
	case *strings.Reader:
		return int64(r.Len())
	}
	return 0
}

func snapshotErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrSnapshot}, args...)...)
}

// parseInt accepts a JSON number literal that is an integer in int64 range.
func parseInt(raw json.RawMessage) (int64, bool) {
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return 0, false
	}
	// Up to 18 digits cannot overflow: summed here, as every entry's
	// last_update is, without strconv's generality.
	neg := raw[0] == '-'
	digits := raw
	if neg {
		digits = raw[1:]
	}
	if len(digits) > 0 && len(digits) <= 18 {
		var v int64
		for _, c := range digits {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int64(c-'0')
		}
		if neg {
			v = -v
		}
		return v, true
	}
	v, err := strconv.ParseInt(string(raw), 10, 64)
	return v, err == nil
}

// readStandings decodes a snapshot from r, entry by entry, into new
// standings. Users go straight into the new user table and index (which
// also finds duplicate ids); their G is settled once the whole top level
// is known, since nothing orders its keys; then they are sorted and the
// tree is built in one pass.
//
// The tie-break policy is the file's "tie_break" (see ties.go), or tie when
// the file has none (the original's files, and this package's for
// TieByUserID boards). Under TieEarliest the entries' order in the file,
// which is rank order, is their arrival order among equal values.
func readStandings(r io.Reader, def loadDefaults) (*standings, error) {
	return readStandingsFrom(r, def, true)
}

// readStandingsFrom is readStandings; with stream, every board's entries
// (the top level's and its windows') are read by entryStream rather than
// through the JSON decoder. It builds the board without huge-page advice,
// then advises what it built, so that khugepaged merges the load's small
// pages in the background (hugepages_linux.go).
func readStandingsFrom(r io.Reader, def loadDefaults, stream bool) (*standings, error) {
	resume := pauseHugePages()
	c, err := decodeStandings(r, def, stream)
	resume()
	if err == nil {
		c.adviseBuilt()
	}
	return c, err
}

// adviseBuilt advises the chunks holding c's nodes, records, ids and index,
// and its windows'.
func (c *standings) adviseBuilt() {
	for _, lf := range c.leaves {
		hugePages(lf)
	}
	for _, nd := range c.inners {
		hugePages(nd)
	}
	for _, ch := range c.uchunks {
		hugePages(ch)
	}
	for _, ch := range c.arena.chunks {
		hugePagesFor(ch)
	}
	hugePagesFor(c.buckets)
	for _, w := range c.windows {
		w.board.adviseBuilt()
	}
}

// decodeStandings is readStandingsFrom's reading and building.
func decodeStandings(r io.Reader, def loadDefaults, stream bool) (*standings, error) {
	src := &snapshotReader{r: r, limit: maxSnapshotBytes}
	in := &snapshotInput{dec: json.NewDecoder(src), size: def.size}
	if stream {
		in.src = src
	}
	c, err := decodeBoard(in, def.tie, true, 0)
	if err == nil && c.windows == nil {
		c.origin = def.origin
		c.windows = c.newWindows(def.windows)
	}
	if src.err != nil {
		if errors.Is(src.err, ErrSnapshotTooLarge) || errors.Is(src.err, errNotUTF8) {
			return nil, fmt.Errorf("%w: %w", ErrSnapshot, src.err)
		}
		return nil, fmt.Errorf("leaderboard: read snapshot: %w", src.err)
	}
	return c, err
}

// snapshotInput is what a snapshot is read through: dec, and with src (the
// input after what dec has buffered), every board's entries are read from
// the stream directly (entryStream), which then replaces both with what
// follows the entries. Whoever reads the snapshot reads through dec as it
// is at the time: a field's reader may have replaced it.
type snapshotInput struct {
	dec  *json.Decoder
	src  io.Reader // nil: entries are read through dec
	size int64     // the whole input's length in bytes, 0 if unknown
}

// decodeBoard decodes one snapshot object from in: the whole input when
// top, a window's board (which has no windows of its own) otherwise. users
// is how many entries the board is said to hold (a window's "users"), 0 if
// unknown.
func decodeBoard(in *snapshotInput, tie TieBreak, top bool, users int) (*standings, error) {
	tok, err := in.dec.Token()
	if err == io.EOF {
		return nil, snapshotErr("empty input")
	}
	if err != nil {
		return nil, snapshotErr("%v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, snapshotErr("not an object")
	}
	var (
		decay           *float64
		maxRaw, landRaw json.RawMessage
		originRaw       json.RawMessage
		windows         []*window
		ld              loader
		sawEntries      bool
		landmarkFirst   bool
	)
	ld.c = &standings{userTable: newUserTable()}
	for in.dec.More() {
		tok, err := in.dec.Token()
		if err != nil {
			return nil, snapshotErr("%v", err)
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		// encoding/json matches field names regardless of case.
		switch {
		case strings.EqualFold(name, "entries"):
			if sawEntries {
				return nil, snapshotErr("entries given twice")
			}
			landmarkFirst = landRaw != nil
			var present bool
			var err error
			if in.src != nil {
				present, err = ld.entryStream(in, top, users, landmarkFirst)
			} else {
				present, err = ld.entries(in.dec, landmarkFirst)
			}
			if err != nil {
				return nil, err
			}
			sawEntries = present
			continue
		case top && strings.EqualFold(name, "windows"):
			if windows != nil {
				return nil, snapshotErr("windows given twice")
			}
			if windows, err = decodeWindows(in, tie); err != nil {
				return nil, err
			}
			continue
		case strings.EqualFold(name, "decay_factor"):
			if err := in.dec.Decode(&raw); err != nil {
				return nil, snapshotErr("%v", err)
			}
			if err := json.Unmarshal(raw, &decay); err != nil {
				return nil, snapshotErr("decay_factor: %v", err)
			}
			continue
		}
		if err := in.dec.Decode(&raw); err != nil {
			return nil, snapshotErr("%v", err)
		}
		switch {
		case strings.EqualFold(name, "max_users"):
			maxRaw = raw
		case strings.EqualFold(name, "landmark"):
			landRaw = raw
			if string(raw) == "null" {
				landRaw = nil
			}
		case top && strings.EqualFold(name, "window_origin"):
			originRaw = raw
		case strings.EqualFold(name, "tie_break"):
			var tb string
			if err := json.Unmarshal(raw, &tb); err != nil {
				return nil, snapshotErr("tie_break %s is not a string", raw)
			}
			if tie, err = ParseTieBreak(tb); err != nil {
				return nil, snapshotErr("tie_break: %v", err)
			}
		}
	}
	if _, err := in.dec.Token(); err != nil {
		return nil, snapshotErr("%v", err)
	}
	if top {
		if _, err := in.dec.Token(); err != io.EOF {
			return nil, snapshotErr("data after the snapshot")
		}
	}
	switch {
	case decay == nil:
		return nil, snapshotErr("missing decay_factor")
	case maxRaw == nil:
		return nil, snapshotErr("missing max_users")
	case !sawEntries:
		return nil, snapshotErr("missing entries")
	}
	maxUsers, ok := parseInt(maxRaw)
	if !ok || maxUsers < 0 || maxUsers > math.MaxInt {
		return nil, snapshotErr("max_users %s is not a non-negative integer", maxRaw)
	}
	c, err := newStandings(*decay, int(maxUsers))
	if err != nil {
		return nil, snapshotErr("decay_factor %v: %v", *decay, err)
	}
	c.tieBreak = tie
	exact := landRaw != nil
	if exact {
		l, ok := parseInt(landRaw)
		if !ok {
			return nil, snapshotErr("landmark %s is not an integer", landRaw)
		}
		if err := c.checkFuture(l); err != nil {
			return nil, fmt.Errorf("%w: landmark: %w", ErrSnapshot, err)
		}
		c.landmark = l
	}
	c.userTable, c.userIndex = ld.c.userTable, ld.c.userIndex
	n := int(c.uhigh)
	// The horizon rule of Update: a last_update beyond it (as with a
	// timestamp in milliseconds) would, as the landmark, zero every other
	// entry, so the file is refused rather than loaded wrong.
	for u := range int32(n) {
		if err := c.checkFuture(c.rec(u).last); err != nil {
			return nil, fmt.Errorf("%w: entry %q: %w", ErrSnapshot, c.id(u), err)
		}
	}
	// Without a landmark in the file it is the latest last_update, so every
	// weight is at most 1.
	if !exact && n > 0 {
		c.landmark = c.rec(0).last
		for u := range int32(n) {
			c.landmark = max(c.landmark, c.rec(u).last)
		}
	}
	// The users whose G the file gave, after the landmark, were keyed as
	// they were added; the others' G comes from their score, now that the
	// landmark is known.
	keys := ld.keys
	setKey := func(u int32) {
		g := keys[u].g // the entry's score, until it is keyed
		switch {
		case exact && landmarkFirst && !ld.fromScore(u):
			return
		case exact && !landmarkFirst && !math.IsNaN(ld.gAside[u]):
			g = ld.gAside[u]
		default:
			g = scale(g, -c.exponentAt(float64(c.rec(u).last)))
		}
		keys[u] = key{g, c.prefix(u), u}
	}
	fromScores := slices.ContainsFunc(ld.needConv, func(bits uint64) bool { return bits != 0 })
	if fromScores || !exact { // without a landmark every G comes from a score
		// Each key is its own (an exponential and, for a numeric id, its
		// digits formatted again): half of them on another core.
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := int32(n / 2); u < int32(n); u++ {
				setKey(u)
			}
		}()
		for u := range int32(n / 2) {
			setKey(u)
		}
		wg.Wait()
	}
	if tie == TieEarliest {
		for u := range keys {
			keys[u].p = uint64(u) + 1 // users were added in file order
		}
	}
	ld = loader{}
	slices.SortFunc(keys, c.compare)
	if c.maxUsers > 0 && len(keys) > c.maxUsers {
		for _, k := range keys[c.maxUsers:] {
			var buf idBuf
			c.indexDelete(k.u, hashID(c.idIn(k.u, &buf)))
			c.freeUser(k.u)
		}
		keys = keys[:c.maxUsers]
	}
	c.buildTree(keys)
	if tie == TieEarliest {
		c.seq = uint64(n)
	}
	if windows != nil {
		if err := c.adoptWindows(windows, originRaw); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// loader holds the users decoded so far and what settles their G.
type loader struct {
	c        *standings
	needConv []uint64  // bit u: user u's G comes from its score
	gAside   []float64 // per user, its "g" (NaN if none), when the landmark follows the entries
	keys     []key     // per user, its key in the tree once its G is known (not if fromScore)
}

func (ld *loader) fromScore(u int32) bool { return ld.needConv[u>>6]&(1<<(u&63)) != 0 }

// entries decodes the value of "entries", adding each entry as a user, and
// reports whether it was present (not null).
func (ld *loader) entries(dec *json.Decoder, landmarkFirst bool) (bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return false, snapshotErr("entries: %v", err)
	}
	if tok == nil {
		return false, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return false, snapshotErr("entries is not an array")
	}
	var raw json.RawMessage // reused: each entry's bytes, checked JSON
	var fast plainEntry
	for i := 0; dec.More(); i++ {
		if err := dec.Decode(&raw); err != nil {
			return false, snapshotErr("entry %d: %v", i, err)
		}
		e, err := fast.decode(raw, i)
		if err == nil {
			err = ld.add(&e, i, landmarkFirst)
		}
		if err != nil {
			return false, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return false, snapshotErr("entries: %v", err)
	}
	return true, nil
}

// decodedEntry is one entry of the file, checked and parsed, as the loader
// adds it: id refers to the bytes it was read from.
type decodedEntry struct {
	id    string
	hash  uint64
	score float64
	g     float64 // the entry's "g", if hasG
	hasG  bool
	last  int64
}

// decode checks entry i, it, and parses what add needs from it.
func (it *snapshotItem) decode(i int) (decodedEntry, error) {
	if it == nil || it.UserID == nil || it.Score == nil || it.LastUpdate == nil {
		return decodedEntry{}, snapshotErr("entry %d: user_id, score and last_update are required", i)
	}
	last, ok := parseInt(it.LastUpdate)
	if !ok {
		return decodedEntry{}, snapshotErr("entry %d: last_update %s is not an integer", i, it.LastUpdate)
	}
	if i >= maxUserSlots-1 {
		return decodedEntry{}, snapshotErr("too many entries")
	}
	e := decodedEntry{id: *it.UserID, hash: xxhash.Sum64String(*it.UserID), score: *it.Score, last: last}
	if it.G != nil {
		e.g, e.hasG = *it.G, true
	}
	return e, nil
}

// warm loads the index buckets that adding entries will read, as
// UpdateMany's warm does: their misses overlap.
func (ld *loader) warm(entries []decodedEntry) {
	c := ld.c
	if len(c.buckets) == 0 {
		return
	}
	var sink uint32
	for k := range entries {
		sink += c.home(entries[k].hash).overflow
	}
	c.warmSink = sink
}

// add adds entry i, e, as a user.
func (ld *loader) add(e *decodedEntry, i int, landmarkFirst bool) error {
	c := ld.c
	if c.lookup(e.id, e.hash) >= 0 {
		return snapshotErr("duplicate user_id %q", e.id)
	}
	g, conv := e.score, true
	if landmarkFirst && e.hasG {
		g, conv = e.g, false
	}
	u, ok := c.newUser(e.id, e.last)
	if !ok {
		return snapshotErr("user ids exceed the board's capacity")
	}
	c.indexInsert(u, e.hash)
	if conv {
		ld.keys = append(ld.keys, key{g: g}) // the score: keyed once the landmark is known
	} else {
		ld.keys = append(ld.keys, key{g, idPrefix(e.id), u})
	}
	if u>>6 >= int32(len(ld.needConv)) {
		ld.needConv = append(ld.needConv, 0)
	}
	if conv {
		ld.needConv[u>>6] |= 1 << (u & 63)
	}
	if !landmarkFirst {
		aside := math.NaN()
		if e.hasG {
			aside = e.g
		}
		ld.gAside = append(ld.gAside, aside)
	}
	return nil
}

var errNotUTF8 = errors.New("not UTF-8")

// snapshotReader passes a snapshot through, failing with an error wrapping
// ErrSnapshotTooLarge past limit bytes and with errNotUTF8 at bytes that
// are not UTF-8 (encoding/json would quietly replace them), and keeps the
// first error it returned.
type snapshotReader struct {
	r       io.Reader
	limit   int64
	n       int64
	partial []byte // an incomplete UTF-8 sequence at the end of the last read
	err     error
}

func (s *snapshotReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	k, err := s.r.Read(p)
	s.n += int64(k)
	if s.n > s.limit {
		s.err = fmt.Errorf("%w (%d bytes)", ErrSnapshotTooLarge, s.limit)
		return 0, s.err
	}
	if !s.validUTF8(p[:k], err == io.EOF) {
		s.err = errNotUTF8
		return 0, s.err
	}
	if err != nil && err != io.EOF {
		s.err = err
	}
	return k, err
}

// validUTF8 checks b, continuing an incomplete sequence from the last
// read and keeping one at b's end for the next (or failing on it at eof).
func (s *snapshotReader) validUTF8(b []byte, eof bool) bool {
	if len(s.partial) > 0 {
		b = append(s.partial, b...)
		s.partial = nil
	}
	tail := len(b)
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				tail = i
			}
			break
		}
	}
	if !utf8.Valid(b[:tail]) {
		return false
	}
	if tail < len(b) {
		if eof {
			return false
		}
		s.partial = append([]byte(nil), b[tail:]...)
	}
	return true
}
