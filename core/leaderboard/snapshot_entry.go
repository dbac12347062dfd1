package leaderboard

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// plainEntry decodes, without reflection, the entries snapshots usually
// hold: {"user_id": "...", "score": x, "last_update": t, "g": y} with
// these keys (in any order, "g" optional, each once), an id without
// escapes and numbers for the rest, whitespace allowed. Anything else is
// left to encoding/json, which then decides (and words any error) as it
// always did; for what parse accepts, item is what json.Unmarshal would
// make of it (FuzzPlainEntry).
//
// With scoreIfNoG, a score the entry does not need (it has a "g", which a
// loader whose landmark came first takes instead) is checked but left
// unparsed, 0 in item, when it is a plain decimal of at most 300 bytes,
// which no float64 overflows: strconv.ParseFloat could not refuse it.
type plainEntry struct {
	item       snapshotItem
	id         string
	score, g   float64
	lastUpdate []byte
	scoreIfNoG bool
	scoreText  []byte // the score left unparsed, until the entry is known to have no "g"

	lastScore, lastG numberText
}

// numberText is the last number parsed in one field of an entry, and its
// text. A snapshot lists its entries in rank order, so ties are
// neighbours: on a board of integer points nearly every entry repeats the
// score and G of the one before, and comparing a few bytes costs a
// fraction of strconv.ParseFloat.
type numberText struct {
	text []byte // nil until a number is parsed
	f    float64
}

// parse returns num's value as strconv.ParseFloat gives it, and false
// where ParseFloat fails.
func (m *numberText) parse(num []byte) (float64, bool) {
	if m.text != nil && bytes.Equal(num, m.text) {
		return m.f, true
	}
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(num), len(num)), 64)
	if err != nil {
		return 0, false
	}
	m.text, m.f = append(m.text[:0], num...), f
	return f, true
}

// parse decodes raw, one JSON value, and reports whether it could; it
// accepts only well-formed JSON. item's id and last_update refer to raw
// until the next parse.
func (e *plainEntry) parse(raw []byte) bool {
	end, ok := e.parseObject(raw)
	return ok && skipSpace(raw, end) == len(raw)
}

// parseObject is parse for the JSON value that raw starts with (after
// optional whitespace), whatever follows it: it reports where the value
// ends. A value cut short by the end of raw is not parsed: every field must
// be followed by its ',' or '}' within raw.
func (e *plainEntry) parseObject(raw []byte) (int, bool) {
	if end, ok := e.parseSaved(raw); ok {
		return end, true
	}
	var seen [4]bool // user_id, score, last_update, g
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return 0, false
	}
	i = skipSpace(raw, i+1)
	for {
		if i >= len(raw) || raw[i] != '"' {
			return 0, false
		}
		field, next := entryKey(raw, i)
		if field < 0 {
			return 0, false
		}
		i = skipSpace(raw, next)
		if i >= len(raw) || raw[i] != ':' {
			return 0, false
		}
		i = skipSpace(raw, i+1)
		if seen[field] {
			return 0, false
		}
		seen[field] = true
		if field == 0 {
			if i >= len(raw) || raw[i] != '"' {
				return 0, false
			}
			id, next, ascii := plainString(raw, i)
			if next == 0 || !ascii && !utf8.Valid(id) { // encoding/json would replace bad bytes
				return 0, false
			}
			e.id = unsafe.String(unsafe.SliceData(id), len(id))
			i = next
		} else {
			end := numberEnd(raw, i)
			if end == i {
				return 0, false
			}
			num := raw[i:end]
			switch field {
			case 1:
				if e.lazyScore(num) {
					e.scoreText, e.score = num, 0
					break
				}
				e.scoreText = nil
				fallthrough
			case 3:
				memo := &e.lastG
				if field == 1 {
					memo = &e.lastScore
				}
				f, ok := memo.parse(num)
				if !ok {
					return 0, false
				}
				if field == 1 {
					e.score = f
				} else {
					e.g = f
				}
			case 2:
				e.lastUpdate = num
			}
			i = end
		}
		i = skipSpace(raw, i)
		if i >= len(raw) {
			return 0, false
		}
		if raw[i] == '}' {
			i++
			break
		}
		if raw[i] != ',' {
			return 0, false
		}
		i = skipSpace(raw, i+1)
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return 0, false
	}
	if e.scoreText != nil && !seen[3] {
		f, ok := e.lastScore.parse(e.scoreText)
		if !ok {
			return 0, false
		}
		e.score = f
	}
	e.setItem(seen[3])
	return i, true
}

// setItem points item at the fields parsed.
func (e *plainEntry) setItem(hasG bool) {
	e.item = snapshotItem{UserID: &e.id, Score: &e.score, LastUpdate: json.RawMessage(e.lastUpdate)}
	if hasG {
		e.item.G = &e.g
	}
}

// lazyScore reports whether num, a score, may be left unparsed should the
// entry have a "g" (see plainEntry).
func (e *plainEntry) lazyScore(num []byte) bool {
	return e.scoreIfNoG && len(num) <= 300 && bytes.IndexByte(num, 'e') < 0 && bytes.IndexByte(num, 'E') < 0
}

// savedLayout is what a save writes around an entry's values
// (entryFormat.appendEntry): {"user_id":"…","score":…,"last_update":…,"g":…}.
var savedLayout = [...]string{`{"user_id":`, `,"score":`, `,"last_update":`, `,"g":`}

// parseSaved is parseObject for an entry written exactly as a save writes
// it, with a plain id: it compares the layout's bytes where parseObject
// matches keys and skips whitespace. It reports false for any other entry,
// which parseObject then reads in general.
func (e *plainEntry) parseSaved(raw []byte) (int, bool) {
	i := len(savedLayout[0])
	if len(raw) <= i || string(raw[:i]) != savedLayout[0] || raw[i] != '"' {
		return 0, false
	}
	id, i, ascii := plainString(raw, i)
	if i == 0 || !ascii && !utf8.Valid(id) {
		return 0, false
	}
	score, i := numberAfter(raw, i, savedLayout[1])
	last, i := numberAfter(raw, i, savedLayout[2])
	g, i := numberAfter(raw, i, savedLayout[3])
	if g == nil || i >= len(raw) || raw[i] != '}' {
		return 0, false
	}
	var ok bool
	if e.g, ok = e.lastG.parse(g); !ok {
		return 0, false
	}
	if e.lazyScore(score) {
		e.score = 0
	} else if e.score, ok = e.lastScore.parse(score); !ok {
		return 0, false
	}
	e.id = unsafe.String(unsafe.SliceData(id), len(id))
	e.lastUpdate = last
	e.setItem(true)
	return i + 1, true
}

// numberAfter returns the JSON number that follows lead at b[i:], and the
// index after it; nil if there is none (or i is 0, a failure before).
func numberAfter(b []byte, i int, lead string) ([]byte, int) {
	if i == 0 || len(b)-i < len(lead) || string(b[i:i+len(lead)]) != lead {
		return nil, 0
	}
	i += len(lead)
	end := numberEnd(b, i)
	if end == i {
		return nil, 0
	}
	return b[i:end], end
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// entryKeys are the keys of a plain entry, quoted, in the order of its fields.
var entryKeys = [...]string{`"user_id"`, `"score"`, `"last_update"`, `"g"`}

// entryKey returns which of entryKeys the string at b[i] is, and the index
// after it; -1 for any other string (one with escapes included).
func entryKey(b []byte, i int) (int, int) {
	if i+1 >= len(b) {
		return -1, 0
	}
	var field int
	switch b[i+1] { // the keys differ in their first letter
	case 'u':
		field = 0
	case 's':
		field = 1
	case 'l':
		field = 2
	case 'g':
		field = 3
	default:
		return -1, 0
	}
	key := entryKeys[field]
	if len(b)-i < len(key) || string(b[i:i+len(key)]) != key {
		return -1, 0
	}
	return field, i + len(key)
}

// plainString returns the contents of the string starting at b[i] (a
// quote) when it holds no escape, the index after its closing quote, and
// whether its bytes are all ASCII; the index is 0 for any other string.
func plainString(b []byte, i int) ([]byte, int, bool) {
	var high byte
	for j := i + 1; j < len(b); j++ {
		c := b[j]
		switch {
		case c == '"':
			return b[i+1 : j], j + 1, high < 0x80
		case c == '\\' || c < 0x20: // JSON has no raw control characters in strings
			return nil, 0, false
		}
		high |= c
	}
	return nil, 0, false
}

// numberEnd returns the end of the JSON number at b[i],
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, or i if none starts
// there. A byte after it that would continue a number in another grammar
// (as in 01 or 1-2) is not consumed: the caller refuses what follows.
func numberEnd(b []byte, i int) int {
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	if j < len(b) && b[j] == '0' {
		j++
	} else if k := digitsEnd(b, j); k > j {
		j = k
	} else {
		return i
	}
	if j < len(b) && b[j] == '.' {
		k := digitsEnd(b, j+1)
		if k == j+1 {
			return i
		}
		j = k
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := digitsEnd(b, j)
		if k == j {
			return i
		}
		j = k
	}
	return j
}

// digitsEnd returns the end of the run of decimal digits at b[j].
func digitsEnd(b []byte, j int) int {
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	return j
}

// entryStream reads the value of "entries" as entries does, but from the
// bytes after what in.dec has consumed (its buffer, then in.src) rather
// than through the decoder: an entry parse accepts costs no pass of
// encoding/json's scanner, and any other is cut out (jsonValue) and left
// to json.Unmarshal. Reading and parsing run on a goroutine of their own
// (entryReader), a batch ahead of the users being added, so that a load
// keeps two cores busy. It then makes in a decoder of what follows the
// entries, in the state in.dec would be in: inside the top-level object
// (top) or inside a window's board, after a value.
// The index and the keys are sized at once rather than grown at each
// doubling: for users, how many entries a window's board is said to hold
// (see usersToReserve); for the top level, with the input's length in
// bytes known, from the first batch's bytes per entry.
func (ld *loader) entryStream(in *snapshotInput, top bool, users int, landmarkFirst bool) (bool, error) {
	br := bufio.NewReaderSize(io.MultiReader(in.dec.Buffered(), in.src), 1<<16)
	rest := func() {
		nesting := entriesNesting(top)
		d := json.NewDecoder(io.MultiReader(strings.NewReader(nesting), br))
		for d.InputOffset() < int64(len(nesting)) {
			if _, err := d.Token(); err != nil {
				break // not reached: nesting is valid JSON
			}
		}
		in.dec, in.src = d, br
	}
	// in.dec has read the key "entries", not yet the colon after it.
	if c, err := peekNonSpace(br); err != nil || c != ':' {
		return false, snapshotErr("entries: invalid character %q after object key", c)
	}
	br.ReadByte()
	c, err := peekNonSpace(br)
	switch {
	case err != nil:
		return false, snapshotErr("entries: %v", unexpected(err))
	case c == 'n':
		if v, err := jsonValue(br, nil); err != nil || string(v) != "null" {
			return false, snapshotErr("entries is not an array")
		}
		rest()
		return false, nil
	case c != '[':
		return false, snapshotErr("entries is not an array")
	}
	br.ReadByte()
	if n := usersToReserve(users, in.size); n > 0 {
		ld.c.userIndex.reserve(&ld.c.userTable, n)
		ld.keys = grownKeys(ld.keys, n)
	}
	rd := newEntryReader(br)
	go rd.run(landmarkFirst)
	defer rd.stop() // on an error here: the reader ends before br is dropped
	i := 0
	for b := range rd.full {
		if i == 0 && top && in.size > 0 && len(b.entries) == entryBatchSize {
			// Entries differ little in length; aim a little low, since an
			// index one doubling too large stays too large.
			expect := int(min(in.size/int64(b.bytes)*entryBatchSize*19/20, maxUserSlots))
			ld.c.userIndex.reserve(&ld.c.userTable, expect)
			ld.keys = grownKeys(ld.keys, expect*11/10)
		}
		for lo := 0; lo < len(b.entries); lo += warmRun {
			run := b.entries[lo:min(lo+warmRun, len(b.entries))]
			ld.warm(run)
			for k := range run {
				if err := ld.add(&run[k], i, landmarkFirst); err != nil {
					return false, err
				}
				i++
			}
		}
		if b.err != nil {
			return false, b.err
		}
		rd.free <- b
	}
	rest()
	return true, nil
}

// minEntryBytes is the length of the shortest entry a snapshot can hold,
// {"user_id":"","score":0,"last_update":0}, with the comma after it.
const minEntryBytes = 41

// usersToReserve returns how many users to size a board's index and keys
// for when its snapshot says it holds users, the input being size bytes
// long (0 if unknown): no more than the input can hold, nor than 2^20
// without a length, so that a wrong or hostile count costs little memory;
// 0 when there is none to go by.
func usersToReserve(users int, size int64) int {
	if size > 0 {
		return int(min(int64(users), size/minEntryBytes))
	}
	return min(users, 1<<20)
}

// entriesNesting returns the JSON that opens what a board's entries lie in,
// each object with a value begun: the top-level object; or, for a window's
// board, the top level, its windows array, a window and the board. A
// decoder that has read it is where one is after an entries array.
func entriesNesting(top bool) string {
	if top {
		return `{"":0`
	}
	return `{"":[{"":{"":0`
}

// entryBatchSize is how many entries an entryReader hands over at a time.
const entryBatchSize = 1024

// entryBatch is a run of entries decoded by an entryReader; err, on its last
// batch, is the error that ended the reading, after these entries.
type entryBatch struct {
	entries []decodedEntry
	ends    []int  // where each entry's id ends in text
	text    []byte // the entries' ids
	bytes   int    // the entries' length in the input, with what follows each
	err     error
}

// entryReader reads the elements of the entries array from br, after its
// '[' up to and including its ']', decoding each (plainEntry, else
// encoding/json) into batches sent on full, in file order; the last batch
// sent ends the array or carries the error. Batches come back on free.
type entryReader struct {
	br   *bufio.Reader
	full chan *entryBatch // closed when the reader is done with br
	free chan *entryBatch
	quit chan struct{} // closed by stop: the loader wants no more
}

func newEntryReader(br *bufio.Reader) *entryReader {
	const ahead = 4
	rd := &entryReader{
		br:   br,
		full: make(chan *entryBatch, ahead),
		free: make(chan *entryBatch, ahead+2),
		quit: make(chan struct{}),
	}
	for range ahead + 2 {
		rd.free <- &entryBatch{entries: make([]decodedEntry, 0, entryBatchSize), ends: make([]int, 0, entryBatchSize)}
	}
	return rd
}

// stop tells the reader to end, and waits until it has.
func (rd *entryReader) stop() {
	close(rd.quit)
	for range rd.full {
	}
}

// run reads the entries; with landmarkFirst the loader takes the G of an
// entry that has one, not its score.
func (rd *entryReader) run(landmarkFirst bool) {
	defer close(rd.full)
	b := <-rd.free
	send := func() bool {
		for k := range b.entries {
			start := 0
			if k > 0 {
				start = b.ends[k-1]
			}
			id := b.text[start:b.ends[k]]
			b.entries[k].id = unsafe.String(unsafe.SliceData(id), len(id))
		}
		select {
		case rd.full <- b:
		case <-rd.quit:
			return false
		}
		select {
		case b = <-rd.free:
		case <-rd.quit:
			return false
		}
		b.entries, b.ends, b.text, b.bytes, b.err = b.entries[:0], b.ends[:0], b.text[:0], 0, nil
		return true
	}
	defer func() {
		// A panic here would end the process; the caller gets it as an error.
		if r := recover(); r != nil {
			b.err = fmt.Errorf("leaderboard: reading snapshot entries: %v", r)
			send()
		}
	}()
	fast := plainEntry{scoreIfNoG: landmarkFirst}
	var buf []byte
	for i := 0; ; i++ {
		if err := rd.next(i, &fast, &buf, b); err != nil {
			if err != io.EOF { // io.EOF: the array ended
				b.err = err
			}
			send()
			return
		}
		if len(b.entries) == entryBatchSize && !send() {
			return
		}
	}
}

// cutEntry reads entry i from br when it is not a plain entry wholly in
// br's buffer: cut out (jsonValue) into buf, then decoded.
func cutEntry(br *bufio.Reader, i int, buf *[]byte, fast *plainEntry) (decodedEntry, error) {
	var err error
	if *buf, err = jsonValue(br, (*buf)[:0]); err != nil {
		return decodedEntry{}, snapshotErr("entry %d: %v", i, unexpected(err))
	}
	return fast.decode(*buf, i)
}

// decode checks and parses raw, entry i (one JSON value): by parse, or,
// for what parse does not accept, by encoding/json, which then words any
// error.
func (e *plainEntry) decode(raw []byte, i int) (decodedEntry, error) {
	if e.parse(raw) {
		return e.item.decode(i)
	}
	var it *snapshotItem
	if err := json.Unmarshal(raw, &it); err != nil {
		return decodedEntry{}, snapshotErr("entry %d: %v", i, err)
	}
	return it.decode(i)
}

// next reads entry i, the array's next element, into b, or returns io.EOF
// at the array's end and any other error for what is not a valid entry.
func (rd *entryReader) next(i int, fast *plainEntry, buf *[]byte, b *entryBatch) error {
	br := rd.br
	if i == 0 {
		c, err := peekNonSpace(br)
		if err != nil {
			return snapshotErr("entries: %v", unexpected(err))
		}
		if c == ']' {
			br.ReadByte()
			return io.EOF
		}
	}
	// Usually the entry, and the ',' or ']' after it, are wholly in br's
	// buffer: parsed in place.
	window, _ := br.Peek(br.Buffered())
	n, inPlace := fast.parseObject(window)
	var e decodedEntry
	var err error
	if inPlace {
		e, err = fast.item.decode(i)
	} else {
		if _, err := peekNonSpace(br); err != nil {
			return snapshotErr("entries: %v", unexpected(err))
		}
		e, err = cutEntry(br, i, buf, fast)
		n = len(*buf)
	}
	b.bytes += n + 1 // and its ',' (whitespace is not counted)
	if err != nil {
		return err
	}
	b.text = append(b.text, e.id...) // before the buffer that e.id may refer to moves on
	b.ends = append(b.ends, len(b.text))
	b.entries = append(b.entries, e)
	if inPlace {
		if j := skipSpace(window, n); j < len(window) && (window[j] == ',' || window[j] == ']') {
			br.Discard(j + 1)
			if window[j] == ']' {
				return io.EOF
			}
			return nil
		}
		br.Discard(n)
	}
	c, err := peekNonSpace(br)
	if err != nil {
		return snapshotErr("entries: %v", unexpected(err))
	}
	br.ReadByte()
	if c == ']' {
		return io.EOF
	}
	if c != ',' {
		return snapshotErr("entries: invalid character %q after array element", c)
	}
	return nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// peekNonSpace skips JSON whitespace and returns the next byte, unread.
func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			br.UnreadByte()
			return c, nil
		}
	}
}

// jsonValue appends to buf the bytes of the JSON value starting at br's
// next byte (not whitespace): up to its matching bracket for an object or
// array, its closing quote for a string, else up to the next delimiter.
// It checks only the nesting; json.Unmarshal or parse checks the rest. It
// scans what br holds buffered a window at a time, not a ReadByte per byte.
func jsonValue(br *bufio.Reader, buf []byte) ([]byte, error) {
	s := valueScan{started: len(buf) > 0}
	for {
		if br.Buffered() == 0 {
			if _, err := br.Peek(1); err != nil {
				return buf, err
			}
		}
		window, _ := br.Peek(br.Buffered())
		n, done, err := s.scan(window)
		buf = append(buf, window[:n]...)
		br.Discard(n)
		if err != nil || done {
			return buf, err
		}
	}
}

// valueScan is jsonValue's state between windows.
type valueScan struct {
	depth                      int
	inString, escaped, started bool
}

// scan consumes the bytes of w that belong to the value: how many, and
// whether the value ended within them. A delimiter that ends a scalar is
// not consumed; a closing quote or bracket that ends the value is.
func (s *valueScan) scan(w []byte) (int, bool, error) {
	for i, c := range w {
		if s.depth == 0 && !s.inString {
			switch c {
			case ',', ']', '}', ' ', '\t', '\n', '\r':
				if !s.started {
					return i, false, fmt.Errorf("invalid character %q looking for beginning of value", c)
				}
				return i, true, nil
			}
		}
		s.started = true
		switch {
		case s.inString:
			switch {
			case s.escaped:
				s.escaped = false
			case c == '\\':
				s.escaped = true
			case c == '"':
				s.inString = false
				if s.depth == 0 {
					return i + 1, true, nil
				}
			}
		case c == '"':
			s.inString = true
		case c == '{' || c == '[':
			s.depth++
		case c == '}' || c == ']':
			s.depth--
			if s.depth < 0 {
				return i + 1, false, fmt.Errorf("invalid character %q looking for beginning of value", c)
			}
			if s.depth == 0 {
				return i + 1, true, nil
			}
		}
	}
	return len(w), false, nil
}

// grownKeys returns keys with room for n more, like slices.Grow but
// without clearing the room in one pass. That pass cannot be preempted;
// over the room for 10M users (hundreds of megabytes of new pages) it
// took over a second, during which the collector, starting a cycle, spun
// on the other core waiting to stop it and the reader got no core. make
// zeroes only memory the heap reuses, and in preemptible steps; pages new
// from the system are touched as the load fills them.
func grownKeys(keys []key, n int) []key {
	if cap(keys)-len(keys) >= n {
		return keys
	}
	grown := make([]key, len(keys), len(keys)+n)
	copy(grown, keys)
	return grown
}
