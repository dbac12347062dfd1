"""The benchmark harness behind ``python -m engagehub_native bench``.

Measures, from Python on the machine it runs on, the performance figures that
issue 2 (leaderboard) and issue 3 (event stream processor) set targets for,
next to a baseline measured in the same run, and judges each figure against
the :data:`TARGETS` table. Nothing is hard-coded but the targets.

Conventions, so the figures mean the same thing in every run:

* Per-call latencies are raw: ``time.perf_counter_ns()`` is read just before
  and just after each call and nothing is subtracted; the timer's own cost
  (two back-to-back reads) is measured and printed beside them.
* Every timed loop runs with the garbage collector disabled, after a warm-up
  of the same calls.
* Resident memory is read from ``/proc/self/statm`` in a fresh subprocess,
  before and after the work, with inputs generated on the fly so the
  harness's own lists are not counted.
* Throughput is end to end: from the first push until ``flush`` returns,
  every event having reached the callback. A push refused because the buffer
  is full is offered again after a ``time.sleep(0)`` yield, so nothing is
  lost; the refusals are reported.
"""

from __future__ import annotations

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


#: Every target the harness judges, keyed by the name rows refer to.
TARGETS: Dict[str, Target] = {
    "lb_update_p50": Target("<=", 1.5, "µs", "issue 2"),
    "lb_top_dicts_p50": Target("<=", 6.0, "µs", "issue 2"),
    "lb_rank_p50": Target("<=", 3.0, "µs", "issue 2"),
    "lb_growth": Target("<=", 2.0, "x", "issue 2"),
    "lb_bytes_per_user": Target("<=", 100.0, "B", "issue 2"),
    "proc_push_event": Target(">=", 1.0, "M ev/s", "issue 3"),
    "proc_push_many_dicts": Target(">=", 2.0, "M ev/s", "issue 3"),
    "proc_push_many_columnar": Target(">=", 3.0, "M ev/s", "issue 3"),
    "proc_distinct_error": Target("<=", 1.5, "%", "issue 3"),
    "proc_memory_growth": Target("<", 40.0, "MB", "issue 3"),
}

NO_SORTEDCONTAINERS = "baseline unavailable (pip install sortedcontainers)"


# -- results ----------------------------------------------------------------------


@dataclass
class Row:
    """One line of the results table."""

    section: str
    metric: str
    value: Optional[float]
    unit: str
    target: Optional[str] = None        #: key into TARGETS, None for information only
    baseline: Optional[float] = None    #: same metric, baseline implementation, same run
    baseline_name: str = ""
    note: str = ""

    @property
    def passed(self) -> Optional[bool]:
        if self.target is None or self.value is None:
            return None
        return TARGETS[self.target].met(self.value)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["passed"] = self.passed
        if self.target is not None:
            t = TARGETS[self.target]
            out["target"] = {"key": self.target, "op": t.op, "limit": t.limit,
                             "unit": t.unit, "source": t.source}
        return out


@dataclass
class Sizes:
    """How big each measurement is; ``--quick`` shrinks them all."""

    users: int = 1_000_000         #: the large board (and the memory-per-user board)
    small_users: int = 10_000      #: the small board of the growth ratio
    update_calls: int = 100_000    #: timed calls per update metric
    rank_calls: int = 100_000      #: timed calls per rank metric
    top_calls: int = 30_000        #: timed calls per top-10 metric
    events: int = 1_000_000        #: events per throughput run
    distinct: int = 1_000_000      #: distinct users for the HLL error
    growth: int = 1_000_000        #: distinct users and channels for memory growth
    event_users: int = 100_000     #: user-id pool of the throughput runs
    channels: int = 50             #: channel pool of the throughput runs
    repeat: int = 3                #: throughput runs per path; the best is reported

    @classmethod
    def quick(cls, users: Optional[int] = None) -> "Sizes":
        return cls(users=users or 50_000, small_users=10_000, update_calls=10_000,
                   rank_calls=10_000, top_calls=5_000, events=100_000, distinct=100_000,
                   growth=100_000, event_users=10_000, repeat=1)


@dataclass
class Report:
    """Rows plus the facts needed to read them."""

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


def per_call_ns(fn: Callable, args: Sequence[tuple], warmup: int = 0) -> List[int]:
    """Sorted raw durations, in ns, of ``fn(*a)`` for each ``a`` in ``args``.

    Each call is bracketed by two ``perf_counter_ns()`` reads; the timer's own
    cost is included (see :func:`timer_overhead_ns`). The first ``warmup``
    argument tuples are run untimed first.
    """
    for a in args[:warmup]:
        fn(*a)
    samples = [0] * len(args)
    pc = _pc
    with no_gc():
        for i, a in enumerate(args):
            t0 = pc()
            fn(*a)
            samples[i] = pc() - t0
    samples.sort()
    return samples


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


def run_child(function: str, *args) -> dict:
    """Run ``engagehub_native.bench.<function>(*args)`` in a fresh interpreter; its JSON result."""
    code = (f"import json, engagehub_native.bench as b; "
            f"print(json.dumps(b.{function}(*{args!r})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600)
    if done.returncode:
        raise RuntimeError(f"benchmark subprocess {function}{args} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _user_id(i: int) -> str:
    """A 13-character user id."""
    return f"user{i:09d}"


# -- leaderboard ------------------------------------------------------------------


class Boards(NamedTuple):
    """The same users on each implementation measured."""

    dropin: object                 #: cpp_leaderboard.Leaderboard
    native: object                 #: engagehub_native.Leaderboard
    sorted_list: Optional[object]  #: sortedcontainers baseline, or None
    sorted_scores: Optional[dict]  #: user id -> score of the baseline


def _board_entries(n: int, now: int, seed: int) -> Iterator[tuple]:
    """``(user_id, points, timestamp)`` for users 0..n-1, points and ages random."""
    rng = random.Random(seed)
    for i in range(n):
        yield _user_id(i), float(rng.randint(1, 10_000)), now - rng.randint(0, 30 * 86400)


def build_boards(n: int, now: int, with_baseline: bool) -> Boards:
    """Boards of ``n`` users: drop-in (via update_user), native (via update_many), baseline."""
    import cpp_leaderboard
    from engagehub_native import Leaderboard

    dropin = cpp_leaderboard.Leaderboard(0.95, 0)
    update_user = dropin.update_user
    for uid, pts, ts in _board_entries(n, now, seed=n):
        update_user(uid, pts, ts)
    native = Leaderboard(0.95, 0)
    native.update_many(_board_entries(n, now, seed=n))
    sorted_list = scores = None
    if with_baseline:
        from sortedcontainers import SortedList

        scores = {uid: pts for uid, pts, _ in _board_entries(n, now, seed=n)}
        sorted_list = SortedList((-s, u) for u, s in scores.items())
    return Boards(dropin, native, sorted_list, scores)


def _sorted_update(sl, scores: dict) -> Callable:
    """The baseline's update: remove the old ``(-score, id)``, add the new one."""
    def update(uid: str, points: float) -> None:
        old = scores[uid]
        sl.remove((-old, uid))
        new = old + points
        sl.add((-new, uid))
        scores[uid] = new
    return update


def _sorted_rank(sl, scores: dict) -> Callable:
    """The baseline's rank of a user: index of its tuple, plus one."""
    def rank(uid: str) -> int:
        return sl.index((-scores[uid], uid)) + 1
    return rank


def _latency(samples: List[int]) -> tuple:
    """(p50, p99) of sorted ns samples, in µs."""
    return percentile(samples, 0.5) / 1000, percentile(samples, 0.99) / 1000


def measure_board(n: int, sizes: Sizes, now: int, baseline: bool) -> Dict[str, tuple]:
    """p50/p99 latencies (µs) of update, top-10 and rank on an ``n``-user board.

    Keys: ``update_user`` (drop-in), ``update`` (native), ``get_top_users``
    (drop-in, dicts), ``top`` (native), ``get_user_rank`` (drop-in), and with
    the baseline ``sl_update``, ``sl_top``, ``sl_rank``. Updates and ranks hit
    users chosen at random; updates add 1..10 points at the current time.
    """
    boards = build_boards(n, now, baseline)
    rng = random.Random(7)
    upd = [(_user_id(rng.randrange(n)), float(rng.randint(1, 10)), now)
           for _ in range(sizes.update_calls)]
    ranks = [(_user_id(rng.randrange(n)),) for _ in range(sizes.rank_calls)]
    tops = [(10,)] * sizes.top_calls
    warm = min(2_000, len(upd) // 10)
    out = {
        "update_user": _latency(per_call_ns(boards.dropin.update_user, upd, warm)),
        "update": _latency(per_call_ns(boards.native.update, upd, warm)),
        "get_top_users": _latency(per_call_ns(boards.dropin.get_top_users, tops, warm)),
        "top": _latency(per_call_ns(boards.native.top, tops, warm)),
        "get_user_rank": _latency(per_call_ns(boards.dropin.get_user_rank, ranks, warm)),
    }
    assert boards.dropin.get_user_rank(ranks[0][0]) is not None
    assert len(boards.dropin.get_top_users(10)) == min(10, n)
    if boards.sorted_list is not None:
        sl, scores = boards.sorted_list, boards.sorted_scores
        out["sl_update"] = _latency(per_call_ns(_sorted_update(sl, scores),
                                                [a[:2] for a in upd], warm))
        out["sl_top"] = _latency(per_call_ns(lambda k: sl[:k], tops, warm))
        out["sl_rank"] = _latency(per_call_ns(_sorted_rank(sl, scores), ranks, warm))
    boards.native.close()
    del boards
    gc.collect()
    return out


def child_board_memory(n: int) -> dict:
    """(Subprocess body.) RSS growth of building an ``n``-user board, ids made on the fly."""
    from engagehub_native import Leaderboard

    now = int(time.time())
    board = Leaderboard(0.95, 0)
    board.update("warm-up", 1.0, now)  # the engine and its runtime are up before measuring
    board.remove("warm-up")
    gc.collect()
    before = rss_bytes()
    board.update_many(_board_entries(n, now, seed=n))
    gc.collect()
    after = rss_bytes()
    assert len(board) == n
    return {"users": n, "rss_before": before, "rss_after": after,
            "bytes_per_user": (after - before) / n}


def bench_leaderboard(report: Report, sizes: Sizes) -> None:
    """Issue 2: update, top-10 and rank latencies at two sizes, their growth, memory per user."""
    try:
        import sortedcontainers  # noqa: F401
        baseline = True
    except ImportError:
        baseline = False
        report.notes.append(f"leaderboard: {NO_SORTEDCONTAINERS}")
        print(f"  {NO_SORTEDCONTAINERS}", flush=True)
    now = int(time.time())
    small, large = sizes.small_users, sizes.users
    results = {}
    for n in dict.fromkeys((small, large)):
        print(f"  leaderboard: {n:,} users ...", flush=True)
        results[n] = measure_board(n, sizes, now, baseline)

    sl_name = "SortedList"
    metrics = [  # (label, key, baseline key, target key for p50)
        ("update  cpp_leaderboard.update_user", "update_user", "sl_update", "lb_update_p50"),
        ("update  Leaderboard.update", "update", "sl_update", "lb_update_p50"),
        ("top-10  get_top_users(10) dicts", "get_top_users", "sl_top", "lb_top_dicts_p50"),
        ("top-10  Leaderboard.top(10)", "top", "sl_top", None),
        ("rank    get_user_rank", "get_user_rank", "sl_rank", "lb_rank_p50"),
    ]
    for n in dict.fromkeys((small, large)):
        r = results[n]
        for label, key, base, target in metrics:
            b = r.get(base)
            report.add(
                Row("leaderboard", f"{label} p50 @{_count(n)}", r[key][0], "µs", target,
                    b[0] if b else None, sl_name),
                Row("leaderboard", f"{label} p99 @{_count(n)}", r[key][1], "µs", None,
                    b[1] if b else None, sl_name),
            )
    if large != small:
        for label, key, base, _ in metrics:
            ratio = results[large][key][0] / results[small][key][0]
            b_ratio = (results[large][base][0] / results[small][base][0]
                       if base in results[large] else None)
            report.add(Row("leaderboard", f"{label} p50 {_count(large)}÷{_count(small)}",
                           ratio, "x", "lb_growth", b_ratio, sl_name))
    print(f"  leaderboard: memory of {large:,} users in a fresh process ...", flush=True)
    mem = run_child("child_board_memory", large)
    report.add(Row("leaderboard", f"resident memory per user @{_count(large)}",
                   mem["bytes_per_user"], "B", "lb_bytes_per_user",
                   note=f"RSS {mem['rss_before'] / 2**20:.1f} → {mem['rss_after'] / 2**20:.1f} MiB"))


# -- processor --------------------------------------------------------------------


def make_events(n: int, users: int, channels: int, now: int, seed: int = 3) -> List[tuple]:
    """``n`` ``(type, user_id, channel_id, now)`` tuples drawn from fixed pools (ids shared)."""
    rng = random.Random(seed)
    types = ("message", "reaction", "voice_join")
    uids = [_user_id(i) for i in range(users)]
    cids = [f"channel{i:06d}" for i in range(channels)]
    return [(types[rng.randrange(3)], uids[rng.randrange(users)], cids[rng.randrange(channels)],
             now) for _ in range(n)]


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
    """A no-op flush callback that only counts the events it is handed."""

    def __init__(self, columnar: bool = False) -> None:
        self.events = 0
        self.batches = 0
        self.columnar = columnar

    def __call__(self, batch) -> None:
        self.batches += 1
        self.events += len(batch["type"]) if self.columnar else len(batch)


def throughput_push_event(events: Sequence[tuple], warm: Sequence[tuple]) -> dict:
    """``cpp_event_processor`` ``push_event`` → no-op callback receiving dicts, end to end.

    One producer thread; buffer 65536, batch 1000, one dispatcher thread.
    Timed from the first push until ``flush_now()`` returns.
    """
    import cpp_event_processor

    proc = cpp_event_processor.EventStreamProcessor(
        buffer_size=65536, num_threads=1, batch_size=1000, flush_interval_ms=100)
    sink = Sink()
    proc.set_flush_callback(sink)
    push_each(proc.push_event, warm)
    proc.flush_now()
    sink.events = 0
    dropped0 = proc.events_dropped()
    with no_gc():
        t0 = _pc()
        refused = push_each(proc.push_event, events)
        proc.flush_now()
        elapsed = _pc() - t0
    result = {"events": len(events), "seconds": elapsed / 1e9, "delivered": sink.events,
              "refused": refused, "counted_drops": proc.events_dropped() - dropped0}
    proc._processor.close()
    return result


def throughput_push_many(events: Sequence[tuple], warm: Sequence[tuple], columnar: bool) -> dict:
    """Native ``push_many`` (4096 per call) → no-op callback (dicts or columnar), end to end.

    Same shape as :func:`throughput_push_event`: buffer 65536, batch 1000,
    one dispatcher thread, timed from the first push until ``flush()`` returns.
    """
    from engagehub_native import EventStreamProcessor

    sink = Sink(columnar)
    with EventStreamProcessor(buffer_size=65536, num_threads=1, batch_size=1000,
                              flush_interval=0.1, columnar=columnar, on_flush=sink) as proc:
        push_chunks(proc.push_many, warm)
        proc.flush()
        sink.events = 0
        dropped0 = proc.stats().dropped
        with no_gc():
            t0 = _pc()
            refused = push_chunks(proc.push_many, events)
            proc.flush()
            elapsed = _pc() - t0
        dropped = proc.stats().dropped - dropped0
    return {"events": len(events), "seconds": elapsed / 1e9, "delivered": sink.events,
            "refused": refused, "counted_drops": dropped}


def throughput_python_pipeline(events: Sequence[tuple], batch_size: int = 1000) -> dict:
    """Baseline: pure Python, ``queue.SimpleQueue`` + one consumer thread building the same
    dicts in batches for a no-op callback. Timed from the first put until the consumer
    has delivered everything."""
    q: SimpleQueue = SimpleQueue()
    sink = Sink()
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
            "refused": 0, "counted_drops": 0}


def distinct_users_error(n: int) -> dict:
    """Push ``n`` distinct user ids stamped now, flush, compare ``unique_users()`` with ``n``."""
    from engagehub_native import EventStreamProcessor

    now = int(time.time())
    with EventStreamProcessor(buffer_size=65536, batch_size=1000, columnar=True,
                              on_flush=Sink(True)) as proc:
        for start in range(0, n, 65536):
            chunk = [("message", _user_id(i), "channel0", now)
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


def _rate(result: dict) -> float:
    """Millions of events a second of a throughput result (delivered events only)."""
    return result["delivered"] / result["seconds"] / 1e6


def bench_processor(report: Report, sizes: Sizes) -> None:
    """Issue 3: end-to-end throughput of three paths against a pure-Python pipeline,
    the distinct-users error, and memory growth over many distinct users and channels."""
    now = int(time.time())
    print(f"  processor: generating {sizes.events:,} events ...", flush=True)
    events = make_events(sizes.events, sizes.event_users, sizes.channels, now)
    warm = events[:20_000]
    print("  processor: pure-Python pipeline baseline ...", flush=True)
    base = best_of(sizes.repeat, lambda: throughput_python_pipeline(events))
    print("  processor: push_event ...", flush=True)
    one = best_of(sizes.repeat, lambda: throughput_push_event(events, warm))
    print("  processor: push_many (dicts, columnar) ...", flush=True)
    many = best_of(sizes.repeat, lambda: throughput_push_many(events, warm, columnar=False))
    col = best_of(sizes.repeat, lambda: throughput_push_many(events, warm, columnar=True))
    del events, warm
    gc.collect()
    base_rate = _rate(base)
    for label, res, target in (
        ("cpp_event_processor push_event → dict callback", one, "proc_push_event"),
        ("push_many → dict callback", many, "proc_push_many_dicts"),
        ("push_many → columnar callback", col, "proc_push_many_columnar"),
    ):
        lost = res["events"] - res["delivered"]
        report.add(Row("processor", f"{label} ({_count(res['events'])} ev)", _rate(res),
                       "M ev/s", target, base_rate, "SimpleQueue+thread",
                       note=f"{res['refused']:,} refusals re-pushed"
                            + (f"; {lost:,} NOT DELIVERED" if lost else "")))
    print(f"  processor: distinct users at {sizes.distinct:,} ...", flush=True)
    hll = distinct_users_error(sizes.distinct)
    report.add(Row("processor", f"distinct-users error @{_count(sizes.distinct)}",
                   hll["error_pct"], "%", "proc_distinct_error",
                   note=f"estimate {hll['estimate']:,}"))
    print(f"  processor: memory over {sizes.growth:,} users × channels in a fresh process ...",
          flush=True)
    mem = run_child("child_processor_memory", sizes.growth)
    half = (mem["rss_after"] - mem["rss_half"]) / 2**20
    report.add(Row("processor",
                   f"memory growth, {_count(sizes.growth)} new users + channels",
                   mem["growth_mb"], "MB", "proc_memory_growth",
                   note=f"second half adds {half:.1f} MB"))
    report.notes.append(
        "processor: buffer 65536, batch 1000, 1 dispatcher thread; a refused push is "
        "re-offered after time.sleep(0), so every event is delivered and 'refusals' counts "
        f"the re-offers (each also counted by events_dropped()); throughput is the best of "
        f"{sizes.repeat} run(s), baseline included")


# -- running and printing ---------------------------------------------------------


def _num(x: float) -> str:
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def _count(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"


def format_table(report: Report) -> str:
    """The results as a fixed-width text table."""
    head = ("metric", "measured", "baseline (same run)", "target", "result")
    lines = []
    for r in report.rows:
        measured = "—" if r.value is None else f"{_num(r.value)} {r.unit}"
        baseline = (f"{_num(r.baseline)} {r.unit} ({r.baseline_name})"
                    if r.baseline is not None else "—")
        target = str(TARGETS[r.target]) if r.target else "—"
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


def run(sizes: Sizes, only: Optional[str] = None, json_path: Optional[str] = None) -> Report:
    """Run the selected benchmarks, print the table, optionally write JSON; returns the report."""
    report = Report()
    overhead = timer_overhead_ns()
    report.meta = {
        "python": sys.version.split()[0], "platform": platform.platform(),
        "cpus": os.cpu_count(), "sizes": asdict(sizes), "timer_overhead_ns": overhead,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "load_before": load_average(),
    }
    started = time.monotonic()
    print(f"engagehub_native bench: python {report.meta['python']}, {os.cpu_count()} CPUs, "
          f"load average {report.meta['load_before']:.2f}, timer overhead {overhead} ns per "
          "sample (included in every latency)", flush=True)
    if only in (None, "leaderboard"):
        bench_leaderboard(report, sizes)
    if only in (None, "processor"):
        bench_processor(report, sizes)
    report.meta["seconds"] = round(time.monotonic() - started, 1)
    report.meta["load_after"] = load_average()
    busy = report.meta["load_before"]
    if busy > 0.5 * (os.cpu_count() or 1):
        report.notes.append(
            f"the machine was busy before this run started (1-min load average {busy:.1f} on "
            f"{os.cpu_count()} CPUs): figures are pessimistic, rerun on an idle machine")
    print()
    print(format_table(report))
    print(f"\ntimer overhead: {overhead} ns per perf_counter_ns() pair, not subtracted")
    for note in report.notes:
        print(f"note: {note}")
    failed = sum(r.passed is False for r in report.rows)
    judged = sum(r.passed is not None for r in report.rows)
    print(f"{judged - failed}/{judged} targets met in {report.meta['seconds']} s")
    if json_path:
        with open(json_path, "w") as f:
            json.dump({"meta": report.meta, "notes": report.notes,
                       "rows": [r.as_dict() for r in report.rows]}, f, indent=2)
        print(f"wrote {json_path}")
    return report
