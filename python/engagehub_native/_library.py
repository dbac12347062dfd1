"""Opening the native library: lazily, once per process, never across fork().

Importing the package loads nothing. The compiled cffi module (and with it
libengagehub.so and its Go runtime) is imported the first time an object is
created. A Go runtime does not survive fork(): a child that calls into the
runtime its parent started hangs forever. So once the library is loaded, a
forked child gets a clear ForkedProcessError from every object and from any
attempt to create one, instead of a hang.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Callable

from ._errors import ClosedError, ForkedProcessError, error_for

ABI_VERSION = 3

_lock = threading.Lock()
_native = None  # the compiled module, once loaded in this process
_loaded_pid = None
_objects: "weakref.WeakSet[NativeObject]" = weakref.WeakSet()


def _fork_message(parent: int) -> str:
    return (
        f"engagehub_native: the native library was loaded in process {parent} before "
        f"os.fork(), and its Go runtime does not survive a fork, so it cannot be used in "
        f"the child process {os.getpid()}. Create processors and leaderboards in the "
        "process that uses them, after the fork: with gunicorn, lazily on first use or in a "
        "post_fork hook (Django's AppConfig.ready() runs before the fork under --preload, "
        "so it only works without --preload)."
    )


def is_loaded() -> bool:
    """Whether this process has loaded the native library (for tests and diagnostics)."""
    return _native is not None


def usable() -> bool:
    """Whether calls into the library are safe in this process."""
    return _native is not None and _loaded_pid == os.getpid()


def load():
    """Return (ffi, lib), loading the library on first use in this process."""
    if _native is not None:
        if _loaded_pid != os.getpid():
            raise ForkedProcessError(_fork_message(_loaded_pid))
        return _native.ffi, _native.lib
    return _load_locked()


def _load_locked():
    global _native, _loaded_pid
    with _lock:
        if _native is None:
            from . import _native as native  # opens libengagehub.so and starts Go

            version = native.lib.eh_abi_version()
            if version != ABI_VERSION:
                raise ImportError(
                    f"engagehub_native: libengagehub.so speaks ABI {version}, the package "
                    f"expects {ABI_VERSION}; reinstall the package"
                )
            _loaded_pid = os.getpid()
            _native = native
    return load()


# The C ABI's lists of strings (see engagehub.h): each string's UTF-8 bytes
# followed by one 0xFF byte. 0xFF never occurs in UTF-8; with
# "surrogateescape" it is the lone surrogate U+DCFF, which never occurs in a
# string this package accepted, so one join or split handles a whole list.
_END = "\udcff"


def encode_strings(strings: list) -> bytes:
    """A list of str (already checked: no lone surrogates) in the wire format."""
    if not strings:
        return b""
    text = "\0".join(strings)
    if text.count("\0") == len(strings) - 1:
        # No string holds a NUL: end each with one and encode (with the
        # surrogate end marker instead, the encoder calls its error handler
        # once per string, 50 ns), then turn the NULs into the end bytes.
        return (text + "\0").encode().replace(b"\0", b"\xff")
    return (_END.join(strings) + _END).encode("utf-8", "surrogateescape")


def split_strings(raw: bytes) -> list:
    """The strings of a list in the wire format, NUL bytes included (the
    UTF-8 decoder handles surrogateescape in C: no detour pays here)."""
    strings = raw.decode("utf-8", "surrogateescape").split(_END)
    strings.pop()  # the empty string after the last end byte
    return strings


def read_list(lst, reals: bool, ints: bool, ints_per_entry: int = 1) -> tuple:
    """(strings, reals, ints) of an eh_list the engine handed out, releasing
    its block; ``reals`` and ``ints`` say which number columns the call
    fills (the others come back None), ``ints_per_entry`` how many ints the
    call lays out per entry."""
    count = lst.count
    if not count:
        return [], [], []
    ffi, lib = _native.ffi, _native.lib
    try:
        strings = split_strings(ffi.unpack(lst.strings, lst.strings_length))
        real_column = ffi.unpack(lst.reals, count) if reals else None
        int_column = ffi.unpack(lst.ints, count * ints_per_entry) if ints else None
    finally:
        lib.eh_free(lst.block)
    return strings, real_column, int_column


def check(status: int) -> None:
    """Raise the exception for a failed call's status; do nothing for EH_OK."""
    if status:
        raise error_for(_native.ffi, _native.lib, status)


class _Unusable:
    """Stands in for the library in an object that must not call it any more."""

    __slots__ = ("_error",)

    def __init__(self, error):
        self._error = error

    def __getattr__(self, name):
        raise self._error()


class NativeObject:
    """Base of objects that own a native handle.

    Subclasses call ``_attach(handle, free_function_name)`` once created and
    reach the library through ``self._lib``, which :meth:`_seal` turns into a
    stand-in that raises ClosedError after close() and ForkedProcessError in
    a forked child, so the paths that call the library need no checks of
    their own. Subclasses whose hot paths do not call the library extend
    ``_seal`` to stop those too.
    """

    def _attach(self, handle: int, free_name: str) -> None:
        ffi, lib = load()
        self._ffi = ffi
        self._lib = lib
        self._handle = handle
        self._finalizer = weakref.finalize(self, _free_handle, free_name, handle)
        # Not at exit: the process is ending anyway, and processors must
        # still be open when their own exit hook delivers pending events.
        self._finalizer.atexit = False
        _objects.add(self)

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def _seal(self, error: Callable[[], Exception]) -> None:
        """Make every later use raise ``error()``."""
        self._lib = _Unusable(error)

    def _release(self) -> None:
        """Mark closed and free the handle (idempotent)."""
        message = f"{type(self).__name__} is closed"
        self._seal(lambda: ClosedError(message))
        self._finalizer()


def _free_handle(free_name: str, handle: int) -> None:
    if usable():
        getattr(_native.lib, free_name)(handle)


def _after_fork_in_child() -> None:
    if _native is None:
        return
    message = _fork_message(_loaded_pid)
    for obj in list(_objects):
        obj._seal(lambda: ForkedProcessError(message))
        obj._finalizer.detach()  # freeing would call into the dead runtime


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
