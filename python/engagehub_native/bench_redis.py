"""Redis-backed rows of ``python -m engagehub_native bench`` (``--only redis``).

Each figure of the Redis-backed Leaderboard and EventStreamProcessor is
measured beside redis-py (``pip install engagehub-native[bench]``) doing the
same work from Python in the same run, against the same throwaway
redis-server started here on a free loopback port without persistence
(``--redis-url URL`` measures an existing server instead; the benchmark
writes keys under ``{engagehub:bench...}`` there). Without redis-server and
without a URL the section is skipped with a note.

What "the same work" is for redis-py:

* an update: ZINCRBY of the forward-decayed weight into the sorted set and
  HSET of the last update, sent in pipelines of 1,024 updates (what the
  engine's batches send in one round trip, less its atomic rebase,
  max_users and exactly-once retry, which a script would add);
* top-10: ZRANGE 0 9 WITHSCORES and HMGET of their last updates; rank:
  ZRANK, ZSCORE and HGET pipelined: one round trip each, as the engine's;
* an event: PFADD of the user and ZINCRBY of the channel into the minute's
  keys, pipelined per 1,000 events (the engine aggregates each batch first).

Competition rank and percentile are measured beside the engine's own plain
rank of the same run (one script call each, with one or two ZCOUNTs more).
"""

from __future__ import annotations

import math
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Optional

from .bench import Report, Row, Sizes, count, latency, no_gc, per_call_ns, user_id

_pc = time.perf_counter_ns
SECTION = "redis"
BASELINE = "redis-py"
LN_DECAY = math.log(0.95)


class Server:
    """A throwaway redis-server on a free loopback port (killed by close())."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.dir = tempfile.mkdtemp(prefix="engagehub-bench-redis-")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        self.close()
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def _redis_py(url: str):
    import redis

    return redis.Redis.from_url(url)


def _update_args(n_users: int, calls: int, now: int, seed: int) -> list:
    rng = random.Random(seed)
    return [(user_id(rng.randrange(n_users)), float(rng.randint(1, 10)), now) for _ in range(calls)]


def child_native_updates(url: str, name: str, n_users: int, calls: int, seed: int,
                         start_at: float) -> dict:
    """(Subprocess body.) ``calls`` updates of the shared board, timed until applied."""
    from engagehub_native import Leaderboard

    now = int(time.time())
    args = _update_args(n_users, calls, now, seed)
    with Leaderboard(0.95, 0, backend=url, name=name) as board:
        board.update("warm-up", 1.0, now)
        len(board)
        while time.time() < start_at:
            time.sleep(0.001)
        with no_gc():
            t0 = _pc()
            for uid, pts, ts in args:
                board.update(uid, pts, ts)
            len(board)  # waits until every update is applied
            elapsed = _pc() - t0
    return {"calls": calls, "seconds": elapsed / 1e9}


def child_redis_py_updates(url: str, name: str, n_users: int, calls: int, seed: int,
                           start_at: float) -> dict:
    """(Subprocess body.) The same updates with redis-py: pipelines of 1,024."""
    r = _redis_py(url)
    now = int(time.time())
    args = _update_args(n_users, calls, now, seed)
    z, last = f"{{engagehub:bench:{name}}}:z", f"{{engagehub:bench:{name}}}:last"
    landmark = now
    r.ping()
    while time.time() < start_at:
        time.sleep(0.001)
    with no_gc():
        t0 = _pc()
        for lo in range(0, calls, 1024):
            p = r.pipeline(transaction=False)
            for uid, pts, ts in args[lo:lo + 1024]:
                p.zincrby(z, -pts * math.exp(-LN_DECAY * (ts - landmark) / 86400), uid)
                p.hset(last, uid, ts)
            p.execute()
        elapsed = _pc() - t0
    return {"calls": calls, "seconds": elapsed / 1e9}


def _clients_rate(function: str, url: str, clients: int, n_users: int, calls: int) -> float:
    """Updates per second of ``clients`` processes updating one board at once."""
    name = uuid.uuid4().hex[:8]
    start_at = time.time() + 2.0  # every child is up and connected by then
    procs = [subprocess.Popen(
        [sys.executable, "-c",
         "import json, sys; from engagehub_native import bench_redis as b; "
         f"print(json.dumps(b.{function}(*json.loads(sys.argv[1]))))",
         __import__("json").dumps([url, name, n_users, calls // clients, i, start_at])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(clients)]
    slowest = 0.0
    for p in procs:
        out, err = p.communicate(timeout=600)
        if p.returncode:
            raise RuntimeError(f"{function} failed: {err[-2000:]}")
        slowest = max(slowest, __import__("json").loads(out.splitlines()[-1])["seconds"])
    return (calls // clients) * clients / slowest


def _query_latencies(url: str, n: int, calls: int) -> dict:
    """p50/p99 of top(10) and rank(uid) on an n-user board: native and redis-py."""
    from engagehub_native import Leaderboard

    now = int(time.time())
    name = uuid.uuid4().hex[:8]
    out = {}
    rng = random.Random(5)
    uids = [(user_id(rng.randrange(n)),) for _ in range(calls)]
    with Leaderboard(0.95, 0, backend=url, name=name) as board:
        board.update_many((user_id(i), float(1 + i % 97), now) for i in range(n))
        out["top"] = latency(per_call_ns(board.top, [(10,)] * calls, warmup=200))
        out["rank"] = latency(per_call_ns(board.rank, uids, warmup=200))
        # Rank styles and percentiles (issue 11), beside plain rank of the same run.
        out["rank_competition"] = latency(per_call_ns(
            board.rank, uids, warmup=200, keywords={"style": "competition"}))
        out["percentile"] = latency(per_call_ns(board.percentile, uids, warmup=200))
    r = _redis_py(url)
    z, last = f"{{engagehub:board:{name}}}:z", f"{{engagehub:board:{name}}}:last"

    def top(k):
        rows = r.zrange(z, 0, k - 1, withscores=True)
        lasts = r.hmget(last, [m for m, _ in rows])
        return rows, lasts

    def rank(uid):
        p = r.pipeline(transaction=False)
        p.zrank(z, uid)
        p.zscore(z, uid)
        p.hget(last, uid)
        return p.execute()

    out["py_top"] = latency(per_call_ns(top, [(10,)] * calls, warmup=200))
    out["py_rank"] = latency(per_call_ns(rank, uids, warmup=200))
    r.delete(z, last, f"{{engagehub:board:{name}}}:meta")
    return out


def _events_per_second(url: Optional[str], events: list) -> float:
    """Events per second through a processor (analytics local, or shared at url),
    from the first push until flush() returns and the analytics are in Redis."""
    from engagehub_native import EventStreamProcessor

    seen = [0]

    def sink(batch):
        seen[0] += len(batch)

    kwargs = {"backend": url, "name": uuid.uuid4().hex[:8]} if url else {}
    with EventStreamProcessor(buffer_size=65536, batch_size=1024, flush_interval=0.05,
                              num_threads=1, on_flush=sink, **kwargs) as p:
        with no_gc():
            t0 = _pc()
            for i in range(0, len(events), 4096):
                chunk = events[i:i + 4096]
                while chunk:
                    done = p.push_many(chunk)
                    chunk = chunk[done:]
                    if chunk:
                        time.sleep(0)
            p.flush()
            p.unique_users()  # waits until the shared aggregate is in Redis
            elapsed = _pc() - t0
    return len(events) / (elapsed / 1e9)


def _redis_py_events_per_second(url: str, events: list) -> float:
    r = _redis_py(url)
    prefix = f"{{engagehub:bench-proc:{uuid.uuid4().hex[:8]}}}:"
    with no_gc():
        t0 = _pc()
        for lo in range(0, len(events), 1000):
            p = r.pipeline(transaction=False)
            for _, uid, ch, ts in events[lo:lo + 1000]:
                m = ts // 60
                p.pfadd(f"{prefix}u:{m}", uid)
                p.zincrby(f"{prefix}c:{m}", 1, ch)
            p.execute()
        elapsed = _pc() - t0
    return len(events) / (elapsed / 1e9)


def bench_redis(report: Report, sizes: Sizes, url: Optional[str] = None) -> None:
    """The Redis rows: updates/s with 1 and 4 client processes, top-10 and rank
    latency, events/s with shared analytics; each beside redis-py."""
    try:
        import redis  # noqa: F401
    except ImportError:
        report.notes.append("redis rows skipped: redis-py is not installed "
                            "(pip install 'engagehub-native[bench]')")
        return
    server = None
    if url is None:
        if shutil.which("redis-server") is None:
            report.notes.append("redis rows skipped: no redis-server on PATH and no --redis-url")
            return
        server = Server()
        url = server.url
    try:
        _bench(report, sizes, url)
    finally:
        if server is not None:
            server.close()


def _bench(report: Report, sizes: Sizes, url: str) -> None:
    n, calls = sizes.small_users, sizes.update_loop
    for clients in (1, 4):
        print(f"  redis: {calls:,} updates from {clients} client process(es) ...", flush=True)
        native = _clients_rate("child_native_updates", url, clients, n, calls)
        py = _clients_rate("child_redis_py_updates", url, clients, n, calls)
        report.add(Row(SECTION, f"update ×{count(calls)} @{count(n)}, {clients} process"
                       f"{'es' if clients > 1 else ''}, until applied",
                       native / 1e3, "k/s", baseline=py / 1e3, baseline_name=BASELINE))
    q = sizes.query_users
    qcalls = min(sizes.top_calls, 5_000)
    print(f"  redis: top(10) and rank latency at {q:,} users ...", flush=True)
    lat = _query_latencies(url, q, qcalls)
    for key, label in (("top", "top(10)"), ("rank", "rank(uid)")):
        for i, pct in ((0, "p50"), (1, "p99")):
            report.add(Row(SECTION, f"{label} {pct} @{count(q)}", lat[key][i], "µs",
                           baseline=lat["py_" + key][i], baseline_name=BASELINE))
    for key, label in (("rank_competition", 'rank(uid, style="competition")'),
                       ("percentile", "percentile(uid)")):
        for i, pct in ((0, "p50"), (1, "p99")):
            report.add(Row(SECTION, f"{label} {pct} @{count(q)}", lat[key][i], "µs",
                           baseline=lat["rank"][i], baseline_name="rank(uid), same run"))
    from .bench import make_events

    events = make_events(min(sizes.events, 200_000), sizes.event_users, sizes.channels,
                         int(time.time()))
    print(f"  redis: {len(events):,} events with shared analytics ...", flush=True)
    local = _events_per_second(None, events)
    shared = _events_per_second(url, events)
    py = _redis_py_events_per_second(url, events)
    report.add(Row(SECTION, f"events ×{count(len(events))}, analytics shared in Redis",
                   shared / 1e6, "M ev/s", baseline=py / 1e6, baseline_name=BASELINE,
                   note=f"local analytics: {local / 1e6:.2f} M ev/s"))
