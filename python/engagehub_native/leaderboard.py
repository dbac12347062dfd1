"""The leaderboard: users ranked by exponentially decaying points."""

from __future__ import annotations

import logging
import os
import threading
import time
from functools import partial
from itertools import islice
from typing import Callable, Iterable, Iterator, Mapping, NamedTuple, Optional, Tuple, Union

from . import _args, _boardstats, _pages, _redis, _staging
from ._library import NativeObject, check, encode_strings, load, read_list

Clock = Callable[[], float]


def wall_clock() -> int:
    """The default clock: wall-clock Unix time in whole seconds.

    Whole seconds, like the timestamps updates carry, so a score read in
    the second it was earned shows no fractional decay.
    """
    return int(time.time())


PathLike = Union[str, "os.PathLike[str]"]

#: Users per crossing of the C ABI when iterating or updating in bulk; also
#: the most updates staged before an update drains them into the engine.
_PAGE = 1024
#: Updates per crossing of update_many. The engine puts a crossing's new
#: users in its tree together, in rank order, which pays in large crossings:
#: filling a board in update_many calls of 100,000 new users took
#: 0.40-0.44 M users/s to 1M users and 0.29-0.31 to 10M by 1024, and
#: 0.50-0.53 and 0.35-0.36 by 32768. Making a crossing's wire holds the GIL
#: about 3.5 ms, within the interpreter's 5 ms switch interval.
_BULK = 32768

_INT64_MAX = _args.INT64_MAX

logger = logging.getLogger("engagehub_native")


class _Scratch(threading.local):
    """Per-thread out-parameters, reused so a query allocates nothing in cffi."""

    def __init__(self) -> None:
        ffi, _ = load()
        self.list = ffi.new("eh_list *")
        self.first = ffi.new("int64_t *")
        self.standing = ffi.new("eh_standing *")
        self.percentile = ffi.new("double *")
        self.found = ffi.new("int *")
        self.refused = ffi.new("size_t *")


_scratch: Optional[_Scratch] = None


class RankedUser(NamedTuple):
    """One user's standing on a board at the moment of the query."""

    user_id: str
    score: float
    rank: int
    last_update: int


#: as_dicts(users): the entries of a list of RankedUser (as ``top``,
#: ``page`` and ``around`` return) as dicts keyed by RankedUser's fields,
#: ``user_id``, ``score``, ``rank`` and ``last_update``: for ``json.dumps``
#: or Django's ``JsonResponse``. Built in C, in about half the time of a
#: dict literal per entry.
as_dicts = _pages.as_dicts


class _Refusal(NamedTuple):
    """Updates the engine refused: how many, and the first one's error."""

    count: int
    error: Exception


#: RankedUser from a 4-tuple, without the named tuple's own __new__ (a
#: Python function): queries build many, and this is a third of the cost.
_ranked_user = partial(tuple.__new__, RankedUser)


class Leaderboard(NativeObject, _pages.Reads):
    """Users ranked by points that decay exponentially with age.

    A user's score at time ``t`` is ``sum(points_i * decay_factor ** ((t - t_i) / 86400))``
    over the user's updates, so points lose ``1 - decay_factor`` of their
    weight per day. Users are ranked by score (highest first), ties by
    ``user_id``; ranks start at 1. Updates, ranks and top-k queries are
    O(log n); nothing is rescored on a query.

    ``max_users`` bounds the board (0 = unlimited): when an update makes it
    larger, the lowest-ranked user is removed. ``tie_break`` orders users
    with equal scores: "user_id" (the default) or "earliest" (whoever
    reached the score first). ``windows={"week": 7 * 86400, ...}`` adds
    time-windowed rankings of each window's current period (lengths in
    whole minutes, periods counted from ``window_origin``), fed by the same
    updates and queried with ``window=`` or :meth:`window`. ``clock`` returns "now" in Unix
    seconds (default :func:`wall_clock`, whole seconds); it is called once per update without
    a timestamp and once per query.

    Updates are staged on the Python side and reach the engine in bulk (by
    1024, and before every read), so an update costs no call into the
    engine; every read sees every update that returned before it started,
    on any thread. Every method may be called from any number of threads at
    once, and none holds the GIL while the engine works. Use ``with
    Leaderboard() as board:`` or :meth:`close` to release the engine's
    memory promptly.

    ``backend`` chooses where the board lives: None or ``"embedded"`` (the
    default) in this process; a Redis URL (``redis://[user:password@]host:port/db``,
    ``rediss://`` for TLS, ``redis+cluster://host:port,host:port`` for a
    cluster) in Redis, under ``name``, shared by every process and machine
    that opens the same name there, with the same API and the same scores
    (see the README). Creating it raises BackendError (a ConnectionError)
    when the server cannot be reached within seconds or refuses the
    credentials, and ValueError for a bad URL. While Redis is down, updates
    are queued in bounded memory and sent when it is back, and reads raise
    BackendError. A board in Redis numbers ranks in "ordinal" and
    "competition" style and answers ``percentile`` and ``at_percentile``,
    each one atomic round trip of O(log n) in Redis; dense rank, windows
    and ``tie_break="earliest"`` raise ValueError naming the feature there
    (see docs/redis.md).
    """

    def __init__(self, decay_factor: float = 0.95, max_users: int = 100_000, *,
                 clock: Optional[Clock] = None, tie_break: str = "user_id",
                 windows: Optional[Mapping[str, int]] = None, window_origin: int = 0,
                 backend: Optional[str] = None, name: str = _redis.DEFAULT_NAME) -> None:
        decay_factor = _args.finite(decay_factor, "decay_factor")
        max_users = _args.integer(max_users, "max_users")
        tie = _boardstats.tie_break_code(tie_break)
        names, lengths = _boardstats.window_specs(windows)
        window_origin = _args.integer(window_origin, "window_origin")
        _redis.check_name(name)
        self.clock = clock
        ffi, lib = load()
        if _redis.is_embedded(backend):
            handle = ffi.new("uint64_t *")
            blob = encode_strings(names)
            check(lib.eh_board_new_config(decay_factor, max_users, tie, blob, len(blob),
                                          ffi.new("int64_t[]", lengths), len(names),
                                          window_origin, handle))
            handle = handle[0]
        else:  # shared by every process that opens `name` there
            _redis.check_board_features(tie, names)
            handle = _redis.open_board(ffi, lib, backend, name, decay_factor, max_users)
        self._attach(handle, "eh_board_free")
        # Updates not yet in the engine wait in C (_staging.Updates; _staged
        # counts them) until they take _room fields, 3 per update, or 4 MiB
        # of ids: then an update drains. _seal() sets _room to 0 so that the
        # next update drains, which raises.
        self._draining = False
        self._room = 3 * _PAGE
        if not _redis.is_embedded(backend):
            # Other processes read the board: each update goes to the engine
            # at once, whose sender batches what queues during a round trip.
            self._room = 3
        self._drain_lock = threading.Lock()
        self._latest = self._config()[2]
        _bind_reads(ffi, lib)
        self._open_reads()

    # -- configuration ----------------------------------------------------

    @property
    def clock(self) -> Clock:
        """The callable giving "now" in Unix seconds; assign None for the wall clock."""
        return self._clock

    @clock.setter
    def clock(self, clock: Optional[Clock]) -> None:
        if clock is None:
            clock = wall_clock
        elif not callable(clock):
            raise TypeError(f"clock must be callable or None, not {type(clock).__name__}")
        self._clock = clock
        if hasattr(self, "_finalizer"):  # set again, not by the constructor
            self._open_reads()

    def _open_reads(self) -> None:
        """Let the C reads (_pages.Reads) answer while the board is open and
        on the wall clock; another clock is called from Python."""
        self._read_handle = self._handle if self._clock is wall_clock and not self.closed else 0

    def _config(self) -> Tuple[float, int, int]:
        """(decay factor, max users, latest timestamp an update may carry now)."""
        decay = self._ffi.new("double *")
        limit = self._ffi.new("int64_t *")
        latest = self._ffi.new("int64_t *")
        check(self._lib.eh_board_config(self._handle, decay, limit, latest))
        return decay[0], limit[0], latest[0]

    @property
    def decay_factor(self) -> float:
        """Fraction of its weight a point keeps per day (set by the constructor or a load)."""
        return self._config()[0]

    @property
    def max_users(self) -> int:
        """Largest number of users kept; 0 means unlimited."""
        return self._config()[1]

    def now(self) -> float:
        """The clock's current time in Unix seconds (checked: a finite time > 0)."""
        clock = self._clock
        if clock is wall_clock:
            return wall_clock()  # needs no check
        return _args.clock_reading(clock())

    # -- updates ----------------------------------------------------------

    # update(user_id, points, timestamp=None) is _staging.Updates.update, in
    # C: the checks and the append below, for the common case. Anything else
    # comes here, which holds the rules.

    def _update_slow(self, user_id: str, points: float, timestamp: Optional[int] = None) -> None:
        """update, for what its C fast path leaves to Python (see _staging.c)."""
        # Fast path for the common types; _args explains anything else.
        if type(points) is not float or points - points:  # nan/inf - itself is nan
            points = _args.finite(points, "points")
        utf8 = _args.text(user_id, "user_id")
        if type(timestamp) is not int or not 0 < timestamp <= self._latest:
            timestamp = self._timestamp(timestamp, user_id, points)
        self._stage(utf8, points, timestamp)
        if self._staging_full():
            self._drain_staged()

    def _drain_staged(self) -> None:
        """Submit the staged updates and go on: the engine applies them meanwhile."""
        with self._drain_lock:
            self._drain_locked(wait=False)

    def _timestamp(self, timestamp, user_id: str, points: float) -> int:
        """An update's timestamp: now for None or <= 0; checked against the
        board's horizon (the engine's rule; the latest timestamp it accepts
        is cached and only grows)."""
        timestamp = _args.timestamp(timestamp) or int(self.now())
        if timestamp > self._latest:
            self._latest = self._config()[2]
            if timestamp > self._latest:  # the engine refuses it, saying why
                self._apply_now([user_id, points, timestamp])
        return timestamp

    def update_many(self, updates: Iterable[Tuple]) -> int:
        """Apply ``(user_id, points)`` or ``(user_id, points, timestamp)`` tuples.

        Crosses into the engine once per 32768 updates. Every tuple of a chunk
        is checked before any of it is applied; on an error, the chunks before
        the bad one are applied and the exception names the bad tuple's index.
        An update the engine refuses (one that would overflow a score) is
        skipped and the others are applied, as a whole chunk's are; then the
        first refusal raises. Returns how many updates were applied.

        The engine applies a chunk while the next one is read and checked;
        one crossing at the end waits for all of them.
        """
        done = 0
        refusal = None
        updates = iter(updates)
        try:
            while chunk := list(islice(updates, _BULK)):
                fields = (_staging.flat_updates(chunk, self._latest, self.now)
                          or self._checked_one_by_one(chunk, done))
                with self._drain_lock:
                    self._drain_locked(wait=False)  # staged updates go first
                    refused = self._apply(fields, wait=False, first=done)
                refusal = refusal or refused
                done += len(chunk)
        finally:
            if done:  # every chunk submitted is applied before update_many returns or raises
                with self._drain_lock:
                    refused = self._apply([], wait=True)
                refusal = refusal or refused
        if refusal is not None:
            raise refusal.error
        return done

    def _checked_one_by_one(self, chunk: list, offset: int) -> list:
        """update_many's chunk checked update by update: the first bad one
        raises, named by its index. As flat fields, three per update (id,
        points, timestamp), as _staging.flat_updates gives them."""
        fields: list = []
        now = None
        for index, update in enumerate(chunk, offset):
            try:
                if len(update) == 3:
                    user_id, pts, ts = update
                else:
                    (user_id, pts), ts = update, None
            except (TypeError, ValueError):
                raise TypeError(
                    f"update {index}: expected (user_id, points[, timestamp]), got {update!r:.80}"
                ) from None
            try:
                _args.text(user_id, "user_id")
                pts = _args.finite(pts, "points")
                ts = _args.timestamp(ts)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"update {index}: {exc}") from None
            if not ts:
                if now is None:
                    now = int(self.now())
                ts = now
            fields += (user_id, pts, ts)
        return fields

    def _apply_now(self, fields: list) -> int:
        """Apply checked updates (flat fields: id, points, timestamp each)
        after the staged ones; refusals raise."""
        with self._drain_lock:
            self._drain_locked(wait=True)
            refusal = self._apply(fields, wait=True)
        if refusal is not None:
            raise refusal.error
        return len(fields) // 3

    def _sync(self) -> None:
        """Move staged updates into the engine and wait until they are
        applied (before every read).

        Nothing to do when nothing is staged and no drain is between taking
        updates from the staging and submitting them (_draining is set
        before the staging is emptied, and reset once the engine has them,
        so a reader that finds both empty finds every earlier update
        submitted; the engine's reads wait for what was submitted).
        """
        if self._staged or self._draining or self._room <= 0:
            with self._drain_lock:
                self._drain_locked(wait=True)

    def _drain_locked(self, wait: bool) -> None:
        """Submit every staged update, 1024 per call; the engine applies them
        in the background, and with ``wait`` the last call waits for all."""
        lib = self._lib  # raises ClosedError / ForkedProcessError once sealed
        self._draining = True
        try:
            while self._staged:
                wire = self._take_staged(_PAGE)  # updates staged meanwhile stay, after these
                refusal = self._submit(*wire, wait=wait and not self._staged, lib=lib)
                if refusal is not None:
                    # Those updates returned long ago: report the refusals, keep the rest.
                    logger.error("leaderboard: %d staged update(s) refused (the first: %s)",
                                 *refusal)
        finally:
            self._draining = False

    def _apply(self, updates: list, wait: bool, first: int = -1) -> Optional[_Refusal]:
        """Submit updates given as flat fields, three per update (user id,
        points, timestamp); see _submit."""
        return self._submit(*_staging.update_wire(updates), len(updates) // 3, wait=wait,
                            first=first)

    def _submit(self, ids: bytes, points: bytes, stamps: bytes, count: int, wait: bool,
                lib=None, first: int = -1) -> Optional[_Refusal]:
        """Submit ``count`` updates in the engine's form (ids ended by 0xFF,
        points as doubles, timestamps as int64); ``first`` is the caller's
        index of the first (update_many's), which the engine's errors count
        from, or -1 when they have none (staged updates), and errors name
        the user and timestamp alone.

        Returns the updates the engine refused since it last reported
        refusals (how many, and the first one's error), or None; any other
        error raises. A call that waits reports its own updates'
        refusals; without waiting, they are reported by a later call."""
        lib = lib or self._lib
        ffi = self._ffi
        refused = (_scratch or _new_scratch()).refused
        status = lib.eh_board_update_many(
            self._handle, ids, len(ids), ffi.from_buffer("double[]", points),
            ffi.from_buffer("int64_t[]", stamps), count, first, wait, refused)
        if not status:
            return None
        try:
            check(status)
        except Exception as exc:
            if not refused[0]:
                raise
            return _Refusal(refused[0], exc)
        return None

    def remove(self, user_id: str) -> bool:
        """Remove a user; returns whether the user was on the board."""
        uid = _args.text(user_id, "user_id")
        self._sync()
        removed = self._ffi.new("int *")
        check(self._lib.eh_board_remove(self._handle, uid, len(uid), removed))
        return bool(removed[0])

    # -- queries ----------------------------------------------------------

    def _standing(self, uid: bytes) -> Tuple[int, float, int]:
        """(rank, score, last update) of a user; rank 0 when not on the board."""
        self._sync()
        now = self.now()
        standing = (_scratch or _new_scratch()).standing
        status = self._lib.eh_board_standing(self._handle, uid, len(uid), now, standing)
        if status:
            check(status)
        return standing.rank, standing.score, standing.last_update

    # rank, top, page, around, percentile and at_percentile are
    # _pages.Reads's, in C: the common call whole. Anything else comes to
    # the _slow methods here, which hold the rules.

    def _rank_slow(self, user_id: str, style: str = "ordinal",
                   window: Optional[str] = None) -> Optional[RankedUser]:
        """rank, for what its C fast path leaves to Python (see _pages.c)."""
        if style != "ordinal" or window is not None:
            code = _boardstats.STYLE_CODES.get(style) if type(style) is str else None
            return self._rank_as(_args.text(user_id, "user_id"), user_id,
                                 _boardstats.style_code(style) if code is None else code,
                                 b"" if window is None else _boardstats.window_name(window))
        rank, score, last_update = self._standing(_args.text(user_id, "user_id"))
        if not rank:
            return None
        return _ranked_user((user_id, score, rank, last_update))

    def score(self, user_id: str, default: Optional[float] = None) -> Optional[float]:
        """The user's score decayed to now, or ``default`` for an unknown user."""
        entry = self.rank(user_id)  # answered in C: a third of a cffi call of _standing
        return default if entry is None else entry.score

    def _top_slow(self, k: int = 10, style: str = "ordinal",
                  window: Optional[str] = None) -> list[RankedUser]:
        """top, for what its C fast path leaves to Python (see _pages.c)."""
        if type(k) is not int or not 0 <= k <= _INT64_MAX:
            k = _args.count(k, "k")
        if style != "ordinal" or window is not None:
            return self._page_as(0, k, _boardstats.style_code(style), _boardstats.window_name(window))
        return self._page(0, k)

    def _page_slow(self, offset: int, limit: int, style: str = "ordinal",
                   window: Optional[str] = None) -> list[RankedUser]:
        """page, for what its C fast path leaves to Python (see _pages.c)."""
        offset, limit = _args.count(offset, "offset"), _args.count(limit, "limit")
        if style != "ordinal" or window is not None:
            return self._page_as(offset, limit, _boardstats.style_code(style),
                                 _boardstats.window_name(window))
        return self._page(offset, limit)

    def _page(self, offset: int, limit: int) -> list[RankedUser]:
        return self._ranked(self._lib.eh_board_page, self._handle, offset, limit)

    def _around_slow(self, user_id: str, before: int = 5, after: int = 5,
                     style: str = "ordinal", window: Optional[str] = None) -> list[RankedUser]:
        """around, for what its C fast path leaves to Python (see _pages.c)."""
        uid = _args.text(user_id, "user_id")
        before = _args.count(before, "before")
        after = _args.count(after, "after")
        if style != "ordinal" or window is not None:
            return self._around_as(uid, before, after, _boardstats.style_code(style),
                                   _boardstats.window_name(window))
        return self._ranked(self._lib.eh_board_around, self._handle, uid, len(uid), before, after)

    def _ranked(self, call, *args) -> list[RankedUser]:
        """The users of a page-returning export, called with ``args``, then
        now and its out-parameters, as RankedUser tuples."""
        self._sync()
        s = _scratch or _new_scratch()
        status = call(*args, self.now(), s.list, s.first)
        if status:
            check(status)
        return self._read_page(s.list, 1, s.first[0])

    def _read_page(self, page, ints_per_entry: int, first: int = 0) -> list[RankedUser]:
        """The RankedUser tuples of an eh_list page (one block: the scores,
        ``ints_per_entry`` ints per entry, the ids), releasing its block;
        ranks from ``first`` with one int per entry (the last update), else
        from the ints (rank, last update)."""
        count = page.count
        if not count:
            return []
        ffi = self._ffi
        # The engine's block is released after the tuples are made: released
        # first, a large page's list would be carved out of its hole, and
        # four threads reading 300k-user pages kept 60 MB more resident
        # (tests/test_hardening.py's large reads).
        try:
            block = ffi.unpack(ffi.cast("char *", page.block),
                               8 * count * (1 + ints_per_entry) + page.strings_length)
            return _pages.ranked_users(RankedUser, block, count, ints_per_entry, first)
        finally:
            self._lib.eh_free(page.block)

    # -- rank styles, tie-break and percentiles (board statistics) --------

    @property
    def tie_break(self) -> str:
        """Order among tied users: "user_id" or "earliest" (a load may change it)."""
        code = self._ffi.new("int *")
        check(self._lib.eh_board_tie_break(self._handle, code))
        return _boardstats.tie_break_name(code[0])

    @property
    def windows(self) -> dict:
        """The board's time windows, ``{name: length in seconds}`` (a load may change them)."""
        out = self._ffi.new("eh_list *")
        origin = self._ffi.new("int64_t *")
        check(self._lib.eh_board_windows(self._handle, out, origin))
        names, _, lengths = read_list(out, reals=False, ints=True)
        return dict(zip(names, lengths))

    @property
    def window_origin(self) -> int:
        """Unix time the windows' periods are counted from (periods start at origin + k * length)."""
        out = self._ffi.new("eh_list *")
        origin = self._ffi.new("int64_t *")
        check(self._lib.eh_board_windows(self._handle, out, origin))
        read_list(out, reals=False, ints=True)
        return origin[0]

    def window(self, name: str) -> "LeaderboardWindow":
        """A read-only view of the window ``name``: ``len()``, ``top``, ``rank``,
        ``page``, ``around``, ``percentile`` and ``at_percentile`` of its current period."""
        view = LeaderboardWindow(self, name)
        len(view)  # an unknown name raises here
        return view

    def _window_len(self, win: bytes) -> int:
        self._sync()
        now = self.now()
        length = self._ffi.new("int64_t *")
        check(self._lib.eh_board_len_at(self._handle, win, len(win), now, length))
        return length[0]

    def _rank_as(self, uid: bytes, user_id: str, style: int, win: bytes) -> Optional[RankedUser]:
        self._sync()
        now = self.now()
        standing = (_scratch or _new_scratch()).standing
        status = self._lib.eh_board_standing_as(self._handle, win, len(win), uid, len(uid), now,
                                                style, standing)
        if status:
            check(status)
        if not standing.rank:
            return None
        return _ranked_user((user_id, standing.score, standing.rank, standing.last_update))

    def _page_as(self, offset: int, limit: int, style: int, win: bytes) -> list[RankedUser]:
        return self._ranked_as(style, self._lib.eh_board_page_as,
                               self._handle, win, len(win), offset, limit)

    def _around_as(self, uid: bytes, before: int, after: int, style: int,
                   win: bytes) -> list[RankedUser]:
        return self._ranked_as(style, self._lib.eh_board_around_as,
                               self._handle, win, len(win), uid, len(uid), before, after)

    def _ranked_as(self, style: int, call, *args) -> list[RankedUser]:
        """The users of an export laying out (id, score, rank, last update)
        entries, called with ``args``, then now, ``style`` and its out-parameter."""
        self._sync()
        s = _scratch or _new_scratch()
        status = call(*args, self.now(), style, s.list)
        if status:
            check(status)
        return self._read_page(s.list, 2)

    def _percentile_slow(self, user_id: str, window: Optional[str] = None) -> Optional[float]:
        """percentile, for what its C fast path leaves to Python (see _pages.c)."""
        uid = _args.text(user_id, "user_id")
        win = _boardstats.window_name(window)
        self._sync()
        now = self.now()
        s = _scratch or _new_scratch()
        status = self._lib.eh_board_percentile(self._handle, win, len(win), uid, len(uid), now,
                                               s.percentile, s.found)
        if status:
            check(status)
        return s.percentile[0] if s.found[0] else None

    def _at_percentile_slow(self, p: float, style: str = "ordinal",
                            window: Optional[str] = None) -> Optional[RankedUser]:
        """at_percentile, for what its C fast path leaves to Python (see _pages.c)."""
        if type(p) is not float:
            p = _args.finite(p, "p")  # NaN and the range: the engine decides
        code = _boardstats.style_code(style)
        win = _boardstats.window_name(window)
        self._sync()
        now = self.now()
        s = _scratch or _new_scratch()
        lst = s.list
        status = self._lib.eh_board_at_percentile(self._handle, win, len(win), p, now, code, lst)
        if status:
            check(status)
        users = self._read_page(lst, 2)  # one entry, or none
        return users[0] if users else None

    def __len__(self) -> int:
        self._sync()
        length = self._ffi.new("int64_t *")
        check(self._lib.eh_board_len(self._handle, length))
        return length[0]

    def __contains__(self, user_id: object) -> bool:
        return isinstance(user_id, str) and self.rank(user_id) is not None

    def __iter__(self) -> Iterator[RankedUser]:
        """Users in rank order, fetched a page at a time.

        Scores are decayed to the time each page is fetched; users that move
        while iterating may be seen twice or not at all, as with any paged view.
        """
        offset = 0
        while True:
            users = self.page(offset, _PAGE)
            yield from users
            if len(users) < _PAGE:
                return
            offset += _PAGE

    # -- snapshots --------------------------------------------------------

    def save(self, path: PathLike) -> None:
        """Write a JSON snapshot atomically: the file is whole or untouched.

        Raises SnapshotFileError (an OSError) when the file cannot be written.
        """
        raw = _path(path)
        self._sync()
        check(self._lib.eh_board_save(self._handle, raw, len(raw)))

    def load(self, path: PathLike) -> None:
        """Replace the board's users, decay factor and limit with a snapshot's.

        Reads snapshots of the original cpp_leaderboard too. The file's
        tie-break policy and windows replace the board's; a file without
        them (such as the original's) keeps the board's, its windows empty. A file that
        cannot be read raises SnapshotFileError (an OSError and RuntimeError);
        a malformed one raises SnapshotError (a ValueError). Either way the
        board is left exactly as it was.
        """
        raw = _path(path)
        self._sync()
        check(self._lib.eh_board_load(self._handle, raw, len(raw)))
        self._latest = self._config()[2]  # the decay factor, hence the horizon, may differ

    # -- shared store -----------------------------------------------------

    def backend_stats(self) -> "_redis.BackendStats":
        """Counters of the board's store: for a board in Redis, updates queued
        (while Redis is slow or down), applied, dropped and retried."""
        self._sync_staged()
        return _redis.backend_stats(self._ffi, self._lib, self._handle)

    def _sync_staged(self) -> None:
        """Submit staged updates without waiting for them to be applied."""
        if self._staged:
            with self._drain_lock:
                self._drain_locked(wait=False)

    # -- lifetime ---------------------------------------------------------

    def close(self) -> None:
        """Release the board's memory; later calls raise ClosedError. Idempotent."""
        with self._drain_lock:
            self._discard_staged()  # nobody can read them any more
            self._release()

    def _seal(self, error) -> None:
        super()._seal(error)
        self._room = 0
        self._read_handle = 0

    def __enter__(self) -> "Leaderboard":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        if self.closed:
            return "<Leaderboard closed>"
        try:
            decay, limit, _ = self._config()
            return f"<Leaderboard users={len(self)} decay_factor={decay} max_users={limit}>"
        except Exception as exc:  # e.g. used in a forked child
            return f"<Leaderboard unusable: {type(exc).__name__}>"

    def stats(self) -> "LeaderboardStats":
        """Size, updates and query latencies (timed in the engine), for metrics."""
        self._sync()
        lib, ffi = self._lib, self._ffi
        s = ffi.new("eh_board_counters *")
        check(lib.eh_board_stats(self._handle, s))
        queries = {}
        for name, kind in (("rank", lib.EH_QUERY_RANK), ("page", lib.EH_QUERY_PAGE),
                           ("around", lib.EH_QUERY_AROUND)):
            queries[name] = QueryLatency(s.query_count[kind], s.query_nanos[kind] / 1e9,
                                         tuple(s.query_buckets[kind]))
        return LeaderboardStats(s.length, s.updates, s.refused, queries)


class QueryLatency(NamedTuple):
    """How long one kind of query took, as timed inside the engine."""

    count: int       #: queries answered
    seconds: float   #: their total time
    buckets: tuple   #: buckets[i]: queries that took at most 2**i µs (and more than 2**(i-1))


class LeaderboardStats(NamedTuple):
    """Counters of a leaderboard (see :meth:`Leaderboard.stats`)."""

    size: int        #: users on the board
    updates: int     #: updates that reached the engine
    refused: int     #: of which it refused (a timestamp beyond the horizon, ...)
    queries: dict    #: "rank" (rank/score), "page" (top/page/iteration), "around": QueryLatency


class LeaderboardWindow:
    """A read-only view of one time window of a :class:`Leaderboard` (see
    ``Leaderboard(windows=...)``): the queries of the board, answered from
    the window's current period."""

    __slots__ = ("board", "name", "_win")

    def __init__(self, board: Leaderboard, name: str) -> None:
        self.board = board
        self.name = name
        self._win = _boardstats.window_name(name)

    def __len__(self) -> int:
        return self.board._window_len(self._win)

    def top(self, k: int = 10, style: str = "ordinal") -> list[RankedUser]:
        return self.board.top(k, style, window=self.name)

    def rank(self, user_id: str, style: str = "ordinal") -> Optional[RankedUser]:
        return self.board.rank(user_id, style, window=self.name)

    def page(self, offset: int, limit: int, style: str = "ordinal") -> list[RankedUser]:
        return self.board.page(offset, limit, style, window=self.name)

    def around(self, user_id: str, before: int = 5, after: int = 5,
               style: str = "ordinal") -> list[RankedUser]:
        return self.board.around(user_id, before, after, style, window=self.name)

    def percentile(self, user_id: str) -> Optional[float]:
        return self.board.percentile(user_id, window=self.name)

    def at_percentile(self, p: float, style: str = "ordinal") -> Optional[RankedUser]:
        return self.board.at_percentile(p, style, window=self.name)

    def __repr__(self) -> str:
        return f"<LeaderboardWindow {self.name!r} of {self.board!r}>"


_reads_bound = False


def _bind_reads(ffi, lib) -> None:
    """Give the C reads (_pages.Reads) the addresses of the exports they
    call, once per process (the first board loads the library)."""
    global _reads_bound
    if not _reads_bound:
        _pages.bind(RankedUser, {name: int(ffi.cast("uintptr_t", ffi.addressof(lib, name)))
                                 for name in _pages.READ_EXPORTS})
        _reads_bound = True


def _new_scratch() -> _Scratch:
    global _scratch
    _scratch = _Scratch()
    return _scratch


def _path(path: PathLike) -> bytes:
    raw = os.fsencode(path)
    if b"\0" in raw:
        raise ValueError("path contains a NUL byte")
    return raw
