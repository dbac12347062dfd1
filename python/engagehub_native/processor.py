"""The event stream processor: push events, get live analytics and batches.

How an event travels (see DESIGN.md, "no Go crossing per call on hot paths"):

* ``push`` checks the event and stages it (``_staging.EventStaging``, in C):
  its four fields go into the slot of the stream position it will get, and
  its ids and timestamp are appended to the wire the engine reads. No call
  into the engine. When the staging is full, when a dispatcher thread finds
  no batch within the flush interval, and before every read (flush,
  analytics, stats, close), the staged events are drained into the engine
  in bulk: one crossing per chunk, which hands over the wire as it is.
* The engine gets only what it analyses (user and channel ids, timestamps)
  and numbers the events it accepts: stream positions 0, 1, 2, ... in the
  order of the drains, which are the slots' order. The events' fields stay
  in their slots.
* A batch comes back as (first position, count); the dispatcher thread
  moves those fields out of their slots and hands the callback the very
  string objects that were pushed, shaped as dicts or columns. No string is
  decoded on the way back.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
import time
import weakref
from collections import deque
from itertools import islice
from time import time as _time
from typing import Any, Callable, Iterable, NamedTuple, Optional, Sequence

from . import _args, _redis, _staging
from ._errors import ClosedError, WaitTimeoutError
from ._library import NativeObject, check, encode_strings, load, read_list

logger = logging.getLogger("engagehub_native")

Callback = Callable[[Any], Any]
ErrorHook = Callable[[Any, BaseException], Any]

#: Longest single wait inside the engine: Python runs signal handlers (Ctrl-C)
#: between these slices.
_SLICE_MS = 100
#: Most events staged before a push drains them into the engine. Each drain
#: lets the dispatcher threads take the GIL from the producer: the
#: original's workload (50k pushes, 4 dispatchers) took a median 66.6-68.4 ms
#: by 1024, 57.0-58.1 by 4096 (benchmarks/dispatch_threads.py, alternating).
_STAGE = 4096
#: Fields per staged event: type, user id, channel id, timestamp.
_FIELDS = 4
#: Longest event (its three strings' characters together) that may wait in
#: the staging: a longer one goes straight into the engine or is refused, so
#: the staging holds at most _STAGE * _SMALL characters. Defined in
#: _staging.c, whose push applies it too.
_SMALL = _staging.SMALL_EVENT
#: Default bound on the size of the events a processor holds (see max_pending_bytes).
_MAX_PENDING_BYTES = 256 * 2**20
_INT64_MAX = _args.INT64_MAX


#: Confidence of the interval of ``unique_users(..., with_bounds=True)``.
ESTIMATE_CONFIDENCE = 0.95


class Estimate(NamedTuple):
    """An estimate and an interval holding the truth with ESTIMATE_CONFIDENCE."""

    value: int
    lower: int
    upper: int


class ChannelCount(NamedTuple):
    """A channel's event count: the truth lies in ``count - max_overcount .. count``."""

    channel_id: str
    count: int
    max_overcount: int


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


class SinkStats(NamedTuple):
    """Counters of a processor's native sink (see :meth:`EventStreamProcessor.sink_stats`).

    Every event accepted is in exactly one of ``written``, ``failed`` and
    ``waiting``.
    """

    written: int         #: events committed to the table
    failed: int          #: events of batches given up on (logged with the error)
    waiting: int         #: accepted and not yet written (in memory, retried while the database is down)
    retries: int         #: write attempts repeated after an error
    down: bool           #: the last attempt failed because the database was unreachable
    last_error: str      #: the last failed attempt's message ("" if none)


class EventStreamProcessor(_staging.Pushes):
    """Live analytics over a stream of events, delivered in batches to a callback.

    ``push`` (or ``push_many``) queues ``(event_type, user_id, channel_id,
    timestamp)`` events and never blocks: it returns False, and counts a
    drop, when the buffer is full. The buffer is the engine's lock-free ring
    of ``buffer_size`` events plus a staging area of up to
    ``min(buffer_size, 4096)`` events on the Python side, which reaches the
    engine in bulk. An engine thread analyses each event (distinct users per
    minute, channel counts) and cuts batches of at most ``batch_size``
    events, when a batch is full or ``flush_interval`` seconds after the
    last one (staged events reach the engine within one more interval).
    ``num_threads`` dispatcher threads owned by this object hand each batch
    to ``on_flush``, as a list of dicts ``{"type", "user_id", "channel_id",
    "timestamp"}`` (or, with ``columnar=True``, one dict of four lists),
    holding the very objects that were pushed.

    A callback that raises is logged (logger ``engagehub_native``) and tried
    again, ``max_attempts`` times in all with exponential backoff from
    ``retry_backoff`` seconds; then the batch goes to ``on_error(batch, exc)``
    if given, else it is logged as failed with its size. Nothing is dropped
    without a trace, and later batches keep flowing.

    Without a callback, analysed events are kept (at most ``max_pending``)
    until one is set; then the buffer backs up and pushes are refused.
    Whatever the counts, the events held (in the ring, kept or being
    delivered) never take more than ``max_pending_bytes`` (their strings'
    UTF-8 ids and type characters, default 256 MiB): beyond it, pushes wait
    in the staging area and then are refused, as when the ring is full. One
    event larger than the bound alone still passes when nothing else is
    held. Events longer than 1024 characters never wait in the staging
    area: they go straight into the engine, or are refused.

    ``sink="postgresql://user:pass@host:port/db"`` (a libpq URL) makes the
    engine write every batch into a PostgreSQL table itself, with COPY on
    ``sink_workers`` Go connections: no GIL and no Python object per event.
    The table is ``sink_table`` (default ``engagehub_native_event``, the
    Django app's) with ``sink_columns`` for type, user id, channel id and
    timestamp (timestamptz, timestamp or integer Unix seconds). An
    unreachable database raises :class:`SinkUnreachableError` within
    ``sink_connect_timeout`` seconds, a missing table or column
    :class:`SinkError`. While the database is down, batches are retried with
    backoff and kept in memory (bounded by ``max_pending``, then pushes are
    refused and counted as drops) and written when it is back; a batch the
    database refuses for its content is tried ``max_attempts`` times, then
    counted as failed and logged. ``on_flush`` may be set too: it receives
    the same batches, and ``flush``/``close`` wait for both.

    Dispatcher threads never keep the interpreter from exiting: at exit,
    pending events are delivered within ``exit_timeout`` seconds. Use
    ``with EventStreamProcessor(...) as p:`` or :meth:`close`; a processor
    dropped without either is closed in the background: what it holds is
    delivered, its threads end and its memory is freed (a callback that
    refers to its own processor keeps it alive, though: close it).

    ``backend`` a Redis URL (as for :class:`Leaderboard`) also keeps the
    live analytics in Redis under ``name``, shared by every processor that
    uses the name there: :meth:`unique_users` and :meth:`top_channels` then
    answer for all of them (top channels counted over the last hour), and
    raise BackendError while Redis is down; events are still delivered to
    the callback as usual. The engine sends one aggregate per batch, never
    one round trip per event.
    """

    def __init__(self, *, buffer_size: int = 1024, batch_size: int = 100,
                 flush_interval: float = 0.1, num_threads: int = 1,
                 on_flush: Optional[Callback] = None, on_error: Optional[ErrorHook] = None,
                 columnar: bool = False, max_attempts: int = 3, retry_backoff: float = 0.05,
                 exit_timeout: float = 10.0, max_pending: int = 0, hll_precision: int = 14,
                 topk_capacity: int = 1024,
                 max_pending_bytes: int = _MAX_PENDING_BYTES,
                 sink: Optional[str] = None, sink_table: Optional[str] = None,
                 sink_columns: Optional[Sequence[str]] = None, sink_workers: int = 2,
                 sink_connect_timeout: float = 5.0, backend: Optional[str] = None,
                 name: str = "default") -> None:
        pipeline = _Pipeline(
            sink=sink, sink_table=sink_table, sink_columns=sink_columns,
            sink_workers=sink_workers, sink_connect_timeout=sink_connect_timeout,
            buffer_size=buffer_size, batch_size=batch_size, flush_interval=flush_interval,
            num_threads=num_threads, on_flush=on_flush, on_error=on_error, columnar=columnar,
            max_attempts=max_attempts, retry_backoff=retry_backoff, exit_timeout=exit_timeout,
            max_pending=max_pending, hll_precision=hll_precision, topk_capacity=topk_capacity,
            max_pending_bytes=max_pending_bytes, backend=backend, name=name)
        self._pipeline = pipeline
        # The hot path's state: once closing or sealed, the staging is shut
        # and every push takes the slow path, which raises ClosedError or
        # ForkedProcessError.
        self._staging = pipeline.staging
        weakref.finalize(self, pipeline.drop)
        pipeline.start()

    # -- the callback ------------------------------------------------------

    @property
    def on_flush(self) -> Optional[Callback]:
        """The flush callback, or None. Assigning None keeps events until one is set."""
        return self._pipeline.callback

    @on_flush.setter
    def on_flush(self, callback: Optional[Callback]) -> None:
        self._pipeline.set_callback(callback)

    @property
    def on_error(self) -> Optional[ErrorHook]:
        """Called as ``on_error(batch, exc)`` with a batch given up on, or None."""
        return self._pipeline.on_error

    @on_error.setter
    def on_error(self, hook: Optional[ErrorHook]) -> None:
        self._pipeline.on_error = _hook(hook, "on_error")

    @property
    def columnar(self) -> bool:
        """Whether batches are delivered as one dict of four lists."""
        return self._pipeline.columnar

    @property
    def exit_timeout(self) -> float:
        """Seconds the exit hook waits for this processor's pending events."""
        return self._pipeline.exit_timeout

    @property
    def closed(self) -> bool:
        """True once close() has begun: pushes raise ClosedError from then on."""
        return self._pipeline.closing

    # -- producing -----------------------------------------------------------

    # push(event_type, user_id, channel_id, timestamp=None) -> bool is
    # _staging.Pushes.push, in C: the checks and the append below, for the
    # common case. Anything else comes here, which holds the rules.

    def _push_slow(self, event_type: str, user_id: str, channel_id: str,
                   timestamp: Optional[int] = None) -> bool:
        """push, for what its C fast path leaves to Python (see _staging.c)."""
        if type(timestamp) is not int or not 0 < timestamp <= _INT64_MAX:
            timestamp = _args.timestamp(timestamp) or int(_time())
        if not (type(event_type) is str and type(user_id) is str and type(channel_id) is str
                and len(text := event_type + user_id + channel_id) <= _SMALL and text.isascii()):
            _check_fields(event_type, user_id, channel_id)
            if len(event_type) + len(user_id) + len(channel_id) > _SMALL:
                return self._pipeline.push_large((event_type, user_id, channel_id, timestamp))
        event = [event_type, user_id, channel_id, timestamp]
        if self._staging.stage(event, self._staging.limit):
            return True
        return self._pipeline.push_slow(event)

    def push_many(self, events: Iterable[Sequence]) -> int:
        """Queue ``(event_type, user_id, channel_id[, timestamp])`` tuples in order.

        Never blocks; returns how many were queued, always the first ones:
        once the buffer is full, the remaining events of the call are
        dropped and counted (without being checked), so ``events[n:]`` may
        be offered again. Events are checked 4096 at a time before any of
        them is queued: a bad event raises TypeError or ValueError naming
        its index, and only the chunks before its own were queued.
        """
        accepted = offered = 0
        events = iter(events)
        pipeline = self._pipeline
        while True:
            chunk = list(islice(events, 4096))
            if not chunk:
                return accepted
            taken = pipeline.push_chunk(chunk, offered)
            accepted += taken
            offered += len(chunk)
            if taken < len(chunk):  # full: a later event must not pass an earlier one
                pipeline.count_dropped(sum(1 for _ in events))
                return accepted

    # -- waiting ---------------------------------------------------------------

    def flush(self, timeout: Optional[float] = None) -> None:
        """Wait until every event pushed before the call is analysed and delivered.

        Delivered means its callback returned (or gave up). Returns at once
        what can't progress: with no callback set, once events are analysed
        (or the kept events reach ``max_pending``). Called from inside a
        callback it waits only for analysis, not for delivery, which would
        wait on itself. Raises WaitTimeoutError if ``timeout`` seconds pass.
        """
        self._pipeline.flush(timeout)

    def close(self, timeout: Optional[float] = None) -> None:
        """Stop accepting events, deliver what was pushed, stop the threads.

        Waits up to ``timeout`` seconds (None: as long as it takes) for the
        callback to take every pending event; on WaitTimeoutError, delivery
        goes on in the background and close() may be called again to wait
        more. Called from inside the callback, it stops accepting events and
        returns at once (it cannot wait for its own batch). Events left when
        no callback is set are logged as undelivered. Idempotent.
        """
        self._pipeline.close(timeout)

    def __enter__(self) -> "EventStreamProcessor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- asyncio -----------------------------------------------------------------

    async def aflush(self, timeout: Optional[float] = None) -> None:
        """:meth:`flush` for a coroutine: waits on a worker thread, so the event
        loop (a discord.py bot's, say) keeps running. ``push`` never blocks
        and needs no ``await``. Cancelling the awaiting task stops the wait,
        not the flush."""
        await asyncio.to_thread(self.flush, timeout)

    async def aclose(self, timeout: Optional[float] = None) -> None:
        """:meth:`close` for a coroutine, waiting on a worker thread."""
        await asyncio.to_thread(self.close, timeout)

    async def __aenter__(self) -> "EventStreamProcessor":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    # -- analytics -------------------------------------------------------------

    def unique_users(self, window: int = 3600, with_bounds: bool = False):
        """Estimated distinct user ids among events of the last ``window`` seconds.

        Events count by their own timestamp; the window is at most an hour
        and is kept in one-minute HyperLogLog buckets (about 0.8 % error).
        Every event pushed before the call is counted (the call waits for
        their analysis, not their delivery).

        With ``with_bounds=True`` it returns an :class:`Estimate`
        ``(value, lower, upper)``: ``value`` is what the call returns
        without bounds, and ``lower..upper`` holds the true number with
        :data:`ESTIMATE_CONFIDENCE` (95 %) confidence (±1.96 standard
        errors of the HyperLogLog's precision, ``1.04 / sqrt(2**hll_precision)``).
        """
        window = _args.integer(window, "window")
        if not with_bounds:
            return self._pipeline.unique_users(window)
        return self._pipeline.unique_users_bounds(window)

    def top_channels(self, k: int = 10, window: Optional[int] = None,
                     with_bounds: bool = False) -> list:
        """Up to ``k`` ``(channel_id, count)`` pairs, busiest first.

        ``window=None`` (the default): counts are all-time. ``window`` in
        seconds: counts of the events whose timestamp lies in that sliding
        window, a whole number of minutes up to an hour (``window=3600``:
        what trends now), kept in one-minute buckets. Counts never
        under-estimate; memory stays bounded however many channels appear.
        With ``with_bounds=True`` each entry is a :class:`ChannelCount`
        ``(channel_id, count, max_overcount)``: the true count lies in
        ``count - max_overcount .. count``, guaranteed (not a confidence).
        Every event pushed before the call is counted (the call waits for
        their analysis, not their delivery). A windowed query takes
        ``k >= 1``.
        """
        if window is None:
            return self._pipeline.top_channels(_args.count(k, "k"), with_bounds)
        return self._pipeline.trending_channels(_args.integer(k, "k"),
                                                _args.integer(window, "window"), with_bounds)

    def export_analytics(self) -> bytes:
        """The analytics (distinct users of the last hour, all-time and
        per-minute channel counts) as bytes, for :meth:`merge_analytics` in
        another processor, in this process or another. Every event pushed
        before the call is in it. The format is versioned; at the defaults
        it takes up to about 7 MB (fixed-size sketches)."""
        return self._pipeline.export_analytics()

    def merge_analytics(self, data) -> None:
        """Add another processor's :meth:`export_analytics` into this one's
        analytics, as if this processor had analysed those events too.

        Distinct users merge exactly (HyperLogLog union), channel counts
        add (Count-Min sums, mergeable Space-Saving), keeping their bounds.
        Minute buckets merge by minute on this processor's clock: minutes
        older than its last hour are left out. ``data`` from another format
        version, another ``hll_precision`` or ``topk_capacity``, truncated or
        not a state at all raises ValueError and changes nothing.
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        self._pipeline.merge_analytics(bytes(data))

    def stats(self) -> ProcessorStats:
        """A snapshot of the counters (the final ones once closed)."""
        return self._pipeline.stats()

    def sink_stats(self) -> Optional[SinkStats]:
        """The native sink's counters (the final ones once closed), or None without a sink."""
        return self._pipeline.sink_stats()

    def backend_stats(self) -> "_redis.BackendStats":
        """Counters of the analytics shared in Redis (``backend=``): events
        aggregated and waiting (while Redis is slow or down), sent, dropped."""
        p = self._pipeline
        return _redis.backend_stats(p._ffi, p._lib, p._handle, "eh_proc_backend_stats")

    def __repr__(self) -> str:
        try:
            s = self.stats()
        except Exception as exc:  # e.g. used in a forked child
            return f"<EventStreamProcessor unusable: {type(exc).__name__}>"
        state = "closed " if self.closed else ""
        return (f"<EventStreamProcessor {state}accepted={s.accepted} dropped={s.dropped} "
                f"delivered={s.delivered} pending={s.pending} "
                f"threads={self._pipeline.num_threads}>")


class _Pipeline(NativeObject):
    """The engine handle and everything the dispatcher threads share.

    It never refers to its EventStreamProcessor (only weakly, to seal it),
    so dropping the processor lets its finalizer ask the dispatchers to
    close: the last dispatcher to end frees the engine.
    """

    def __init__(self, *, buffer_size, batch_size, flush_interval, num_threads, on_flush,
                 on_error, columnar, max_attempts, retry_backoff, exit_timeout, max_pending,
                 hll_precision, topk_capacity, max_pending_bytes,
                 sink=None, sink_table=None, sink_columns=None, sink_workers=2,
                 sink_connect_timeout=5.0, backend=None, name="default") -> None:
        # The engine owns the rules of its settings; Python checks types
        # (and what only Python uses: threads, retries, exit timeout).
        flush_interval = _args.finite(flush_interval, "flush_interval")
        num_threads = _args.integer(num_threads, "num_threads", minimum=0, maximum=1024)
        self.max_attempts = _args.integer(max_attempts, "max_attempts", minimum=1, maximum=1000)
        self.retry_backoff = _args.nonnegative(retry_backoff, "retry_backoff")
        self.exit_timeout = _args.nonnegative(exit_timeout, "exit_timeout")
        self.max_pending_bytes = _args.integer(max_pending_bytes, "max_pending_bytes", minimum=1)
        self.columnar = bool(columnar)
        self.callback = _hook(on_flush, "on_flush")
        self.on_error = _hook(on_error, "on_error")
        self.num_threads = num_threads or os.cpu_count() or 1

        ffi, lib = load()
        config = ffi.new("eh_proc_config *", {
            "buffer_size": _args.integer(buffer_size, "buffer_size"),
            "batch_size": _args.integer(batch_size, "batch_size"),
            "flush_interval_us": _args.integer(round(flush_interval * 1e6), "flush_interval"),
            "max_pending": _args.integer(max_pending, "max_pending"),
            "hll_precision": _args.integer(hll_precision, "hll_precision"),
            "topk_capacity": _args.integer(topk_capacity, "topk_capacity"),
        })
        _bind_drains(ffi, lib)
        handle = _redis.new_processor(ffi, lib, config, backend, name)
        self._attach(handle, "eh_proc_free")

        ring = config.buffer_size
        self.stage_limit = min(ring, _STAGE)  # events
        # The staging's slots hold events' fields by stream position: the
        # engine holds at most ring + max_pending events that a dispatcher
        # has not taken yet, so with room for a full staging beside them, a
        # push never waits for a slot, only for the ring.
        self._capacity = ring + config.max_pending + self.stage_limit  # events
        self._chunk = ring
        self._room = ring  # room in the ring as the engine last said (a lower bound)
        # Bytes of the events offered to the engine and not yet done with:
        # one (end position, bytes) per offer, released whole once the
        # engine no longer holds any of its events.
        self._held_bytes = 0
        self._held: deque = deque()
        self._drain_lock = threading.Lock()
        self._slice_ms = max(1, min(_SLICE_MS, config.flush_interval_us // 1000))

        self.closing = False  # pushes are refused; the engine closes once staging is empty
        self._engine_closed = False
        self._stats_lock = threading.Lock()
        self._failed = self._retried = self._abandoned = self._late = 0
        self.closed_at_exit = False  # closed by the exit hook: later pushes deliver at once
        self._drops = 0  # pushes refused and not yet counted in the engine (_report_drops_locked)
        self._callback_seconds = 0.0
        self._final: Optional[ProcessorStats] = None
        self._local = threading.local()  # .in_callback on dispatcher threads
        self._threads_left = self.num_threads
        self._threads = [threading.Thread(target=self._dispatch, daemon=True,
                                          name=f"engagehub-dispatch-{i}")
                         for i in range(self.num_threads)]
        # The native sink (attached before anything is pushed): the engine
        # then keeps every field, so drains send it the event types too.
        self.sink = sink
        self.staging = _staging.EventStaging(self._capacity, self.stage_limit, sink is not None)
        self._final_sink: Optional[SinkStats] = None
        self._sink_lock = threading.Lock()
        self._sink_check_at = 0.0
        self._sink_seen = (0, False)  # (failures, down) last logged
        if sink is not None:
            try:
                self._attach_sink(sink, sink_table, sink_columns, sink_workers,
                                  sink_connect_timeout)
            except BaseException:
                self._release()
                raise
        if self.callback is not None:
            check(lib.eh_proc_set_consumer(self._handle, True))

    def _attach_sink(self, dsn, table, columns, workers, connect_timeout) -> None:
        ffi, lib = self._ffi, self._lib
        dsn_bytes = _args.text(dsn, "sink")
        if not dsn_bytes.strip():
            raise ValueError("sink must be a postgresql:// URL (or a libpq key=value string), "
                             "not empty")
        table_bytes = b"" if table is None else _args.text(table, "sink_table")
        if table is not None and not table:
            raise ValueError("sink_table must not be empty")
        column_bytes = b""
        if columns is not None:
            if isinstance(columns, str) or len(columns) != 4:
                raise TypeError("sink_columns must be 4 column names (type, user id, "
                                "channel id, timestamp)")
            for name in columns:
                if not _args.text(name, "sink_columns"):
                    raise ValueError("sink_columns must not hold an empty name")
            column_bytes = encode_strings(list(columns))
        timeout = _args.nonnegative(connect_timeout, "sink_connect_timeout")
        keep = [ffi.new("char[]", dsn_bytes), ffi.new("char[]", table_bytes),
                ffi.new("char[]", column_bytes)]
        config = ffi.new("eh_sink_config *", {
            "dsn": keep[0], "dsn_length": len(dsn_bytes),
            "table": keep[1], "table_length": len(table_bytes),
            "columns": keep[2], "columns_length": len(column_bytes),
            "workers": _args.integer(workers, "sink_workers", minimum=1, maximum=64),
            "max_attempts": self.max_attempts,
            "connect_timeout_ms": max(1, round(timeout * 1000)),
        })
        check(lib.eh_proc_attach_sink(self._handle, config))

    def sink_stats(self) -> Optional[SinkStats]:
        if self.sink is None:
            return None
        if self._final_sink is not None:
            return self._final_sink
        ffi, lib = self._ffi, self._lib
        counters = ffi.new("eh_sink_counters *")
        message = ffi.new("eh_list *")
        check(lib.eh_proc_sink_stats(self._handle, counters, message))  # before stats(): see waiting
        text = read_list(message, reals=False, ints=False)[0]
        accepted = self.stats().accepted
        return SinkStats(written=counters.written, failed=counters.failed,
                         waiting=max(0, accepted - counters.written - counters.failed),
                         retries=counters.retries, down=bool(counters.down),
                         last_error=text[0] if text else "")

    def _report_sink(self, force: bool = False) -> None:
        """Log the native sink's news: batches given up on, the database
        going away and coming back. Called by the dispatchers about twice a
        second."""
        now = time.monotonic()
        if not force and now < self._sink_check_at:
            return
        if not self._sink_lock.acquire(blocking=force):
            return
        try:
            self._sink_check_at = now + 0.5
            ffi, lib = self._ffi, self._lib
            counters = ffi.new("eh_sink_counters *")
            message = ffi.new("eh_list *")
            if lib.eh_proc_sink_stats(self._handle, counters, message):
                return
            text = read_list(message, reals=False, ints=False)[0]
            error = text[0] if text else ""
            failures, down = self._sink_seen
            if counters.failures > failures:
                logger.error("native sink: gave up on %d batches (%d events in all so far) "
                             "after %d attempts: %s", counters.failures - failures,
                             counters.failed, self.max_attempts, error)
            if counters.down and not down:
                logger.error("native sink: the database is unreachable; batches are kept "
                             "and retried until it is back: %s", error)
            elif down and not counters.down:
                logger.warning("native sink: the database is reachable again")
            self._sink_seen = (counters.failures, bool(counters.down))
        finally:
            self._sink_lock.release()

    def start(self) -> None:
        for thread in self._threads:
            thread.start()
        _live.add(self)

    def set_callback(self, callback: Optional[Callback]) -> None:
        callback = _hook(callback, "on_flush")
        lib = self._lib
        self.callback = callback
        check(lib.eh_proc_set_consumer(self._handle, callback is not None))

    def _seal(self, error) -> None:
        super()._seal(error)
        self.staging.open = False  # every push takes the slow path, which raises

    # -- into the engine -------------------------------------------------------

    def push_slow(self, event: tuple) -> bool:
        """A push that found the staging full (or the processor sealed)."""
        if self.closed_at_exit:
            return self._deliver_late(list(event))
        self._lib.eh_proc_count_dropped  # noqa: B018 - raises once sealed
        with self._drain_lock:
            if self.closing:
                raise ClosedError("EventStreamProcessor is closed")
            self._drain_locked()
            if self._free_slots() and self.staging.stage(list(event), self.stage_limit):
                return True
            self._drops += 1
            return False

    def push_large(self, event: tuple) -> bool:
        """A push of an event longer than _SMALL characters: it never waits in
        the staging, so it goes into the engine after every staged event, or
        is refused."""
        if self.closed_at_exit:
            return self._deliver_late(list(event))
        self._lib.eh_proc_count_dropped  # noqa: B018 - raises once sealed
        with self._drain_lock:
            if self.closing:
                raise ClosedError("EventStreamProcessor is closed")
            self._drain_locked()
            staging = self.staging
            if (not staging.count and self._room_for(1) and self._free_slots()
                    and staging.stage(list(event), 1)):
                if self._offer_locked(1):
                    return True
                staging.discard(0)  # refused: it never waits in the staging
            self._drops += 1
            return False

    def push_chunk(self, chunk: list, offset: int) -> int:
        """push_many's chunk of events, checked whole before any is queued (a
        bad one raises, named by ``offset`` + its index): staged events
        first, then these, as many as the engine takes and the staging may
        keep; drops the rest."""
        if self.closed_at_exit:
            return self._deliver_late(_checked_events(chunk, offset))
        count_dropped = self._lib.eh_proc_count_dropped  # raises once sealed
        with self._drain_lock:
            if self.closing:
                raise ClosedError("EventStreamProcessor is closed")
            self._drain_locked()
            staging = self.staging
            count = len(chunk)
            # The usual chunk is checked and staged in one pass, in C.
            if count <= self._free_slots() and staging.stage_events(chunk, staging.capacity):
                accepted = self._offer_or_unstage(count)
            else:
                accepted = self._stage_in_parts(_checked_events(chunk, offset))
            if accepted < count:
                check(count_dropped(self._handle, count - accepted))
            return accepted

    def _stage_in_parts(self, events: list) -> int:
        """push_chunk for checked events (flat fields), staged as the slots
        have room; how many were accepted."""
        staging = self.staging
        count = len(events) // _FIELDS
        accepted = 0
        while accepted < count:
            n = min(count - accepted, self._free_slots())
            if not n or not staging.stage(events[_FIELDS * accepted:_FIELDS * (accepted + n)],
                                          staging.capacity):
                break
            kept = self._offer_or_unstage(n)
            accepted += kept
            if kept < n:
                break
        return accepted

    def _offer_or_unstage(self, n: int) -> int:
        """The last ``n`` events staged are a push_many's: drain, and of
        those the engine left, keep staged what may wait there (a full
        staging's worth, all small) and unstage the rest. How many of the
        ``n`` are accepted."""
        staging = self.staging
        self._drain_locked()
        # The engine takes staged events in order: what is left is the last
        # of them, these n first.
        left = min(n, staging.count)
        if not left:
            return n
        waiting = staging.count - left  # staged before these, still there
        keep = min(left, max(0, self.stage_limit - waiting), staging.small_prefix(waiting))
        staging.discard(waiting + keep)
        return n - left + keep

    def count_dropped(self, n: int) -> None:
        if n:
            check(self._lib.eh_proc_count_dropped(self._handle, n))

    def drain(self) -> None:
        """Hand every staged event the ring can take to the engine, and the
        count of refused pushes (before every read of the counters).

        Always under the lock, even when nothing is staged: another thread
        may be handing over a chunk it has taken.
        """
        with self._drain_lock:
            self._report_drops_locked()
            self._drain_locked()

    def _report_drops_locked(self) -> None:
        """Add the pushes refused since the last report to the engine's
        ``dropped``. A refusal only counts in Python: one crossing fewer on
        the path a full buffer makes every push take."""
        if self._drops:
            n, self._drops = self._drops, 0
            check(self._lib.eh_proc_count_dropped(self._handle, n))

    def _drain_locked(self) -> None:
        staging = self.staging
        while staging.count:
            n = self._room_for(staging.count)
            if not n or self._offer_locked(n) < n:
                return

    def _free_slots(self) -> int:
        """How many more events the staging's slots have room for. The
        engine says after every offer from which position dispatchers may
        still take fields; when that says none, it asks once more, with an
        empty offer (the dispatchers may have freed slots since)."""
        if not self.staging.free:
            self._offer_within_bound(0)
        return self.staging.free

    def _room_for(self, wanted: int) -> int:
        """How many of ``wanted`` events the engine can take now (at most a chunk).

        The engine says after every offer how much room its ring has, so an
        offer never copies what cannot go in. When that says no room, it
        asks once more, with an empty offer.
        """
        n = self._room_now(wanted)
        if n <= 0:
            self._offer_within_bound(0)
            n = self._room_now(wanted)
        return max(n, 0)

    def _room_now(self, wanted: int) -> int:
        self._release_done()
        if self._held_bytes >= self.max_pending_bytes:
            return 0
        return min(wanted, self._chunk, self._room)

    def _release_done(self) -> None:
        """Stop counting the bytes of offers the engine is done with."""
        held = self._held
        while held and held[0][0] <= self.staging.kept_from:
            self._held_bytes -= held.popleft()[1]

    def _offer_locked(self, wanted: int) -> int:
        """Offer the engine the first ``wanted`` staged events (as many as
        _room_for allowed; fewer if they would pass max_pending_bytes); how
        many it took."""
        taken = self._offer_within_bound(wanted)
        if taken < wanted and self._room and self._held:  # cut by max_pending_bytes
            self._offer_within_bound(0)  # what has been delivered since the last offer?
            self._release_done()
            taken += self._offer_within_bound(wanted - taken)
        return taken

    def _offer_within_bound(self, wanted: int) -> int:
        """One offer of the first ``wanted`` staged events, cut at
        max_pending_bytes; also how the engine is asked (with 0) how much
        room its ring has and which slots are free."""
        self._lib.eh_proc_push_many  # noqa: B018 - raises once sealed (never the forked child's call)
        status, taken, nbytes, self._room = self.staging.offer(
            self._handle, wanted, self.max_pending_bytes - self._held_bytes,
            self._held_bytes == 0)
        if status:
            check(status)
        if taken:
            self._held.append((self.staging.next, nbytes))
            self._held_bytes += nbytes
        return taken

    # -- waiting ---------------------------------------------------------------

    def flush(self, timeout: Optional[float], delivered: bool = True) -> None:
        """Wait until every event pushed before the call is analysed and, when
        ``delivered`` (and not inside a callback), delivered."""
        lib, ffi = self._lib, self._ffi
        deadline = None if timeout is None else time.monotonic() + timeout
        if getattr(self._local, "in_callback", False):
            delivered = False
        staging = self.staging
        with self._drain_lock:
            # Every event pushed before this call has a position below target.
            target = staging.next + staging.count
            self._drain_locked()
        # Staged events wait for room in the ring, which deliveries make:
        # without a callback (or inside one) nothing would move.
        while (staging.next < target and delivered
               and (self.callback is not None or self.sink is not None)):
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeoutError(f"flush did not finish within {timeout} s; "
                                       f"{staging.count} events are still staged")
            time.sleep(0.001)
            with self._drain_lock:
                self._drain_locked()
        mark = ffi.new("uint64_t *")
        check(lib.eh_proc_flush_begin(self._handle, mark))
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        _wait(lambda ms: lib.eh_proc_flush_wait(self._handle, mark[0], ms, delivered),
              remaining, lambda: f"flush did not finish within {timeout} s; "
                                 f"{self._pending()} events are still pending")

    def close(self, timeout: Optional[float]) -> None:
        """Stop pushes, drain, close the engine; wait for delivery unless in a callback."""
        self._refuse_pushes()
        if getattr(self._local, "in_callback", False):
            return  # the dispatchers finish the close; this batch is ours
        deadline = None if timeout is None else time.monotonic() + timeout

        def timed_out(what: str) -> WaitTimeoutError:
            return WaitTimeoutError(
                f"close did not finish within {timeout} s: {what}; delivery goes on in the "
                "background, call close() again to wait for it")

        while not self._try_close_engine():  # staged events wait for room in the ring
            if deadline is not None and time.monotonic() >= deadline:
                raise timed_out(f"{self.staging.count} events are still staged")
            time.sleep(0.001)
        # The dispatchers end once every batch is delivered; the last frees
        # the engine. Joined in slices, so Ctrl-C is seen.
        me = threading.current_thread()
        for thread in self._threads:
            while thread is not me and thread.is_alive():
                if deadline is not None and time.monotonic() >= deadline:
                    raise timed_out(f"{self._pending()} events are not delivered yet")
                left = _SLICE_MS / 1000
                if deadline is not None:
                    left = min(left, max(0.0, deadline - time.monotonic()))
                thread.join(left)

    def _pending(self) -> str:
        try:
            return str(self.stats().pending)
        except ClosedError:  # released meanwhile: all delivered
            return "no"

    def _refuse_pushes(self) -> None:
        with self._drain_lock:
            if self.closing:
                return
            self._lib.eh_proc_close  # noqa: B018 - raises ForkedProcessError in a forked child
            self.closing = True
            self.staging.open = False

    def _try_close_engine(self) -> bool:
        """One step of closing: move staged events into the engine and, once
        none is left, close it (without waiting). True once it is closed."""
        with self._drain_lock:
            if self._engine_closed or self.closed:
                return True
            lib, handle = self._lib, self._handle
            self._report_drops_locked()
            self._drain_locked()
            if self.staging.count:
                if self.callback is not None or self.sink is not None:
                    return False  # deliveries will make room in the ring
                left = self.staging.discard(0)
                logger.error("closing with no flush callback set: %d staged events are "
                             "undelivered", left)
                with self._stats_lock:
                    self._failed += left
                    self._abandoned += left
            self._engine_closed = True
        status = lib.eh_proc_close(handle, 0)
        if status != lib.EH_ERR_TIMEOUT:
            check(status)
        return True

    def _deliver_late(self, fields: list) -> int:
        """Events (flat fields) pushed after the exit hook closed the
        processor, by an atexit hook that runs after ours: delivered at once
        on the pushing thread, since no dispatcher is left."""
        count = len(fields) // _FIELDS
        if self.callback is None:
            logger.error("engagehub_native: %d events pushed after exit closed the processor, "
                         "with no flush callback set, are undelivered", count)
            return 0
        with self._stats_lock:
            self._late += count
        self._deliver(fields, count)
        return count

    def drop(self) -> None:
        """Finalizer of the EventStreamProcessor: ask the dispatchers to close.

        Runs wherever the garbage collector runs, maybe inside a drain on
        this very thread, so it takes no lock: it only sets a flag.
        """
        self.closing = True

    # -- dispatching -----------------------------------------------------------

    def _dispatch(self) -> None:
        """Body of a dispatcher thread: pull batches, call back, acknowledge.
        A batch is acknowledged by the call that waits for the next one: one
        crossing per batch, so the thread gives up and retakes the GIL once."""
        done = 0  # the batch delivered last and not acknowledged yet
        ffi, lib, handle = self._ffi, self._lib, self._handle
        try:
            batch = ffi.new("eh_batch *")
            self._local.in_callback = False
            while True:
                if self.closing and not self._engine_closed:
                    if done:  # its room in the ring, for the staged events
                        lib.eh_proc_done(handle, done)
                        done = 0
                    self._try_close_engine()
                status = lib.eh_proc_done_next(handle, done, self._slice_ms, batch)
                done = 0  # acknowledged by that call (or, if it failed, never to be)
                if status:
                    if status == lib.EH_ERR_CLOSED:
                        return
                    check(status)
                count = batch.count
                if self.sink is not None:
                    self._report_sink()
                if not count:
                    if self.staging.count and not self.closing:
                        self.drain()  # a trickle that never filled the staging
                    continue
                try:
                    fields = self.staging.take_fields(batch.first, count)
                    self._deliver(fields, count)
                finally:
                    fields = None  # released before the acknowledgement a flush waits for
                    done = batch.id
        except ClosedError:
            return
        except Exception:
            logger.exception("engagehub_native: a dispatcher thread failed")
        finally:
            if done:
                lib.eh_proc_done(handle, done)
            self._dispatcher_ended()

    def _dispatcher_ended(self) -> None:
        """The last dispatcher to end frees the engine once the processor closes."""
        with self._stats_lock:
            self._threads_left -= 1
            last = self._threads_left == 0
        if not last or not self.closing:
            return
        try:
            final = self.stats()
            if self.sink is not None:
                self._report_sink(force=True)
                self._final_sink = self.sink_stats()
        except Exception:
            return  # a forked child or a failed engine: nothing to report
        self._final = final
        if final.pending:
            logger.warning("engagehub_native: closed with %d events undelivered%s",
                           final.pending,
                           "" if self.callback or self.sink else " (no flush callback was set)")
        _live.discard(self)
        self._release()

    def _shape(self, fields: list):
        """A batch as the callback takes it, made from the events' flat fields."""
        if self.columnar:
            return {"type": fields[0::4], "user_id": fields[1::4],
                    "channel_id": fields[2::4], "timestamp": fields[3::4]}
        return _staging.event_dicts(fields)

    def _deliver(self, fields: list, count: int) -> None:
        """Call the callback with ``count`` events, retrying; each attempt (and
        on_error) gets the batch as it was cut, whatever a failed attempt
        did to its list."""
        batch = self._shape(fields)
        self._local.in_callback = True
        try:
            attempt = 0
            while True:
                if attempt:
                    batch = self._shape(fields)
                callback = self.callback
                while callback is None:  # removed after this batch was handed out
                    if self.closing:
                        self._give_up(batch, count, None)
                        return
                    time.sleep(_SLICE_MS / 1000)
                    callback = self.callback
                attempt += 1
                started = time.perf_counter()
                try:
                    callback(batch)
                    return
                except BaseException as exc:  # noqa: B036 - a callback must never kill a dispatcher
                    logger.error("flush callback raised on a batch of %d events (attempt %d of %d)",
                                 count, attempt, self.max_attempts, exc_info=True)
                    if attempt < self.max_attempts:
                        with self._stats_lock:
                            self._retried += 1
                        time.sleep(self.retry_backoff * 2 ** (attempt - 1))
                        continue
                    self._give_up(self._shape(fields), count, exc)
                    return
                finally:
                    with self._stats_lock:
                        self._callback_seconds += time.perf_counter() - started
        finally:
            self._local.in_callback = False

    def _give_up(self, batch, count: int, exc: Optional[BaseException]) -> None:
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
                         "to keep failed batches", count, self.max_attempts)
        if self.on_error is None:
            return
        try:
            self.on_error(batch, exc)
        except BaseException:
            logger.exception("on_error raised for a batch of %d events, which is now lost", count)

    # -- reads -------------------------------------------------------------------

    def unique_users(self, window: int) -> int:
        lib = self._lib
        self._settle()  # count every event pushed before the read
        out = self._ffi.new("uint64_t *")
        check(lib.eh_proc_unique_users(self._handle, window, out))
        return out[0]

    def _settle(self) -> None:
        """Return once every event pushed before the call is analysed (not
        necessarily delivered), as every analytics read needs. When nothing
        is staged and the engine has analysed every event it accepted, that
        is already so: one stats read instead of a barrier, which must wait
        for the engine's analyser thread to take it."""
        with self._drain_lock:
            settled_if = None if self.staging.count else self.staging.next
        if settled_if is not None:
            s = self._ffi.new("eh_proc_counters *")
            check(self._lib.eh_proc_stats(self._handle, s))
            if s.processed >= settled_if:
                return
        self.flush(None, delivered=False)

    def top_channels(self, k: int, with_bounds: bool) -> list:
        lib = self._lib
        self._settle()  # count every event pushed before the read
        top = self._ffi.new("eh_list *")
        check(lib.eh_proc_top_channels(self._handle, k, top))
        return _channel_counts(top, with_bounds)

    def unique_users_bounds(self, window: int) -> Estimate:
        lib, ffi = self._lib, self._ffi
        self._settle()
        out = ffi.new("uint64_t[3]")
        check(lib.eh_proc_unique_users_bounds(self._handle, window, out, out + 1, out + 2))
        return Estimate(out[0], out[1], out[2])

    def trending_channels(self, k: int, window: int, with_bounds: bool) -> list:
        lib = self._lib
        self._settle()
        top = self._ffi.new("eh_list *")
        check(lib.eh_proc_trending_channels(self._handle, k, window, top))
        return _channel_counts(top, with_bounds)

    def export_analytics(self) -> bytes:
        lib, ffi = self._lib, self._ffi
        self._settle()
        data = ffi.new("char **")
        length = ffi.new("size_t *")
        check(lib.eh_proc_export_analytics(self._handle, data, length))
        try:
            return ffi.unpack(data[0], length[0])
        finally:
            lib.eh_free(data[0])

    def merge_analytics(self, data: bytes) -> None:
        check(self._lib.eh_proc_merge_analytics(self._handle, data, len(data)))

    def stats(self) -> ProcessorStats:
        if self._final is not None:
            late = self._late
            return self._final._replace(pushed=self._final.pushed + late,
                                        accepted=self._final.accepted + late,
                                        delivered=self._final.delivered + late)
        lib = self._lib
        if not self.closing:
            self.drain()
        s = self._ffi.new("eh_proc_counters *")
        check(lib.eh_proc_stats(self._handle, s))
        with self._stats_lock:
            failed, retried, seconds = self._failed, self._retried, self._callback_seconds
            abandoned = self._abandoned
        staged = self.staging.count
        return ProcessorStats(
            pushed=s.pushed + staged + abandoned, accepted=s.accepted + staged + abandoned,
            dropped=s.dropped, processed=s.processed, delivered=s.delivered, failed=failed,
            retried=retried, pending=s.pending, queue_depth=s.queue_depth + staged,
            batches=s.batches,
            callback_seconds=seconds,
        )


def _channel_counts(top, with_bounds: bool) -> list:
    """The channel counts of an eh_list, as ChannelCount triples ``with_bounds``,
    else as (channel_id, count) pairs."""
    ids, overcounts, counts = read_list(top, reals=with_bounds, ints=True)
    if with_bounds:
        return list(map(ChannelCount, ids, counts, map(int, overcounts)))
    return list(zip(ids, counts))


def _wait(call: Callable[[int], int], timeout: Optional[float],
          message: Callable[[], str]) -> None:
    """Call ``call(ms)`` in slices until it returns EH_OK or ``timeout`` passes."""
    deadline = None if timeout is None else time.monotonic() + timeout
    timed_out = load()[1].EH_ERR_TIMEOUT
    while True:
        ms = _SLICE_MS
        if deadline is not None:
            ms = max(0, min(ms, int((deadline - time.monotonic()) * 1000)))
        status = call(ms)
        if status == 0:
            return
        if status != timed_out:
            check(status)
        if deadline is not None and time.monotonic() >= deadline:
            raise WaitTimeoutError(message())


def _hook(hook, name: str):
    if hook is not None and not callable(hook):
        raise TypeError(f"{name} must be callable or None, not {type(hook).__name__}")
    return hook


def _check_fields(event_type, user_id, channel_id) -> None:
    """Raise TypeError or ValueError for fields push() cannot take."""
    _args.text(event_type, "event_type")
    _args.text(user_id, "user_id")
    _args.text(channel_id, "channel_id")


def _checked_events(chunk: list, offset: int) -> list:
    """push_many's events, each checked, as flat fields (type, user, channel, timestamp, ...):
    the usual chunk in C (_staging.flat_events), anything else one by one."""
    flat = _staging.flat_events(chunk)
    return _checked_one_by_one(chunk, offset) if flat is None else flat


def _checked_one_by_one(chunk: list, offset: int) -> list:
    """_checked_events for any chunk: the first bad event raises, named by its index."""
    now = None
    out = []
    for i, event in enumerate(chunk):
        where = f"event {offset + i}"
        if type(event) not in (tuple, list) or len(event) not in (3, 4):
            raise TypeError(f"{where}: expected (event_type, user_id, channel_id[, timestamp]), "
                            f"got {event!r:.80}")
        if len(event) != len(chunk[0]):
            raise TypeError(f"{where}: every event of a call must have the same number of "
                            "fields (3, or 4 with a timestamp)")
        event_type, user_id, channel_id = event[0], event[1], event[2]
        try:
            if not (type(event_type) is str and type(user_id) is str
                    and type(channel_id) is str and (event_type + user_id + channel_id).isascii()):
                _check_fields(event_type, user_id, channel_id)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{where}: {exc}") from None
        timestamp = _args.timestamp(event[3], f"{where} timestamp") if len(event) == 4 else 0
        if not timestamp:
            timestamp = now = now or int(_time())
        out += (event_type, user_id, channel_id, timestamp)
    return out


_drains_bound = False


def _bind_drains(ffi, lib) -> None:
    """Give the C staging (_staging.EventStaging.offer) the address of the
    export it calls, once per process (as leaderboard._bind_reads)."""
    global _drains_bound
    if not _drains_bound:
        _staging.bind(int(ffi.cast("uintptr_t", ffi.addressof(lib, "eh_proc_push_many"))))
        _drains_bound = True


_live: "weakref.WeakSet[_Pipeline]" = weakref.WeakSet()


@atexit.register
def _close_at_exit() -> None:
    """Deliver what is pending when the interpreter exits (bounded by exit_timeout)."""
    from ._library import usable

    if not usable():
        return
    for pipeline in list(_live):
        try:
            pipeline.close(timeout=pipeline.exit_timeout)
            pipeline.closed_at_exit = True
        except WaitTimeoutError:
            try:
                s = pipeline.stats()
                lost = f"{s.pending + s.queue_depth} events were"
            except Exception:
                lost = "events may have been"
            logger.error("engagehub_native: at exit, %s not delivered within exit_timeout "
                         "(%s s) and are lost", lost, pipeline.exit_timeout)
        except Exception:
            logger.exception("engagehub_native: events may be undelivered at exit")
