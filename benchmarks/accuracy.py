"""How far off each estimate of the event processor is, on a Zipf stream.

    python benchmarks/accuracy.py [--quick] [--markdown PATH] [--json PATH]

For each estimate the table gives what the package states (the expected
error, or the bound it reports) beside what this run observes against the
exact answer, computed here in Python from the same events:

* distinct users, ``unique_users(3600, with_bounds=True)``: HyperLogLog at
  precision 14; expected relative standard error 1.04/√16384 = 0.81 %, and
  the 95 % interval should hold the truth in about 95 % of the trials.
  Users are drawn with a Zipf skew (s = 1.1) from a pool, so most events
  repeat a user, as on a real server.
* channel counts, ``top_channels(10, window=..., with_bounds=True)``:
  all-time and over sliding windows, channels drawn with a Zipf skew from a
  large pool, timestamps over the last 90 minutes. Every count must lie in
  ``count - max_overcount .. count`` (a guarantee: coverage 100 %); the
  table compares the reported ``max_overcount`` with the observed
  over-count, and counts how many of the true top 10 were returned.
* merged: two processors fed half the stream each, exported and merged
  into a third, against one processor fed the whole stream: distinct users
  should match exactly (HyperLogLog union), channel counts keep their
  bounds.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import math
import random
import sys
import time

from engagehub_native import EventStreamProcessor

P = 14
RSE = 1.04 / math.sqrt(2 ** P)


def _sink(batch):
    pass


def processor() -> EventStreamProcessor:
    return EventStreamProcessor(buffer_size=1 << 16, batch_size=2048, columnar=True,
                                on_flush=_sink, hll_precision=P)


def zipf_picker(n: int, s: float, rng: random.Random):
    """A function drawing k indexes in 0..n-1 with P(i) ∝ 1/(i+1)^s."""
    cum = list(itertools.accumulate(1 / (i + 1) ** s for i in range(n)))
    total = cum[-1]

    def pick(k: int) -> list:
        return [bisect.bisect_left(cum, rng.random() * total) for _ in range(k)]
    return pick


def settled_now() -> int:
    """Now, away from a minute's end, so a run's pushes and queries share a minute."""
    t = time.time()
    if t % 60 > 45:
        time.sleep(60 - t % 60 + 0.2)
    return int(time.time())


def push(proc, events, live: bool = False) -> list:
    """Push events in chunks, retrying refused ones. ``live``: each event's
    timestamp field is an age in seconds, stamped against the clock when
    its chunk is pushed (so a long run stays a live stream); returns the
    events as pushed."""
    pushed = []
    for i in range(0, len(events), 4096):
        chunk = events[i:i + 4096]
        if live:
            now = int(time.time())
            chunk = [(t, u, c, now - age) for t, u, c, age in chunk]
        pushed += chunk
        done = 0
        while done < len(chunk):
            done += proc.push_many(chunk[done:])
            if done < len(chunk):
                time.sleep(0.001)
    return pushed


def distinct_users(sizes, trials, rng) -> list:
    rows = []
    for events_n in sizes:
        errors, covered = [], 0
        pool = max(1000, events_n)
        pick = zipf_picker(pool, 1.1, rng)
        for trial in range(trials):
            now = settled_now()
            salt = rng.getrandbits(32)
            users = [f"u{salt}-{i}" for i in pick(events_n)]
            truth = len(set(users))
            with processor() as p:
                push(p, [("m", u, "c", now) for u in users])
                est = p.unique_users(3600, with_bounds=True)
            errors.append((est.value - truth) / truth)
            covered += est.lower <= truth <= est.upper
        rms = math.sqrt(sum(e * e for e in errors) / len(errors))
        rows.append({
            "estimate": "distinct users, unique_users(3600)",
            "stream": f"{events_n:,} events, Zipf users (≈{truth:,} distinct), {trials} trials",
            "expected": f"{RSE * 100:.2f} % RSE; 95 % in interval",
            "observed": f"{rms * 100:.2f} % RMS (max {max(map(abs, errors)) * 100:.2f} %); "
                        f"{covered}/{trials} in interval",
        })
    return rows


def channel_stream(n, channels, rng):
    """Events whose timestamp field is an age: 0..90 minutes."""
    pick = zipf_picker(channels, 1.1, rng)
    return [("m", f"u{i % 50_000}", f"ch{c}", rng.randrange(5400))
            for i, c in enumerate(pick(n))]


def query_in_one_minute(query):
    """query()'s answer and the Unix time of a minute it ran within."""
    while True:
        before = int(time.time())
        answer = query()
        if int(time.time()) // 60 == before // 60:
            return answer, before


def truth_counts(events, window, now):
    out = {}
    low = None if window is None else now // 60 - window // 60 + 1
    for _, _, ch, ts in events:
        if low is None or ts // 60 >= low:
            out[ch] = out.get(ch, 0) + 1
    return out


def judge_channels(top, truth) -> dict:
    if not top:
        raise RuntimeError("no channel in the window: the run was too slow for it")
    over = [c.count - truth.get(c.channel_id, 0) for c in top]
    bounds = [c.max_overcount for c in top]
    inside = sum(c.count - c.max_overcount <= truth.get(c.channel_id, 0) <= c.count for c in top)
    best = sorted(truth, key=lambda ch: (-truth[ch], ch))[:len(top)]
    recall = len({c.channel_id for c in top} & set(best))
    return {"over": over, "bounds": bounds, "inside": inside, "recall": recall, "n": len(top)}


def channel_counts(n, channels, rng) -> list:
    rows = []
    events = channel_stream(n, channels, rng)
    with processor() as p:
        events = push(p, events, live=True)
        for k, window in ((10, None), (100, None), (10, 3600), (100, 3600), (10, 600), (10, 60)):
            top, at = query_in_one_minute(lambda: p.top_channels(k, window=window,
                                                                  with_bounds=True))
            j = judge_channels(top, truth_counts(events, window, at))
            name = "all-time" if window is None else f"window={window}"
            rows.append({
                "estimate": f"top_channels({k}, {name}) counts",
                "stream": f"{n:,} events, Zipf over {channels:,} channels, 90 min",
                "expected": f"0 ≤ over-count ≤ max_overcount (mean {sum(j['bounds']) / j['n']:.1f}, "
                            f"max {max(j['bounds'])}); {j['n']}/{j['n']} in bounds",
                "observed": f"over-count mean {sum(j['over']) / j['n']:.1f}, max {max(j['over'])}; "
                            f"{j['inside']}/{j['n']} in bounds; "
                            f"{j['recall']}/{j['n']} of the true top {j['n']}",
            })
    return rows


def merged(n, channels, rng) -> list:
    now = int(time.time())
    events = [(t, u, c, now - age) for t, u, c, age in channel_stream(n, channels, rng)]
    half = n // 2
    a_events = [(t, "a" + u, c, ts) for t, u, c, ts in events[:half]]
    b_events = [(t, "b" + u, c, ts) for t, u, c, ts in events[half:]]
    with processor() as a, processor() as b, processor() as whole, processor() as m:
        push(a, a_events)
        push(b, b_events)
        push(whole, a_events + b_events)
        m.merge_analytics(a.export_analytics())
        m.merge_analytics(b.export_analytics())
        (merged_users, whole_users, top), now = query_in_one_minute(lambda: (
            m.unique_users(3600), whole.unique_users(3600),
            m.top_channels(10, window=3600, with_bounds=True)))
        truth = truth_counts(events, 3600, now)
    distinct = len({u for _, u, _, ts in a_events + b_events if ts // 60 > now // 60 - 60})
    j = judge_channels(top, truth)
    return [
        {"estimate": "distinct users, merged from 2 processors",
         "stream": f"{n:,} events in two halves, {distinct:,} distinct users in the hour",
         "expected": "equal to one processor fed both halves (HLL union is exact)",
         "observed": f"merged {merged_users:,}, one processor {whole_users:,} "
                     f"(difference {merged_users - whole_users}); "
                     f"error vs truth {(merged_users - distinct) / distinct * 100:+.2f} %"},
        {"estimate": "top_channels(10, window=3600), merged",
         "stream": f"{n:,} events in two halves, Zipf over {channels:,} channels",
         "expected": f"0 ≤ over-count ≤ max_overcount (mean {sum(j['bounds']) / j['n']:.1f}); "
                     "10/10 in bounds",
         "observed": f"over-count mean {sum(j['over']) / j['n']:.1f}, max {max(j['over'])}; "
                     f"{j['inside']}/{j['n']} in bounds; {j['recall']}/10 of the true top 10"},
    ]


def markdown(rows) -> str:
    out = ["| estimate | stream | expected | observed |", "| --- | --- | --- | --- |"]
    out += [f"| {r['estimate']} | {r['stream']} | {r['expected']} | {r['observed']} |" for r in rows]
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small streams, few trials")
    ap.add_argument("--markdown", help="also write the table to this file")
    ap.add_argument("--json", help="also write the rows as JSON")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    started = time.monotonic()
    if args.quick:
        rows = distinct_users([10_000], 5, rng) + channel_counts(100_000, 20_000, rng) \
            + merged(50_000, 20_000, rng)
    else:
        rows = distinct_users([10_000, 300_000, 1_000_000], 20, rng) \
            + channel_counts(1_000_000, 1_000_000, rng) + merged(500_000, 200_000, rng)
    table = markdown(rows)
    print(table)
    print(f"\n{time.monotonic() - started:.0f} s, seed {args.seed}", file=sys.stderr)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table + "\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
