package main

// #include <stdint.h>
import "C"

import (
	"sync"
	"sync/atomic"
)

// Handles.
//
// Objects cross the C ABI as opaque handles: a handle names a slot of a
// table and the object put in it, and every read of a board or processor
// starts by looking its handle up. runtime/cgo.Handle, which this replaces,
// keeps them in a sync.Map keyed by an interface: about 40 ns of every read
// (hashing the key, walking the map's trie, BenchmarkHandleValue), against
// reads of a microsecond or two from Python. Here a look-up loads the table,
// its slot and the slot's entry, without a lock.
//
// A handle is (serial << 32) | (slot + 1): never zero, and never the same
// twice while fewer than 2^32 handles were made, so a handle used after it
// was deleted, even once its slot holds another object, finds an entry
// whose handle differs and is refused.

// handle is an object's handle, as the C ABI passes it.
type handle = C.uint64_t

// handleEntry is what a slot holds: the handle it was given and its object.
type handleEntry struct {
	h handle
	v any
}

type handleSlot struct{ entry atomic.Pointer[handleEntry] }

var handles struct {
	mu     sync.Mutex                    // newHandle and deleteHandle
	slots  atomic.Pointer[[]*handleSlot] // only ever longer; a slot never moves
	free   []uint32                      // slots whose object was deleted
	serial uint32
}

// newHandle registers v and returns its opaque, never-zero handle.
func newHandle(v any) handle {
	handles.mu.Lock()
	defer handles.mu.Unlock()
	var slots []*handleSlot
	if p := handles.slots.Load(); p != nil {
		slots = *p
	}
	var i uint32
	if n := len(handles.free); n > 0 {
		i, handles.free = handles.free[n-1], handles.free[:n-1]
	} else {
		// Readers hold the previous length and never look past it, so
		// the new slot may go into spare room of the same array.
		i = uint32(len(slots))
		slots = append(slots, &handleSlot{})
		handles.slots.Store(&slots)
	}
	handles.serial++
	h := handle(handles.serial)<<32 | handle(i+1)
	slots[i].entry.Store(&handleEntry{h: h, v: v})
	return h
}

// entryOf returns the live entry of h, or nil.
func entryOf(h handle) *handleEntry {
	p := handles.slots.Load()
	i := uint64(uint32(h)) - 1 // h's slot; 2^64 - 1 when h names none
	if h == 0 || p == nil || i >= uint64(len(*p)) {
		return nil
	}
	if e := (*p)[i].entry.Load(); e != nil && e.h == h {
		return e
	}
	return nil
}

// handleValue returns the object behind h if it is a live handle of type T.
func handleValue[T any](h handle) (v T, err error) {
	e := entryOf(h)
	if e == nil {
		return v, errInvalidHandle
	}
	v, ok := e.v.(T)
	if !ok {
		return v, errInvalidHandle
	}
	return v, nil
}

// deleteHandle releases h; deleting a stale handle is an error, not a panic.
func deleteHandle(h handle) error {
	handles.mu.Lock()
	defer handles.mu.Unlock()
	e := entryOf(h)
	if e == nil {
		return errInvalidHandle
	}
	i := uint32(h) - 1
	(*handles.slots.Load())[i].entry.Store(nil)
	handles.free = append(handles.free, i)
	return nil
}
