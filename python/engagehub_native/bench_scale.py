"""Boards of millions of users, ``python -m engagehub_native bench --only scale``.

Not part of a full run: at the default sizes it fills six boards of up to
10M users in four fresh interpreters (about 1.6 GB resident at the peak,
three minutes here), as a new user would build them through the
public API:

* ids are 18-digit numbers shaped like Discord snowflakes, each user's made
  from its number by a bijection, so they are distinct and arrive in no
  order; they are generated per call of ``update_many`` and dropped, so the
  resident memory counts the board only;
* "ties" boards get integer points 1..1000 (about n/1000 users share each
  score, the costly case for placing a user among equal scores), "distinct"
  boards real-valued points; every update is at one timestamp, so equal
  points are equal (decayed) scores;
* each interpreter first fills one board, in ``update_many`` calls of
  100,000 tuples (only the calls timed), and measures its memory per user;
* the update cost is that of 200,000 ``update`` calls of random existing
  users by 1..8 points until ``len()`` returns: every update applied, so
  the engine's placing of each user is in it (one ``update`` call alone
  only stages, see "How calls reach the engine"). The tie-heavy board's
  interpreter also fills the boards it is compared with (the distinct one
  of its size; at the largest size, the smallest tie-heavy one too) and
  takes the updates, with ``rank`` p50s, in five rounds alternating between
  them: a ratio is then not the machine's drift between two processes;
* last, 1,000,000 updates of random existing users of the board the
  interpreter filled first, by 1..8 points, go through ``update_many`` in
  calls of 100,000 (only the calls timed, as in the fill), every move in
  the tree included;
* the snapshot of the largest tie-heavy board is saved with the peak
  resident memory reset first (``/proc/self/clear_refs``), before anything
  else is filled beside it, then loaded into a new board in another fresh
  interpreter, where nothing else is held.
"""

from __future__ import annotations

import gc
import os
import random
import tempfile
import time
from typing import Dict, Optional

from .bench import (Report, Row, Sizes, Target, TARGETS, count, empty_board, no_gc, rss_bytes,
                    run_child)

_pc = time.perf_counter_ns

TARGETS.update({
    "scale_ties_vs_distinct": Target("<=", 1.3, "x", "issue 10"),
    "scale_10m_vs_1m": Target("<=", 1.5, "x", "issue 10"),
    "scale_update_many": Target(">=", 1.0, "M/s", "issue 10"),
    "scale_bytes_per_user": Target("<=", 80.0, "B", "issue 10"),
    "scale_save_s": Target("<=", 3.0, "s", "issue 10"),
    "scale_save_extra": Target("<=", 0.3, "x", "issue 10"),
    "scale_load_s": Target("<=", 5.0, "s", "issue 10"),
    "scale_load_extra": Target("<=", 1.6, "x", "issue 10"),
})

#: Tuples per update_many call of a fill.
CHUNK = 100_000
#: Updates of the update-cost run, per board.
UPDATES = 200_000
#: Updates of existing users that update_many applies, per board.
MOVES = 1_000_000
#: Rounds the update-cost run takes them in, alternating between boards.
ROUNDS = 5
#: A multiplier coprime with every board size used (odd, not a multiple of 5).
_SCRAMBLE = 2_654_435_761


def snowflake(i: int, n: int) -> str:
    """User i of n's id: 18 digits, the high bits a millisecond of one
    90-day span (distinct per user: i scrambled by a bijection of 0..n-1),
    the low 22 bits as a generator's sequence."""
    ms = 150_000_000_000 + (i * _SCRAMBLE % n) * (90 * 86_400_000 // n)
    return str(ms << 22 | (i * 40_503) & 0x3FFFFF)


def points_of(i: int, kind: str) -> float:
    """User i's first points: an integer 1..1000 on a tie-heavy board, else
    a real number in [1, 1001) with a millionth's resolution."""
    if kind == "ties":
        return float(i * 7_919 % 1000 + 1)
    return 1 + (i * _SCRAMBLE % 1_000_000_007) / 1_000_000


def peak_rss_reset() -> bool:
    """Reset this process's peak resident memory (VmHWM); False where the
    kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss() -> int:
    """This process's peak resident memory since the last reset, in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def timed_update_many(board, chunks) -> int:
    """``update_many`` of each chunk of the iterable ``chunks`` (made between
    the calls, untimed), then ``len()``, which waits until the last one is
    applied: the nanoseconds the calls took."""
    spent = 0
    for chunk in chunks:
        t0 = _pc()
        board.update_many(chunk)
        spent += _pc() - t0
    t0 = _pc()
    len(board)
    return spent + _pc() - t0


def fill(n: int, kind: str):
    """A new board of n users of ``kind`` filled through ``update_many``; the
    board and the nanoseconds its calls took (the last chunk applied)."""
    now = int(time.time())
    board = empty_board()
    chunks = ([(snowflake(i, n), points_of(i, kind), now) for i in range(lo, min(n, lo + CHUNK))]
              for lo in range(0, n, CHUNK))
    return board, timed_update_many(board, chunks)


def move_many(board, n: int) -> int:
    """MOVES updates of random existing users of ``board`` (n users, as
    ``fill`` made them) by 1..8 points, through ``update_many`` in calls of
    CHUNK tuples: the nanoseconds its calls took (the last one applied)."""
    now = int(time.time())
    rng = random.Random(n + 1)
    chunks = ([(snowflake(rng.randrange(n), n), float(rng.randint(1, 8)), now)
               for _ in range(CHUNK)] for _ in range(0, MOVES, CHUNK))
    return timed_update_many(board, chunks)


def child_scale(n: int, kind: str, snapshot: Optional[str] = None, beside: list = ()) -> dict:
    """(Subprocess body.) Fill an n-user board of ``kind``: its fill rate and
    memory per user; with ``snapshot`` a path, save the board there and
    report the save. With boards ``beside`` ((n, kind) pairs), fill them too
    (their memory not measured) and take the applied update cost and rank
    p50 of every board held, in rounds that alternate between the boards,
    so that their ratios are not the machine's drift between two
    processes."""
    before = rss_bytes()
    board, filling = fill(n, kind)
    gc.collect()
    out = {"users": len(board), "fill_per_s": n / (filling / 1e9),
           "bytes_per_user": (rss_bytes() - before) / n}
    if snapshot is not None:
        held = rss_bytes()
        out["peak_reset"] = peak_rss_reset()
        t0 = _pc()
        board.save(snapshot)
        out["save_s"] = (_pc() - t0) / 1e9
        out["save_extra_bytes"] = peak_rss() - held
        out["board_bytes"] = held - before
        out["file_bytes"] = os.path.getsize(snapshot)
    boards = {(n, kind): board}
    for other in beside:
        boards[tuple(other)] = fill(*other)[0]
    out["updates"] = alternating_costs(boards) if beside else []
    out["moves_per_s"] = MOVES / (move_many(board, n) / 1e9)
    for b in boards.values():
        b.close()
    return out


def alternating_costs(boards: dict) -> list:
    """Per board (keyed (n, kind)), the applied cost of UPDATES ``update``
    calls of random existing users by 1..8 points and the p50 of 20,000
    ``rank`` calls, taken in ROUNDS rounds that visit the boards in turn,
    each round starting from another board. As [n, kind, update_ns,
    rank_p50_us] lists (JSON has no tuple keys)."""
    now = int(time.time())
    work = {}
    for (n, kind) in boards:
        rng = random.Random(n)
        picks = [snowflake(rng.randrange(n), n) for _ in range(UPDATES)]
        work[n, kind] = ([(uid, float(rng.randint(1, 8)), now) for uid in picks], picks[:20_000])
    spent = dict.fromkeys(boards, 0)
    ranks: Dict[tuple, list] = {key: [] for key in boards}
    keys = list(boards)
    for r in range(ROUNDS):
        for key in keys[r % len(keys):] + keys[:r % len(keys)]:
            board, (moves, picks) = boards[key], work[key]
            step, rank_step = len(moves) // ROUNDS, len(picks) // ROUNDS
            update, rank, samples = board.update, board.rank, ranks[key]
            with no_gc():
                t0 = _pc()
                for uid, pts, ts in moves[r * step:(r + 1) * step]:
                    update(uid, pts, ts)
                len(board)
                spent[key] += _pc() - t0
                for uid in picks[r * rank_step:(r + 1) * rank_step]:
                    t0 = _pc()
                    rank(uid)
                    samples.append(_pc() - t0)
    out = []
    for key in keys:
        samples = sorted(ranks[key])
        out.append([*key, spent[key] / UPDATES, samples[len(samples) // 2] / 1000])
    return out


def child_scale_load(path: str) -> dict:
    """(Subprocess body.) Load the snapshot at ``path`` into a new board: the
    time, the peak resident memory above the process before it, and the
    memory the loaded board holds."""
    board = empty_board()
    before = rss_bytes()
    reset = peak_rss_reset()
    t0 = _pc()
    board.load(path)
    seconds = (_pc() - t0) / 1e9
    extra = peak_rss() - before
    gc.collect()
    out = {"users": len(board), "load_s": seconds, "load_extra_bytes": extra,
           "board_bytes": rss_bytes() - before, "peak_reset": reset}
    board.close()
    return out


def bench_scale(report: Report, sizes: Sizes) -> None:
    """Boards of ``sizes.scale_base`` and ``sizes.scale_users`` users, tie-heavy and
    distinct: fill rate, memory per user, applied update cost, rank; then the largest
    tie-heavy board's snapshot saved and loaded."""
    base, large = sizes.scale_base, sizes.scale_users
    res: Dict[tuple, dict] = {}
    with tempfile.TemporaryDirectory(prefix="engagehub-scale-") as tmp:
        path = os.path.join(tmp, "board.json")
        for n in sorted({base, large}):
            for kind in ("distinct", "ties"):
                snapshot = path if (n, kind) == (large, "ties") else None
                # A tie-heavy board's child also holds the boards it is compared
                # with: the distinct one of its size and, for the largest, the
                # smallest tie-heavy one.
                beside = [] if kind == "distinct" else \
                    [(n, "distinct")] + ([(base, "ties")] if n == large != base else [])
                print(f"  scale: a {kind} board of {n:,} users in a fresh process"
                      + "".join(f", beside one of {m:,} {k}" for m, k in beside) + " ...",
                      flush=True)
                res[n, kind] = run_child("child_scale", n, kind, snapshot, beside,
                                         module="engagehub_native.bench_scale")
        print(f"  scale: loading the {large:,}-user snapshot in a fresh process ...", flush=True)
        loaded = run_child("child_scale_load", path, module="engagehub_native.bench_scale")

    for n in sorted({base, large}):
        d, t = res[n, "distinct"], res[n, "ties"]
        cost = {(m, k): (ns, us) for m, k, ns, us in t["updates"]}
        (t_ns, t_rank), (d_ns, d_rank) = cost[n, "ties"], cost[n, "distinct"]
        report.add(
            Row("scale", f"update until applied, ties ×1000 @{count(n)}", t_ns, "ns",
                baseline=d_ns, baseline_name="distinct",
                note=f"{UPDATES // 1000}k update() calls of existing users, then len(); "
                     f"{ROUNDS} rounds alternating with the baseline's, one process"),
            Row("scale", f"update until applied, ties ÷ distinct @{count(n)}",
                t_ns / d_ns, "x", TARGETS["scale_ties_vs_distinct"]),
            Row("scale", f"rank(uid) p50, ties ×1000 @{count(n)}", t_rank, "µs",
                baseline=d_rank, baseline_name="distinct"),
            Row("scale", f"update_many of new users, ties ×1000 @{count(n)}",
                t["fill_per_s"] / 1e6, "M/s",
                TARGETS["scale_update_many"] if n == large else None,
                d["fill_per_s"] / 1e6, "distinct", note=f"calls of {CHUNK:,}; fresh processes"),
            Row("scale", f"update_many of existing users, ties ×1000 @{count(n)}",
                t["moves_per_s"] / 1e6, "M/s",
                TARGETS["scale_update_many"] if n == large else None,
                d["moves_per_s"] / 1e6, "distinct",
                note=f"{MOVES // 1000}k random users by 1..8 points, calls of {CHUNK:,}; "
                     "last in each fresh process"),
            Row("scale", f"resident memory per user, ties ×1000 @{count(n)}",
                t["bytes_per_user"], "B", TARGETS["scale_bytes_per_user"] if n == large else None,
                d["bytes_per_user"], "distinct", note="18-digit ids, fresh process"),
        )
    if large != base:
        cost = {(m, k): ns for m, k, ns, _ in res[large, "ties"]["updates"]}
        report.add(Row("scale", f"update until applied, ties: {count(large)} ÷ {count(base)}",
                       cost[large, "ties"] / cost[base, "ties"], "x", TARGETS["scale_10m_vs_1m"],
                       note="rounds alternating between the two boards, one process"))
    saved = res[large, "ties"]
    board_bytes = saved["board_bytes"]
    reset_note = "" if saved["peak_reset"] and loaded["peak_reset"] else \
        "; the kernel refused a peak-memory reset: the peak includes the fill's"
    report.add(
        Row("scale", f"save @{count(large)} ties", saved["save_s"], "s", TARGETS["scale_save_s"],
            note=f"{saved['file_bytes'] / 2**20:,.0f} MiB file, fsync included"),
        Row("scale", f"save's peak extra memory ÷ the board's @{count(large)}",
            saved["save_extra_bytes"] / board_bytes, "x", TARGETS["scale_save_extra"],
            note=f"board {board_bytes / 2**20:,.0f} MiB{reset_note}"),
        Row("scale", f"load @{count(large)} ties", loaded["load_s"], "s", TARGETS["scale_load_s"],
            note=f"{loaded['users']:,} users, in a process holding nothing else"),
        Row("scale", f"load's peak extra memory ÷ the loaded board's @{count(large)}",
            loaded["load_extra_bytes"] / loaded["board_bytes"], "x", TARGETS["scale_load_extra"],
            note=f"the new board included: {loaded['board_bytes'] / 2**20:,.0f} MiB"),
    )
