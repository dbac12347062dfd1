"""The event stream processor: push events, get live analytics and batches."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from time import time as _time
from array import array
from itertools import chain, islice
from typing import Any, Callable, Iterable, NamedTuple, Optional, Sequence

from . import _args
from ._errors import ClosedError, WaitTimeoutError
from ._library import NativeObject, check, load, split_strings

logger = logging.getLogger("engagehub_native")

Callback = Callable[[Any], Any]
ErrorHook = Callable[[Any, BaseException], Any]

#: Longest single wait inside the engine: Python runs signal handlers (Ctrl-C)
#: between these slices.
_SLICE_MS = 100
_EH_FULL = 7
_EH_ERR_CLOSED = 5
_EH_ERR_TIMEOUT = 6
#: Events per crossing of the C ABI in push_many.
_CHUNK = 4096


class ProcessorStats(NamedTuple):
    """Counters of a processor (see :meth:`EventStreamProcessor.stats`)."""

    pushed: int          #: events offered to push/push_many
    accepted: int        #: queued
    dropped: int         #: refused because the buffer was full
    processed: int       #: analysed
    delivered: int       #: events whose callback returned (or that were given up on)
    failed: int          #: events of batches given up on after every attempt
    retried: int         #: callback attempts repeated after an exception
    pending: int         #: analysed and not yet delivered
    queue_depth: int     #: in the buffer, not yet analysed
    batches: int         #: batches cut
    callback_seconds: float  #: time spent inside the callback


class EventStreamProcessor(NativeObject):
    """Live analytics over a stream of events, delivered in batches to a callback.

    ``push`` (or ``push_many``) queues ``(event_type, user_id, channel_id,
    timestamp)`` events in a bounded lock-free buffer and never blocks: it
    returns False, and counts a drop, when the buffer is full. An engine
    thread analyses each event (distinct users per minute, channel counts)
    and cuts batches of at most ``batch_size`` events, when a batch is full
    or ``flush_interval`` seconds after the last one. ``num_threads``
    dispatcher threads owned by this object hand each batch to ``on_flush``,
    as a list of dicts ``{"type", "user_id", "channel_id", "timestamp"}``
    (or, with ``columnar=True``, one dict of four lists).

    A callback that raises is logged (logger ``engagehub_native``) and tried
    again, ``max_attempts`` times in all with exponential backoff from
    ``retry_backoff`` seconds; then the batch goes to ``on_error(batch, exc)``
    if given, else it is logged as failed with its size. Nothing is dropped
    without a trace, and later batches keep flowing.

    Without a callback, analysed events are kept (at most ``max_pending``)
    until one is set; then the buffer backs up and pushes are refused.
    Dispatcher threads never keep the interpreter from exiting: at exit,
    pending events are delivered within ``exit_timeout`` seconds. A
    processor runs (its threads hold it) until :meth:`close`, the end of a
    ``with`` block, or interpreter exit.
    """

    def __init__(self, *, buffer_size: int = 1024, batch_size: int = 100,
                 flush_interval: float = 0.1, num_threads: int = 1,
                 on_flush: Optional[Callback] = None, on_error: Optional[ErrorHook] = None,
                 columnar: bool = False, max_attempts: int = 3, retry_backoff: float = 0.05,
                 exit_timeout: float = 10.0, max_pending: int = 0, hll_precision: int = 14,
                 topk_capacity: int = 1024) -> None:
        buffer_size = _args.integer(buffer_size, "buffer_size", minimum=0, maximum=1 << 30)
        batch_size = _args.integer(batch_size, "batch_size", minimum=0, maximum=1 << 30)
        num_threads = _args.integer(num_threads, "num_threads", minimum=0, maximum=1024)
        max_pending = _args.integer(max_pending, "max_pending", minimum=0, maximum=1 << 40)
        hll_precision = _args.integer(hll_precision, "hll_precision", minimum=4, maximum=18)
        topk_capacity = _args.integer(topk_capacity, "topk_capacity", minimum=0, maximum=1 << 24)
        flush_interval = _args.finite(flush_interval, "flush_interval")
        if flush_interval < 0:
            raise ValueError(f"flush_interval must be >= 0 seconds, got {flush_interval}")
        self._max_attempts = _args.integer(max_attempts, "max_attempts", minimum=1, maximum=1000)
        self._retry_backoff = max(0.0, _args.finite(retry_backoff, "retry_backoff"))
        self.exit_timeout = max(0.0, _args.finite(exit_timeout, "exit_timeout"))
        self.columnar = bool(columnar)
        for name, hook in (("on_flush", on_flush), ("on_error", on_error)):
            if hook is not None and not callable(hook):
                raise TypeError(f"{name} must be callable or None, not {type(hook).__name__}")
        self.on_error = on_error
        self._num_threads = num_threads or os.cpu_count() or 1

        ffi, lib = load()
        config = ffi.new("eh_proc_config *", {
            "buffer_size": buffer_size, "batch_size": batch_size,
            "flush_interval_us": int(flush_interval * 1e6), "max_pending": max_pending,
            "hll_precision": hll_precision, "topk_capacity": topk_capacity,
        })
        handle = ffi.new("uint64_t *")
        check(lib.eh_proc_new(config, handle))
        self._attach(handle[0], "eh_proc_free")

        self._callback: Optional[Callback] = None
        self._stats_lock = threading.Lock()
        self._failed = self._retried = 0
        self._callback_seconds = 0.0
        self._close_lock = threading.Lock()
        self._closing = False
        self._local = threading.local()  # .in_callback on dispatcher threads
        self._dispatchers = [
            threading.Thread(target=self._dispatch, name=f"engagehub-dispatch-{i}", daemon=True)
            for i in range(self._num_threads)
        ]
        for thread in self._dispatchers:
            thread.start()
        _live.add(self)
        if on_flush is not None:
            self.on_flush = on_flush

    # -- the callback ------------------------------------------------------

    @property
    def on_flush(self) -> Optional[Callback]:
        """The flush callback, or None. Assigning None keeps events until one is set."""
        return self._callback

    @on_flush.setter
    def on_flush(self, callback: Optional[Callback]) -> None:
        if callback is not None and not callable(callback):
            raise TypeError(f"on_flush must be callable or None, not {type(callback).__name__}")
        lib = self._lib
        self._callback = callback
        check(lib.eh_proc_set_consumer(self._handle, callback is not None))

    # -- producing -----------------------------------------------------------

    def push(self, event_type: str, user_id: str, channel_id: str,
             timestamp: Optional[int] = None) -> bool:
        """Queue one event; never blocks.

        Returns True when queued, False when the buffer was full (the event is
        dropped and counted). ``timestamp`` (Unix seconds) None or <= 0 means
        the time of the push. Strings may hold any Unicode, NUL included;
        lone surrogates raise ValueError.
        """
        if type(event_type) is str and type(user_id) is str and type(channel_id) is str:
            try:
                t, u, c = event_type.encode(), user_id.encode(), channel_id.encode()
            except UnicodeEncodeError:
                t, u, c = _event_fields(event_type, user_id, channel_id)
        else:
            t, u, c = _event_fields(event_type, user_id, channel_id)
        if type(timestamp) is not int or not 0 < timestamp <= _args.INT64_MAX:
            # "Now" read here: Python's clock costs ~40 ns, Go's from a cgo call ~250 ns.
            if timestamp == 0 and type(timestamp) is int:  # the drop-in's usual call
                timestamp = int(_time())
            else:
                timestamp = _args.timestamp(timestamp) or int(_time())
        status = self._lib.eh_proc_push(self._handle, t, len(t), u, len(u), c, len(c), timestamp)
        if status == 0:
            return True
        if status == _EH_FULL:
            return False
        check(status)
        return False  # unreachable: check raised

    def push_many(self, events: Iterable[Sequence]) -> int:
        """Queue ``(event_type, user_id, channel_id[, timestamp])`` tuples in order.

        Crosses into the engine once per 4096 events and never blocks;
        returns how many were queued. Once the buffer is full the remaining
        events of the call are dropped and counted. Every event of a
        4096-event chunk is checked before any of it is queued: a bad event
        raises TypeError or ValueError naming its index, and only the chunks
        before its own were offered.
        """
        accepted = offered = 0
        events = iter(events)
        while True:
            chunk = list(islice(events, _CHUNK))
            if not chunk:
                return accepted
            accepted += self._push_chunk(chunk, offered)
            offered += len(chunk)

    def _push_chunk(self, chunk: list, offset: int) -> int:
        try:
            widths = set(map(len, chunk))
        except TypeError:
            raise _bad_event(chunk, offset) from None
        if len(widths) != 1 or not set(map(type, chunk)) <= {tuple, list}:
            raise _bad_event(chunk, offset)
        columns = list(zip(*chunk))
        if widths == {3}:
            stamps = array("q", bytes(8 * len(chunk)))
        elif widths == {4}:
            try:
                stamps = array("q", columns[3])
            except (TypeError, OverflowError):
                stamps = array("q", [_args.timestamp(s, f"event {offset + i} timestamp")
                                     for i, s in enumerate(columns[3])])
        else:
            raise _bad_event(chunk, offset)
        fields = list(chain(columns[0], columns[1], columns[2]))
        try:
            text = "\0".join(fields)
        except TypeError:
            raise _bad_event(chunk, offset) from None
        if text.isascii() and text.count("\0") == len(fields) - 1:
            # The common case: ASCII fields without NULs go as one
            # NUL-separated string, with no lengths to compute.
            blob, lengths = text.encode("ascii"), None
        else:
            try:
                encoded = [field.encode() for field in fields]
            except UnicodeEncodeError:
                raise _bad_event(chunk, offset) from None
            blob, lengths = b"".join(encoded), array("q", map(len, encoded))
        ffi = self._ffi
        accepted = ffi.new("size_t *")
        status = self._lib.eh_proc_push_many(
            self._handle, blob, len(blob),
            ffi.NULL if lengths is None else ffi.from_buffer("int64_t[]", lengths),
            ffi.from_buffer("int64_t[]", stamps), len(chunk), accepted)
        if status:
            check(status)
        return accepted[0]

    # -- waiting ---------------------------------------------------------------

    def flush(self, timeout: Optional[float] = None) -> None:
        """Wait until every event pushed before the call is analysed and delivered.

        Delivered means its callback returned (or gave up). Returns at once
        what can't progress: with no callback set, once events are analysed
        (or the kept events reach ``max_pending``). Called from inside a
        callback it waits only for analysis, not for delivery, which would
        wait on itself. Raises WaitTimeoutError if ``timeout`` seconds pass.
        """
        lib, ffi = self._lib, self._ffi
        mark = ffi.new("uint64_t *")
        check(lib.eh_proc_flush_begin(self._handle, mark))
        wait_delivery = not getattr(self._local, "in_callback", False)
        self._wait(lambda ms: lib.eh_proc_flush_wait(self._handle, mark[0], ms, wait_delivery),
                   timeout, "flush")

    def _wait(self, call: Callable[[int], int], timeout: Optional[float], what: str) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            ms = _SLICE_MS
            if deadline is not None:
                ms = max(0, min(ms, int((deadline - time.monotonic()) * 1000)))
            status = call(ms)
            if status == 0:
                return
            if status != _EH_ERR_TIMEOUT:
                check(status)
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeoutError(f"{what} did not finish within {timeout} s; nothing was lost")

    def close(self, timeout: Optional[float] = None) -> None:
        """Stop accepting events, deliver what was pushed, stop the threads.

        Waits up to ``timeout`` seconds (None: as long as it takes) for the
        callback to take every pending event; on WaitTimeoutError the
        processor stays open and close() may be called again. Events left
        when no callback is set are logged as undelivered. Idempotent.
        """
        with self._close_lock:
            if self.closed:
                return
            self._closing = True
            lib = self._lib
            handle = self._handle
            deadline = None if timeout is None else time.monotonic() + timeout
            self._wait(lambda ms: lib.eh_proc_close(handle, ms), timeout, "close")
            me = threading.current_thread()
            for thread in self._dispatchers:
                if thread is not me:
                    left = None if deadline is None else max(0.0, deadline - time.monotonic())
                    thread.join(left)
            stats = self.stats()
            if stats.pending:
                logger.warning("engagehub_native: closing with %d events undelivered%s",
                               stats.pending, "" if self._callback else " (no flush callback was set)")
            _live.discard(self)
            self._release()

    def __enter__(self) -> "EventStreamProcessor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- dispatching -----------------------------------------------------------

    def _dispatch(self) -> None:
        """Body of a dispatcher thread: pull batches, call back, acknowledge."""
        ffi, lib, handle = self._ffi, self._lib, self._handle
        batch = ffi.new("eh_batch *")
        self._local.in_callback = False
        while True:
            status = lib.eh_proc_next(handle, _SLICE_MS, batch)
            if status == _EH_ERR_CLOSED:
                return
            if status:
                try:
                    check(status)
                except ClosedError:
                    return
                except Exception:
                    logger.exception("engagehub_native: dispatcher failed to pull a batch")
                    time.sleep(_SLICE_MS / 1000)
                continue
            count = batch.count
            if not count:
                continue
            batch_id = batch.id
            try:
                fields = split_strings(ffi.unpack(batch.fields, batch.fields_length))
                stamps = ffi.unpack(batch.timestamps, count)
            finally:
                lib.eh_free(batch.block)
            try:
                self._deliver(_shape(fields, stamps, self.columnar), count)
            finally:
                lib.eh_proc_done(handle, batch_id)

    def _deliver(self, events, count: int) -> None:
        self._local.in_callback = True
        try:
            attempt = 0
            while True:
                callback = self._callback
                while callback is None:  # removed after this batch was handed out
                    if self._closing:
                        self._give_up(events, count, None)
                        return
                    time.sleep(_SLICE_MS / 1000)
                    callback = self._callback
                attempt += 1
                started = time.perf_counter()
                try:
                    callback(events)
                    return
                except BaseException as exc:  # noqa: B036 - a callback must never kill a dispatcher
                    logger.error("flush callback raised on a batch of %d events (attempt %d of %d)",
                                 count, attempt, self._max_attempts, exc_info=True)
                    if attempt < self._max_attempts:
                        with self._stats_lock:
                            self._retried += 1
                        time.sleep(self._retry_backoff * 2 ** (attempt - 1))
                        continue
                    self._give_up(events, count, exc)
                    return
                finally:
                    with self._stats_lock:
                        self._callback_seconds += time.perf_counter() - started
        finally:
            self._local.in_callback = False

    def _give_up(self, events, count: int, exc: Optional[BaseException]) -> None:
        """Hand a batch that cannot be delivered to on_error, or log it with its size.

        ``exc`` is the callback's last exception, or None when the processor
        closed while no callback was set.
        """
        with self._stats_lock:
            self._failed += count
        if exc is None:
            logger.error("closing with no flush callback set: a batch of %d events is undelivered",
                         count)
            exc = ClosedError("closed while no flush callback was set")
        elif self.on_error is None:
            logger.error("gave up on a batch of %d events after %d attempts; pass on_error= "
                         "to keep failed batches", count, self._max_attempts)
        if self.on_error is None:
            return
        try:
            self.on_error(events, exc)
        except BaseException:
            logger.exception("on_error raised for a batch of %d events, which is now lost", count)

    # -- analytics -------------------------------------------------------------

    def unique_users(self, window: int = 3600) -> int:
        """Estimated distinct user ids among events of the last ``window`` seconds.

        Events count by their own timestamp; the window is at most an hour
        and is kept in one-minute HyperLogLog buckets (about 0.8 % error).
        """
        window = _args.integer(window, "window", minimum=0, maximum=3600)
        out = self._ffi.new("uint64_t *")
        check(self._lib.eh_proc_unique_users(self._handle, window, out))
        return out[0]

    def top_channels(self, k: int = 10) -> list[tuple[str, int]]:
        """Up to ``k`` ``(channel_id, count)`` pairs, busiest first.

        Counts are all-time and never under-estimate; memory stays bounded
        however many channels appear.
        """
        k = _args.integer(k, "k", minimum=0)
        ffi = self._ffi
        top = ffi.new("eh_counts *")
        check(self._lib.eh_proc_top_channels(self._handle, k, top))
        count = top.count
        if not count:
            return []
        try:
            ids = split_strings(ffi.unpack(top.ids, top.ids_length))
            counts = ffi.unpack(top.counts, count)
        finally:
            self._lib.eh_free(top.block)
        return list(zip(ids, counts))

    def stats(self) -> ProcessorStats:
        """A snapshot of the counters."""
        s = self._ffi.new("eh_proc_counters *")
        check(self._lib.eh_proc_stats(self._handle, s))
        with self._stats_lock:
            failed, retried, seconds = self._failed, self._retried, self._callback_seconds
        return ProcessorStats(
            pushed=s.pushed, accepted=s.accepted, dropped=s.dropped, processed=s.processed,
            delivered=s.delivered, failed=failed, retried=retried, pending=s.pending,
            queue_depth=s.queue_depth, batches=s.batches, callback_seconds=seconds,
        )

    def __repr__(self) -> str:
        if self.closed:
            return "<EventStreamProcessor closed>"
        try:
            s = self.stats()
        except Exception as exc:  # e.g. used in a forked child
            return f"<EventStreamProcessor unusable: {type(exc).__name__}>"
        return (f"<EventStreamProcessor accepted={s.accepted} dropped={s.dropped} "
                f"delivered={s.delivered} pending={s.pending} threads={self._num_threads}>")


def _event_fields(event_type, user_id, channel_id):
    return (_args.text(event_type, "event_type"), _args.text(user_id, "user_id"),
            _args.text(channel_id, "channel_id"))


def _bad_event(chunk: list, offset: int) -> Exception:
    """The exception naming the first malformed event of a chunk."""
    for i, event in enumerate(chunk):
        where = f"event {offset + i}"
        if not isinstance(event, (tuple, list)) or len(event) not in (3, 4):
            return TypeError(f"{where}: expected (event_type, user_id, channel_id[, timestamp]), "
                             f"got {event!r:.80}")
        if len(event) != len(chunk[0]):
            return TypeError(f"{where}: every event of a call must have the same number of "
                             "fields (3, or 4 with a timestamp)")
        try:
            _event_fields(*event[:3])
            if len(event) == 4:
                _args.timestamp(event[3])
        except (TypeError, ValueError) as exc:
            return type(exc)(f"{where}: {exc}")
    return ValueError("malformed events")  # the engine refused what Python could not find


def _shape(fields: list, stamps: list, columnar: bool):
    """A batch as the callback receives it."""
    if columnar:
        return {"type": fields[0::3], "user_id": fields[1::3], "channel_id": fields[2::3],
                "timestamp": stamps}
    it = iter(fields)
    return [{"type": t, "user_id": u, "channel_id": c, "timestamp": ts}
            for t, u, c, ts in zip(it, it, it, stamps)]


_live: "weakref.WeakSet[EventStreamProcessor]" = weakref.WeakSet()


@atexit.register
def _close_at_exit() -> None:
    """Deliver what is pending when the interpreter exits (bounded by exit_timeout)."""
    from ._library import usable

    if not usable():
        return
    for processor in list(_live):
        try:
            processor.close(timeout=processor.exit_timeout)
        except Exception:
            logger.exception("engagehub_native: events may be undelivered at exit")
