package leaderboard

import (
	"bufio"
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
type plainEntry struct {
	item       snapshotItem
	id         string
	score, g   float64
	lastUpdate []byte
}

// parse decodes raw, one JSON value, and reports whether it could; it
// accepts only well-formed JSON. item's id and last_update refer to raw
// until the next parse.
func (e *plainEntry) parse(raw []byte) bool {
	var seen [4]bool // user_id, score, last_update, g
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	i = skipSpace(raw, i+1)
	for {
		if i >= len(raw) || raw[i] != '"' {
			return false
		}
		key, next, ok := plainString(raw, i)
		if !ok {
			return false
		}
		i = skipSpace(raw, next)
		if i >= len(raw) || raw[i] != ':' {
			return false
		}
		i = skipSpace(raw, i+1)
		var field int
		switch string(key) {
		case "user_id":
			field = 0
		case "score":
			field = 1
		case "last_update":
			field = 2
		case "g":
			field = 3
		default:
			return false
		}
		if seen[field] {
			return false
		}
		seen[field] = true
		if field == 0 {
			if i >= len(raw) || raw[i] != '"' {
				return false
			}
			id, next, ok := plainString(raw, i)
			if !ok || !utf8.Valid(id) { // encoding/json would replace bad bytes
				return false
			}
			e.id = unsafe.String(unsafe.SliceData(id), len(id))
			i = next
		} else {
			end := numberEnd(raw, i)
			if end == i || !jsonNumber(raw[i:end]) {
				return false
			}
			num := raw[i:end]
			switch field {
			case 1, 3:
				f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(num), len(num)), 64)
				if err != nil {
					return false
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
			return false
		}
		if raw[i] == '}' {
			if skipSpace(raw, i+1) != len(raw) {
				return false
			}
			break
		}
		if raw[i] != ',' {
			return false
		}
		i = skipSpace(raw, i+1)
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return false
	}
	e.item = snapshotItem{UserID: &e.id, Score: &e.score, LastUpdate: json.RawMessage(e.lastUpdate)}
	if seen[3] {
		e.item.G = &e.g
	}
	return true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainString returns the contents of the string starting at b[i] (a
// quote) when it holds no escape, and the index after its closing quote.
func plainString(b []byte, i int) ([]byte, int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '"':
			return b[i+1 : j], j + 1, true
		case '\\':
			return nil, 0, false
		}
		if b[j] < 0x20 { // JSON has no raw control characters in strings
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// numberEnd returns the end of the JSON number at b[i] (the input is
// well-formed JSON, so a number's bytes are these), i if none starts there.
func numberEnd(b []byte, i int) int {
	j := i
	for j < len(b) {
		switch c := b[j]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			j++
			continue
		}
		break
	}
	return j
}

// jsonNumber reports whether b is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func jsonNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		k := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i - k
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// entryStream reads the value of "entries" as entries does, but from the
// bytes after what dec has consumed (dec's buffer, then src) rather than
// through dec: an entry parse accepts costs no pass of encoding/json's
// scanner, and any other is cut out (jsonValue) and left to
// json.Unmarshal. It returns a decoder of what follows the entries, in
// the state dec would be in: inside the top-level object, after a value.
func (ld *loader) entryStream(dec *json.Decoder, src io.Reader, landmarkFirst bool) (bool, *json.Decoder, error) {
	br := bufio.NewReaderSize(io.MultiReader(dec.Buffered(), src), 1<<16)
	rest := func() *json.Decoder {
		d := json.NewDecoder(io.MultiReader(strings.NewReader(`{"":0`), br))
		for range 3 { // {, "", 0
			d.Token()
		}
		return d
	}
	// dec has read the key "entries", not yet the colon after it.
	if c, err := peekNonSpace(br); err != nil || c != ':' {
		return false, nil, snapshotErr("entries: invalid character %q after object key", c)
	}
	br.ReadByte()
	c, err := peekNonSpace(br)
	switch {
	case err != nil:
		return false, nil, snapshotErr("entries: %v", unexpected(err))
	case c == 'n':
		if v, err := jsonValue(br, nil); err != nil || string(v) != "null" {
			return false, nil, snapshotErr("entries is not an array")
		}
		return false, rest(), nil
	case c != '[':
		return false, nil, snapshotErr("entries is not an array")
	}
	br.ReadByte()
	var fast plainEntry
	var buf []byte
	for i := 0; ; i++ {
		c, err := peekNonSpace(br)
		if err != nil {
			return false, nil, snapshotErr("entries: %v", unexpected(err))
		}
		if i == 0 && c == ']' {
			br.ReadByte()
			break
		}
		if buf, err = jsonValue(br, buf[:0]); err != nil {
			return false, nil, snapshotErr("entry %d: %v", i, unexpected(err))
		}
		var it *snapshotItem
		if fast.parse(buf) {
			it = &fast.item
		} else if err := json.Unmarshal(buf, &it); err != nil {
			return false, nil, snapshotErr("entry %d: %v", i, err)
		}
		if err := ld.add(it, i, landmarkFirst); err != nil {
			return false, nil, err
		}
		c, err = peekNonSpace(br)
		if err != nil {
			return false, nil, snapshotErr("entries: %v", unexpected(err))
		}
		br.ReadByte()
		if c == ']' {
			break
		}
		if c != ',' {
			return false, nil, snapshotErr("entries: invalid character %q after array element", c)
		}
	}
	return true, rest(), nil
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
