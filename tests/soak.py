"""Soak: a steady load for DURATION seconds, sampling resources until they level off.

Usage: python soak.py [DURATION_SECONDS] [--rate EVENTS_PER_S] [--interval S]
(run by ``./build.sh soak [DURATION]``; CI runs it for 30 s).

The load: two producer threads push ``rate`` events/s in all (push_many in
chunks, paced) into an EventStreamProcessor whose sink raises 5 % of the
time (retried with backoff; batches given up on go to on_error); a third
thread updates a Leaderboard (bounded by max_users) and queries it (top,
rank, around) and saves a snapshot now and then.

Every ``interval`` seconds it samples, for this process: resident memory
(/proc/self/statm), Python threads (threading.active_count), OS threads
(/proc/self/task: Go's goroutines are not visible through the C ABI, so the
OS threads running them are sampled instead), and open file descriptors
(/proc/self/fd). It prints a table, then a verdict per resource: it levels
off when the maximum over the last third of the samples exceeds the maximum
over the middle third by no more than a small slack. At the end the counts
must reconcile: every accepted event reached the sink or on_error, and the
processor's stats agree. Exit status 0 only when every check holds.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time

import engagehub_native

PAGE = os.sysconf("SC_PAGE_SIZE")

#: name -> (relative slack, absolute slack) allowed between the middle and last thirds.
SLACK = {
    "rss_mb": (0.10, 8.0),
    "py_threads": (0.0, 1),
    "os_threads": (0.0, 2),
    "fds": (0.0, 2),
}


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


def count_dir(path: str) -> int:
    return len(os.listdir(path))


class FlakySink:
    """Raises on about 5 % of calls; counts what it accepted and what on_error got."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.delivered = 0
        self.raised = 0
        self.given_up = 0
        self.batches_given_up = 0

    def __call__(self, batch) -> None:
        with self.lock:
            fail = self.rng.random() < 0.05
            if fail:
                self.raised += 1
            else:
                self.delivered += len(batch)
        if fail:
            raise RuntimeError("flaky sink: transient failure")

    def on_error(self, batch, exc) -> None:
        with self.lock:
            self.given_up += len(batch)
            self.batches_given_up += 1


def producer(proc, rate: float, stop: threading.Event, seed: int, accepted: list, i: int) -> None:
    rng = random.Random(seed)
    chunk = max(1, int(rate / 20))  # 20 chunks a second
    period = chunk / rate
    next_at = time.monotonic()
    n = 0
    while not stop.is_set():
        events = [("view", f"u{rng.randrange(200_000)}", f"c{rng.randrange(5_000)}", 0)
                  for _ in range(chunk)]
        accepted[i] += proc.push_many(events)
        n += chunk
        next_at += period
        delay = next_at - time.monotonic()
        if delay > 0:
            stop.wait(delay)
        elif delay < -1:
            next_at = time.monotonic()  # fell behind by a second: do not burst to catch up


def board_worker(board, stop: threading.Event, snapdir: str, counters: dict) -> None:
    rng = random.Random(7)
    path = os.path.join(snapdir, "board.json")
    last_save = time.monotonic()
    while not stop.is_set():
        board.update_many((f"p{rng.randrange(30_000)}", rng.random() * 10) for _ in range(500))
        counters["updates"] += 500
        board.top(10)
        board.rank(f"p{rng.randrange(30_000)}")
        board.around(f"p{rng.randrange(30_000)}", 3, 3)
        counters["queries"] += 3
        if time.monotonic() - last_save > 5:
            board.save(path)
            counters["saves"] += 1
            last_save = time.monotonic()
        stop.wait(0.1)


def levels_off(values: list, name: str) -> tuple[bool, str]:
    third = len(values) // 3
    if third < 1:
        return True, "too few samples to judge"
    middle = max(values[third:2 * third])
    last = max(values[2 * third:])
    rel, absolute = SLACK[name]
    limit = middle * (1 + rel) + absolute
    ok = last <= limit
    return ok, f"max of last third {last:g} vs middle third {middle:g} (limit {limit:g})"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("duration", nargs="?", type=float, default=600.0)
    ap.add_argument("--rate", type=float, default=20_000.0, help="events/s over both producers")
    ap.add_argument("--interval", type=float, default=None,
                    help="seconds between samples (default: duration/30, 1 to 10)")
    args = ap.parse_args(argv)
    interval = args.interval or min(10.0, max(1.0, args.duration / 30))

    sink = FlakySink()
    proc = engagehub_native.EventStreamProcessor(
        buffer_size=65536, batch_size=500, flush_interval=0.05, num_threads=2,
        on_flush=sink, on_error=sink.on_error, max_attempts=3, retry_backoff=0.001)
    board = engagehub_native.Leaderboard(0.95, 20_000)
    stop = threading.Event()
    accepted = [0, 0]
    counters = {"updates": 0, "queries": 0, "saves": 0}
    snapdir = tempfile.mkdtemp(prefix="eh-soak-")
    import logging
    logging.getLogger("engagehub_native").setLevel(logging.CRITICAL)  # 5 % of batches log a retry

    threads = [threading.Thread(target=producer, name=f"producer-{i}",
                                args=(proc, args.rate / 2, stop, i, accepted, i))
               for i in range(2)]
    threads.append(threading.Thread(target=board_worker, name="board",
                                    args=(board, stop, snapdir, counters)))
    for t in threads:
        t.start()

    samples = []
    header = (f"{'t_s':>6} {'rss_mb':>8} {'py_threads':>10} {'os_threads':>10} {'fds':>5} "
              f"{'accepted':>10} {'delivered':>10} {'dropped':>8} {'failed':>7} {'board':>7}")
    print(f"soak: {args.duration:g} s, {args.rate:g} events/s from 2 producers, "
          f"flaky sink (5 %), leaderboard updates/queries/saves; sample every {interval:g} s")
    print(header, flush=True)
    started = time.monotonic()
    deadline = started + args.duration
    next_sample = started
    while True:
        now = time.monotonic()
        if now >= next_sample:
            s = proc.stats()
            row = {
                "t": now - started, "rss_mb": rss_mb(), "py_threads": threading.active_count(),
                "os_threads": count_dir("/proc/self/task"), "fds": count_dir("/proc/self/fd"),
            }
            samples.append(row)
            print(f"{row['t']:6.0f} {row['rss_mb']:8.1f} {row['py_threads']:10d} "
                  f"{row['os_threads']:10d} {row['fds']:5d} {s.accepted:10d} {s.delivered:10d} "
                  f"{s.dropped:8d} {s.failed:7d} {len(board):7d}", flush=True)
            next_sample += interval
        if now >= deadline:
            break
        time.sleep(max(0.0, min(next_sample, deadline) - time.monotonic()))

    stop.set()
    for t in threads:
        t.join()
    proc.flush(timeout=60)
    s = proc.stats()
    proc.close(timeout=60)
    board.close()

    ok = True
    print("\nverdict (levels off: max of last third <= max of middle third + slack):")
    for name in SLACK:
        good, why = levels_off([r[name] for r in samples], name)
        ok &= good
        print(f"  {name:11s} {'OK ' if good else 'GROWS'} {why}")

    pushed_ok = sum(accepted)
    checks = [
        ("accepted by push_many == stats().accepted", pushed_ok == s.accepted),
        ("stats().delivered == stats().accepted (nothing pending)", s.delivered == s.accepted),
        ("sink + on_error == accepted", sink.delivered + sink.given_up == s.accepted),
        ("on_error got == stats().failed", sink.given_up == s.failed),
        ("sink raised == stats().retried + batches given up",
         sink.raised == s.retried + sink.batches_given_up),
    ]
    print(f"\ncounts: accepted {s.accepted}, dropped {s.dropped}, sink {sink.delivered}, "
          f"on_error {sink.given_up}, failed {s.failed}, retried {s.retried}, "
          f"sink raised {sink.raised}; board updates {counters['updates']}, "
          f"queries {counters['queries']}, saves {counters['saves']}")
    for what, good in checks:
        ok &= good
        print(f"  {'OK ' if good else 'FAIL'} {what}")
    print(f"\nsoak: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
