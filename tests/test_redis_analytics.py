"""Live analytics shared in Redis (EventStreamProcessor(backend=..., name=...)),
against a real redis-server: processes share distinct users and trending
channels, a restart mid-run loses no count, errors are clear."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import uuid

import pytest

from engagehub_native import BackendError, EventStreamProcessor

import redis_server as rs

pytestmark = pytest.mark.skipif(rs.SERVER is None, reason=rs.MISSING)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_two_processes_share_analytics(redis_server):
    name = unique("proc")
    code = textwrap.dedent(f"""
        import sys, time
        from engagehub_native import EventStreamProcessor
        part = int(sys.argv[1])
        with EventStreamProcessor(backend={redis_server.url!r}, name={name!r},
                                  on_flush=lambda batch: None) as p:
            for i in range(5000):
                while not p.push("message", f"user{{part * 1000 + i % 2000}}", f"c{{i % 4}}", 0):
                    time.sleep(0.001)  # the buffer is full: offer it again
            p.flush()
            print(p.unique_users(), p.top_channels(4))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code, str(part)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for part in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with EventStreamProcessor(backend=redis_server.url, name=name) as p:
        # users 0..1999 and 1000..2999: 3000 distinct (HLL, 0.8 % standard error)
        assert p.unique_users() == pytest.approx(3000, rel=0.03)
        assert p.unique_users(60) == pytest.approx(3000, rel=0.03)
        assert p.top_channels(4) == [("c0", 2500), ("c1", 2500), ("c2", 2500), ("c3", 2500)]
        assert p.top_channels(1) == [("c0", 2500)]
        stats = p.backend_stats()
        assert stats.remote and stats.connected and stats.queued == 0


def test_local_analytics_stay_the_default():
    with EventStreamProcessor() as p:
        p.push("message", "a", "c", 0)
        p.flush()
        assert p.unique_users() == 1
        assert not p.backend_stats().remote


def test_restart_mid_run_loses_no_count():
    server = rs.RedisServer(persist=True).start()
    try:
        with EventStreamProcessor(backend=server.url, name="restart", buffer_size=4096,
                                  on_flush=lambda batch: None) as p:
            for i in range(1000):
                assert p.push("message", f"u{i}", "general", 0)
            p.flush()
            assert p.top_channels(1) == [("general", 1000)]
            server.stop()
            for i in range(500):
                assert p.push("message", f"v{i}", "general", 0)
            p.flush()  # delivery goes on while Redis is down
            with pytest.raises(BackendError, match="waiting"):
                p.top_channels(1)
            assert not p.backend_stats().connected
            server.start()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    top = p.top_channels(1)
                    break
                except BackendError:
                    time.sleep(0.05)
            assert top == [("general", 1500)]  # each event counted once
            assert p.unique_users() == pytest.approx(1500, rel=0.03)
            assert p.backend_stats().retries > 0
    finally:
        server.close()


def test_errors_are_clear():
    with pytest.raises(ValueError, match="backend"):
        EventStreamProcessor(backend="http://127.0.0.1:1")
    with pytest.raises(ValueError, match="name"):
        EventStreamProcessor(backend="redis://127.0.0.1:1", name="")
    with pytest.raises(TypeError, match="name"):
        EventStreamProcessor(backend="redis://127.0.0.1:1", name=None)
    started = time.monotonic()
    with pytest.raises(BackendError):
        EventStreamProcessor(backend=f"redis://127.0.0.1:{rs.free_port()}/0")
    assert time.monotonic() - started < 6


def test_sketch_only_features_are_clear_errors_when_shared(redis_server):
    """Error bounds, trending windows and export/merge read the processor's
    own sketches: with the analytics shared in Redis each is a ValueError
    naming it, and the shared answers still work."""
    with EventStreamProcessor(backend=redis_server.url, name=f"f-{uuid.uuid4().hex[:8]}") as p:
        p.push("message", "u1", "c1")
        p.flush()
        for call, feature in [(lambda: p.unique_users(3600, with_bounds=True), "error bounds"),
                              (lambda: p.top_channels(10, window=600), "trending windows"),
                              (p.export_analytics, "exporting analytics"),
                              (lambda: p.merge_analytics(b"x"), "merging analytics")]:
            with pytest.raises(ValueError, match=f"{feature}: not available when the analytics "
                                                 "are shared in Redis"):
                call()
        assert p.unique_users() == 1
        assert p.top_channels(10) == [("c1", 1)]
