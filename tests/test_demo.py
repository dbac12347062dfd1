"""``python -m engagehub_native demo``: the main job, small, end to end."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest


def demo(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engagehub_native", "demo", *args],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_every_accepted_event_is_a_row(tmp_path):
    db, snap = tmp_path / "demo.sqlite3", tmp_path / "board.json"
    proc = demo(tmp_path, "--events", "30000", "--users", "800", "--channels", "40",
                "--db", str(db), "--snapshot", str(snap))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "30,000 rows for 30,000 events accepted (equal)" in out, out
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 30_000
        types = dict(con.execute("SELECT type, COUNT(*) FROM events GROUP BY type").fetchall())
        users = con.execute("SELECT COUNT(DISTINCT user_id) FROM events").fetchone()[0]
    finally:
        con.close()
    assert set(types) == {"message", "reaction", "voice_join"} and types["message"] > types["reaction"]
    assert f"{users:,} exact" in out, out
    assert len(json.loads(snap.read_text())["entries"]) == users
    # Not a terminal: plain progress lines on stderr, no carriage returns.
    assert "100.0%  30,000 events pushed" in proc.stderr and "\r" not in proc.stderr

    # A second run replaces the table: the count is this run's.
    proc = demo(tmp_path, "--events", "1000", "--db", str(db), "--snapshot", str(snap))
    assert proc.returncode == 0 and "1,000 rows for 1,000 events accepted" in proc.stdout


@pytest.mark.parametrize("args, message", [
    (("--events", "0"), "--events must be at least 1, not 0"),
    (("--events", "-3"), "--events must be at least 1, not -3"),
    (("--users", "0"), "--users must be at least 1"),
    (("--db", "{tmp}/no/such/folder/x.sqlite3"), "cannot use --db"),
    (("--db", "{tmp}"), "cannot use --db"),
    (("--snapshot", "{tmp}/no/such/folder/x.json"), "cannot write --snapshot"),
])
def test_bad_arguments_give_one_line_and_exit_2(tmp_path, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = demo(tmp_path, "--events", "10", *args) if "--events" not in args else demo(tmp_path, *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith(
        "python -m engagehub_native demo: error:"), proc.stderr
    assert proc.stdout == ""


def test_the_native_sink_fills_postgresql(tmp_path):
    from pg_server import NO_PG, PG_DSN, count_rows, fresh_database

    if not PG_DSN:
        pytest.skip(NO_PG)
    with fresh_database(PG_DSN) as url:
        proc = demo(tmp_path, "--events", "20000", "--users", "500", "--sink", url,
                    "--snapshot", str(tmp_path / "board.json"))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "written to PostgreSQL" in proc.stdout, proc.stdout
        assert "20,000 rows for 20,000 events accepted (equal)" in proc.stdout, proc.stdout
        assert count_rows(url, "engagehub_demo_events") == 20_000
    proc = demo(tmp_path, "--events", "10", "--sink", "postgresql://nobody@127.0.0.1:1/none")
    assert proc.returncode == 2 and proc.stdout == "", proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "cannot use --sink" in lines[0], proc.stderr
