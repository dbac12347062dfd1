package main

// #include <stdint.h>
import "C"

import "runtime/cgo"

// newHandle registers v and returns its opaque, never-zero handle.
func newHandle(v any) C.uint64_t {
	return C.uint64_t(cgo.NewHandle(v))
}

// handleValue returns the object behind h if it is a live handle of type T.
func handleValue[T any](h C.uint64_t) (v T, err error) {
	if h == 0 {
		return v, errInvalidHandle
	}
	defer func() {
		if recover() != nil { // cgo.Handle.Value panics on a deleted handle
			err = errInvalidHandle
		}
	}()
	v, ok := cgo.Handle(h).Value().(T)
	if !ok {
		return v, errInvalidHandle
	}
	return v, nil
}

// deleteHandle releases h; deleting a stale handle is an error, not a panic.
func deleteHandle(h C.uint64_t) (err error) {
	if h == 0 {
		return errInvalidHandle
	}
	defer func() {
		if recover() != nil {
			err = errInvalidHandle
		}
	}()
	cgo.Handle(h).Delete()
	return nil
}
