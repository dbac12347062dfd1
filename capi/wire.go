package main

/*
#include <stdint.h>
#include "engagehub.h"
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// The one wire format of the C ABI for lists of strings, both directions:
// the strings' UTF-8 bytes back to back, each followed by stringEnd. 0xFF
// never occurs in UTF-8, so no string needs escaping and a Python caller
// builds or splits a whole list with one join or split.
const stringEnd = 0xFF

// readStrings copies the caller's string list once and cuts it into exactly
// n strings (sharing that copy), each valid UTF-8.
func readStrings(p *C.char, length C.size_t, n int) ([]string, error) {
	return decodeStrings(cBytes(p, length), n)
}

// decodeStrings is readStrings over Go memory: one copy of data, cut into
// exactly n strings.
func decodeStrings(data []byte, n int) ([]string, error) {
	return cutStrings(nil, string(data), n)
}

// listFits checks that n strings may be in a list of size bytes: each takes
// one at least, its stringEnd.
func listFits(n, size int) error {
	if n < 0 || n > size {
		return fmt.Errorf("%w: a list of %d strings cannot fit in %d bytes", errInvalidArgument, n, size)
	}
	return nil
}

// cutStrings appends to out the exactly n strings of the list text (which
// they share), each valid UTF-8.
func cutStrings(out []string, text string, n int) ([]string, error) {
	if err := listFits(n, len(text)); err != nil {
		return nil, err
	}
	out = slices.Grow(out, n)
	start := len(out)
	ascii := plainList(text) // then every string is valid UTF-8: no check of each
	rest := text
	for len(rest) > 0 {
		end := strings.IndexByte(rest, stringEnd)
		if end < 0 {
			return nil, fmt.Errorf("%w: string %d of the list is not ended by 0xFF", errInvalidArgument, len(out)-start)
		}
		if len(out)-start == n {
			return nil, fmt.Errorf("%w: the list holds more than the %d strings expected", errInvalidArgument, n)
		}
		s := rest[:end]
		if !ascii && !utf8.ValidString(s) {
			return nil, fmt.Errorf("%w: string %d of the list is not valid UTF-8", errInvalidArgument, len(out)-start)
		}
		out = append(out, s)
		rest = rest[end+1:]
	}
	if len(out)-start != n {
		return nil, fmt.Errorf("%w: the list holds %d strings, %d expected", errInvalidArgument, len(out)-start, n)
	}
	return out, nil
}

// plainList reports whether every byte of the list text is ASCII or the
// string end: then each string of it is ASCII, hence valid UTF-8. Eight
// bytes at a time: a byte is refused when its high bit is set and its low
// seven bits are not all ones (which would make it 0xFF).
func plainList(text string) bool {
	const low7, high = 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
	b := unsafe.Slice(unsafe.StringData(text), len(text))
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		// Per byte, (low 7 bits ^ 0x7f) + 0x7f has its high bit set exactly
		// when those bits are not all ones, and never carries into the next.
		if ((w&low7)^low7+low7)&w&high != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= 0x80 && c != stringEnd {
			return false
		}
	}
	return true
}

// listWriter gathers the entries of an eh_list in Go memory, then lays them
// out in one C block for the caller. Columns a writer never fills stay NULL.
type listWriter struct {
	reals   []float64
	ints    []int64
	strings []byte
	count   int
}

func (w *listWriter) add(s string) {
	w.strings = append(append(w.strings, s...), stringEnd)
	w.count++
}

func (w *listWriter) addReal(x float64) { w.reals = append(w.reals, x) }

func (w *listWriter) addInt(x int64) { w.ints = append(w.ints, x) }

func (w *listWriter) reset() {
	w.reals, w.ints, w.strings, w.count = w.reals[:0], w.ints[:0], w.strings[:0], 0
}

// writeTo hands the list out: one malloc'd block holding the reals, the
// ints, then the strings (numbers first, so they are 8-byte aligned).
func (w *listWriter) writeTo(out *C.eh_list) {
	*out = C.eh_list{}
	if w.count == 0 {
		return
	}
	// The ints column may hold several numbers per entry (each export says
	// how many); the reals column holds one.
	if (len(w.reals) != 0 && len(w.reals) != w.count) || len(w.ints)%w.count != 0 {
		panic("listWriter: a number column does not match the strings") // a bug in an export
	}
	nums := 8 * (len(w.reals) + len(w.ints))
	block, mem := mallocBlock(nums + len(w.strings))
	pos := 0
	if len(w.reals) > 0 {
		copy(unsafe.Slice((*float64)(block), w.count), w.reals)
		out.reals = (*C.double)(block)
		pos = 8 * w.count
	}
	if len(w.ints) > 0 {
		at := unsafe.Pointer(&mem[pos])
		copy(unsafe.Slice((*int64)(at), len(w.ints)), w.ints)
		out.ints = (*C.int64_t)(at)
	}
	copy(mem[nums:], w.strings)
	out.block = block
	out.count = C.size_t(w.count)
	out.strings = (*C.char)(unsafe.Pointer(&mem[nums]))
	out.strings_length = C.size_t(len(w.strings))
}
