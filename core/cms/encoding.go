package cms

import (
	"encoding/binary"
	"fmt"
)

// Binary format, version 1, little-endian:
//
//	byte 0       'C'
//	byte 1       format version (1)
//	bytes 2..5   width (uint32)
//	bytes 6..9   depth (uint32)
//	bytes 10..17 total (uint64)
//	then width·depth counters (uint64), row by row
const (
	magic      = 'C'
	version    = 1
	headerSize = 18
)

// MarshalBinary encodes the sketch (18 + 8·width·depth bytes). It implements
// encoding.BinaryMarshaler and never fails.
func (s *Sketch) MarshalBinary() ([]byte, error) {
	out := make([]byte, headerSize, headerSize+8*len(s.counters))
	out[0], out[1] = magic, version
	binary.LittleEndian.PutUint32(out[2:], uint32(s.width))
	binary.LittleEndian.PutUint32(out[6:], uint32(s.depth))
	binary.LittleEndian.PutUint64(out[10:], s.total)
	for _, c := range s.counters {
		out = binary.LittleEndian.AppendUint64(out, c)
	}
	return out, nil
}

// UnmarshalBinary replaces s with the sketch encoded in data by
// MarshalBinary; s may be a zero Sketch. It implements
// encoding.BinaryUnmarshaler. Besides the header and length it checks that
// no row counts more than the total, which every sketch built by Add and
// Merge satisfies. On error, which wraps ErrCorrupt, s is unchanged. data is
// not retained.
func (s *Sketch) UnmarshalBinary(data []byte) error {
	if len(data) < headerSize {
		return fmt.Errorf("%w: %d bytes, shorter than the header", ErrCorrupt, len(data))
	}
	if data[0] != magic || data[1] != version {
		return fmt.Errorf("%w: unknown header %#x %#x", ErrCorrupt, data[0], data[1])
	}
	width := int(binary.LittleEndian.Uint32(data[2:]))
	depth := int(binary.LittleEndian.Uint32(data[6:]))
	total := binary.LittleEndian.Uint64(data[10:])
	if err := checkShape(width, depth); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	body := data[headerSize:]
	if len(body) != 8*width*depth {
		return fmt.Errorf("%w: %d counter bytes for %d×%d, want %d", ErrCorrupt, len(body), width, depth, 8*width*depth)
	}
	counters := make([]uint64, width*depth)
	for i := range counters {
		counters[i] = binary.LittleEndian.Uint64(body[8*i:])
	}
	// Each update raises a row's sum by at most its count, so no row can
	// sum to more than the total.
	for r := range depth {
		var sum uint64
		for _, c := range counters[r*width : (r+1)*width] {
			sum = satAdd(sum, c)
		}
		if sum > total {
			return fmt.Errorf("%w: row %d sums to %d, above the total %d", ErrCorrupt, r, sum, total)
		}
	}
	*s = Sketch{width: width, depth: depth, total: total, counters: counters}
	return nil
}
