"""The original's workload, one line per run, with the CPU time of each kind
of thread: for seeing where a delivery's time goes, and for comparing two
builds run alternately (PYTHONPATH=<a pip --target folder> for each).

    python benchmarks/dispatch_threads.py [RUNS] [NUM_THREADS]

Each run: a fresh processor of the harness's original workload
(``ORIGINAL_CONFIG`` in ``engagehub_native.bench``: buffer 16384, 4
threads, batch 256, 200 ms; NUM_THREADS replaces the 4) with a no-op
counting callback, 5,000 events pushed and flushed untimed, then
``ORIGINAL_EVENTS`` (50,000) ``push`` calls from this thread and
``flush()``, timed. Per run it prints the wall time, and the
CPU time and time slices (``/proc/self/task/*/schedstat``) of this thread
("main"), of the dispatcher threads ("dispatch") and of the threads the Go
runtime made ("go").
"""
import os
import sys
import threading
import time

from engagehub_native.bench import (ORIGINAL_CONFIG, ORIGINAL_EVENTS, Sink, make_events,
                                    native_processor, no_gc, push_each)


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
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    config = dict(ORIGINAL_CONFIG)
    if len(sys.argv) > 2:
        config["num_threads"] = int(sys.argv[2])
    events = make_events(ORIGINAL_EVENTS, 100_000, 1000, int(time.time()))
    for _ in range(runs):
        sink = Sink()
        with native_processor(config, sink) as proc:
            push_each(proc.push, events[:5000])
            proc.flush()
            python_threads = {t.native_id for t in threading.enumerate()}
            with no_gc():
                before = threads_cpu()
                t0 = time.perf_counter_ns()
                push_each(proc.push, events)
                proc.flush()
                wall = time.perf_counter_ns() - t0
                after = threads_cpu()
        kinds: dict = {}
        for tid, (ns, slices) in after.items():
            ns0, slices0 = before.get(tid, (0, 0))
            kind = ("main" if tid == os.getpid()
                    else "dispatch" if tid in python_threads else "go")
            total = kinds.setdefault(kind, [0, 0])
            total[0] += ns - ns0
            total[1] += slices - slices0
        print(f"{wall / 1e6:6.1f} ms  {len(events) / wall * 1e3:.2f} M ev/s  " + "  ".join(
            f"{kind} {ns / 1e6:5.1f} ms CPU / {slices} slices"
            for kind, (ns, slices) in sorted(kinds.items())), flush=True)


if __name__ == "__main__":
    main()
