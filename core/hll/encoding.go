package hll

import "fmt"

// Binary format, version 1:
//
//	byte 0      'H'
//	byte 1      format version (1)
//	byte 2      precision p
//	bytes 3..   2^p registers, one byte each, each at most 65-p
const (
	magic      = 'H'
	version    = 1
	headerSize = 3
)

// MarshalBinary encodes the sketch (2^precision + 3 bytes). It implements
// encoding.BinaryMarshaler and never fails.
func (s *Sketch) MarshalBinary() ([]byte, error) {
	out := make([]byte, headerSize+len(s.regs))
	out[0], out[1], out[2] = magic, version, s.p
	copy(out[headerSize:], s.regs)
	return out, nil
}

// UnmarshalBinary replaces s with the sketch encoded in data by
// MarshalBinary; s may be a zero Sketch. It implements
// encoding.BinaryUnmarshaler. On error, which wraps ErrCorrupt, s is unchanged.
// data is not retained.
func (s *Sketch) UnmarshalBinary(data []byte) error {
	if len(data) < headerSize {
		return fmt.Errorf("%w: %d bytes, shorter than the header", ErrCorrupt, len(data))
	}
	if data[0] != magic || data[1] != version {
		return fmt.Errorf("%w: unknown header %#x %#x", ErrCorrupt, data[0], data[1])
	}
	p := data[2]
	if p < MinPrecision || p > MaxPrecision {
		return fmt.Errorf("%w: precision %d", ErrCorrupt, p)
	}
	regs := data[headerSize:]
	if len(regs) != 1<<p {
		return fmt.Errorf("%w: %d registers for precision %d, want %d", ErrCorrupt, len(regs), p, 1<<p)
	}
	maxRank := 65 - p
	for i, r := range regs {
		if r > maxRank {
			return fmt.Errorf("%w: register %d holds %d, above %d", ErrCorrupt, i, r, maxRank)
		}
	}
	s.p = p
	s.regs = append(s.regs[:0:0], regs...)
	return nil
}
