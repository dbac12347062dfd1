package main

/*
#include <stdint.h>
#include "engagehub.h"
#include "status.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"unsafe"
)

// Status codes: the enum of engagehub.h, the one place they are defined.
const (
	ehOK                 = C.EH_OK
	ehErrInvalidArgument = C.EH_ERR_INVALID_ARGUMENT
	ehErrInvalidHandle   = C.EH_ERR_INVALID_HANDLE
	ehErrSnapshot        = C.EH_ERR_SNAPSHOT
	ehErrIO              = C.EH_ERR_IO
	ehErrClosed          = C.EH_ERR_CLOSED
	ehErrTimeout         = C.EH_ERR_TIMEOUT
	ehErrCapacity        = C.EH_ERR_CAPACITY
	ehErrSink            = C.EH_ERR_SINK
	ehErrUnreachable     = C.EH_ERR_UNREACHABLE
	ehErrBackend         = C.EH_ERR_BACKEND
	ehErrInternal        = C.EH_ERR_INTERNAL
)

var (
	errInvalidHandle   = errors.New("invalid handle: the object was closed or never created")
	errInvalidArgument = errors.New("invalid argument")
)

// statusRules maps sentinel errors of the core packages to status codes;
// registered by the file that exports each object.
var statusRules []statusRule

type statusRule struct {
	err  error
	code C.int
}

func registerStatus(code C.int, errs ...error) {
	for _, err := range errs {
		statusRules = append(statusRules, statusRule{err, code})
	}
}

func init() {
	registerStatus(ehErrInvalidHandle, errInvalidHandle)
	registerStatus(ehErrInvalidArgument, errInvalidArgument)
}

// statusOf classifies err. Errors no rule names are internal.
func statusOf(err error) C.int {
	for _, r := range statusRules {
		if errors.Is(err, r.err) {
			return r.code
		}
	}
	var (
		pathErr *fs.PathError
		linkErr *os.LinkError
		errno   syscall.Errno
	)
	if errors.As(err, &pathErr) || errors.As(err, &linkErr) || errors.As(err, &errno) {
		return ehErrIO
	}
	return ehErrInternal
}

// fail records err as the calling thread's last error and returns its status.
func fail(err error) C.int {
	code := statusOf(err)
	errno := 0
	var sysErr syscall.Errno
	if errors.As(err, &sysErr) {
		errno = int(sysErr)
	}
	msg := err.Error()
	if len(msg) == 0 {
		msg = "unknown error"
	}
	C.ehp_set_error((*C.char)(unsafe.Pointer(unsafe.StringData(msg))), C.size_t(len(msg)), C.int(errno))
	return code
}

// result turns the error of a core call into a status.
func result(err error) C.int {
	if err != nil {
		return fail(err)
	}
	return ehOK
}

// recoverStatus is deferred by every export: a panic becomes EH_ERR_INTERNAL
// with the panic's message, so no Go panic ever unwinds into C.
func recoverStatus(status *C.int) {
	if r := recover(); r != nil {
		*status = fail(fmt.Errorf("internal error: %v", r))
	}
}
