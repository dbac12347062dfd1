"""Sweeps of the native API, drawn as one PNG.

    python benchmarks/plot.py [--quick] [--out docs/benchmarks.png] [--json PATH]
    python benchmarks/plot.py --from-json PATH [--out PNG]     # redraw, measure nothing

(a) Per-call latency p50 of ``Leaderboard.update(uid, pts, now)``,
    ``Leaderboard.rank(uid)`` and ``Leaderboard.top(10)`` against board size
    (10k, 30k, 100k, 300k, 1M users; log-log), with the same calls on the
    pure-Python baseline (dict + ``sortedcontainers.SortedList``,
    :class:`engagehub_native.bench.SortedBoard`). Same conventions as the
    harness: raw ``perf_counter_ns`` pairs, GC off, warm-up, random users.
(b) Events/s against batch size (1, 16, 64, 256, 1024, 4096) for native
    ``push`` (one call per event, one producer) → no-op callback receiving
    dicts: ``EventStreamProcessor(buffer_size=65536, num_threads=1,
    batch_size=B, flush_interval=0.05)``, timed until ``flush()`` returned
    and the callback saw every event; beside it the ``queue.SimpleQueue`` +
    thread baseline with the same batch size, and the pure-Python floor
    (building + appending the 4-key dicts only), measured again at each point
    because other work on the machine moves it. Best of 3 at every point.

matplotlib is an optional extra (``pip install 'engagehub-native[bench]'``):
it is imported only to draw, and its absence is reported plainly.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from typing import Optional, Sequence

from engagehub_native import bench as h

BOARD_SIZES = (10_000, 30_000, 100_000, 300_000, 1_000_000)
BATCH_SIZES = (1, 16, 64, 256, 1024, 4096)
MISSING = ("matplotlib is not installed, so no plot can be drawn: "
           "pip install 'engagehub-native[bench]' (or pip install matplotlib)")


def _matplotlib():
    """pyplot with a file-only backend, or None when matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def sweep_boards(sizes: Sequence[int], calls: int) -> dict:
    """p50 (µs) of update/rank/top on each board size, native and SortedList."""
    report = h.Report()
    baseline = h.have_sortedcontainers(report)
    per = h.Sizes(update_calls=calls, rank_calls=calls, top_calls=max(1_000, calls // 2))
    now = int(time.time())
    out = {"sizes": list(sizes), "native": {}, "sorted": {}}
    for n in sizes:
        print(f"  board of {n:,} users ...", flush=True)
        r = h.measure_board(n, per, now, baseline)
        for impl in ("native", "sorted"):
            if impl in r:
                for key, (p50, _) in r[impl].items():
                    out[impl].setdefault(key, []).append(p50)
    return out


def sweep_batches(batches: Sequence[int], n_events: int) -> dict:
    """Events/s (M) of native push → dicts and of the SimpleQueue baseline per batch size."""
    now = int(time.time())
    events = h.make_events(n_events, 100_000, 50, now)
    warm = events[:10_000]
    out = {"batches": list(batches), "events": n_events, "native": [], "pipeline": [],
           "floor_ns": []}
    for b in batches:
        print(f"  batch size {b} ...", flush=True)
        config = dict(h.DELIVERY_CONFIG, batch_size=b)
        res = h.best_of(3, lambda: h.throughput_push(events, warm, config))
        base = h.best_of(3, lambda: h.throughput_python_pipeline(events, b))
        out["native"].append(h.rate(res))
        out["pipeline"].append(h.rate(base))
        # The floor is measured again at every point: other work on the machine moves it.
        out["floor_ns"].append(h.dict_floor_ns(events))
        gc.collect()
    return out


def draw(data: dict, path: str) -> None:
    """Two panels: latency against board size, events/s against batch size."""
    plt = _matplotlib()
    if plt is None:
        raise SystemExit(MISSING)
    from matplotlib import ticker

    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 5.2))
    boards = data["boards"]
    labels = {"update": "update p50", "rank": "rank p50", "top": "top(10) p50"}
    colours = {"update": "tab:blue", "rank": "tab:orange", "top": "tab:green"}
    for key, label in labels.items():
        a.plot(boards["sizes"], boards["native"][key], "o-", color=colours[key],
               label=f"Leaderboard.{label}")
        if boards["sorted"].get(key):
            a.plot(boards["sizes"], boards["sorted"][key], "s--", color=colours[key], alpha=0.6,
                   label=f"SortedList {label}")
    a.set_xscale("log")
    a.set_yscale("log")
    # Plain numbers, labelled at 1, 2 and 5 of each decade only.
    plain = ticker.FuncFormatter(lambda v, _: f"{v:g}" if f"{v:e}"[0] in "125" else "")
    a.yaxis.set_major_formatter(plain)
    a.yaxis.set_minor_formatter(plain)
    a.set_xlabel("users on the board")
    a.set_ylabel("per-call latency, µs (raw, p50)")
    a.set_title("(a) leaderboard latency against board size")
    a.grid(True, which="both", alpha=0.3)
    a.legend(fontsize=8)

    ev = data["events"]
    b.plot(ev["batches"], ev["native"], "o-", label="EventStreamProcessor.push → dict callback")
    b.plot(ev["batches"], ev["pipeline"], "s--", label="SimpleQueue + thread (pure Python)")
    floor_ns = ev["floor_ns"]
    if not isinstance(floor_ns, list):  # one floor for every point
        floor_ns = [floor_ns] * len(ev["batches"])
    floors = [1e3 / ns for ns in floor_ns]
    b.plot(ev["batches"], floors, "^:", color="grey",
           label="floor: only build + append the dicts (pure Python)")
    b.axhline(2.0, color="tab:red", linestyle="-.", alpha=0.5, label="target 2.0 M events/s")
    b.set_xscale("log", base=2)
    b.set_xticks(ev["batches"], [str(x) for x in ev["batches"]])
    b.set_xlabel("batch_size (events per callback)")
    b.set_ylabel("M events/s, end to end")
    b.set_title(f"(b) push → dicts, {ev['events']:,} events, one producer")
    b.set_ylim(0, 1.25 * max(floors + ev["native"] + ev["pipeline"] + [2.0]))
    b.grid(True, which="both", alpha=0.3)
    b.legend(fontsize=8, loc="upper left")

    meta = data.get("meta", {})
    fig.suptitle(f"engagehub_native, {meta.get('cpus', '?')} CPUs, 1-min load average "
                 f"{meta.get('load_before', float('nan')):.1f} → "
                 f"{meta.get('load_after', float('nan')):.1f}, {meta.get('started', '')}",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/plot.py",
                                     description="sweeps of the native API, drawn as a PNG")
    parser.add_argument("--quick", action="store_true", help="fewer calls, boards up to 100k")
    parser.add_argument("--out", default=os.path.join("docs", "benchmarks.png"),
                        help="PNG to write (default docs/benchmarks.png)")
    parser.add_argument("--json", metavar="PATH", help="also write the measured data as JSON")
    parser.add_argument("--from-json", metavar="PATH", help="draw from a --json file, measure nothing")
    args = parser.parse_args(argv)
    if args.from_json:
        with open(args.from_json) as f:
            draw(json.load(f), args.out)
        return 0
    if _matplotlib() is None and not args.json:
        raise SystemExit(MISSING + "; pass --json PATH to measure anyway")
    meta = {"cpus": os.cpu_count(), "load_before": h.load_average(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "timer_overhead_ns": h.timer_overhead_ns()}
    print(f"benchmarks/plot.py: {os.cpu_count()} CPUs, load average {meta['load_before']:.2f}",
          flush=True)
    sizes = BOARD_SIZES[:3] if args.quick else BOARD_SIZES
    data = {"meta": meta,
            "boards": sweep_boards(sizes, 5_000 if args.quick else 30_000),
            "events": sweep_batches(BATCH_SIZES, 50_000 if args.quick else 200_000)}
    meta["load_after"] = h.load_average()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(data, f, indent=2)
        print(f"wrote {args.json}")
    if _matplotlib() is None:
        print(MISSING, file=sys.stderr)
        return 1
    draw(data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
