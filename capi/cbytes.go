package main

// #include <stdlib.h>
import "C"

import "unsafe"

// cBytes views n bytes of C memory as a slice without copying; valid only
// during the export that received p. Copy what is kept.
func cBytes(p *C.char, n C.size_t) []byte {
	if n == 0 || p == nil {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
}

// bytesString views b as a string without copying; b must never change.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// borrowString views C bytes as a string without copying, for calls that do
// not keep it past their return.
func borrowString(p *C.char, n C.size_t) string {
	return bytesString(cBytes(p, n))
}

// mallocBlock allocates size bytes with C's malloc, for memory handed to the
// caller (released with eh_free), and views them as a slice for filling.
func mallocBlock(size int) (unsafe.Pointer, []byte) {
	block := C.malloc(C.size_t(size))
	if block == nil {
		panic("out of memory") // recovered at the export: EH_ERR_INTERNAL
	}
	return block, unsafe.Slice((*byte)(block), size)
}
