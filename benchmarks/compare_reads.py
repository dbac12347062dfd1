"""The leaderboard's reads of the installed engagehub_native, one line, for
comparing two builds side by side (install each in its own venv and run this
script with each in turn, alternating, as with compare.py).

On a board of N users (default 1M; the first argument) with 1,000 distinct
integer scores, p50 in µs of 50k calls, timer pair included, GC off:
``top(10)``, ``rank(uid)``, ``rank(uid, "dense")``, ``percentile(uid)`` and
``at_percentile(37.5)``; then ``top(10)`` + ``rank(uid)`` queries per second
(k q/s). Only the public API is used, so any version can be measured.
"""
import gc
import random
import sys
import time

from engagehub_native import Leaderboard


def p50_us(call, picks) -> float:
    gc.disable()
    try:
        for uid in picks[:2_000]:
            call(uid)
        samples = []
        for uid in picks:
            t0 = time.perf_counter_ns()
            call(uid)
            samples.append(time.perf_counter_ns() - t0)
    finally:
        gc.enable()
    samples.sort()
    return samples[len(samples) // 2] / 1e3


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    now = int(time.time())
    rng = random.Random(1)
    ids = [f"user{i:07d}" for i in range(n)]
    board = Leaderboard(0.95, 0)
    board.update_many([(uid, float(rng.randint(1, 1_000)), now) for uid in ids])
    len(board)
    picks = [ids[rng.randrange(n)] for _ in range(50_000)]
    res = {
        "top10": p50_us(lambda uid: board.top(10), picks),
        "rank": p50_us(board.rank, picks),
        "rank_dense": p50_us(lambda uid: board.rank(uid, "dense"), picks),
        "percentile": p50_us(board.percentile, picks),
        "at_percentile": p50_us(lambda uid: board.at_percentile(37.5), picks),
    }
    t0 = time.perf_counter()
    for uid in picks:
        board.top(10)
        board.rank(uid)
    res["top_rank_kqps"] = len(picks) / (time.perf_counter() - t0) / 1e3
    print(" ".join(f"{k}={v:.2f}" for k, v in res.items()))


if __name__ == "__main__":
    main()
