"""``python -m engagehub_native``: the demo (the package's main job), the benchmark harness, and info.

    python -m engagehub_native demo [--events N] [--db PATH]   # events into SQLite, analytics out
    python -m engagehub_native info [--json]        # versions, library path, does it load here
    python -m engagehub_native bench [--quick] [--only leaderboard|processor|analytics]
                                     [--users N] [--json PATH] [--markdown PATH]

The harness measures the native API only; the drop-in modules, which are
this package's clients, are measured by ``benchmarks/dropin.py``.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import random
import sys
import time

#: Points a user earns per event type in the demo.
POINTS = {"message": 1.0, "reaction": 0.5, "voice_join": 3.0}

#: Event types of the simulated workload and their shares (per cent).
MIX = (("message", 70), ("reaction", 25), ("voice_join", 5))


def simulated_events(n: int, users: int, channels: int, seed: int = 2024,
                     span: int = 3000) -> list:
    """``n`` Discord-like ``(type, user_id, channel_id, timestamp)`` events.

    Users and channels are Zipf-skewed (a few are very busy); ids look like
    Discord snowflakes; timestamps rise evenly over the last ``span`` seconds.
    """
    rng = random.Random(seed)
    user_ids = [str(80_000_000_000_000_000 + rng.randrange(10**16)) for _ in range(users)]
    channel_ids = [str(90_000_000_000_000_000 + rng.randrange(10**16)) for _ in range(channels)]
    user_w = list(itertools.accumulate(1 / (i + 1) ** 1.1 for i in range(users)))
    channel_w = list(itertools.accumulate(1 / (i + 1) ** 1.2 for i in range(channels)))
    types = rng.choices([t for t, _ in MIX], weights=[w for _, w in MIX], k=n)
    who = rng.choices(user_ids, cum_weights=user_w, k=n)
    where = rng.choices(channel_ids, cum_weights=channel_w, k=n)
    start = int(time.time()) - span
    stamps = [start + i * span // n for i in range(n)]
    return list(zip(types, who, where, stamps))


class DemoError(Exception):
    """A bad argument or an unusable path: one line on stderr, exit status 2."""


class Progress:
    """A progress bar on a terminal; a plain line every 10 % otherwise."""

    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.stream = total, stream
        self.tty = stream.isatty()
        self.started = time.perf_counter()
        self.next_line = 0.1

    def update(self, done: int) -> None:
        fraction = done / self.total
        rate = done / max(time.perf_counter() - self.started, 1e-9)
        if self.tty:
            bar = "#" * int(fraction * 30)
            self.stream.write(f"\r  [{bar:<30}] {fraction:6.1%}  {done:>12,} events  "
                              f"{rate:>11,.0f}/s")
            self.stream.flush()
        elif fraction >= self.next_line or done == self.total:
            self.stream.write(f"  {fraction:6.1%}  {done:,} events pushed  ({rate:,.0f}/s)\n")
            self.stream.flush()
            while self.next_line <= fraction:
                self.next_line += 0.1

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _open_database(path: str):
    """A fresh ``events`` table in the SQLite database at ``path``."""
    import sqlite3

    try:
        con = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("DROP TABLE IF EXISTS events")
        con.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, type TEXT NOT NULL, "
                    "user_id TEXT NOT NULL, channel_id TEXT NOT NULL, timestamp INTEGER NOT NULL)")
    except (sqlite3.Error, OSError) as exc:
        raise DemoError(f"cannot use --db {path}: {exc}") from None
    return con


def _check_args(args: argparse.Namespace) -> None:
    for name in ("events", "users", "channels"):
        value = getattr(args, name)
        if value < 1:
            raise DemoError(f"--{name} must be at least 1, not {value}")
    folder = os.path.dirname(os.path.abspath(args.snapshot))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise DemoError(f"cannot write --snapshot {args.snapshot}: {folder} is not a writable folder")


def demo(args: argparse.Namespace) -> int:
    """Events through the processor into SQLite and a leaderboard; analytics checked against exact counts."""
    _check_args(args)
    con = _open_database(args.db)
    insert = "INSERT INTO events (type, user_id, channel_id, timestamp) VALUES (?, ?, ?, ?)"

    def write_batch(batch: dict) -> None:  # one transaction per batch, as a site's bulk_create
        con.execute("BEGIN")
        try:
            con.executemany(insert, zip(batch["type"], batch["user_id"],
                                        batch["channel_id"], batch["timestamp"]))
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    shares = ", ".join(f"{w} % {t}s" for t, w in MIX).replace("voice_joins", "voice joins")
    print(f"engagehub_native demo: {args.events:,} simulated Discord events, Zipf-skewed over "
          f"{args.users:,} users and {args.channels:,} channels ({shares})")
    t_start = time.perf_counter()
    # Millions of small tuples live until the end: collecting them again and
    # again would cost more than the pipeline (they hold no cycles).
    gc.disable()
    try:
        return _run_demo(args, con, write_batch, t_start)
    finally:
        gc.enable()


def _run_demo(args, con, write_batch, t_start) -> int:
    import sqlite3
    from collections import Counter

    from engagehub_native import EventStreamProcessor, Leaderboard

    events = simulated_events(args.events, args.users, args.channels)
    t_gen = time.perf_counter()

    progress = Progress(len(events))
    accepted = refused = 0
    with EventStreamProcessor(buffer_size=65536, batch_size=5000, num_threads=1,
                              flush_interval=0.2, columnar=True, on_flush=write_batch,
                              exit_timeout=60) as proc, \
            Leaderboard(decay_factor=0.95, max_users=0) as board:
        step = 16384
        for i in range(0, len(events), step):
            chunk = events[i:i + step]
            board.update_many([(u, POINTS[t], ts) for t, u, c, ts in chunk])
            while chunk:
                n = proc.push_many(chunk)
                accepted += n
                if n < len(chunk):  # buffer full: let the writer catch up, offer the rest again
                    refused += len(chunk) - n
                    time.sleep(0.002)
                chunk = chunk[n:]
            progress.update(i + step if i + step < len(events) else len(events))
        proc.flush()
        progress.done()
        t_pushed = time.perf_counter()

        stats = proc.stats()
        unique = proc.unique_users()
        channels = proc.top_channels(5)
        top = board.top(5)
        t_query = time.perf_counter()
        board.save(args.snapshot)
        t_snap = time.perf_counter()
        board_size = len(board)
    con.close()
    con = sqlite3.connect(args.db)
    rows = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    exact_channels = Counter(c for _, _, c, _ in events)
    exact_users = len({u for _, u, _, _ in events})
    con.close()

    seconds = t_pushed - t_gen
    ok = rows == accepted == len(events) and stats.failed == 0
    print(f"  throughput        {accepted / seconds:,.0f} events/s: {accepted:,} events pushed, "
          f"analysed, written to SQLite and scored in {seconds:.2f} s "
          f"({stats.batches:,} batches; full-buffer refusals re-offered: {refused:,})")
    print(f"  database          {args.db}: {rows:,} rows for {accepted:,} events accepted "
          f"({'equal' if rows == accepted else 'MISMATCH'})")
    print(f"  distinct users    ~{unique:,} estimated (HyperLogLog, last hour), {exact_users:,} "
          f"exact: {abs(unique - exact_users) / exact_users:.2%} off")
    print("  top channels      estimated     exact")
    for channel, count in channels:
        print(f"    {channel}  {count:>9,} {exact_channels[channel]:>9,}")
    print(f"  top users         of {board_size:,} on the board (points: message 1, "
          "reaction 0.5, voice join 3; decay 0.95/day)")
    for user in top:
        print(f"    #{user.rank:<2} {user.user_id}  {user.score:>10,.1f} points")
    print(f"  snapshot          {args.snapshot} ({os.path.getsize(args.snapshot) / 1024:,.0f} KiB, "
          f"{t_snap - t_query:.2f} s)")
    print(f"  time              {time.perf_counter() - t_start:.2f} s in all: generate "
          f"{t_gen - t_start:.2f} s, pipeline {seconds:.2f} s, queries "
          f"{(t_query - t_pushed) * 1000:.1f} ms")
    if not ok:
        print(f"engagehub_native demo: FAILED: {rows:,} rows, {accepted:,} accepted, "
              f"{len(events):,} events, {stats.failed:,} failed", file=sys.stderr)
        return 1
    return 0


def bench(args: argparse.Namespace) -> int:
    """Run the benchmark harness; exit status 0 whether or not targets are met."""
    from . import bench as harness

    if args.users is not None and args.users < 1:
        raise SystemExit("--users must be at least 1")
    sizes = harness.Sizes.quick(args.users) if args.quick else harness.Sizes(
        users=args.users or 1_000_000)
    harness.run(sizes, only=args.only, json_path=args.json, markdown_path=args.markdown)
    return 0


def info(args: argparse.Namespace) -> int:
    """Print what is installed and whether the library loads; exit 1 if it does not."""
    from . import _info

    facts = _info.collect()
    if args.json:
        import json

        print(json.dumps(facts, indent=2))
    else:
        print("\n".join(_info.lines(facts)))
    return 0 if facts["load"]["ok"] else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engagehub_native",
                                     description="engagehub_native: demo, benchmarks and info")
    sub = parser.add_subparsers(dest="command", required=True)
    i = sub.add_parser("info", help="package, ABI and Go versions, library path, whether it loads "
                                    "here (for bug reports)")
    i.add_argument("--json", action="store_true", help="print the facts as JSON")
    i.set_defaults(func=info)
    d = sub.add_parser("demo", help="push simulated Discord events, print analytics and a leaderboard")
    d.add_argument("--events", type=int, default=1_000_000,
                   help="events to simulate (default 1000000)")
    d.add_argument("--users", type=int, default=50_000, help="users (default 50000)")
    d.add_argument("--channels", type=int, default=500, help="channels (default 500)")
    d.add_argument("--db", default="engagehub-demo.sqlite3",
                   help="SQLite database the events are written to, its events table "
                        "replaced (default ./engagehub-demo.sqlite3)")
    d.add_argument("--snapshot", default="engagehub-demo-leaderboard.json",
                   help="where the leaderboard snapshot is written "
                        "(default ./engagehub-demo-leaderboard.json)")
    d.set_defaults(func=demo)
    b = sub.add_parser("bench", help="measure the native API against its performance targets")
    b.add_argument("--quick", action="store_true", help="small sizes: a smoke run under 30 s")
    b.add_argument("--only", choices=("leaderboard", "processor", "analytics"),
                   help="run one section only")
    b.add_argument("--users", type=int, default=None,
                   help="users on the large board (default 1000000; 100000 with --quick)")
    b.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    b.add_argument("--markdown", metavar="PATH", help="also write the table as Markdown")
    b.set_defaults(func=bench)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except DemoError as exc:
        print(f"python -m engagehub_native {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
