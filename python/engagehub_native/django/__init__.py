"""engagehub_native.django: the processor and the leaderboard as a Django app.

Add ``"engagehub_native.django"`` to ``INSTALLED_APPS``, configure the
``ENGAGEHUB_NATIVE`` dict (see conf.py), and use::

    from engagehub_native.django import get_processor, get_leaderboard, record

    get_processor().push("message", user_id, channel_id)   # batches go to the sink
    get_leaderboard().top(10)
    record("message", user_id, channel_id)                 # both: push, and points

Each process gets its own processor and board, created on first use (never
at import or in ``AppConfig.ready()``), so a process forked by gunicorn,
with or without ``--preload``, or by a Celery prefork pool creates its own
instead of inheriting an unusable one from its parent.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from typing import Optional

logger = logging.getLogger("engagehub_native.django")

__all__ = ["get_processor", "get_leaderboard", "record", "created_before_fork", "shutdown"]

_lock = threading.Lock()
# The objects of this process, and the pid of the process that created each.
# A pid other than os.getpid() means the object was inherited through fork():
# it is unusable here, and so is the native library its parent loaded, so
# creating another raises ForkedProcessError, which then names the mistake.
_processor = None
_processor_pid: Optional[int] = None
_board = None
_board_pid: Optional[int] = None
#: name -> (pid that created it, whether the app registry was still loading):
#: read by the system checks (checks.py).
creations: dict = {}


def _reset_lock_in_child() -> None:
    # A thread of the parent may have held the lock at fork(): that thread
    # does not exist in the child, so the child needs a fresh lock.
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock_in_child)


def _created(name: str) -> None:
    from django.apps import apps

    creations[name] = (os.getpid(), not apps.ready)


def _forked_error(exc: Exception, name: str, parent: Optional[int]) -> Exception:
    from .. import ForkedProcessError

    if parent is None:
        return exc
    return ForkedProcessError(
        f"{exc} (engagehub_native.django: get_{name}() was first called in process {parent}, "
        f"before the fork; call it only where the {name} is used, in a request or a task, "
        "never in AppConfig.ready() or at import under gunicorn --preload.)")


def get_processor():
    """This process's :class:`~engagehub_native.EventStreamProcessor`, created on first use.

    Its batches go to the configured sink on its dispatcher threads;
    pending events are delivered at interpreter exit (``exit_timeout``).
    After someone closed it, the next call creates a new one.
    """
    global _processor, _processor_pid
    pid = os.getpid()
    if _processor_pid == pid and not _processor.closed:
        return _processor
    with _lock:
        if _processor_pid != pid or _processor.closed:  # a closed one is replaced
            from .. import EventStreamProcessor, ForkedProcessError
            from . import conf, sinks

            config = conf.settings()
            # A postgresql:// sink is written by the engine; else a Python sink.
            sink = sinks.native_options(config) or {"on_flush": sinks.resolve_sink(config)}
            try:
                processor = EventStreamProcessor(
                    buffer_size=config["buffer_size"], batch_size=config["batch_size"],
                    flush_interval=config["flush_interval"],
                    num_threads=config["num_threads"], max_attempts=config["max_attempts"],
                    exit_timeout=config["exit_timeout"],
                    on_error=sinks.log_failed_batch,
                    backend=config["analytics_backend"], name=config["analytics_name"], **sink)
            except ForkedProcessError as exc:
                raise _forked_error(exc, "processor", _processor_pid) from None
            _created("processor")
            _processor, _processor_pid = processor, pid
    return _processor


def get_leaderboard():
    """This process's :class:`~engagehub_native.Leaderboard`, created on first use.

    When ``snapshot_path`` is set, the board is restored from it if the file
    exists, and written to it when the interpreter exits normally. With the
    default embedded backend every process has its own board: with several
    workers, the last one to exit writes the snapshot. With
    ``leaderboard_backend`` a Redis URL, every process shares the board
    ``leaderboard_name`` there, and a snapshot is restored only into an
    empty board (the first worker to start after Redis lost it).
    """
    global _board, _board_pid
    pid = os.getpid()
    if _board_pid == pid and not _board.closed:
        return _board
    with _lock:
        if _board_pid != pid or _board.closed:  # a closed one is replaced
            from .. import ForkedProcessError, Leaderboard
            from . import conf

            config = conf.settings()
            try:
                board = Leaderboard(decay_factor=config["decay_factor"],
                                    max_users=config["max_users"],
                                    tie_break=config["tie_break"],
                                    windows=config["windows"],
                                    window_origin=config["window_origin"],
                                    backend=config["leaderboard_backend"],
                                    name=config["leaderboard_name"])
            except ForkedProcessError as exc:
                raise _forked_error(exc, "leaderboard", _board_pid) from None
            path = config["snapshot_path"]
            if path is not None:
                path = os.fspath(path)
                shared = config["leaderboard_backend"] not in (None, "embedded")
                if os.path.exists(path) and not (shared and len(board)):
                    restore(board, path)
                atexit.register(_snapshot_at_exit, board, path, pid)
            _created("leaderboard")
            _board, _board_pid = board, pid
    return _board


def restore(board, path: str) -> bool:
    """Load a snapshot into ``board``; on a bad file log it and keep the board as it was."""
    from .. import SnapshotError

    try:
        board.load(path)
    except (SnapshotError, OSError) as exc:
        logger.error("engagehub_native: leaderboard snapshot %s not restored: %s", path, exc)
        return False
    logger.info("engagehub_native: leaderboard restored from %s (%d users)", path, len(board))
    return True


def _snapshot_at_exit(board, path: str, pid: int) -> None:
    if os.getpid() != pid or board.closed:
        return  # a forked child inherited this hook: the board is not its own
    try:
        board.save(path)
    except Exception:
        logger.exception("engagehub_native: leaderboard snapshot to %s failed at exit", path)


def record(event_type: str, user_id: str, channel_id: str,
           timestamp: Optional[int] = None) -> bool:
    """Push one event and give its user the configured ``points`` for its type.

    Returns what ``push`` returned (False: the buffer was full; the event
    was dropped and no points were given).
    """
    from . import conf

    accepted = get_processor().push(event_type, user_id, channel_id, timestamp)
    if accepted:
        points = conf.settings()["points"].get(event_type)
        if points:
            get_leaderboard().update(user_id, points, timestamp)
    return accepted


def shutdown() -> None:
    """Close this process's processor (delivering what it holds, within
    ``exit_timeout``) and write the leaderboard snapshot, if it has them.

    For processes that end without running exit hooks: a Celery prefork
    child ends with ``os._exit``, so the app calls this from Celery's
    ``worker_process_shutdown`` signal. Objects a parent created (inherited
    through fork) are left alone. Safe to call more than once.
    """
    pid = os.getpid()
    processor, board = _processor, _board
    if processor is not None and _processor_pid == pid and not processor.closed:
        try:
            processor.close(timeout=processor.exit_timeout)
        except Exception:
            logger.exception("engagehub_native: events may be undelivered at shutdown")
    if board is not None and _board_pid == pid and not board.closed:
        from . import conf

        path = conf.settings()["snapshot_path"]
        if path is not None:
            _snapshot_at_exit(board, os.fspath(path), pid)


def created_before_fork() -> list:
    """Names of the objects this process holds that a parent process created."""
    pid = os.getpid()
    return [name for name, (owner, _) in creations.items() if owner != pid]
