"""The update cost of boards of several sizes, taken as ``bench --only
scale`` takes it (``bench_scale.alternating_costs``: rounds alternating
between the boards, in one process), and the first board's cost over the
second's: for comparing two builds run alternately
(PYTHONPATH=<a pip --target folder> for each).

    python benchmarks/scale_ratio.py [BOARDS] [REPEATS]

BOARDS is a comma-separated list of N:KIND, KIND ``ties`` or ``distinct``
(default ``10000000:ties,1000000:ties``, the harness's 10M ÷ 1M row:
boards of about 0.9 GB). The boards are filled once with ``bench_scale.fill``;
each of REPEATS (default 1) prints every board's nanoseconds per update and
the ratio.
"""
import sys

from engagehub_native.bench_scale import alternating_costs, fill


def main() -> None:
    spec = sys.argv[1] if len(sys.argv) > 1 else "10000000:ties,1000000:ties"
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    boards = {}
    for item in spec.split(","):
        n, kind = item.split(":")
        if kind not in ("ties", "distinct"):
            sys.exit(f"unknown board kind {kind!r}: ties or distinct")
        boards[int(n), kind] = fill(int(n), kind)[0]
    keys = list(boards)
    for _ in range(repeats):
        cost = {(n, kind): ns for n, kind, ns, _rank in alternating_costs(boards)}
        line = "  ".join(f"{n:,} {kind} {cost[n, kind]:,.0f} ns" for n, kind in keys)
        if len(keys) > 1:
            line += f"  ratio {cost[keys[0]] / cost[keys[1]]:.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
