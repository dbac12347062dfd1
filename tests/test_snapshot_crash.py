"""Snapshots survive a kill -9 mid-save and refuse unwritable places."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import engagehub_native

SAVER = textwrap.dedent("""
    import sys, engagehub_native
    path = sys.argv[1]
    board = engagehub_native.Leaderboard(1.0, 0, clock=lambda: 1_700_000_000)
    board.update_many((f"user-{i:06d}", float(i + 1)) for i in range(200_000))
    print("ready", flush=True)
    generation = 0
    while True:
        generation += 1
        board.update("generation", float(generation))
        board.save(path)
""")


def test_kill_9_during_save_leaves_a_whole_snapshot(tmp_path):
    path = tmp_path / "board.json"
    for attempt in range(5):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)],
                                stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            deadline = time.time() + 30
            while not path.exists() and time.time() < deadline:
                time.sleep(0.01)
            time.sleep(0.05 + attempt * 0.07)  # land in different phases of a save
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            proc.stdout.close()
        data = json.loads(path.read_text())          # whole, valid JSON
        assert len(data["entries"]) == 200_001
        board = engagehub_native.Leaderboard()
        board.load(path)
        assert len(board) == 200_001
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "board.json"]
    # A killed save may leave its temporary file behind, never a broken target.
    assert all(name.startswith(".board.json") or "tmp" in name for name in leftovers), leftovers


@pytest.mark.skipif(not hasattr(os, "setuid") or os.geteuid() != 0, reason="needs root to drop privileges")
def test_save_without_permission_is_a_clear_error_as_an_unprivileged_user(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o755)
    os.chmod(tmp_path, 0o755)
    code = textwrap.dedent(f"""
        import os, sys, engagehub_native
        os.setgid(65534); os.setuid(65534)
        board = engagehub_native.Leaderboard()
        board.update("a", 1)
        try:
            board.save({str(locked / "board.json")!r})
        except PermissionError as exc:
            assert isinstance(exc, RuntimeError) and exc.errno == 13, exc
            print("denied:", exc)
            sys.exit(0)
        sys.exit("saved without permission")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "denied" in proc.stdout and "permission" in proc.stdout.lower()
    assert list(locked.iterdir()) == []


def test_save_without_permission_when_not_root(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root ignores file modes; covered by the privilege-dropping test")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    board = engagehub_native.Leaderboard()
    board.update("a", 1)
    with pytest.raises(PermissionError):
        board.save(locked / "board.json")
