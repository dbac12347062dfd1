// Package hll implements HyperLogLog, a fixed-size sketch that estimates the
// number of distinct items added to it.
//
// Items are hashed with xxhash (64-bit), so sketches built in different
// processes from the same items are identical and can be merged or restored
// from MarshalBinary output. The sketch keeps 2^precision one-byte registers
// (16 KiB at the default precision 14) and estimates with Otmar Ertl's
// improved estimator ("New cardinality estimation algorithms for HyperLogLog
// sketches", 2017), which is unbiased from zero to far beyond 2^64/m without
// the empirical bias tables of HyperLogLog++: small counts are near exact and
// there is no jump where linear counting hands over to the raw estimate.
//
// The relative standard error is about 1.04/sqrt(2^precision): 0.81 % at 14.
package hll

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"

	"github.com/cespare/xxhash/v2"
)

// Precision bounds accepted by New.
const (
	MinPrecision     = 4
	MaxPrecision     = 18
	DefaultPrecision = 14
)

var (
	// ErrInvalidPrecision is returned by New for a precision outside
	// MinPrecision..MaxPrecision.
	ErrInvalidPrecision = errors.New("hll: invalid precision")
	// ErrPrecisionMismatch is returned by Merge when the two sketches have
	// different precisions.
	ErrPrecisionMismatch = errors.New("hll: precision mismatch")
	// ErrCorrupt is wrapped by UnmarshalBinary when its input is not a
	// sketch written by MarshalBinary.
	ErrCorrupt = errors.New("hll: corrupt sketch")
)

// Sketch is a HyperLogLog sketch.
//
// The zero value is not usable (its methods panic): create sketches with New
// or New14. A Sketch may be copied only with Clone; a plain struct copy shares
// the registers. A Sketch is not safe for concurrent use: callers that share
// one across goroutines must serialise access to it (read-only methods such
// as Estimate may run concurrently with each other).
type Sketch struct {
	p    uint8
	regs []uint8 // 1<<p registers; each holds the max rank seen, 0..65-p
}

// New returns an empty sketch with 2^precision registers. It returns
// ErrInvalidPrecision when precision is outside MinPrecision..MaxPrecision.
func New(precision uint8) (*Sketch, error) {
	if precision < MinPrecision || precision > MaxPrecision {
		return nil, fmt.Errorf("%w: %d (want %d..%d)", ErrInvalidPrecision, precision, MinPrecision, MaxPrecision)
	}
	return &Sketch{p: precision, regs: make([]uint8, 1<<precision)}, nil
}

// New14 returns an empty sketch of the default precision 14 (16384
// registers, 16 KiB, about 0.81 % standard error).
func New14() *Sketch {
	s, err := New(DefaultPrecision)
	if err != nil {
		panic(err) // unreachable: the default is valid
	}
	return s
}

// Precision returns the precision the sketch was created with.
func (s *Sketch) Precision() uint8 { return s.p }

// Add adds one item. Adding an item again does not change the sketch.
func (s *Sketch) Add(data []byte) { s.AddHash(xxhash.Sum64(data)) }

// AddString adds one item given as a string, without allocating. It is
// equivalent to Add([]byte(v)).
func (s *Sketch) AddString(v string) { s.AddHash(xxhash.Sum64String(v)) }

// AddHash adds an item by its hash, which must be xxhash.Sum64 of the item's
// bytes (xxhash.Sum64String for a string) for the sketch to agree with Add.
// It lets a caller that already hashed an item for another structure hash it
// once.
func (s *Sketch) AddHash(h uint64) {
	// The top p bits pick the register; the rank is the position of the first
	// 1 bit in the remaining 64-p bits, capped at 65-p when they are all zero.
	idx := h >> (64 - s.p)
	w := h<<s.p | 1<<(s.p-1)
	rank := uint8(bits.LeadingZeros64(w) + 1)
	if rank > s.regs[idx] {
		s.regs[idx] = rank
	}
}

// Merge folds other into s, so that s estimates the number of distinct items
// added to either. other is unchanged. On ErrPrecisionMismatch s is unchanged.
// Merging is exact: the merged sketch equals the sketch of the union.
func (s *Sketch) Merge(other *Sketch) error {
	if s.p != other.p {
		return fmt.Errorf("%w: %d and %d", ErrPrecisionMismatch, s.p, other.p)
	}
	maxBytes(s.regs, other.regs)
	return nil
}

// maxBytes sets dst[i] = max(dst[i], src[i]), eight registers at a time.
// Registers never exceed 64, so every byte is below 0x80 and the per-byte
// comparison (a|0x80)-b cannot borrow across bytes: its high bit is set
// exactly where a >= b.
func maxBytes(dst, src []uint8) {
	const hi = 0x8080808080808080
	i := 0
	for ; i+8 <= len(dst); i += 8 {
		a := binary.LittleEndian.Uint64(dst[i:])
		b := binary.LittleEndian.Uint64(src[i:])
		ge := ((a | hi) - b) & hi // high bit of each byte: a >= b
		mask := (ge >> 7) * 0xff  // 0xff where a >= b
		binary.LittleEndian.PutUint64(dst[i:], a&mask|b&^mask)
	}
	for ; i < len(dst); i++ {
		dst[i] = max(dst[i], src[i])
	}
}

// Clone returns an independent copy of s.
func (s *Sketch) Clone() *Sketch {
	return &Sketch{p: s.p, regs: append([]uint8(nil), s.regs...)}
}

// Reset empties the sketch, keeping its precision and memory.
func (s *Sketch) Reset() { clear(s.regs) }

// IsEmpty reports whether nothing has been added since New or Reset.
func (s *Sketch) IsEmpty() bool {
	for _, r := range s.regs {
		if r != 0 {
			return false
		}
	}
	return true
}
