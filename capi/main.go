// Command capi is the C ABI of engagehub-native: thin //export functions over
// the core packages, built with -buildmode=c-shared into one shared library
// (libengagehub.so). The public contract is the hand-written engagehub.h;
// the header cgo generates is a build output.
//
// Conventions, the same for every export:
//   - objects are opaque uint64 handles (handles.go), never Go pointers;
//     zero is never a valid handle, and a stale handle is an error, not a crash;
//   - fallible exports return an int status (EH_OK or an EH_ERR_* code) and
//     leave the message on the calling thread for eh_error_take;
//   - a panic is recovered at the export and becomes EH_ERR_INTERNAL;
//   - Go copies every byte it keeps before the call returns; memory Go hands
//     out is released with eh_free and nothing else.
package main

func main() {}
