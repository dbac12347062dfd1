"""The benchmark harness behind ``python -m engagehub_native bench``.

Measures the native API (:class:`engagehub_native.EventStreamProcessor`,
:class:`engagehub_native.Leaderboard`) from Python on the machine it runs on,
next to a pure-Python baseline measured in the same run, and judges each
figure against the :data:`TARGETS` table. Nothing is hard-coded but the
targets. The drop-in modules are the package's clients, so they are measured
by ``benchmarks/dropin.py`` beside the package, which reuses the helpers here.

Conventions, so the figures mean the same thing in every run:

* Per-call latencies are raw: ``time.perf_counter_ns()`` is read just before
  and just after each call and nothing is subtracted; the timer's own cost
  (two back-to-back reads) is measured and printed beside them.
* Every timed loop runs with the garbage collector disabled, after a warm-up
  of the same calls.
* Resident memory and thread counts are read in a fresh subprocess
  (``/proc/self/statm``, ``threading.active_count()``), before and after the
  work, with inputs generated on the fly so the harness's own lists are not
  counted.
* Throughput is end to end: from the first push until ``flush`` returns and
  the callback has seen every event. A push refused because the buffer is
  full is offered again after a ``time.sleep(0)`` yield, so nothing is lost;
  the refusals are counted and reported.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import platform
import random
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from queue import SimpleQueue
from typing import Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence

_pc = time.perf_counter_ns

# -- targets ----------------------------------------------------------------------


class Target(NamedTuple):
    """A figure's target: ``measured <op> limit``."""

    op: str        #: "<=", "<" or ">="
    limit: float
    unit: str
    source: str    #: where the target comes from

    def met(self, value: float) -> bool:
        if self.op == "<=":
            return value <= self.limit
        if self.op == "<":
            return value < self.limit
        if self.op == ">=":
            return value >= self.limit
        raise ValueError(f"unknown comparison {self.op!r}")

    def __str__(self) -> str:
        return f"{self.op} {_num(self.limit)} {self.unit}"


#: Every target this harness judges, keyed by the name rows refer to.
TARGETS: Dict[str, Target] = {
    "lb_update_p50": Target("<=", 1.5, "µs", "issue 2"),
    "lb_update_p50_50k": Target("<=", 0.25, "µs", "issue 'The Python boundary, redone'"),
    "lb_updates_per_s": Target(">=", 3.0, "M/s", "issue 'The Python boundary, redone'"),
    "lb_top_p50_1m": Target("<=", 4.0, "µs", "issue 'The Python boundary, redone'"),
    "lb_rank_p50": Target("<=", 3.0, "µs", "issue 2"),
    "lb_queries_per_s": Target(">=", 180.0, "k q/s", "issue 'The Python boundary, redone'"),
    "lb_growth": Target("<=", 2.0, "x", "issue 2"),
    "lb_bytes_per_user": Target("<=", 100.0, "B", "issue 2"),
    "proc_push_dicts": Target(">=", 2.0, "M ev/s", "issue 'The Python boundary, redone'"),
    "proc_push_many_dicts": Target(">=", 2.0, "M ev/s", "issue 3"),
    "proc_columnar": Target(">=", 3.5, "M ev/s", "issue 'The Python boundary, redone'"),
    "proc_original_workload": Target(">=", 1.5, "M ev/s", "issue 'The Python boundary, redone'"),
    "proc_distinct_error": Target("<=", 1.5, "%", "issue 3"),
    "proc_memory_growth": Target("<", 40.0, "MB", "issue 3"),
    "proc_dropped_threads": Target("<=", 0.0, "threads", "issue 'The Python boundary, redone'"),
    "proc_dropped_rss": Target("<", 5.0, "MB", "issue 'The Python boundary, redone'"),
    "sink_native_rows": Target(">=", 200.0, "k rows/s", "issue 12"),
    "sink_native_vs_bulk_create": Target(">=", 5.0, "x", "issue 12"),
    "sink_push_ratio": Target(">=", 0.9, "x", "issue 12"),
    "trend_top10_p50": Target("<=", 50.0, "µs", "issue 11"),
    "trend_memory_growth": Target("<", 40.0, "MB", "issue 11"),
}

NO_SORTEDCONTAINERS = "baseline unavailable (pip install sortedcontainers)"

#: The "original's own benchmark script" configuration (see :func:`throughput_original`).
ORIGINAL_CONFIG = {"buffer_size": 16384, "num_threads": 4, "batch_size": 256,
                   "flush_interval_ms": 200}
ORIGINAL_EVENTS = 50_000

#: The one-producer delivery runs: buffer, dispatcher threads, batch, flush interval (ms).
DELIVERY_CONFIG = {"buffer_size": 65536, "num_threads": 1, "batch_size": 512,
                   "flush_interval_ms": 50}


# -- results ----------------------------------------------------------------------


@dataclass
class Row:
    """One line of the results table."""

    section: str
    metric: str
    value: Optional[float]
    unit: str
    target: Optional[Target] = None     #: None for information only
    baseline: Optional[float] = None    #: same metric, baseline implementation, same run
    baseline_name: str = ""
    note: str = ""

    @property
    def passed(self) -> Optional[bool]:
        if self.target is None or self.value is None:
            return None
        return self.target.met(self.value)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["passed"] = self.passed
        if self.target is not None:
            out["target"] = self.target._asdict()
        return out


@dataclass
class Sizes:
    """How big each measurement is; ``--quick`` shrinks them all."""

    users: int = 1_000_000         #: the large board (and the memory-per-user board)
    small_users: int = 10_000      #: the small board (growth ratio, updates/s)
    mid_users: int = 50_000        #: the board of the update p50 target
    query_users: int = 100_000     #: the board of the queries/s target
    update_calls: int = 100_000    #: timed calls per update latency
    rank_calls: int = 100_000      #: timed calls per rank latency
    top_calls: int = 30_000        #: timed calls per top-10 latency
    update_loop: int = 200_000     #: updates of the updates/s run
    query_loop: int = 50_000       #: queries of the queries/s run
    events: int = 1_000_000        #: events per throughput run
    sink_events: int = 200_000     #: events per run into PostgreSQL (section "sink")
    distinct: int = 1_000_000      #: distinct users for the HLL error
    growth: int = 1_000_000        #: distinct users and channels for memory growth
    dropped: int = 200             #: processors created and dropped without close()
    event_users: int = 100_000     #: user-id pool of the throughput runs
    channels: int = 50             #: channel pool of the throughput runs
    repeat: int = 3                #: throughput runs per path; the best is reported
    scale_users: int = 10_000_000  #: the largest boards of section "scale" (not in a full run)
    scale_base: int = 1_000_000    #: the boards "scale" compares them with

    @classmethod
    def quick(cls, users: Optional[int] = None) -> "Sizes":
        return cls(users=users or 100_000, update_calls=10_000, rank_calls=10_000,
                   top_calls=5_000, update_loop=50_000, query_loop=10_000, events=100_000,
                   distinct=100_000, growth=100_000, dropped=50, event_users=10_000, repeat=1,
                   sink_events=50_000, scale_users=1_000_000, scale_base=100_000)


@dataclass
class Report:
    """Rows plus the facts needed to read them."""

    title: str = "engagehub_native bench"
    rows: List[Row] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    def add(self, *rows: Row) -> None:
        self.rows.extend(rows)


# -- measuring helpers ------------------------------------------------------------


@contextmanager
def no_gc() -> Iterator[None]:
    """Disable the cyclic garbage collector for a timed region."""
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def percentile(sorted_samples: Sequence[int], q: float) -> int:
    """The ``q``-quantile (0..1) of already sorted samples (nearest rank)."""
    return sorted_samples[min(len(sorted_samples) - 1, int(q * len(sorted_samples)))]


def per_call_ns(fn: Callable, args: Sequence[tuple], warmup: int = 0,
                keywords: Optional[Dict[str, object]] = None) -> List[int]:
    """Sorted raw durations, in ns, of ``fn(*a, **keywords)`` for each ``a`` in ``args``
    (tuples of one length).

    Each call is bracketed by two ``perf_counter_ns()`` reads; the timer's own
    cost is included (see :func:`timer_overhead_ns`). The first ``warmup``
    argument tuples are run untimed first. The call is made as a caller writes
    it (see :func:`_timed_calls`).
    """
    keywords = keywords or {}
    loop = _timed_calls(len(args[0]) if args else 0, tuple(keywords))
    loop(fn, args[:warmup], [0] * min(warmup, len(args)), _pc, *keywords.values())
    samples = [0] * len(args)
    with no_gc():
        loop(fn, args, samples, _pc, *keywords.values())
    samples.sort()
    return samples


@functools.lru_cache(maxsize=None)
def _timed_calls(arity: int, keywords: tuple) -> Callable:
    """The timing loop of per_call_ns for ``arity`` positional arguments and the
    ``keywords`` named: the call is spelled out, ``fn(a0, style=k0)``, so that keyword
    arguments reach ``fn`` as they do from a caller's code; a ``functools.partial`` or
    ``fn(*a, **kw)`` would build a dict per call that a caller's call does not."""
    names = [f"a{i}" for i in range(arity)]
    call = ", ".join(names + [f"{key}=k{i}" for i, key in enumerate(keywords)])
    head = (f"for i, ({', '.join(names)},) in enumerate(args):" if arity
            else "for i in range(len(args)):")
    source = (f"def loop(fn, args, samples, pc, {''.join(f'k{i}, ' for i in range(len(keywords)))}):\n"
              f"    {head}\n"
              f"        t0 = pc()\n"
              f"        fn({call})\n"
              f"        samples[i] = pc() - t0\n")
    namespace: dict = {}
    exec(compile(source, f"<timed calls of {arity} + {keywords}>", "exec"), namespace)
    return namespace["loop"]


def timer_overhead_ns(n: int = 200_000) -> int:
    """Median of ``perf_counter_ns() - perf_counter_ns()``: the cost in every raw sample."""
    pc = _pc
    samples = [0] * n
    with no_gc():
        for i in range(n):
            t0 = pc()
            samples[i] = pc() - t0
    samples.sort()
    return percentile(samples, 0.5)


def latency(samples: List[int]) -> tuple:
    """(p50, p99) of sorted ns samples, in µs."""
    return percentile(samples, 0.5) / 1000, percentile(samples, 0.99) / 1000


def load_average() -> float:
    """The 1-minute load average: other work on the machine skews every figure."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def best_of(repeat: int, measure: Callable[[], dict]) -> dict:
    """Run a throughput measurement ``repeat`` times; the fastest run, with every rate kept.

    The fastest run is the one least disturbed by other processes; the
    others are kept in ``runs_per_s`` so the spread is visible in the JSON.
    """
    runs = [measure() for _ in range(max(1, repeat))]
    best = min(runs, key=lambda r: r["seconds"] / max(1, r["delivered"]))
    best = dict(best)
    best["runs_per_s"] = [round(r["delivered"] / r["seconds"]) for r in runs]
    return best


def rss_bytes() -> int:
    """Resident set size of this process, from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run_child(function: str, *args, module: str = "engagehub_native.bench",
              path: Optional[str] = None) -> dict:
    """Run ``<module>.<function>(*args)`` in a fresh interpreter; its JSON result.

    ``path`` is put first on the child's ``sys.path`` (for a module that is
    not installed, such as ``benchmarks/dropin.py``).
    """
    code = (f"import sys, json; sys.path.insert(0, {path!r}) if {path!r} else None; "
            f"import {module} as m; print(json.dumps(m.{function}(*{args!r})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600)
    if done.returncode:
        raise RuntimeError(f"benchmark subprocess {function}{args} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def user_id(i: int) -> str:
    """A 13-character user id."""
    return f"user{i:09d}"


def have_sortedcontainers(report: Report) -> bool:
    """Whether the SortedList baseline can run; says so in the report when it can't."""
    try:
        import sortedcontainers  # noqa: F401
        return True
    except ImportError:
        report.notes.append(f"leaderboard: {NO_SORTEDCONTAINERS}")
        print(f"  {NO_SORTEDCONTAINERS}", flush=True)
        return False


# -- the pure-Python leaderboard baseline -----------------------------------------


def board_entries(n: int, now: int, seed: int) -> Iterator[tuple]:
    """``(user_id, points, timestamp)`` for users 0..n-1, points 1..10000, ages 0..30 days."""
    rng = random.Random(seed)
    for i in range(n):
        yield user_id(i), float(rng.randint(1, 10_000)), now - rng.randint(0, 30 * 86400)


class SortedBoard:
    """Baseline: a dict ``user -> score`` plus a ``sortedcontainers.SortedList`` of
    ``(-score, user)``. Undecayed scores (decay would only cost it more);
    update = remove the old tuple + add the new; rank = index + 1; top-k = a slice."""

    def __init__(self, entries) -> None:
        from sortedcontainers import SortedList

        self.scores = {uid: pts for uid, pts, _ in entries}
        self.sorted = SortedList((-s, u) for u, s in self.scores.items())

    def update(self, uid: str, points: float, timestamp: int = 0) -> None:
        scores, sl = self.scores, self.sorted
        old = scores.get(uid)
        if old is not None:
            sl.remove((-old, uid))
            new = old + points
        else:
            new = points
        sl.add((-new, uid))
        scores[uid] = new

    def rank(self, uid: str) -> int:
        return self.sorted.index((-self.scores[uid], uid)) + 1

    def top(self, k: int) -> list:
        return self.sorted[:k]

    def __len__(self) -> int:
        return len(self.scores)


# -- leaderboard ------------------------------------------------------------------


def default_max_users() -> int:
    """The user limit of a ``Leaderboard()`` made with no arguments."""
    import inspect

    from engagehub_native import Leaderboard

    return inspect.signature(Leaderboard).parameters["max_users"].default


def native_board(n: int, now: int, max_users: int = 0):
    """A native ``Leaderboard(0.95, max_users)`` holding users 0..n-1 (via update_many)."""
    from engagehub_native import Leaderboard

    board = Leaderboard(0.95, max_users)
    board.update_many(board_entries(n, now, seed=n))
    return board


def board_calls(n: int, sizes: Sizes, now: int) -> tuple:
    """Argument tuples of the timed calls: updates (random user, 1..10 points, now), ranks
    (random user), top-10s. The same for every implementation measured at ``n`` users."""
    rng = random.Random(7)
    upd = [(user_id(rng.randrange(n)), float(rng.randint(1, 10)), now)
           for _ in range(sizes.update_calls)]
    ranks = [(user_id(rng.randrange(n)),) for _ in range(sizes.rank_calls)]
    return upd, ranks, [(10,)] * sizes.top_calls


def measure_latencies(update: Callable, top: Callable, rank: Callable, calls: tuple) -> dict:
    """p50/p99 (µs) of ``update``, ``top`` and ``rank`` over the calls of :func:`board_calls`."""
    upd, ranks, tops = calls
    warm = min(2_000, len(upd) // 10)
    return {"update": latency(per_call_ns(update, upd, warm)),
            "top": latency(per_call_ns(top, tops, warm)),
            "rank": latency(per_call_ns(rank, ranks, warm))}


def measure_board(n: int, sizes: Sizes, now: int, baseline: bool) -> Dict[str, dict]:
    """Latencies on an ``n``-user board: ``{"native": {...}, "sorted": {...} or absent}``.

    Native: ``Leaderboard.update(uid, points, now)``, ``Leaderboard.top(10)``,
    ``Leaderboard.rank(uid)``, and ``score(uid)`` and ``uid in board`` over the rank
    calls' users; the baseline: :class:`SortedBoard` (update, top and rank).
    """
    calls = board_calls(n, sizes, now)
    board = native_board(n, now)
    out = {"native": measure_latencies(board.update, board.top, board.rank, calls)}
    warm = min(2_000, len(calls[1]) // 10)  # score and `in`: the rank calls' users
    out["native"]["score"] = latency(per_call_ns(board.score, calls[1], warm))
    out["native"]["contains"] = latency(per_call_ns(board.__contains__, calls[1], warm))
    assert board.rank(calls[1][0][0]) is not None and len(board.top(10)) == min(10, n)
    board.close()
    if baseline:
        sb = SortedBoard(board_entries(n, now, seed=n))
        out["sorted"] = measure_latencies(sb.update, sb.top, sb.rank, calls)
        del sb
    gc.collect()
    return out


def updates_per_second(update: Callable, visible: Callable, n: int, calls: int, now: int) -> dict:
    """``calls`` ``update(uid, points, now)`` over random users of an ``n``-user board,
    timed from the first call until ``visible()`` (a read such as ``len``) returns, so
    every update is visible; GC disabled; arguments prepared before the clock starts."""
    rng = random.Random(11)
    args = [(user_id(rng.randrange(n)), float(rng.randint(1, 10)), now) for _ in range(calls)]
    for uid, pts, ts in args[:2_000]:
        update(uid, pts, ts)
    visible()
    with no_gc():
        t0 = _pc()
        for uid, pts, ts in args:
            update(uid, pts, ts)
        size = visible()
        elapsed = _pc() - t0
    return {"calls": calls, "seconds": elapsed / 1e9, "per_s": calls / (elapsed / 1e9),
            "size": size}


def queries_per_second(top: Callable, rank: Callable, n: int, calls: int) -> dict:
    """``calls`` queries, each ``top(10)`` then ``rank(uid)`` of a random user of an
    ``n``-user board; queries per second, GC disabled, after 1,000 untimed queries."""
    rng = random.Random(13)
    uids = [user_id(rng.randrange(n)) for _ in range(calls)]
    for uid in uids[:1_000]:
        top(10)
        rank(uid)
    with no_gc():
        t0 = _pc()
        for uid in uids:
            top(10)
            rank(uid)
        elapsed = _pc() - t0
    return {"calls": calls, "seconds": elapsed / 1e9, "per_s": calls / (elapsed / 1e9)}


def empty_board(**kwargs):
    """An empty native ``Leaderboard(0.95, 0, **kwargs)`` whose engine and runtime are
    up (a user added and removed) and the garbage collected: the resident memory read
    next is the baseline of a board's own."""
    from engagehub_native import Leaderboard

    board = Leaderboard(0.95, 0, **kwargs)
    board.update("warm-up", 1.0)
    board.remove("warm-up")
    gc.collect()
    return board


def child_board_memory(n: int) -> dict:
    """(Subprocess body.) RSS growth of building an ``n``-user board, ids made on the fly."""
    now = int(time.time())
    board = empty_board()
    before = rss_bytes()
    board.update_many(board_entries(n, now, seed=n))
    gc.collect()
    after = rss_bytes()
    assert len(board) == n
    return {"users": n, "rss_before": before, "rss_after": after,
            "bytes_per_user": (after - before) / n}


def count(n: int) -> str:
    """1000000 → "1M", 50000 → "50k"."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"


def bench_leaderboard(report: Report, sizes: Sizes) -> None:
    """Latencies of update, top-10 and rank at several sizes, their growth, updates/s,
    queries/s and memory per user, each beside the SortedList baseline."""
    baseline = have_sortedcontainers(report)
    now = int(time.time())
    small, mid, large = sizes.small_users, sizes.mid_users, sizes.users
    results = {}
    for n in sorted({small, mid, large}):
        print(f"  leaderboard: latencies at {n:,} users ...", flush=True)
        results[n] = measure_board(n, sizes, now, baseline)

    def row(metric, n, key, q, target=None):
        b = results[n].get("sorted", {}).get(key)
        return Row("leaderboard", f"{metric} @{count(n)}", results[n]["native"][key][q], "µs",
                   target, b[q] if b else None, "SortedList")

    for n in sorted({small, mid, large}):
        upd_target = TARGETS["lb_update_p50_50k"] if n == mid else TARGETS["lb_update_p50"]
        report.add(row("update(uid, pts, ts) p50", n, "update", 0, upd_target),
                   row("update(uid, pts, ts) p99", n, "update", 1))
    for n in sorted({small, large}):
        report.add(row("top(10) p50", n, "top", 0,
                       TARGETS["lb_top_p50_1m"] if n >= 1_000_000 else None),
                   row("top(10) p99", n, "top", 1),
                   row("rank(uid) p50", n, "rank", 0, TARGETS["lb_rank_p50"]),
                   row("rank(uid) p99", n, "rank", 1),
                   row("score(uid) p50", n, "score", 0),
                   row("uid in board p50", n, "contains", 0))
    if large != small:
        for key, label in (("update", "update"), ("top", "top(10)"), ("rank", "rank(uid)")):
            ratio = results[large]["native"][key][0] / results[small]["native"][key][0]
            b = results[large].get("sorted")
            b_ratio = b[key][0] / results[small]["sorted"][key][0] if b else None
            report.add(Row("leaderboard", f"{label} p50 {count(large)}÷{count(small)}",
                           ratio, "x", TARGETS["lb_growth"], b_ratio, "SortedList"))

    print(f"  leaderboard: {sizes.update_loop:,} updates on {small:,} users ...", flush=True)
    board = native_board(small, now)
    ups = updates_per_second(board.update, board.__len__, small, sizes.update_loop, now)
    board.close()
    default_limit = default_max_users()
    board = native_board(small, now, default_limit)
    bounded = updates_per_second(board.update, board.__len__, small, sizes.update_loop, now)
    board.close()
    b_ups = None
    if baseline:
        sb = SortedBoard(board_entries(small, now, seed=small))
        b_ups = updates_per_second(sb.update, sb.__len__, small, sizes.update_loop, now)
        del sb
    report.add(Row("leaderboard",
                   f"update ×{count(sizes.update_loop)} @{count(small)}, until len() returns",
                   ups["per_s"] / 1e6, "M/s", TARGETS["lb_updates_per_s"],
                   b_ups["per_s"] / 1e6 if b_ups else None, "SortedList"))
    report.add(Row("leaderboard",
                   f"update ×{count(sizes.update_loop)} @{count(small)}, "
                   f"max_users={count(default_limit)} (the default), until len() returns",
                   bounded["per_s"] / 1e6, "M/s", baseline=ups["per_s"] / 1e6,
                   baseline_name="max_users=0"))

    qn = sizes.query_users
    print(f"  leaderboard: top(10) + rank queries at {qn:,} users ...", flush=True)
    board = native_board(qn, now)
    q = queries_per_second(board.top, board.rank, qn, sizes.query_loop)
    board.close()
    b_q = None
    if baseline:
        sb = SortedBoard(board_entries(qn, now, seed=qn))
        b_q = queries_per_second(sb.top, sb.rank, qn, sizes.query_loop)
        del sb
    gc.collect()
    report.add(Row("leaderboard", f"top(10) + rank(uid) queries @{count(qn)}",
                   q["per_s"] / 1e3, "k q/s", TARGETS["lb_queries_per_s"],
                   b_q["per_s"] / 1e3 if b_q else None, "SortedList"))

    print(f"  leaderboard: memory of {large:,} users in a fresh process ...", flush=True)
    mem = run_child("child_board_memory", large)
    report.add(Row("leaderboard", f"resident memory per user @{count(large)}",
                   mem["bytes_per_user"], "B", TARGETS["lb_bytes_per_user"],
                   note=f"RSS {mem['rss_before'] / 2**20:.1f} → {mem['rss_after'] / 2**20:.1f} MiB"))


# -- leaderboard statistics: rank styles, percentiles (issue 11) -------------------

TARGETS.update({
    "lb_styled_p50_1m": Target("<=", 3.0, "µs", "issue 11"),
})


def ties_board(n: int, now: int):
    """A native ``Leaderboard(1.0)`` (no decay) of users 0..n-1 with integer scores
    1..1000: about n/1000 users share each score, the costly case for tied ranks."""
    from engagehub_native import Leaderboard

    rng = random.Random(n + 1)
    board = Leaderboard(1.0, 0)
    board.update_many((user_id(i), float(rng.randint(1, 1000)), now) for i in range(n))
    return board


def measure_stats(board, n: int, sizes: Sizes) -> Dict[str, tuple]:
    """p50/p99 (µs) of rank in each style, percentile and at_percentile on ``board``
    (random users of 0..n-1, random percentiles), ordinal ``rank`` being the same-run
    baseline; calls of one kind alternate with the others' in rounds of 2,000."""
    rng = random.Random(17)
    calls = sizes.rank_calls
    uids = [(user_id(rng.randrange(n)),) for _ in range(calls)]
    ps = [(100 * rng.random(),) for _ in range(calls)]
    kinds = {
        "rank": (board.rank, uids),
        "competition": (board.rank, uids, {"style": "competition"}),
        "dense": (board.rank, uids, {"style": "dense"}),
        "percentile": (board.percentile, uids),
        "at_percentile": (board.at_percentile, ps),
    }
    return interleaved(kinds)


def interleaved(kinds: Dict[str, tuple], step: int = 2_000) -> Dict[str, tuple]:
    """p50/p99 (µs) of each ``{key: (fn, args[, keywords])}`` (see per_call_ns), the
    kinds measured in turn, ``step`` calls at a time, so that changes of the machine's
    load hit every kind alike."""
    samples: Dict[str, List[int]] = {k: [] for k in kinds}
    calls = max(len(kind[1]) for kind in kinds.values())
    for lo in range(0, calls, step):
        for key, (fn, args, *keywords) in kinds.items():
            if lo < len(args):
                samples[key] += per_call_ns(fn, args[lo:lo + step], warmup=50 if lo == 0 else 0,
                                            keywords=keywords[0] if keywords else None)
    return {k: latency(sorted(v)) for k, v in samples.items()}


def bench_board_stats(report: Report, sizes: Sizes) -> None:
    """Rank styles and percentiles at ``sizes.users`` users from Python, on a decayed
    board of distinct scores and on a board of heavy ties, beside ordinal rank."""
    now = int(time.time())
    n = sizes.users
    for label, make in (("decayed", native_board), ("ties ×1000", ties_board)):
        print(f"  leaderboard statistics: {label} board of {n:,} users ...", flush=True)
        board = make(n, now)
        res = measure_stats(board, n, sizes)
        board.close()
        gc.collect()
        base = res["rank"][0]
        for key, metric in (("competition", 'rank(uid, style="competition")'),
                            ("dense", 'rank(uid, style="dense")'),
                            ("percentile", "percentile(uid)"),
                            ("at_percentile", "at_percentile(p)")):
            report.add(Row("board stats", f"{metric} p50 @{count(n)} {label}", res[key][0], "µs",
                           TARGETS["lb_styled_p50_1m"] if n >= 1_000_000 else None,
                           base, "rank(uid)"),
                       Row("board stats", f"{metric} p99 @{count(n)} {label}", res[key][1], "µs",
                           None, res["rank"][1], "rank(uid)"))


# -- time-windowed boards (issue 11) ------------------------------------------------

TARGETS.update({
    "lb_windows_update_ratio": Target("<=", 2.0, "x", "issue 11"),
    "lb_windows_query_ratio": Target("<=", 2.0, "x", "issue 11"),
})

#: The windows of the windowed boards measured: a week and a month.
BENCH_WINDOWS = {"week": 7 * 86400, "month": 30 * 86400}


def windowed_board(n: int, now: int, windows: Optional[dict] = BENCH_WINDOWS):
    """``native_board`` with ``windows`` (None: a plain board); every entry is earned
    now, so each window holds all ``n`` users."""
    from engagehub_native import Leaderboard

    board = Leaderboard(0.95, 0, windows=windows)
    board.update_many((uid, pts, now) for uid, pts, _ in board_entries(n, now, seed=n))
    return board


def child_window_memory(n: int, windowed: bool) -> dict:
    """(Subprocess body.) RSS growth of building an ``n``-user board, with the week and
    month windows or without."""
    now = int(time.time())
    board = empty_board(windows=BENCH_WINDOWS if windowed else None)
    before = rss_bytes()
    board.update_many((uid, pts, now) for uid, pts, _ in board_entries(n, now, seed=n))
    len(board)
    gc.collect()
    return {"users": n, "rss_growth": rss_bytes() - before}


def bench_windows(report: Report, sizes: Sizes) -> None:
    """A board with week and month windows against a plain one at ``sizes.users`` users,
    in the same run: update p50 (the Python call), updates until a read sees them, query
    p50s per window, the first query after a rollover, and memory per user per window."""
    now = int(time.time())
    n = sizes.users
    rng = random.Random(19)
    upd = [(user_id(rng.randrange(n)), float(rng.randint(1, 10)), now)
           for _ in range(sizes.update_calls)]
    uids = [(user_id(rng.randrange(n)),) for _ in range(sizes.rank_calls)]
    print(f"  windows: a plain and a windowed board of {n:,} users ...", flush=True)
    plain_b, win_b = windowed_board(n, now, None), windowed_board(n, now)
    # Both boards measured in turn, a round of each kind at a time.
    kinds = {"plain update": (plain_b.update, upd), "update": (win_b.update, upd)}
    lat = interleaved(kinds)
    len(plain_b), len(win_b)
    kinds = {"plain top": (plain_b.top, [(10,)] * sizes.top_calls),
             "plain rank": (plain_b.rank, uids)}
    for name in BENCH_WINDOWS:
        kinds[f"top {name}"] = (win_b.top, [(10,)] * sizes.top_calls, {"window": name})
        kinds[f"rank {name}"] = (win_b.rank, uids, {"window": name})
    lat.update(interleaved(kinds))
    res: Dict[str, dict] = {"plain": {"update": lat["plain update"], "top": lat["plain top"],
                                      "rank": lat["plain rank"]},
                            "windowed": lat}
    for label, board in (("plain", plain_b), ("windowed", win_b)):
        res[label]["updates_per_s"] = updates_per_second(
            board.update, board.__len__, n, sizes.update_loop, now)["per_s"]
    # The week's first update of a new period, then a read of the week (the
    # rollover drops 1M users), against the same pair on the plain board.
    week = BENCH_WINDOWS["week"]
    nxt = (now // week + 1) * week + 1
    pair = []
    for _ in range(200):
        t0 = _pc()
        plain_b.update("rollover", 1.0, now)
        plain_b.top(10)
        pair.append(_pc() - t0)
    res["plain"]["rollover"] = latency(sorted(pair))[0]
    win_b.clock = lambda: nxt
    t0 = _pc()
    win_b.update("rollover", 1.0, nxt)
    first = win_b.top(10, window="week")
    res["windowed"]["rollover"] = (_pc() - t0) / 1000
    assert [u.user_id for u in first] == ["rollover"]
    plain_b.close()
    win_b.close()
    del plain_b, win_b
    gc.collect()

    plain, win = res["plain"], res["windowed"]
    ratio = win["update"][0] / plain["update"][0]
    report.add(
        Row("windows", f"update p50 @{count(n)}, week + month windows", win["update"][0], "µs",
            None, plain["update"][0], "plain board"),
        Row("windows", "update p50 windowed ÷ plain", ratio, "x",
            TARGETS["lb_windows_update_ratio"]),
        Row("windows", f"update ×{count(sizes.update_loop)} @{count(n)} until len() returns",
            win["updates_per_s"] / 1e6, "M/s", None, plain["updates_per_s"] / 1e6, "plain board"))
    for name in BENCH_WINDOWS:
        for q, label in (("top", "top(10)"), ("rank", "rank(uid)")):
            value = win[f"{q} {name}"][0]
            report.add(Row("windows", f'{label} p50, window="{name}" @{count(n)}', value, "µs",
                           None, plain[q][0], f"plain {label}"),
                       Row("windows", f'{label} window="{name}" ÷ plain', value / plain[q][0], "x",
                           TARGETS["lb_windows_query_ratio"]))
    report.add(Row("windows", f"update + top(10) across a week rollover @{count(n)}",
                   win["rollover"], "µs", None, plain["rollover"], "plain update + top(10) p50"))

    print(f"  windows: memory of {n:,} users, plain and windowed, in fresh processes ...",
          flush=True)
    plain_mem = run_child("child_window_memory", n, False)
    win_mem = run_child("child_window_memory", n, True)
    per = (win_mem["rss_growth"] - plain_mem["rss_growth"]) / (n * len(BENCH_WINDOWS))
    report.add(Row("windows", f"resident memory per user per window @{count(n)}", per, "B",
                   note=f"RSS growth {plain_mem['rss_growth'] / 2**20:.0f} MiB plain, "
                        f"{win_mem['rss_growth'] / 2**20:.0f} MiB with 2 windows"))


# -- processor: pushing and delivering ---------------------------------------------


EVENT_TYPES = ("message", "reaction", "voice_join")


def make_events(n: int, users: int, channels: int, now: int, seed: int = 3) -> List[tuple]:
    """``n`` ``(type, user_id, channel_id, now)`` tuples drawn from fixed pools (ids shared)."""
    rng = random.Random(seed)
    uids = [user_id(i) for i in range(users)]
    cids = [f"channel{i:06d}" for i in range(channels)]
    return [(EVENT_TYPES[rng.randrange(3)], uids[rng.randrange(users)],
             cids[rng.randrange(channels)], now) for _ in range(n)]


def push_each(push: Callable, events: Sequence[tuple]) -> int:
    """Push events one call each, re-offering a refused one after a yield; returns refusals."""
    refused = 0
    sleep = time.sleep
    for t, u, c, ts in events:
        while not push(t, u, c, ts):
            refused += 1
            sleep(0)
    return refused


def push_chunks(push_many: Callable, events: Sequence[tuple], chunk: int = 4096) -> int:
    """Push events ``chunk`` at a time with ``push_many``, re-offering what a full buffer
    refused after a yield; returns refusals."""
    refused = 0
    i, n = 0, len(events)
    sleep = time.sleep
    while i < n:
        part = events[i:i + chunk]
        accepted = push_many(part)
        i += accepted
        if accepted < len(part):
            refused += len(part) - accepted
            sleep(0)
    return refused


class Sink:
    """A no-op flush callback that only counts the events and batches it is handed."""

    def __init__(self, columnar: bool = False) -> None:
        self.events = 0
        self.batches = 0
        self.columnar = columnar

    def __call__(self, batch) -> None:
        self.batches += 1
        self.events += len(batch["type"]) if self.columnar else len(batch)


class ReadingSink(Sink):
    """A flush callback that reads every field of every event (dict batches)."""

    def __call__(self, batch) -> None:
        for e in batch:
            e["type"], e["user_id"], e["channel_id"], e["timestamp"]
        self.batches += 1
        self.events += len(batch)


def deliver_all(push_all: Callable[[Sequence[tuple]], int], flush: Callable[[], None],
                dropped: Callable[[], int], sink: Sink, events: Sequence[tuple],
                warm: Sequence[tuple]) -> dict:
    """Time ``events`` from the first push until ``flush()`` has returned and ``sink`` has
    seen every one of them (polled for at most 10 s more, reported as ``late_ms``).

    ``warm`` is pushed and flushed untimed first. ``push_all(events)`` pushes, retries
    refusals after ``time.sleep(0)`` and returns how many it retried; ``dropped()`` is the
    engine's count of refused pushes, reported beside it.
    """
    push_all(warm)
    flush()
    sink.events = sink.batches = 0
    dropped0 = dropped()
    n = len(events)
    with no_gc():
        t0 = _pc()
        refused = push_all(events)
        flush()
        t_flush = _pc()
        deadline = time.monotonic() + 10
        while sink.events < n and time.monotonic() < deadline:
            time.sleep(0.0005)
        elapsed = _pc() - t0
    return {"events": n, "seconds": elapsed / 1e9, "delivered": sink.events,
            "batches": sink.batches, "refused": refused, "counted_drops": dropped() - dropped0,
            "late_ms": (elapsed - (t_flush - t0)) / 1e6 if sink.events else 0.0}


def native_processor(config: dict, sink: Sink, columnar: bool = False):
    """A native EventStreamProcessor from a drop-in-style config (flush interval in ms)."""
    from engagehub_native import EventStreamProcessor

    return EventStreamProcessor(
        buffer_size=config["buffer_size"], num_threads=config["num_threads"],
        batch_size=config["batch_size"], flush_interval=config["flush_interval_ms"] / 1000,
        columnar=columnar, on_flush=sink)


def throughput_push(events: Sequence[tuple], warm: Sequence[tuple], config: dict = DELIVERY_CONFIG,
                    sink: Optional[Sink] = None) -> dict:
    """Native ``push`` (one call per event, one producer thread) → callback receiving dicts."""
    sink = sink if sink is not None else Sink()
    with native_processor(config, sink) as proc:
        return deliver_all(lambda ev: push_each(proc.push, ev), proc.flush,
                           lambda: proc.stats().dropped, sink, events, warm)


def throughput_push_many(events: Sequence[tuple], warm: Sequence[tuple], columnar: bool,
                         config: dict = DELIVERY_CONFIG) -> dict:
    """Native ``push_many`` (4096 events per call, one producer) → no-op callback receiving
    dicts or, with ``columnar``, one dict of four lists per batch."""
    sink = Sink(columnar)
    with native_processor(config, sink, columnar) as proc:
        return deliver_all(lambda ev: push_chunks(proc.push_many, ev), proc.flush,
                           lambda: proc.stats().dropped, sink, events, warm)


def throughput_python_pipeline(events: Sequence[tuple], batch_size: int = 512,
                               sink: Optional[Sink] = None) -> dict:
    """Baseline: pure Python, one producer ``put``-ting tuples into a ``queue.SimpleQueue``
    and one consumer thread building the same 4-key dicts into batches of ``batch_size``
    for the callback. Timed from the first put until the consumer has delivered all."""
    q: SimpleQueue = SimpleQueue()
    sink = sink if sink is not None else Sink()
    done = threading.Event()
    stop = object()

    def consume() -> None:
        get = q.get
        batch: list = []
        while True:
            item = get()
            if item is stop:
                if batch:
                    sink(batch)
                done.set()
                return
            t, u, c, ts = item
            batch.append({"type": t, "user_id": u, "channel_id": c, "timestamp": ts})
            if len(batch) >= batch_size:
                sink(batch)
                batch = []

    threading.Thread(target=consume, daemon=True).start()
    put = q.put
    with no_gc():
        t0 = _pc()
        for ev in events:
            put(ev)
        put(stop)
        done.wait()
        elapsed = _pc() - t0
    return {"events": len(events), "seconds": elapsed / 1e9, "delivered": sink.events,
            "batches": sink.batches, "refused": 0, "counted_drops": 0}


def dict_floor_ns(events: Sequence[tuple]) -> float:
    """The pure-Python floor of dict delivery: ns per event of a loop that only builds
    the 4-key dict of each event and appends it to a list (no queue, no thread, no
    engine), GC disabled; the best of 3 passes."""
    best = None
    for _ in range(3):
        out: list = []
        append = out.append
        with no_gc():
            t0 = _pc()
            for t, u, c, ts in events:
                append({"type": t, "user_id": u, "channel_id": c, "timestamp": ts})
            elapsed = _pc() - t0
        del out
        best = elapsed if best is None else min(best, elapsed)
    return best / len(events)


def throughput_original(events: Sequence[tuple], warm: Sequence[tuple]) -> dict:
    """The original's own benchmark script, on the native API: a fresh
    ``EventStreamProcessor(buffer_size=16384, num_threads=4, batch_size=256,
    flush_interval=0.2)`` with a no-op counting callback, 50k ``push`` calls from one
    thread (refusals retried after ``time.sleep(0)``), then ``flush()``."""
    return throughput_push(events, warm, ORIGINAL_CONFIG)


def rate(result: dict) -> float:
    """Millions of events a second of a throughput result (delivered events only)."""
    return result["delivered"] / result["seconds"] / 1e6


def delivery_note(res: dict) -> str:
    lost = res["events"] - res["delivered"]
    note = f"{res['refused']:,} refusals re-pushed"
    if res.get("late_ms", 0) > 1:
        note += f"; callback finished {res['late_ms']:.0f} ms after flush returned"
    if lost:
        note += f"; {lost:,} NOT DELIVERED"
    return note


# -- processor: analytics, memory, lifetime -----------------------------------------


def distinct_users_error(n: int) -> dict:
    """Push ``n`` distinct user ids stamped now, flush, compare ``unique_users()`` with ``n``."""
    from engagehub_native import EventStreamProcessor

    now = int(time.time())
    with EventStreamProcessor(buffer_size=65536, batch_size=1000, columnar=True,
                              on_flush=Sink(True)) as proc:
        for start in range(0, n, 65536):
            chunk = [("message", user_id(i), "channel0", now)
                     for i in range(start, min(n, start + 65536))]
            push_chunks(proc.push_many, chunk)
        proc.flush()
        estimate = proc.unique_users()
    return {"distinct": n, "estimate": estimate, "error_pct": abs(estimate - n) / n * 100}


def child_processor_memory(n: int) -> dict:
    """(Subprocess body.) RSS growth over ``n`` events, each a new user on a new channel.

    Also records RSS halfway, so a bounded structure shows a flat second half.
    """
    from engagehub_native import EventStreamProcessor

    now = int(time.time())
    proc = EventStreamProcessor(buffer_size=65536, batch_size=1000, columnar=True,
                                on_flush=Sink(True))
    warm = [("message", f"warm{i}", f"warm{i % 50}", now) for i in range(20_000)]
    push_chunks(proc.push_many, warm)
    proc.flush()
    del warm
    gc.collect()
    before = rss_bytes()
    marks = []
    for start in range(0, n, 4096):
        chunk = [("message", f"u{i:012d}", f"c{i:012d}", now)
                 for i in range(start, min(n, start + 4096))]
        push_chunks(proc.push_many, chunk)
        if start < n // 2 <= start + 4096:
            proc.flush()
            gc.collect()
            marks.append(rss_bytes())
    proc.flush()
    gc.collect()
    after = rss_bytes()
    top = proc.top_channels(3)
    proc.close()
    return {"events": n, "rss_before": before, "rss_half": marks[0] if marks else before,
            "rss_after": after, "growth_mb": (after - before) / 2**20, "top": top}


def dropped_processors(make: Callable[[Sink], object], push: Callable[[object, tuple], object],
                       n: int, settle: float = 5.0) -> dict:
    """Create ``n`` processors one after the other, push 10 events into each, then drop
    each WITHOUT ``close()`` (``del`` + ``gc.collect()``). Reports threads
    (``threading.active_count()``) and RSS before the first is made and after the last
    is dropped, waiting up to ``settle`` seconds for threads to end. The engine is
    loaded first (by a board made and closed), so its one-time memory is not counted.
    Run it in a fresh process."""
    now = int(time.time())
    events = [("message", user_id(i), f"channel{i % 3}", now) for i in range(10)]
    # Load the engine (and start its runtime) with a board, not a processor, so its
    # one-time memory is not counted and every processor measured is one of the n.
    from engagehub_native import Leaderboard

    Leaderboard(0.95, 0).close()
    gc.collect()
    time.sleep(0.2)
    threads_before = threading.active_count()
    rss_before = rss_bytes()
    for _ in range(n):
        proc = make(Sink())
        for ev in events:
            push(proc, ev)
        del proc
        gc.collect()
    deadline = time.monotonic() + settle
    while threading.active_count() > threads_before and time.monotonic() < deadline:
        time.sleep(0.05)
        gc.collect()
    rss_after = rss_bytes()
    return {"processors": n, "threads_before": threads_before,
            "threads_after": threading.active_count(), "rss_before": rss_before,
            "rss_after": rss_after, "growth_mb": (rss_after - rss_before) / 2**20}


def child_dropped_native(n: int) -> dict:
    """(Subprocess body.) :func:`dropped_processors` over native processors
    ``EventStreamProcessor(buffer_size=1024, batch_size=100, num_threads=1,
    flush_interval=0.05, on_flush=<no-op>)``, pushed with ``push``."""
    from engagehub_native import EventStreamProcessor

    def make(sink):
        return EventStreamProcessor(buffer_size=1024, batch_size=100, num_threads=1,
                                    flush_interval=0.05, on_flush=sink)

    return dropped_processors(make, lambda p, ev: p.push(*ev), n)


def dropped_rows(section: str, label: str, res: dict) -> List[Row]:
    """The two judged rows of a dropped-processors run."""
    extra = res["threads_after"] - res["threads_before"]
    return [
        Row(section, f"{label}: threads left over", extra, "threads",
            TARGETS["proc_dropped_threads"],
            note=f"threading.active_count() {res['threads_before']} → {res['threads_after']}"),
        Row(section, f"{label}: RSS growth", res["growth_mb"], "MB", TARGETS["proc_dropped_rss"],
            note=f"RSS {res['rss_before'] / 2**20:.1f} → {res['rss_after'] / 2**20:.1f} MiB"),
    ]


def step_costs_ns(events: Sequence[tuple]) -> Dict[str, float]:
    """CPU time per event of each Python step of push → dict delivery, measured
    apart on this thread with time.thread_time (so the other threads' share of
    the GIL is not counted): ``push`` (checks and staging, no drain), ``drain``
    (offering the staged events to the engine: their wire copied and the
    engine's copy of it and ring push, a staging's worth at a time as pushes
    drain it), ``dicts`` and ``columns`` (a batch shaped for the callback from
    the flat fields the slots hold). GC disabled; the best of 3 passes."""
    from engagehub_native import EventStreamProcessor
    from engagehub_native._staging import EventStaging, event_dicts

    n = len(events)
    costs: Dict[str, float] = {}
    best_push = best_drain = None
    for _ in range(3):
        # Room for every event and a long flush interval: nothing drains
        # on its own while the loop pushes.
        proc = EventStreamProcessor(buffer_size=n, max_pending=n, batch_size=512,
                                    flush_interval=3600, on_flush=lambda batch: None)
        pipeline = proc._pipeline
        run = pipeline.stage_limit  # what a push drains at once
        with pipeline._drain_lock:  # a staging that holds every event: push alone
            pipeline.staging = proc._staging = EventStaging(pipeline._capacity, n, False)
        push = proc.push
        staging = pipeline.staging
        with no_gc(), pipeline._drain_lock:  # a dispatcher finding no batch waits to drain
            t0 = time.thread_time()
            for t, u, c, ts in events:
                push(t, u, c, ts)
            t1 = time.thread_time()
            while staging.count:
                pipeline._offer_locked(min(run, staging.count))
            t2 = time.thread_time()
        proc.close()
        best_push = min(best_push or t1 - t0, t1 - t0)
        best_drain = min(best_drain or t2 - t1, t2 - t1)
    costs["push"] = best_push / n * 1e9
    costs["drain"] = best_drain / n * 1e9
    flat = [field for event in events[:512] for field in event]
    for shape in ("dicts", "columns"):
        best = None
        for _ in range(3):
            with no_gc():
                t0 = time.thread_time()
                for _ in range(max(1, n // 512)):
                    if shape == "dicts":
                        event_dicts(flat)
                    else:
                        {"type": flat[0::4], "user_id": flat[1::4],
                         "channel_id": flat[2::4], "timestamp": flat[3::4]}
                elapsed = time.thread_time() - t0
            best = elapsed if best is None else min(best, elapsed)
        costs[shape] = best / (max(1, n // 512) * 512) * 1e9
    return costs


def bench_processor(report: Report, sizes: Sizes) -> None:
    """End-to-end throughput of the native paths against a pure-Python pipeline and the
    dict-building floor, the original's workload, the distinct-users error, memory growth
    over many distinct users and channels, and processors dropped without close()."""
    now = int(time.time())
    print(f"  processor: generating {sizes.events:,} events ...", flush=True)
    events = make_events(sizes.events, sizes.event_users, sizes.channels, now)
    warm = events[:20_000]
    batch = DELIVERY_CONFIG["batch_size"]
    print("  processor: pure-Python pipeline baseline and floor ...", flush=True)
    base = best_of(sizes.repeat, lambda: throughput_python_pipeline(events, batch))
    floor = dict_floor_ns(events)
    print("  processor: push → dicts ...", flush=True)
    one = best_of(sizes.repeat, lambda: throughput_push(events, warm))
    print("  processor: push_many → dicts, columnar ...", flush=True)
    many = best_of(sizes.repeat, lambda: throughput_push_many(events, warm, columnar=False))
    col = best_of(sizes.repeat, lambda: throughput_push_many(events, warm, columnar=True))
    print(f"  processor: the original's workload ({ORIGINAL_EVENTS:,} events) ...", flush=True)
    orig_events = events[:ORIGINAL_EVENTS]
    orig = best_of(max(3, sizes.repeat), lambda: throughput_original(orig_events, warm[:5_000]))
    orig_base = best_of(max(3, sizes.repeat),
                        lambda: throughput_python_pipeline(orig_events, ORIGINAL_CONFIG["batch_size"]))
    del events, warm
    gc.collect()
    base_rate = rate(base)
    for label, res, target in (
        ("push → dict callback", one, "proc_push_dicts"),
        ("push_many → dict callback", many, "proc_push_many_dicts"),
        ("push_many → columnar callback", col, "proc_columnar"),
    ):
        report.add(Row("processor", f"{label} ({count(res['events'])} ev)", rate(res),
                       "M ev/s", TARGETS[target], base_rate, "SimpleQueue+thread",
                       note=delivery_note(res)))
    report.add(Row("processor", f"original's workload: {count(ORIGINAL_EVENTS)} push, then flush",
                   rate(orig), "M ev/s", TARGETS["proc_original_workload"], rate(orig_base),
                   "SimpleQueue+thread", note=delivery_note(orig)))
    push_ns = 1e3 / rate(one)
    report.add(
        Row("processor", "floor: build + append the 4-key dict", floor, "ns/ev",
            note="pure Python, no queue, no thread"),
        Row("processor", "push → dict callback ÷ floor", push_ns / floor, "x",
            baseline=(1e3 / base_rate) / floor, baseline_name="SimpleQueue+thread",
            note=f"{push_ns:.0f} ns per event delivered"),
    )
    print("  processor: the cost of each step ...", flush=True)
    steps = step_costs_ns(make_events(sizes.events, sizes.event_users, sizes.channels, now))
    for step, what in (("push", "push(): checks + staging, per event"),
                       ("drain", "drain: the staged wire offered to the engine, per event"),
                       ("dicts", "delivery: flat fields → list of dicts, per event"),
                       ("columns", "delivery: flat fields → four columns, per event")):
        report.add(Row("processor", f"step: {what}", steps[step], "ns/ev",
                       note="CPU time of the thread doing it (time.thread_time)"))
    report.add(Row("processor", "step: push + drain + dicts, per event",
                   steps["push"] + steps["drain"] + steps["dicts"], "ns/ev",
                   baseline=floor, baseline_name="floor",
                   note="the GIL-bound work; its inverse bounds one producer's rate"))
    print(f"  processor: distinct users at {sizes.distinct:,} ...", flush=True)
    hll = distinct_users_error(sizes.distinct)
    report.add(Row("processor", f"distinct-users error @{count(sizes.distinct)}",
                   hll["error_pct"], "%", TARGETS["proc_distinct_error"],
                   note=f"estimate {hll['estimate']:,}"))
    print(f"  processor: memory over {sizes.growth:,} users × channels in a fresh process ...",
          flush=True)
    mem = run_child("child_processor_memory", sizes.growth)
    half = (mem["rss_after"] - mem["rss_half"]) / 2**20
    report.add(Row("processor", f"memory growth, {count(sizes.growth)} new users + channels",
                   mem["growth_mb"], "MB", TARGETS["proc_memory_growth"],
                   note=f"second half adds {half:.1f} MB"))
    print(f"  processor: {sizes.dropped} processors dropped without close() in a fresh "
          "process ...", flush=True)
    report.add(*dropped_rows("processor", f"{sizes.dropped} processors dropped unclosed",
                             run_child("child_dropped_native", sizes.dropped)))
    report.notes.append(
        "processor: delivery runs use buffer {buffer_size}, {num_threads} dispatcher thread, "
        "batch {batch_size}, flush interval {flush_interval_ms} ms; ".format(**DELIVERY_CONFIG)
        + "the original's workload buffer {buffer_size}, {num_threads} threads, batch "
        "{batch_size}, {flush_interval_ms} ms; ".format(**ORIGINAL_CONFIG)
        + "a refused push is re-offered after time.sleep(0), so every event is delivered; "
        f"throughput is the best of {sizes.repeat} run(s) (3 for the original's workload), "
        "baselines included")


# -- sinks: events into PostgreSQL -------------------------------------------------

#: The sink runs: one producer, push_many, a buffer that holds the whole run (so the
#: push rate is the producer's own, with the sink's work competing for the CPUs only),
#: 2 dispatcher threads for the Python sinks and 2 connections for the native one.
SINK_CONFIG = {"buffer_size": 1 << 20, "batch_size": 2000, "num_threads": 2,
               "flush_interval": 0.05, "sink_workers": 2}

SINK_KINDS = {
    "none": "no sink and no callback (events kept in the engine)",
    "executemany": "psycopg executemany INSERT per batch, one transaction",
    "bulk_create": "Django bulk_create sink (engagehub_native.django), one transaction",
    "native": "native sink: Go COPY through a pgx pool",
}


def pg_bench_dsn() -> Optional[str]:
    """The PostgreSQL server the sink section writes to (a role that may create databases)."""
    return os.environ.get("ENGAGEHUB_BENCH_PG_DSN") or os.environ.get("ENGAGEHUB_TEST_PG_DSN")


def _django_on(url: str) -> None:
    """Configure Django in this (child) process on the database at url, with the app's
    Event table migrated."""
    from urllib.parse import unquote, urlsplit

    import django
    from django.conf import settings
    from django.core.management import call_command

    u = urlsplit(url)
    settings.configure(
        DATABASES={"default": {"ENGINE": "django.db.backends.postgresql",
                               "NAME": u.path.lstrip("/"), "USER": unquote(u.username or ""),
                               "PASSWORD": unquote(u.password or ""), "HOST": u.hostname or "",
                               "PORT": str(u.port or "")}},
        INSTALLED_APPS=["engagehub_native.django"], USE_TZ=True, TIME_ZONE="UTC")
    django.setup()
    call_command("migrate", "engagehub_native", verbosity=0)


def _executemany_sink(url: str) -> Callable:
    """The guide-style callback: one psycopg connection per dispatcher thread, each batch
    an executemany INSERT in one transaction."""
    import datetime

    import psycopg

    local = threading.local()
    utc = datetime.timezone.utc
    sql = ("INSERT INTO engagehub_native_event (type, user_id, channel_id, timestamp) "
           "VALUES (%s, %s, %s, %s)")

    def save(batch) -> None:
        con = getattr(local, "con", None)
        if con is None:
            con = local.con = psycopg.connect(url)
        with con.transaction(), con.cursor() as cur:
            cur.executemany(sql, [(e["type"], e["user_id"], e["channel_id"],
                                   datetime.datetime.fromtimestamp(e["timestamp"], tz=utc))
                                  for e in batch])
    return save


def server_cpu_seconds() -> Optional[float]:
    """CPU seconds used so far by the processes of this machine named ``postgres`` (a local
    PostgreSQL server's backends and helpers, from /proc), or None where there are none
    to read (a remote server, or no /proc)."""
    ticks, found = 0, False
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:  # ended meanwhile, or not ours to read
            continue
        name, _, rest = stat.partition("(")[2].rpartition(")")
        if name == "postgres":
            fields = rest.split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
            found = True
    return ticks / os.sysconf("SC_CLK_TCK") if found else None


def child_sink_rows(kind: str, admin_dsn: str, n: int, users: int, channels: int) -> dict:
    """In a fresh process: a new database with the Django app's Event table, ``n`` events
    pushed with push_many by one producer into a processor whose batches go to ``kind``'s
    sink; timed until the pushes returned and until flush() returned (every row committed),
    then the rows counted."""
    import uuid

    import psycopg

    from engagehub_native import EventStreamProcessor

    name = f"eh_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{admin_dsn.rsplit('/', 1)[0]}/{name}"
    try:
        _django_on(url)
        options = {k: v for k, v in SINK_CONFIG.items() if k != "sink_workers"}
        if kind == "none":
            pass  # the buffer and max_pending hold the whole run: nothing backs up
        elif kind == "executemany":
            options["on_flush"] = _executemany_sink(url)
        elif kind == "bulk_create":
            from engagehub_native.django.models import Event
            from engagehub_native.django.sinks import ModelSink

            options["on_flush"] = ModelSink(Event)
        elif kind == "native":
            options.update(sink=url, sink_workers=SINK_CONFIG["sink_workers"])
        else:
            raise ValueError(f"unknown sink kind {kind!r}")
        events = make_events(n, users, channels, int(time.time()))
        with EventStreamProcessor(**options) as proc:
            with no_gc():
                server0 = server_cpu_seconds()
                t0 = _pc()
                c0, p0 = time.thread_time(), time.process_time()
                refused = push_chunks(proc.push_many, events)
                t_push = _pc()
                push_cpu, process_cpu = time.thread_time() - c0, time.process_time() - p0
                proc.flush()
                t_done = _pc()
                server1 = server_cpu_seconds()
            stats = proc.stats()
        from django.db import connections

        connections.close_all()
        with psycopg.connect(url) as con:
            rows = con.execute("SELECT count(*) FROM engagehub_native_event").fetchone()[0]
        return {"kind": kind, "events": n, "push_seconds": (t_push - t0) / 1e9,
                "push_cpu_seconds": push_cpu, "push_process_cpu_seconds": process_cpu,
                "server_cpu_seconds": None if server0 is None or server1 is None
                else server1 - server0,
                "seconds": (t_done - t0) / 1e9, "rows": rows, "refused": refused,
                "delivered": stats.processed if kind == "none" else rows, "failed": stats.failed}
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_sinks(report: Report, sizes: Sizes) -> None:
    """Events → committed rows per second into one local PostgreSQL for the guide-style
    executemany callback, the Django bulk_create sink and the native sink, each in a fresh
    process; and the producer's push rate with the native sink against a no-op callback."""
    dsn = pg_bench_dsn()
    if not dsn:
        report.notes.append("sink: skipped: set ENGAGEHUB_BENCH_PG_DSN (or ENGAGEHUB_TEST_PG_DSN) "
                            "to a postgresql:// URL of a role that may create databases")
        print("  sink: skipped (no PostgreSQL URL)", flush=True)
        return
    import importlib.util

    missing = [m for m in ("psycopg", "django") if importlib.util.find_spec(m) is None]
    if missing:
        report.notes.append(f"sink: skipped: needs {' and '.join(missing)} "
                            "(pip install 'engagehub-native[test]')")
        print(f"  sink: skipped (no {', '.join(missing)})", flush=True)
        return
    n = sizes.sink_events
    args = (dsn, n, sizes.event_users, sizes.channels)
    res = {}
    for kind in ("none", "native", "bulk_create", "executemany"):
        print(f"  sink: {SINK_KINDS[kind]}, {n:,} events in a fresh process ...", flush=True)
        # The fast runs are repeated; the Python sinks take a while and vary less.
        repeat = sizes.repeat if kind in ("none", "native") else 1
        runs = [run_child("child_sink_rows", kind, *args) for _ in range(max(1, repeat))]
        best = min(runs, key=lambda r: r["seconds"])
        best["runs_rows_per_s"] = [round(r["rows"] / r["seconds"]) for r in runs]
        best["push_seconds"] = min(r["push_seconds"] for r in runs)
        best["push_cpu_seconds"] = min(r["push_cpu_seconds"] for r in runs)
        best["cores_pushing"] = sorted(r["push_process_cpu_seconds"] / r["push_seconds"]
                                       for r in runs)
        res[kind] = best

    def rows_per_s(r: dict) -> float:
        return r["rows"] / r["seconds"] / 1e3

    def note(r: dict) -> str:
        text = f"{r['rows']:,} rows for {r['events']:,} events; runs {r['runs_rows_per_s']} rows/s"
        if r["rows"] != r["events"]:
            text += f"; {r['events'] - r['rows']:,} ROWS MISSING"
        return text

    bulk = rows_per_s(res["bulk_create"])
    report.add(
        Row("sink", f"{SINK_KINDS['executemany']} ({count(n)} ev)",
            rows_per_s(res["executemany"]), "k rows/s", note=note(res["executemany"])),
        Row("sink", f"{SINK_KINDS['bulk_create']} ({count(n)} ev)", bulk, "k rows/s",
            note=note(res["bulk_create"])),
        Row("sink", f"{SINK_KINDS['native']} ({count(n)} ev)", rows_per_s(res["native"]),
            "k rows/s", TARGETS["sink_native_rows"], bulk, "bulk_create", note=note(res["native"])),
        Row("sink", "native sink ÷ bulk_create sink, rows/s", rows_per_s(res["native"]) / bulk,
            "x", TARGETS["sink_native_vs_bulk_create"]),
    )
    push_none = n / res["none"]["push_seconds"] / 1e6
    push_native = n / res["native"]["push_seconds"] / 1e6
    report.add(
        Row("sink", "producer push rate, no sink and no callback", push_none, "M ev/s",
            note="push_many until the last call returned; the buffer holds the whole run"),
        Row("sink", "producer push rate with the native sink", push_native, "M ev/s",
            baseline=push_none, baseline_name="no sink"),
        Row("sink", "push rate: native sink ÷ no sink", push_native / push_none, "x",
            TARGETS["sink_push_ratio"],
            note="wall clock: on 2 cores the producer shares them with the database server"),
        Row("sink", "producer CPU per event with the native sink",
            res["native"]["push_cpu_seconds"] / n * 1e9, "ns/ev",
            baseline=res["none"]["push_cpu_seconds"] / n * 1e9, baseline_name="no sink",
            note="time.thread_time() of the pushing thread: the producer's own work"),
    )
    # What the push ratio asks of the CPUs: the process's own use while it pushes with
    # no sink, beside what the server needs to commit the target's rows/s.
    cores = res["none"]["cores_pushing"]
    report.add(Row("sink", "process CPU while pushing, no sink and no callback",
                   cores[len(cores) // 2], "cores",
                   note=f"time.process_time() over the push's wall time, runs "
                        f"{[round(c, 2) for c in cores]}, on {os.cpu_count()} CPUs: the "
                        "producer and the engine's analysis"))
    server = res["native"]["server_cpu_seconds"]
    if server is not None and res["native"]["rows"]:
        per_row = server / res["native"]["rows"] * 1e6
        limit = TARGETS["sink_native_rows"].limit
        report.add(Row("sink", "PostgreSQL server CPU per row, native sink", per_row, "µs",
                       note=f"a local server's processes, from /proc, over the whole run: "
                            f"{per_row * limit / 1e3:.2f} cores at {limit:.0f} k rows/s"))
    else:
        report.notes.append("sink: the server's CPU per row is measured only for a server on "
                            "this machine (its processes in /proc)")
    report.notes.append(
        "sink: each run in a fresh process on a new database with the Django app's Event table "
        "(id identity, index on timestamp), from the first push until flush() returned, rows "
        "counted after; buffer {buffer_size}, batch {batch_size}, {num_threads} dispatcher "
        "threads (Python sinks) or {sink_workers} connections (native), flush interval "
        "{flush_interval} s; best of {r} for the no-sink and native runs, 1 for the Python "
        "sinks".format(r=sizes.repeat, **SINK_CONFIG))
# -- analytics: trending channels over a sliding window (issue 11) ------------------


def child_trending(distinct: int, calls: int) -> dict:
    """(Subprocess body.) A processor fed ``distinct`` events each on a new
    channel plus as many on 1,000 busy channels (Zipf-like), spread over the
    last hour: RSS growth, then the latency of ``top_channels(10,
    window=3600)`` with nothing new ("unchanged": the cached answer), right
    after one push ("live": the push's drain and analysis are part of the
    query), and of today's all-time ``top_channels(10)`` after one push."""
    from engagehub_native import EventStreamProcessor

    now = int(time.time())
    proc = EventStreamProcessor(buffer_size=65536, batch_size=1000, columnar=True,
                                on_flush=Sink(True))
    push_chunks(proc.push_many, [("m", "u", f"warm{i % 50}", now) for i in range(20_000)])
    proc.top_channels(10, window=3600)
    gc.collect()
    before = rss_bytes()
    rng = random.Random(11)
    busy = [f"busy{i:04d}" for i in range(1000)]
    weights = [1 / (i + 1) for i in range(1000)]
    for start in range(0, distinct, 4096):
        stop = min(distinct, start + 4096)
        picks = rng.choices(busy, weights, k=stop - start)
        chunk = [("m", f"u{i % 50_000}", f"c{i:09d}", now - i % 3600) for i in range(start, stop)]
        chunk += [("m", f"u{i % 50_000}", ch, now - i % 3600) for i, ch in zip(range(start, stop), picks)]
        push_chunks(proc.push_many, chunk)
    proc.flush()
    gc.collect()
    after = rss_bytes()
    query = proc.top_channels

    def live_call(push=proc.push, args=("m", "u", "busy0000")):
        push(*args)
        return query(10, window=3600)

    def alltime_call(push=proc.push, args=("m", "u", "busy0000")):
        push(*args)
        return query(10)

    out = {"distinct": distinct, "growth_mb": (after - before) / 2**20,
           "top": proc.top_channels(3, window=3600, with_bounds=True)}
    for name, fn in (("unchanged", lambda: query(10, window=3600)), ("live", live_call),
                     ("alltime_live", alltime_call)):
        samples = per_call_ns(fn, [()] * calls, warmup=100)
        out[name] = {"p50_ns": percentile(samples, 0.5), "p99_ns": percentile(samples, 0.99)}
    # The query itself after the current minute changed: one push, analysed
    # untimed (unique_users waits for it), then the timed query, which finds
    # nothing to wait for and no cached answer.
    samples = []
    with no_gc():
        for _ in range(calls):
            proc.push("m", "u", "busy0000")
            proc.unique_users(60)
            t0 = _pc()
            query(10, window=3600)
            samples.append(_pc() - t0)
    samples.sort()
    out["changed"] = {"p50_ns": percentile(samples, 0.5), "p99_ns": percentile(samples, 0.99)}
    proc.close()
    return out


def bench_analytics(report: Report, sizes: Sizes) -> None:
    """top_channels(10, window=3600) over many distinct channels: latency and memory."""
    distinct = sizes.growth
    print(f"  analytics: trending channels over {distinct:,} distinct channels in a fresh "
          "process ...", flush=True)
    res = run_child("child_trending", distinct, max(2_000, sizes.top_calls // 5))
    report.add(
        Row("analytics", f"top_channels(10, window=3600) p50, {count(distinct)} channels, "
            "current minute changed", res["changed"]["p50_ns"] / 1e3, "µs",
            TARGETS["trend_top10_p50"],
            note=f"one event analysed (untimed) before each query: no cached answer; "
                 f"p99 {res['changed']['p99_ns'] / 1e3:.0f} µs"),
        Row("analytics", "top_channels(10, window=3600) p50, unchanged",
            res["unchanged"]["p50_ns"] / 1e3, "µs", TARGETS["trend_top10_p50"],
            note=f"cached answer; p99 {res['unchanged']['p99_ns'] / 1e3:.0f} µs"),
        Row("analytics", "push, then top_channels(10, window=3600) p50",
            res["live"]["p50_ns"] / 1e3, "µs", baseline=res["alltime_live"]["p50_ns"] / 1e3,
            baseline_name="push, then all-time top_channels(10)",
            note="the read waits for the push's drain and analysis (a barrier any "
                 f"analytics read pays); p99 {res['live']['p99_ns'] / 1e3:.0f} µs"),
        Row("analytics", f"memory growth, {count(distinct)} new channels + as many busy events",
            res["growth_mb"], "MB", TARGETS["trend_memory_growth"],
            note="RSS of a fresh process; minute buckets are fixed-size"),
    )


# -- running and printing ---------------------------------------------------------


def _num(x: float) -> str:
    if isinstance(x, int):
        return f"{x:,}"
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def format_table(report: Report) -> str:
    """The results as a fixed-width text table."""
    head = ("metric", "measured", "baseline (same run)", "target", "result")
    lines = []
    for r in report.rows:
        measured = "—" if r.value is None else f"{_num(r.value)} {r.unit}"
        baseline = (f"{_num(r.baseline)} {r.unit} ({r.baseline_name})"
                    if r.baseline is not None else "—")
        target = str(r.target) if r.target else "—"
        result = {None: "info", True: "PASS", False: "FAIL"}[r.passed]
        lines.append((r.metric, measured, baseline, target, result, r.note))
    widths = [max(len(x[i]) for x in lines + [head + ("",)]) for i in range(5)]
    out = [" | ".join(h.ljust(w) for h, w in zip(head, widths)),
           "-+-".join("-" * w for w in widths)]
    section = None
    for r, line in zip(report.rows, lines):
        if r.section != section:
            section = r.section
            out.append(f"[{section}]")
        text = " | ".join(c.ljust(w) for c, w in zip(line[:5], widths))
        out.append(text + (f"  {line[5]}" if line[5] else ""))
    return "\n".join(out)


def format_markdown(report: Report) -> str:
    """The results as a Markdown table (for docs/benchmarks.md)."""
    out = ["| metric | measured | baseline (same run) | target | result | note |",
           "| --- | --- | --- | --- | --- | --- |"]
    for r in report.rows:
        measured = "—" if r.value is None else f"{_num(r.value)} {r.unit}"
        baseline = (f"{_num(r.baseline)} {r.unit} ({r.baseline_name})"
                    if r.baseline is not None else "—")
        target = str(r.target) if r.target else "—"
        result = {None: "info", True: "met", False: "**missed**"}[r.passed]
        out.append(f"| {r.metric} | {measured} | {baseline} | {target} | {result} | {r.note} |")
    return "\n".join(out)


def start(report: Report, sizes: Sizes) -> None:
    """Record the run's facts in ``report.meta`` and print its header line."""
    overhead = timer_overhead_ns()
    report.meta = {
        "python": sys.version.split()[0], "platform": platform.platform(),
        "cpus": os.cpu_count(), "sizes": asdict(sizes), "timer_overhead_ns": overhead,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "load_before": load_average(),
        "monotonic_start": time.monotonic(),
    }
    print(f"{report.title}: python {report.meta['python']}, {os.cpu_count()} CPUs, "
          f"load average {report.meta['load_before']:.2f}, timer overhead {overhead} ns per "
          "sample (included in every latency)", flush=True)


def finish(report: Report, json_path: Optional[str] = None,
           markdown_path: Optional[str] = None) -> None:
    """Print the table, the notes and the score; optionally write JSON and Markdown."""
    report.meta["seconds"] = round(time.monotonic() - report.meta.pop("monotonic_start"), 1)
    report.meta["load_after"] = load_average()
    busy = report.meta["load_before"]
    if busy > 0.5 * (os.cpu_count() or 1):
        report.notes.append(
            f"the machine was busy before this run started (1-min load average {busy:.1f} on "
            f"{os.cpu_count()} CPUs): figures are pessimistic, rerun on an idle machine")
    print()
    print(format_table(report))
    print(f"\ntimer overhead: {report.meta['timer_overhead_ns']} ns per perf_counter_ns() pair, "
          "not subtracted")
    for note in report.notes:
        print(f"note: {note}")
    failed = sum(r.passed is False for r in report.rows)
    judged = sum(r.passed is not None for r in report.rows)
    print(f"{judged - failed}/{judged} targets met in {report.meta['seconds']} s "
          f"(load average {report.meta['load_before']:.2f} → {report.meta['load_after']:.2f})")
    if json_path:
        with open(json_path, "w") as f:
            json.dump({"meta": report.meta, "notes": report.notes,
                       "rows": [r.as_dict() for r in report.rows]}, f, indent=2,
                      ensure_ascii=False)
        print(f"wrote {json_path}")
    if markdown_path:
        with open(markdown_path, "w") as f:
            f.write(format_markdown(report) + "\n")
        print(f"wrote {markdown_path}")


def run(sizes: Sizes, only: Optional[str] = None, json_path: Optional[str] = None,
        markdown_path: Optional[str] = None, redis_url: Optional[str] = None) -> Report:
    """Run the selected benchmarks, print the table, optionally write JSON; returns the report."""
    report = Report()
    start(report, sizes)
    if only in (None, "leaderboard"):
        bench_leaderboard(report, sizes)
    if only in (None, "boardstats"):
        bench_board_stats(report, sizes)
        bench_windows(report, sizes)
    if only in (None, "processor"):
        bench_processor(report, sizes)
    if only in (None, "sink"):
        bench_sinks(report, sizes)
    if only in (None, "redis"):
        from .bench_redis import bench_redis

        bench_redis(report, sizes, redis_url)
    if only in (None, "analytics"):
        bench_analytics(report, sizes)
    if only == "scale":  # minutes and gigabytes: only when asked for
        from .bench_scale import bench_scale

        bench_scale(report, sizes)
    finish(report, json_path, markdown_path)
    return report
