"""Defects an adversarial run found, each reproduced through the Python API."""

from __future__ import annotations

import os
import stat
import time

import pytest

import engagehub_native
from engagehub_native import EventStreamProcessor, Leaderboard

from conftest import run_python


@pytest.mark.parametrize("decay", [0.5, 0.95])
def test_a_timestamp_in_milliseconds_is_refused_and_corrupts_nothing(decay):
    now = int(time.time())
    with Leaderboard(decay, 0) as board:
        for i in range(100):
            board.update(f"user{i}", float(i + 1), now)
        board.clock = lambda: now  # scores at a fixed time compare exactly
        before = board.top(100)
        with pytest.raises(ValueError, match="too far in the future"):
            board.update("mallory", 1.0, now * 1000)
        with pytest.raises(ValueError, match="too far in the future"):
            board.update_many([("mallory", 1.0, now + 40 * 365 * 86400)])
        assert "mallory" not in board
        board.remove("mallory")
        assert board.top(100) == before
        board.update("user0", 1.0, now + 86400)  # tomorrow is fine
        assert board.score("user0") > 1.0


def test_a_snapshot_with_a_far_future_entry_is_refused_whole(tmp_path):
    path = tmp_path / "bad.json"
    future = int(time.time()) * 1000
    path.write_text('{"decay_factor": 0.5, "max_users": 0, "entries": ['
                    '{"user_id": "a", "score": 1.0, "last_update": 1700000000}, '
                    f'{{"user_id": "mallory", "score": 1.0, "last_update": {future}}}]}}')
    with Leaderboard(0.9, 0) as board:
        board.update("kept", 2.0)
        with pytest.raises(engagehub_native.SnapshotError):
            board.load(path)
        assert [u.user_id for u in board.top(5)] == ["kept"] and board.decay_factor == 0.9


def test_save_and_load_keep_exact_ties_in_order(tmp_path):
    now = 1_700_000_000
    with Leaderboard(0.95, 0, clock=lambda: now + 86400) as board:
        for i in range(200):  # pairs with identical histories
            for uid in (f"a{i:03}", f"b{i:03}"):
                board.update(uid, 1.0 + i / 7, now - i * 3607)
                board.update(uid, 0.3, now - i * 17)
        saved = board.top(400)
        board.save(tmp_path / "board.json")
        board.load(tmp_path / "board.json")
        assert board.top(400) == saved, "same order, bit-identical scores"


@pytest.mark.parametrize("size", [2**23, 2**29, 2**30])
def test_a_buffer_too_large_is_a_clear_error(size):
    with pytest.raises(ValueError, match="BufferSize"):
        EventStreamProcessor(buffer_size=size)


def test_loading_an_endless_file_is_a_clear_error():
    with Leaderboard(0.9, 0) as board:
        board.update("kept", 1.0)
        with pytest.raises(engagehub_native.SnapshotFileError):
            board.load("/dev/zero")
        assert len(board) == 1


def test_loading_a_fifo_does_not_block(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with Leaderboard(0.9, 0) as board:
        started = time.monotonic()
        with pytest.raises(engagehub_native.SnapshotFileError):
            board.load(fifo)
        assert time.monotonic() - started < 5


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
def test_saving_onto_a_device_node_is_refused_and_leaves_it(tmp_path):
    node = tmp_path / "null"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a copy of /dev/null
    with Leaderboard(0.9, 0) as board:
        board.update("u", 1.0)
        with pytest.raises(engagehub_native.SnapshotFileError, match="regular file"):
            board.save(node)
    assert stat.S_ISCHR(os.stat(node).st_mode), "still the device"


def test_saving_through_a_symlink_replaces_the_target_and_keeps_link_and_mode(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("{}")
    os.chmod(target, 0o600)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    with Leaderboard(0.9, 0) as board:
        board.update("u", 1.0)
        board.save(link)
    assert link.is_symlink() and "entries" in target.read_text()
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


def test_load_under_a_memory_limit_fails_cleanly():
    # /dev/zero used to end in Go's fatal out-of-memory (SIGABRT) under a limit.
    proc = run_python("""
        import resource, engagehub_native
        resource.setrlimit(resource.RLIMIT_AS, (1 << 31, 1 << 31))
        board = engagehub_native.Leaderboard(0.9, 0)
        try:
            board.load("/dev/zero")
        except engagehub_native.EngagehubError as exc:
            print(type(exc).__name__)
    """, timeout=60)
    assert proc.stdout.strip() == "SnapshotFileError"


def test_held_events_are_bounded_in_bytes_and_nothing_is_lost():
    """2,048 events of 1 MB each, no callback: without a byte bound they were
    all held (2.3 GB). Now the processor holds at most max_pending_bytes,
    refuses and counts the rest, and delivers everything it accepted once a
    callback is set."""
    mb = 2**20
    received = []
    with EventStreamProcessor(buffer_size=1024, max_pending=1024, batch_size=8,
                              max_pending_bytes=16 * mb) as p:
        accepted = 0
        for i in range(2048):
            big = str(i).rjust(mb, "x")  # a new 1 MB string each time
            accepted += p.push("m", big, "c", 1_700_000_000)
        s = p.stats()
        assert 1 <= accepted <= 16
        assert s.accepted == accepted and s.dropped == 2048 - accepted
        p.on_flush = received.extend
        p.flush(timeout=30)
        # Room again: large and small events go through in order.
        assert p.push("m", "x" * mb, "c", 1_700_000_000)
        assert p.push("m", "small", "c", 1_700_000_000)
        p.flush(timeout=30)
    assert len(received) == accepted + 2
    assert [len(e["user_id"]) for e in received[-2:]] == [mb, 5]
    assert [int(e["user_id"].lstrip("x")) for e in received[:accepted]] == list(range(accepted))


def test_an_event_larger_than_the_byte_bound_passes_alone():
    received = []
    with EventStreamProcessor(on_flush=received.extend, max_pending_bytes=1000) as p:
        assert p.push("m", "u" * 5000, "c", 1_700_000_000)
        p.flush(timeout=30)
        assert p.push_many([("m", "v" * 600, "c"), ("m", "w" * 600, "c")]) == 2
        p.flush(timeout=30)
    assert [e["user_id"][0] for e in received] == ["u", "v", "w"]


@pytest.mark.parametrize("bad", [0, -1, 1.5, "1", None])
def test_max_pending_bytes_is_checked(bad):
    with pytest.raises((TypeError, ValueError), match="max_pending_bytes"):
        EventStreamProcessor(max_pending_bytes=bad)


def test_large_reads_from_many_threads_keep_no_buffers():
    """Each read's result is a C buffer freed once Python has read it, so
    rounds of four fresh threads reading a 300k-user board whole level off
    (each querying thread once kept its largest buffer for good: 463 ->
    1,893 MB with top(10**6))."""
    proc = run_python("""
        import gc, threading
        from engagehub_native import Leaderboard

        def rss_mb():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * 4096 / 2**20

        n = 300_000
        with Leaderboard(0.95, 0, clock=lambda: 1_700_000_000) as board:
            board.update_many((f"user-{i:012d}", i + 1.0, 1_700_000_000) for i in range(n))

            def read():
                for _ in range(2):
                    assert len(board.top(n)) == n

            levels = []
            for _ in range(5):
                threads = [threading.Thread(target=read) for _ in range(4)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                gc.collect()
                levels.append(rss_mb())
            print(*levels)
    """, timeout=240)
    levels = [float(x) for x in proc.stdout.split()]
    # One top(300k) result is ~10 MB in C: four threads a round keeping
    # theirs would add 40 MB every round, 120 MB over the last three. The
    # first rounds set the level: once glibc's mmap threshold has grown, a
    # malloc arena keeps a freed buffer for reuse, and a fresh thread may
    # land on an arena no thread used before, one buffer more (a CI run saw
    # +27 MB in the last round, once). Less than one round of the leak.
    assert max(levels[2:]) - levels[1] < 40, levels
