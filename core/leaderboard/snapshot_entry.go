package leaderboard

import (
	"encoding/json"
	"strconv"
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

// parse decodes raw, one JSON value that encoding/json has already found
// well-formed, and reports whether it could. item's id and last_update
// refer to raw until the next parse.
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
			if end == i {
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
