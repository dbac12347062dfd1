package topk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// ErrCorrupt is wrapped by UnmarshalBinary when its input is not a tracker
// written by MarshalBinary.
var ErrCorrupt = errors.New("topk: corrupt tracker")

// Binary format, version 1, little-endian:
//
//	byte 0       'T'
//	byte 1       format version (1)
//	bytes 2..5   capacity (uint32)
//	bytes 6..13  total (uint64)
//	bytes 14..17 number of items n (uint32)
//	then n items: key length (uint32), key (UTF-8), count (uint64), error (uint64)
const (
	magic      = 'T'
	version    = 1
	headerSize = 18
	itemFixed  = 4 + 8 + 8
)

// MarshalBinary encodes the tracker. It implements encoding.BinaryMarshaler
// and never fails.
func (t *Tracker) MarshalBinary() ([]byte, error) {
	size := headerSize
	for _, e := range t.heap {
		size += itemFixed + len(e.Key)
	}
	out := make([]byte, headerSize, size)
	out[0], out[1] = magic, version
	binary.LittleEndian.PutUint32(out[2:], uint32(t.capacity))
	binary.LittleEndian.PutUint64(out[6:], t.total)
	binary.LittleEndian.PutUint32(out[14:], uint32(len(t.heap)))
	for _, e := range t.heap {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(e.Key)))
		out = append(out, e.Key...)
		out = binary.LittleEndian.AppendUint64(out, e.Count)
		out = binary.LittleEndian.AppendUint64(out, e.Error)
	}
	return out, nil
}

// UnmarshalBinary replaces t with the tracker encoded in data by
// MarshalBinary; t may be a zero Tracker. It implements
// encoding.BinaryUnmarshaler. Besides the header and lengths it checks what
// every tracker built by Add and Merge satisfies: 1 ≤ capacity ≤
// MaxCapacity, at most capacity distinct valid UTF-8 keys, Error ≤ Count,
// and no Count above the total (when the total did not saturate). On error,
// which wraps ErrCorrupt, t is unchanged. data is not retained.
func (t *Tracker) UnmarshalBinary(data []byte) error {
	if len(data) < headerSize {
		return fmt.Errorf("%w: %d bytes, shorter than the header", ErrCorrupt, len(data))
	}
	if data[0] != magic || data[1] != version {
		return fmt.Errorf("%w: unknown header %#x %#x", ErrCorrupt, data[0], data[1])
	}
	capacity := int(binary.LittleEndian.Uint32(data[2:]))
	total := binary.LittleEndian.Uint64(data[6:])
	n := int(binary.LittleEndian.Uint32(data[14:]))
	if capacity < 1 || capacity > MaxCapacity {
		return fmt.Errorf("%w: capacity %d (want 1..%d)", ErrCorrupt, capacity, MaxCapacity)
	}
	rest := data[headerSize:]
	if n > capacity || n > len(rest)/itemFixed {
		return fmt.Errorf("%w: %d items for capacity %d in %d bytes", ErrCorrupt, n, capacity, len(rest))
	}
	items := make([]Item, n)
	seen := make(map[string]struct{}, n)
	for i := range items {
		if len(rest) < 4 {
			return fmt.Errorf("%w: item %d truncated", ErrCorrupt, i)
		}
		klen := int(binary.LittleEndian.Uint32(rest))
		rest = rest[4:]
		if klen > len(rest) || len(rest)-klen < 16 {
			return fmt.Errorf("%w: item %d truncated", ErrCorrupt, i)
		}
		key := string(rest[:klen])
		rest = rest[klen:]
		it := Item{Key: key, Count: binary.LittleEndian.Uint64(rest), Error: binary.LittleEndian.Uint64(rest[8:])}
		rest = rest[16:]
		switch _, dup := seen[key]; {
		case !utf8.ValidString(key):
			return fmt.Errorf("%w: item %d: key is not valid UTF-8", ErrCorrupt, i)
		case dup:
			return fmt.Errorf("%w: item %d: key %q twice", ErrCorrupt, i, key)
		case it.Count == 0 || it.Error > it.Count:
			return fmt.Errorf("%w: item %d: count %d, error %d", ErrCorrupt, i, it.Count, it.Error)
		case total != math.MaxUint64 && it.Count > total:
			return fmt.Errorf("%w: item %d: count %d above the total %d", ErrCorrupt, i, it.Count, total)
		}
		seen[key] = struct{}{}
		items[i] = it
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %d bytes after the last item", ErrCorrupt, len(rest))
	}
	*t = Tracker{capacity: capacity, heap: make([]*entry, 0, n), index: make(map[string]*entry, n), total: total}
	t.load(items)
	return nil
}
