"""``python -m engagehub_native``: the demo (the package's main job), the benchmark harness, and info.

    python -m engagehub_native info [--json]        # versions, library path, does it load here
    python -m engagehub_native demo                 # simulated Discord events in, analytics out
    python -m engagehub_native bench [--quick] [--only leaderboard|processor]
                                     [--users N] [--json PATH] [--markdown PATH]

The harness measures the native API only; the drop-in modules, which are
this package's clients, are measured by ``benchmarks/dropin.py``.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import random
import sys
import tempfile
import time

#: Points a user earns per event type in the demo.
POINTS = {"message": 1.0, "reaction": 0.5, "voice_join": 3.0}


def simulated_events(n: int, users: int, channels: int, seed: int = 2024) -> list:
    """``n`` Discord-like ``(type, user_id, channel_id, timestamp)`` events stamped now.

    Users and channels are Zipf-skewed (a few are very busy); ids look like
    Discord snowflakes.
    """
    rng = random.Random(seed)
    user_ids = [str(80_000_000_000_000_000 + rng.randrange(10**16)) for _ in range(users)]
    channel_ids = [str(90_000_000_000_000_000 + rng.randrange(10**16)) for _ in range(channels)]
    user_w = list(itertools.accumulate(1 / (i + 1) ** 1.1 for i in range(users)))
    channel_w = list(itertools.accumulate(1 / (i + 1) ** 1.2 for i in range(channels)))
    types = rng.choices(("message", "reaction", "voice_join"), weights=(70, 25, 5), k=n)
    who = rng.choices(user_ids, cum_weights=user_w, k=n)
    where = rng.choices(channel_ids, cum_weights=channel_w, k=n)
    now = int(time.time())
    return [(t, u, c, now) for t, u, c in zip(types, who, where)]


def _same_ranking(a: list, b: list) -> bool:
    """Same users, ranks and last updates; scores equal up to the clock moving between queries."""
    return [(u.user_id, u.rank, u.last_update) for u in a] == \
        [(u.user_id, u.rank, u.last_update) for u in b] and \
        all(math.isclose(x.score, y.score, rel_tol=1e-6) for x, y in zip(a, b))


def demo(args: argparse.Namespace) -> int:
    """Events in through the processor, analytics and a leaderboard out, a snapshot round trip."""
    from engagehub_native import EventStreamProcessor, Leaderboard

    t_start = time.perf_counter()
    events = simulated_events(args.events, args.users, args.channels)
    t_gen = time.perf_counter()

    batches = []

    def save_batch(batch: list) -> None:  # where a Django site would bulk_create
        batches.append(len(batch))

    with EventStreamProcessor(buffer_size=65536, batch_size=1000, num_threads=1,
                              flush_interval=0.2, on_flush=save_batch) as proc, \
            Leaderboard(decay_factor=0.95, max_users=0) as board:
        accepted = 0
        refused = 0
        for i in range(0, len(events), 4096):
            chunk = events[i:i + 4096]
            while chunk:
                n = proc.push_many(chunk)
                accepted += n
                if n < len(chunk):  # buffer full: back off briefly and offer the rest again
                    refused += len(chunk) - n
                    time.sleep(0.001)
                chunk = chunk[n:]
        board.update_many((u, POINTS[t], ts) for t, u, c, ts in events)
        proc.flush()
        t_pushed = time.perf_counter()

        stats = proc.stats()
        unique = proc.unique_users()
        channels = proc.top_channels(5)
        top = board.top(5)
        probe = events[len(events) // 2][1]
        standing = board.rank(probe)
        t_query = time.perf_counter()

        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "leaderboard.json")
            board.save(path)
            size = os.path.getsize(path)
            with Leaderboard() as restored:
                restored.load(path)
                same = len(restored) == len(board) and _same_ranking(restored.top(5), board.top(5))
                restored_len = len(restored)
        t_snap = time.perf_counter()

        exact_users = len({e[1] for e in events})
        print(f"engagehub_native demo: {len(events):,} simulated Discord events from "
              f"{args.users:,} users over {args.channels} channels")
        print(f"  events accepted   {accepted:,} (buffer-full refusals re-offered: {refused:,}; "
              f"engine counts {stats.dropped:,} dropped pushes)")
        print(f"  batches delivered {len(batches):,} holding {sum(batches):,} events "
              f"(callback time {stats.callback_seconds * 1000:.0f} ms)")
        print(f"  distinct users in the last hour: ~{unique:,} (exact {exact_users:,}, "
              f"error {abs(unique - exact_users) / exact_users * 100:.2f} %)")
        print("  top channels:")
        for channel, count in channels:
            print(f"    {channel}  {count:>8,} events")
        print(f"  leaderboard ({len(board):,} users, decay 0.95/day), top 5:")
        for user in top:
            print(f"    #{user.rank:<3} {user.user_id}  {user.score:>10,.1f} points")
        if standing is not None:
            print(f"  rank lookup: user {probe} is #{standing.rank:,} with "
                  f"{standing.score:,.1f} points")
        print(f"  snapshot: {size / 1024:,.0f} KiB written and reloaded ({restored_len:,} users, "
              f"top 5 {'identical' if same else 'DIFFERENT'})")
        print(f"  time: generate {t_gen - t_start:.2f} s, push + leaderboard + flush "
              f"{t_pushed - t_gen:.2f} s, queries {1000 * (t_query - t_pushed):.1f} ms, "
              f"snapshot round trip {t_snap - t_query:.2f} s")
    return 0 if same and sum(batches) == accepted == len(events) else 1


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
    d.add_argument("--events", type=int, default=300_000, help="events to simulate (default 300000)")
    d.add_argument("--users", type=int, default=5_000, help="distinct users (default 5000)")
    d.add_argument("--channels", type=int, default=50, help="channels (default 50)")
    d.set_defaults(func=demo)
    b = sub.add_parser("bench", help="measure the native API against its performance targets")
    b.add_argument("--quick", action="store_true", help="small sizes: a smoke run under 30 s")
    b.add_argument("--only", choices=("leaderboard", "processor"), help="run one half only")
    b.add_argument("--users", type=int, default=None,
                   help="users on the large board (default 1000000; 100000 with --quick)")
    b.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    b.add_argument("--markdown", metavar="PATH", help="also write the table as Markdown")
    b.set_defaults(func=bench)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
