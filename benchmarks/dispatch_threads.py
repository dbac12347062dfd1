"""A delivery workload, one line per run, with the CPU time of each kind of
thread: for seeing where a delivery's time goes, and for comparing two
builds run alternately (PYTHONPATH=<a pip --target folder> for each).

    python benchmarks/dispatch_threads.py [RUNS] [NUM_THREADS] [--delivery]
                                          [--events N] [--users N]

Each run: a fresh processor with a no-op counting callback, some events
pushed and flushed untimed, then ``push`` calls from this thread and
``flush()``, timed. The workload is the harness's original one
(``ORIGINAL_CONFIG`` in ``engagehub_native.bench``: buffer 16384, 4
threads, batch 256, 200 ms; ``ORIGINAL_EVENTS``, 50,000 events, the
first 5,000 of them pushed untimed before), or with ``--delivery`` its
``push`` → dicts row (``DELIVERY_CONFIG``: buffer 65536, 1 thread, batch
512, 50 ms; 1,000,000 events, the first 20,000 of them pushed untimed
before). NUM_THREADS replaces the configuration's dispatcher count,
``--events`` the timed events, ``--users`` the user-id pool (100,000, as
the harness's; a small pool keeps the ids in cache). Per run it prints
the wall time, and the CPU time and time slices
(``/proc/self/task/*/schedstat``) of this thread ("main"), of the
dispatcher threads ("dispatch") and of the threads the Go runtime made
("go"), with ``--delivery`` per event.
"""
import argparse
import os
import threading
import time

from engagehub_native.bench import (DELIVERY_CONFIG, ORIGINAL_CONFIG, ORIGINAL_EVENTS, Sink,
                                    make_events, native_processor, no_gc, push_each)


def threads_cpu() -> dict:
    """CPU nanoseconds and time slices of each thread of this process, by id."""
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as f:
                ns, _, slices = f.read().split()
        except FileNotFoundError:  # ended meanwhile
            continue
        out[int(tid)] = (int(ns), int(slices))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="?", type=int, default=5)
    parser.add_argument("num_threads", nargs="?", type=int)
    parser.add_argument("--delivery", action="store_true",
                        help="the push → dicts row's configuration, not the original's")
    parser.add_argument("--events", type=int, help="timed events per run")
    parser.add_argument("--users", type=int, default=100_000, help="the user-id pool")
    args = parser.parse_args()
    config = dict(DELIVERY_CONFIG if args.delivery else ORIGINAL_CONFIG)
    if args.num_threads is not None:
        config["num_threads"] = args.num_threads
    n = args.events or (1_000_000 if args.delivery else ORIGINAL_EVENTS)
    warm = 20_000 if args.delivery else 5_000
    per, unit = (n, "ns/ev") if args.delivery else (1e6, "ms")  # what times are printed in
    events = make_events(n, args.users, 1000, int(time.time()))
    for _ in range(args.runs):
        sink = Sink()
        with native_processor(config, sink) as proc:
            push_each(proc.push, events[:warm])
            proc.flush()
            sink.events = 0
            python_threads = {t.native_id for t in threading.enumerate()}
            with no_gc():
                before = threads_cpu()
                t0 = time.perf_counter_ns()
                push_each(proc.push, events)
                proc.flush()
                wall = time.perf_counter_ns() - t0
                after = threads_cpu()
            assert sink.events == n, (sink.events, n)
        kinds: dict = {}
        for tid, (ns, slices) in after.items():
            ns0, slices0 = before.get(tid, (0, 0))
            kind = ("main" if tid == os.getpid()
                    else "dispatch" if tid in python_threads else "go")
            total = kinds.setdefault(kind, [0, 0])
            total[0] += ns - ns0
            total[1] += slices - slices0
        print(f"{wall / per:6.1f} {unit}  {n / wall * 1e3:.2f} M ev/s  " + "  ".join(
            f"{kind} {ns / per:5.1f} {unit} CPU / {slices} slices"
            for kind, (ns, slices) in sorted(kinds.items())), flush=True)


if __name__ == "__main__":
    main()
