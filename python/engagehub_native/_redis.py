"""Boards kept in Redis: choosing the store from ``backend=``, and its counters.

The Redis client is the Go library's (go-redis, in the same shared
library), so no Redis traffic holds the GIL; this module only checks the
Python arguments and opens the handle. See ``eh_board_new_redis`` in
engagehub.h for what the URL may hold.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

from . import _args
from ._library import check

#: The ``backend`` values that mean the in-process board.
EMBEDDED = (None, "embedded")

#: The board name used when none is given.
DEFAULT_NAME = "default"

_SCHEMES = ("redis://", "rediss://", "redis+cluster://", "rediss+cluster://")


class BackendStats(NamedTuple):
    """Counters of a board's store since it was opened (all 0 when embedded)."""

    remote: bool      # the board lives in Redis
    connected: bool   # the last round trip succeeded
    queued: int       # updates waiting to be sent
    applied: int      # updates sent and acknowledged
    dropped: int      # updates dropped because the queue was full
    retries: int      # batches sent again after a failure


def is_embedded(backend) -> bool:
    """Whether ``backend`` names the in-process board; TypeError for a non-str."""
    if backend is None:
        return True
    if not isinstance(backend, str):
        raise TypeError(f"backend must be a str (a redis:// URL or 'embedded') or None, "
                        f"not {type(backend).__name__}")
    return backend == "embedded"


def open_board(ffi, lib, backend: str, name, decay_factor: float, max_users: int) -> int:
    """The handle of the board ``name`` at ``backend`` (a Redis URL)."""
    raw_url = _checked_url(backend)
    raw_name = _args.text(name, "name")
    handle = ffi.new("uint64_t *")
    check(lib.eh_board_new_redis(raw_url, len(raw_url), raw_name, len(raw_name),
                                 decay_factor, max_users, handle))
    return handle[0]


def new_processor(ffi, lib, config, backend, name) -> int:
    """The handle of a new processor; with a Redis ``backend`` its analytics
    are also kept there under ``name``, shared."""
    check_name(name)
    handle = ffi.new("uint64_t *")
    if is_embedded(backend):
        check(lib.eh_proc_new(config, handle))
        return handle[0]
    raw_url, raw_name = _checked_url(backend), _args.text(name, "name")
    check(lib.eh_proc_new_redis(config, raw_url, len(raw_url), raw_name, len(raw_name), handle))
    return handle[0]


def check_board_features(tie_break: int, windows: list) -> None:
    """ValueError naming what a Redis-backed board cannot keep: the earliest-first
    tie-break (a sorted set orders equal scores by member, so by user id) and
    windows. Its rank styles and percentiles are served by the engine, which
    refuses dense rank the same way."""
    if tie_break:
        raise ValueError("tie_break='earliest': not available on a Redis-backed board, which "
                         "orders tied users by user_id (a sorted set orders equal scores by "
                         "member); use the embedded board (backend=None)")
    if windows:
        raise ValueError("windows: not available on a Redis-backed board; use the embedded "
                         "board (backend=None)")


def _checked_url(backend: str) -> bytes:
    if not backend.startswith(_SCHEMES):
        raise ValueError(f"backend must be 'embedded' or a URL starting with "
                         f"{', '.join(_SCHEMES)}; got a value starting with {backend[:8]!r}")
    return _args.text(backend, "backend")


def backend_stats(ffi, lib, handle: int, function: str = "eh_board_backend_stats") -> BackendStats:
    out = ffi.new("eh_backend_stats *")
    check(getattr(lib, function)(handle, out))
    return BackendStats(bool(out.remote), bool(out.connected), out.queued, out.applied,
                        out.dropped, out.retries)


def check_name(name) -> Optional[str]:
    """TypeError for a board name that is not a str."""
    if not isinstance(name, str):
        raise TypeError(f"name must be str, not {type(name).__name__}")
    return name
