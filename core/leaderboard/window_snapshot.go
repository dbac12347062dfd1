package leaderboard

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// Windows in snapshots. A board with windows adds two top-level fields,
// which the original's readers ignore:
//
//	"window_origin": origin,
//	"windows": [{"name": s, "length": seconds, "period": k,
//	             "board": {a snapshot of the window's board, without windows}}, ...]
//
// where period k is the index of the period the window holds (timestamps
// in [origin + k·length, origin + (k+1)·length)). A snapshot without
// "windows" (the original's, or one of a board without windows) loaded
// into a board with windows keeps the loading board's windows, empty.

// loadDefaults is what a load keeps of the loading board when the file
// does not say: its tie-break policy and its windows; and the file's size
// in bytes, when known (0 if not), from which the load sizes its index.
type loadDefaults struct {
	tie     TieBreak
	windows []Window
	origin  int64
	size    int64
}

func (b *Board) loadDefaults() loadDefaults {
	b.mu.RLock()
	defer b.mu.RUnlock()
	d := loadDefaults{tie: b.tieBreak, origin: b.origin}
	for _, w := range b.windows {
		d.windows = append(d.windows, w.Window)
	}
	return d
}

// writeWindows writes the window_origin and windows fields, each window's
// board streamed as the board's own entries are. The caller holds the
// board's read lock, under which no window changes (updates reach windows
// under the board's write lock).
func (c *standings) writeWindows(bw *bufio.Writer, enc *json.Encoder, buf *bytes.Buffer) error {
	bw.WriteString(`,"window_origin":`)
	bw.WriteString(strconv.FormatInt(c.origin, 10))
	bw.WriteString(`,"windows":[`)
	for i, w := range c.windows {
		if i > 0 {
			bw.WriteByte(',')
		}
		buf.Reset()
		if err := enc.Encode(w.Name); err != nil {
			return err
		}
		bw.WriteString(`{"name":`)
		bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		bw.WriteString(`,"length":` + strconv.FormatInt(w.Length, 10))
		bw.WriteString(`,"period":` + strconv.FormatInt(w.period, 10))
		bw.WriteString(`,"users":` + strconv.Itoa(w.board.size)) // before the board: a load sizes it
		bw.WriteString(`,"board":`)
		if err := w.board.writeBoard(bw, enc, buf); err != nil {
			return err
		}
		bw.WriteString("}}")
	}
	bw.WriteByte(']')
	return nil
}

// decodeWindows decodes the value of "windows": an array of windows, each
// with its board.
func decodeWindows(in *snapshotInput, tie TieBreak) ([]*window, error) {
	if err := expectDelim(in.dec, '[', "windows is not an array"); err != nil {
		return nil, err
	}
	out := []*window{}
	for i := 0; in.dec.More(); i++ {
		w, err := decodeWindow(in, tie)
		if err != nil {
			return nil, snapshotErr("window %d: %v", i, strings.TrimPrefix(err.Error(), ErrSnapshot.Error()+": "))
		}
		out = append(out, w)
	}
	if _, err := in.dec.Token(); err != nil {
		return nil, snapshotErr("windows: %v", err)
	}
	return out, nil
}

func decodeWindow(in *snapshotInput, tie TieBreak) (*window, error) {
	if err := expectDelim(in.dec, '{', "not an object"); err != nil {
		return nil, err
	}
	var (
		name              *string
		lenRaw, periodRaw json.RawMessage
		st                *standings
		users             int // the board's entries, as "users" before it says; 0 if not
	)
	for in.dec.More() {
		tok, err := in.dec.Token()
		if err != nil {
			return nil, snapshotErr("%v", err)
		}
		field, _ := tok.(string)
		if strings.EqualFold(field, "board") {
			if st != nil {
				return nil, snapshotErr("board given twice")
			}
			if st, err = decodeBoard(in, tie, false, users); err != nil {
				return nil, err
			}
			continue
		}
		var raw json.RawMessage
		if err := in.dec.Decode(&raw); err != nil {
			return nil, snapshotErr("%v", err)
		}
		switch {
		case strings.EqualFold(field, "name"):
			if err := json.Unmarshal(raw, &name); err != nil || name == nil {
				return nil, snapshotErr("name %s is not a string", raw)
			}
		case strings.EqualFold(field, "length"):
			lenRaw = raw
		case strings.EqualFold(field, "period"):
			periodRaw = raw
		case strings.EqualFold(field, "users"):
			// Only a hint (a file without it, or with a wrong one, loads
			// alike): anything but a count in range is ignored.
			if n, ok := parseInt(raw); ok && n > 0 && n <= maxUserSlots {
				users = int(n)
			}
		}
	}
	if _, err := in.dec.Token(); err != nil {
		return nil, snapshotErr("%v", err)
	}
	if name == nil || lenRaw == nil || periodRaw == nil || st == nil {
		return nil, snapshotErr("name, length, period and board are required")
	}
	length, ok := parseInt(lenRaw)
	if !ok {
		return nil, snapshotErr("length %s is not an integer", lenRaw)
	}
	period, ok := parseInt(periodRaw)
	if !ok {
		return nil, snapshotErr("period %s is not an integer", periodRaw)
	}
	return &window{Window: Window{*name, length}, period: period, board: &Board{standings: *st}}, nil
}

func expectDelim(dec *json.Decoder, want json.Delim, msg string) error {
	tok, err := dec.Token()
	if err != nil {
		return snapshotErr("%v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return snapshotErr("%s", msg)
	}
	return nil
}

// adoptWindows makes the decoded windows c's, once they are checked: valid
// and unique names and lengths, an origin in range, and boards with c's
// decay factor, limit and tie-break (a rollover makes new ones like c).
func (c *standings) adoptWindows(ws []*window, originRaw json.RawMessage) error {
	var origin int64
	if originRaw != nil {
		var ok bool
		if origin, ok = parseInt(originRaw); !ok {
			return snapshotErr("window_origin %s is not an integer", originRaw)
		}
	}
	specs := make([]Window, len(ws))
	for i, w := range ws {
		specs[i] = w.Window
		wb := &w.board.standings
		if wb.factor != c.factor || wb.maxUsers != c.maxUsers || wb.tieBreak != c.tieBreak {
			return snapshotErr("window %q: decay_factor, max_users and tie_break must be the board's", w.Name)
		}
		if w.period == math.MinInt64 && wb.size > 0 {
			return snapshotErr("window %q holds entries but no period", w.Name)
		}
		w.empty = c.emptyLike()
	}
	if err := checkWindows(specs, origin); err != nil {
		return snapshotErr("%v", err)
	}
	c.origin, c.windows = origin, ws
	return nil
}
