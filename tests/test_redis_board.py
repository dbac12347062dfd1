"""The leaderboard on Redis (backend="redis://..."), against real redis-server
processes started on loopback ports (tests/redis_server.py): the same answers
as the embedded board, one board shared by processes, Redis restarted mid-run,
clear errors for bad URLs, wrong passwords and unreachable servers, and a
real three-node cluster."""

from __future__ import annotations

import json
import math
import random
import shutil
import time
import uuid

import pytest

import engagehub_native
from engagehub_native import BackendError, Leaderboard

import redis_server as rs
from conftest import T0, ManualClock, run_python

pytestmark = pytest.mark.skipif(rs.SERVER is None, reason=rs.MISSING)

#: Scores are compared to this relative tolerance. Both boards compute the
#: same forward-decay sums in the same order, except that an update's weight
#: f^((t - L)/86400) comes from Go's math.Exp in the embedded board and from
#: C's exp() inside Redis's Lua: each is within one ulp (~1.1e-16 relative)
#: of the exact value, so a score summing a few hundred weights of mixed
#: signs differs by at most a few hundred ulps of its largest term; 1e-12
#: leaves room for cancellation while catching any real difference (one
#: lost update, a wrong landmark) by many orders of magnitude.
REL = 1e-12


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def close(a: float, b: float) -> bool:
    return a == b or abs(a - b) <= REL * max(abs(a), abs(b))


def assert_same_ranking(want: list, got: list) -> None:
    """Same users, ranks, last updates; scores within REL; the order may
    differ only between users whose scores are within REL of each other."""
    assert len(want) == len(got)
    by_id = {u.user_id: u for u in got}
    for i, w in enumerate(want):
        g = by_id[w.user_id]
        assert close(w.score, g.score), (w, g)
        assert w.last_update == g.last_update, (w, g)
        assert got[i].rank == w.rank
        if got[i].user_id != w.user_id:
            assert close(w.score, got[i].score), (i, w, got[i])


def stream(seed: int, n: int, users: int, span: int) -> list:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        kind = rnd.randrange(4)
        points = (rnd.random() * 100 if kind == 0 else -rnd.random() * 10 if kind == 1
                  else float(rnd.randint(1, 5)))
        out.append((f"user{rnd.randrange(users)}", points, T0 + rnd.randrange(span)))
    return out


@pytest.mark.parametrize("decay,max_users,span", [
    (0.95, 0, 30 * 86400),
    (1.0, 0, 86400),
    (0.9, 200, 10 * 86400),
    (0.5, 0, 3 * 365 * 86400),  # the landmark moves (rebase) mid-stream
])
def test_replay_matches_embedded_board(redis_server, decay, max_users, span):
    updates = stream(int(decay * 100) + max_users, 20_000, 500, span)
    clock = ManualClock(T0 + span)
    with Leaderboard(decay, max_users, clock=clock) as emb, \
            Leaderboard(decay, max_users, clock=clock, backend=redis_server.url,
                        name=unique("replay")) as red:
        for i, (uid, pts, ts) in enumerate(updates):
            if i % 3 == 0:
                emb.update(uid, pts, ts)
                red.update(uid, pts, ts)
        rest = [u for i, u in enumerate(updates) if i % 3]
        emb.update_many(rest)
        red.update_many(rest)
        assert len(red) == len(emb)
        assert_same_ranking(emb.top(len(emb)), red.top(len(emb) + 5))
        assert_same_ranking(emb.page(10, 25), red.page(10, 25))
        assert_same_ranking(list(emb), list(red))
        for uid in ("user0", "user7", "user499", "nobody"):
            w, g = emb.rank(uid), red.rank(uid)
            assert (w is None) == (g is None)
            if w is not None:
                assert close(w.score, g.score) and w.last_update == g.last_update
                assert abs(w.rank - g.rank) <= 1  # a near-tie may swap neighbours
                assert len(emb.around(uid, 3, 4)) == len(red.around(uid, 3, 4))
            assert (uid in emb) == (uid in red)
            assert emb.score(uid, -1.0) == pytest.approx(red.score(uid, -1.0), rel=REL)
        clock.now += 5 * 86400  # time passes: both decay alike, nothing is rescored
        assert_same_ranking(emb.top(50), red.top(50))


def test_ties_rank_by_user_id(redis_server, clock):
    with Leaderboard(0.95, 0, clock=clock, backend=redis_server.url, name=unique("ties")) as b:
        b.update_many([("c", 5, T0), ("a", 5, T0), ("b", 5, T0), ("d", 7, T0)])
        assert [u.user_id for u in b.top(10)] == ["d", "a", "b", "c"]
        assert b.rank("b").rank == 3
        assert [u.user_id for u in b.around("b", 1, 1)] == ["a", "b", "c"]
        assert b.remove("a") and not b.remove("a")
        assert [u.user_id for u in b.top(10)] == ["d", "b", "c"]


def test_configuration_and_validation(redis_server, clock):
    name = unique("config")
    with Leaderboard(0.9, 50, clock=clock, backend=redis_server.url, name=name) as b:
        assert b.decay_factor == 0.9 and b.max_users == 50
        b.update("x", 1.0, T0)
        with pytest.raises(ValueError, match="points"):
            b.update("x", math.nan)
        with pytest.raises(TypeError, match="user_id"):
            b.update(1, 1.0)
        assert "Leaderboard users=1" in repr(b)
        stats = b.backend_stats()
        assert stats.remote and stats.connected and stats.applied == 1
        # Another decay factor for a board that holds users is refused.
        with pytest.raises(ValueError, match="decay factor"):
            Leaderboard(0.5, 50, backend=redis_server.url, name=name)
    with Leaderboard(clock=clock) as emb:
        assert not emb.backend_stats().remote


def test_snapshots_move_between_backends(redis_server, clock, tmp_path):
    updates = stream(3, 3000, 300, 20 * 86400)
    clock.now = T0 + 20 * 86400
    with Leaderboard(0.9, 0, clock=clock) as emb, \
            Leaderboard(0.9, 0, clock=clock, backend=redis_server.url, name=unique("snap")) as red:
        emb.update_many(updates)
        red.update_many(updates)
        red.save(tmp_path / "red.json")
        doc = json.loads((tmp_path / "red.json").read_text())
        assert doc["decay_factor"] == 0.9 and len(doc["entries"]) == len(emb)
        with Leaderboard(0.5, 1, clock=clock) as back:
            back.load(tmp_path / "red.json")
            assert_same_ranking(emb.top(1000), back.top(1000))
        emb.save(tmp_path / "emb.json")
        with Leaderboard(0.5, 3, clock=clock, backend=redis_server.url,
                         name=unique("snap2")) as other:
            other.load(tmp_path / "emb.json")
            assert other.decay_factor == 0.9 and other.max_users == 0
            assert other.top(1000) == emb.top(1000)  # G values copied bit for bit
            (tmp_path / "bad.json").write_text('{"decay_factor": 0.5, "entries": [')
            with pytest.raises(engagehub_native.SnapshotError):
                other.load(tmp_path / "bad.json")
            with pytest.raises(engagehub_native.SnapshotFileError):
                other.load(tmp_path / "missing.json")
            assert len(other) == len(emb)


def test_two_processes_share_one_board(redis_server):
    name = unique("shared")
    code = f"""
        import sys
        from engagehub_native import Leaderboard
        with Leaderboard(0.95, 0, backend={redis_server.url!r}, name={name!r},
                         clock=lambda: {T0}) as b:
            me = sys.argv[1] if len(sys.argv) > 1 else "?"
            for i in range(3000):
                b.update(f"user{{i % 100}}", 1.0, {T0})
            print(len(b))
    """
    import subprocess, sys, textwrap
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with Leaderboard(0.95, 0, backend=redis_server.url, name=name,
                     clock=lambda: T0) as b:
        assert len(b) == 100
        top = b.top(100)
        # 2 processes x 3000 updates over 100 users: 60 points each, no update lost or doubled.
        assert {u.score for u in top} == {60.0}
        assert [u.user_id for u in top] == sorted(u.user_id for u in top)


def test_restart_mid_run_queues_and_drains(clock):
    server = rs.RedisServer(persist=True).start()
    try:
        with Leaderboard(0.95, 0, clock=clock, backend=server.url, name="restart") as b:
            b.update_many([(f"u{i % 10}", 1.0, T0) for i in range(1000)])
            assert len(b) == 10
            server.stop()
            started = time.monotonic()
            b.update_many([(f"u{i % 10}", 1.0, T0) for i in range(2000)])  # queued, no error
            with pytest.raises(BackendError, match="queued"):
                b.top(3)
            assert time.monotonic() - started < 10
            stats = b.backend_stats()
            assert not stats.connected and stats.queued == 2000 and stats.dropped == 0
            server.start()
            deadline = time.monotonic() + 30
            while b.backend_stats().queued and time.monotonic() < deadline:
                time.sleep(0.05)
            stats = b.backend_stats()
            assert stats.connected and stats.queued == 0 and stats.applied == 3000
            assert stats.retries > 0
            assert {u.score for u in b.top(10)} == {300.0}  # each update applied exactly once
    finally:
        server.close()


@pytest.mark.parametrize("url", [
    "localhost:6379", "http://127.0.0.1:6379", "redis://", "redis://127.0.0.1:6379/notadb",
    "redis://127.0.0.1:6379/?bogus=1", "redis+cluster://127.0.0.1:1,,127.0.0.1:2",
    "redis+cluster://127.0.0.1:1/3",
])
def test_bad_urls_raise_value_error_naming_backend(url):
    with pytest.raises(ValueError, match="backend"):
        Leaderboard(backend=url, name="x")


def test_bad_arguments():
    with pytest.raises(TypeError, match="backend"):
        Leaderboard(backend=6379)
    with pytest.raises(TypeError, match="name"):
        Leaderboard(backend="redis://127.0.0.1:1", name=3)
    with pytest.raises(ValueError, match="name"):
        Leaderboard(backend="redis://127.0.0.1:1", name="a{b}")
    with pytest.raises(ValueError, match="decay"):
        Leaderboard(1.5, backend="redis://127.0.0.1:1")


def test_password_never_echoed():
    with pytest.raises(ValueError) as info:
        Leaderboard(backend="redis://user:s3cret@127.0.0.1:port/0")
    assert "s3cret" not in str(info.value)


def test_unreachable_server_fails_fast():
    started = time.monotonic()
    with pytest.raises(BackendError, match="127.0.0.1"):
        Leaderboard(backend=f"redis://127.0.0.1:{rs.free_port()}/0")
    assert time.monotonic() - started < 6


def test_wrong_password_is_a_clear_error():
    server = rs.RedisServer(password="right-one").start()
    try:
        with pytest.raises(BackendError, match="credentials") as info:
            Leaderboard(backend=f"redis://:wrong@{rs.HOST}:{server.port}/0")
        assert "wrong@" not in str(info.value)
        with pytest.raises(BackendError, match="credentials"):
            Leaderboard(backend=f"redis://{rs.HOST}:{server.port}/0")
        with Leaderboard(backend=server.url, name="ok") as b:
            b.update("a", 1.0)
            assert len(b) == 1
    finally:
        server.close()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_tls_through_rediss(tmp_path):
    server = rs.RedisServer(tls=rs.make_certificate(tmp_path)).start()
    try:
        # Go reads its trusted roots from SSL_CERT_FILE: trust the test's CA
        # in a fresh process (roots are read once per process).
        out = run_python(f"""
            from engagehub_native import Leaderboard
            with Leaderboard(backend={server.url!r}, name="tls") as b:
                b.update("a", 2.0, {T0})
                print(len(b), b.top(1)[0].user_id)
        """, env={"SSL_CERT_FILE": str(tmp_path / "cert.pem")})
        assert out.stdout.split() == ["1", "a"]
        # Without that trust the certificate is refused, clearly and fast.
        started = time.monotonic()
        with pytest.raises(BackendError, match="certificate"):
            Leaderboard(backend=server.url, name="tls")
        assert time.monotonic() - started < 6
        # A plain client on the TLS port: an error, not a hang.
        with pytest.raises(BackendError):
            Leaderboard(backend=server.url.replace("rediss://", "redis://"), name="tls")
        assert time.monotonic() - started < 15
    finally:
        server.close()


@pytest.fixture(scope="module")
def cluster():
    if rs.CLI is None:
        pytest.skip("redis-cli is not installed (Debian package redis-tools)")
    c = rs.RedisCluster(3).start()
    yield c
    c.close()


def test_cluster_boards_spread_over_nodes(cluster, clock):
    boards = [Leaderboard(0.95, 0, clock=clock, backend=cluster.url, name=f"board{i}")
              for i in range(12)]
    try:
        for i, b in enumerate(boards):
            b.update_many([(f"u{j}", float(i + j + 1), T0) for j in range(50)])
        for i, b in enumerate(boards):
            assert len(b) == 50
            assert b.top(1)[0] == ("u49", float(i + 50), 1, T0)
            assert b.rank("u0").rank == 50
        holders = set()
        for i in range(12):
            nodes = cluster.nodes_holding(f"{{engagehub:board:board{i}}}:*")
            assert len(nodes) == 1, nodes  # one board, one slot, one node
            holders.update(nodes)
        assert len(holders) > 1  # many boards spread over the cluster
        # A processor's shared analytics on the cluster: one slot too.
        with engagehub_native.EventStreamProcessor(backend=cluster.url, name="site",
                                                   on_flush=lambda batch: None) as p:
            for i in range(300):
                assert p.push("message", f"u{i}", f"c{i % 3}", 0)
            p.flush()
            assert p.unique_users() == pytest.approx(300, rel=0.03)
            assert p.top_channels(3) == [("c0", 100), ("c1", 100), ("c2", 100)]
        assert len(cluster.nodes_holding("{engagehub:proc:site}:*")) == 1
    finally:
        for b in boards:
            b.close()
