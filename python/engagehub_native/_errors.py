"""Exceptions of engagehub_native, and the one place status codes become them."""

from __future__ import annotations


class EngagehubError(Exception):
    """Base class of every error this package raises; never raised itself."""


class InvalidValueError(EngagehubError, ValueError):
    """An argument has the right type but a value the engine refuses."""


class SnapshotError(EngagehubError, ValueError):
    """A snapshot file is malformed, truncated or not a leaderboard snapshot.

    The board it was loaded into is unchanged.
    """


class SnapshotFileError(EngagehubError, OSError, RuntimeError):
    """A snapshot file could not be opened, written or replaced.

    It is an OSError (``errno`` is set where the OS gave one) and, for code
    written against the original extension, also a RuntimeError.
    """


class ClosedError(EngagehubError, RuntimeError):
    """The object was closed; create a new one."""


class ForkedProcessError(EngagehubError, RuntimeError):
    """The native library was loaded before os.fork() and cannot be used in the child."""


class WaitTimeoutError(EngagehubError, TimeoutError):
    """A bounded wait (flush, close) ran out before the work was done."""


class CapacityError(EngagehubError, RuntimeError):
    """A leaderboard reached its hard size limit (2^31 - 2 users or 4 GiB of ids)."""


class SinkError(EngagehubError, RuntimeError):
    """A native sink cannot write where it was told: its table or a column is
    missing, or a column has a type events cannot fill."""


class SinkUnreachableError(SinkError, ConnectionError):
    """A native sink's database could not be reached when the processor was created."""


class BackendError(EngagehubError, ConnectionError):
    """A shared store (Redis) cannot be reached or refused the credentials.

    Raised by a Redis-backed object when it is created, and by its reads
    while the server is down; its updates are queued meanwhile (see
    ``Leaderboard.backend_stats()``). A ConnectionError, hence an OSError.
    """


class InternalError(EngagehubError, RuntimeError):
    """A bug in engagehub_native; please report it with the message."""


_file_error_classes: dict = {}


def _file_error_class(errno: int) -> type:
    """SnapshotFileError combined with the builtin OSError subclass for errno
    (FileNotFoundError, PermissionError, ...), so either can be caught."""
    cls = _file_error_classes.get(errno)
    if cls is None:
        builtin = type(OSError(errno, ""))
        if builtin is OSError:
            cls = SnapshotFileError
        else:
            cls = type(SnapshotFileError.__name__, (SnapshotFileError, builtin),
                       {"__module__": __name__, "__doc__": SnapshotFileError.__doc__})
        _file_error_classes[errno] = cls
    return cls


def _status_errors(lib) -> dict:
    """The exception class of each failure status of engagehub.h."""
    return {
        lib.EH_ERR_INVALID_ARGUMENT: InvalidValueError,
        lib.EH_ERR_INVALID_HANDLE: ClosedError,
        lib.EH_ERR_SNAPSHOT: SnapshotError,
        lib.EH_ERR_IO: SnapshotFileError,
        lib.EH_ERR_CLOSED: ClosedError,
        lib.EH_ERR_TIMEOUT: WaitTimeoutError,
        lib.EH_ERR_CAPACITY: CapacityError,
        lib.EH_ERR_SINK: SinkError,
        lib.EH_ERR_UNREACHABLE: SinkUnreachableError,
        lib.EH_ERR_BACKEND: BackendError,
        lib.EH_ERR_INTERNAL: InternalError,
    }


_classes: dict = {}


def error_for(ffi, lib, status: int) -> EngagehubError:
    """The exception for a failed call's status, with the thread's last message."""
    message = ffi.new("char **")
    length = ffi.new("size_t *")
    os_errno = ffi.new("int *")
    text = "no message"
    if lib.eh_error_take(message, length, os_errno):
        try:
            text = ffi.unpack(message[0], length[0]).decode("utf-8", "replace")
        finally:
            lib.eh_free(message[0])
    if not _classes:
        _classes.update(_status_errors(lib))
    cls = _classes.get(status)
    if cls is None:
        return InternalError(f"unknown status {status}: {text}")
    if cls is SnapshotFileError and os_errno[0]:
        return _file_error_class(os_errno[0])(os_errno[0], text)
    return cls(text)
