"""The original's Django usage, for real: a Django site under real gunicorn.

tests/django_site creates ``cpp_event_processor.EventStreamProcessor`` and
``cpp_leaderboard.Leaderboard`` at module level (events/processing.py), with a
flush callback that ``bulk_create``s the batch inside ``transaction.atomic()``
into SQLite, exactly as the original's integration guide did. Each test runs
``manage.py migrate`` on a fresh database file, starts gunicorn on 127.0.0.1,
drives requests over HTTP, then sends SIGTERM to the master WITHOUT any
explicit flush and checks that every accepted event (HTTP 200) is a row: the
events still pending when the workers shut down are delivered by the
package's atexit hook.

Everything is bounded by timeouts, and leftover processes are killed.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
import time
from pathlib import Path

import pytest

pytest.importorskip("django")
pytest.importorskip("gunicorn")

from gunicorn_server import Gunicorn, drive, get, migrate, site_env  # noqa: E402

pytestmark = pytest.mark.slow

REQUESTS = 600
CLIENT_THREADS = 4


def rows(db: Path) -> list[tuple]:
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute("SELECT type, user_id, channel_id, timestamp, worker_pid "
                           "FROM events_event").fetchall()
    finally:
        con.close()


def parse_stamp(text: str) -> datetime.datetime:
    stamp = datetime.datetime.fromisoformat(text)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("label, worker_args", [
    pytest.param("sync", (), id="sync"),
    pytest.param("gthread", ("--worker-class", "gthread", "--threads", "4"), id="gthread"),
])
def test_every_accepted_event_is_a_row_after_sigterm(tmp_path, label, worker_args):
    db = tmp_path / "site.sqlite3"
    # A flush interval longer than the test and a batch size that does not
    # divide the load (600 is no multiple of 64, so at least one worker holds
    # a partial batch): events are certainly pending when SIGTERM arrives.
    env = site_env(db, ENGAGEHUB_BATCH_SIZE="64", ENGAGEHUB_FLUSH_INTERVAL_MS="60000")
    migrate(env)
    started = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    server = Gunicorn(tmp_path, env, *worker_args)
    try:
        server.wait_ready()

        # The leaderboard view: each worker has its own board; the user just
        # given the most points so far is first on the board that took it.
        for i in range(10):
            status, body = get(f"{server.base}/leaderboard?user=lb{i}&points={1000 + i}")
            assert status == 200, f"{status} {body[:300]!r}\n--- gunicorn log\n{server.log()}"
            top = json.loads(body)
            assert 1 <= len(top) <= 10 and top[0]["user_id"] == f"lb{i}", top
            assert set(top[0]) == {"user_id", "score", "rank", "last_update"}, top[0]
            assert top[0]["rank"] == 1 and abs(top[0]["score"] - (1000 + i)) < 0.01, top[0]
            assert top[0]["last_update"] >= started.timestamp(), top[0]

        results = drive(server.base, REQUESTS, CLIENT_THREADS)
        accepted = {u for u, (status, _) in results.items() if status == 200}
        refused = {u for u, (status, _) in results.items() if status == 503}
        other = {u: r for u, r in results.items() if r[0] not in (200, 503)}
        pids = {r[1]["pid"] for r in results.values() if r[0] == 200}
        rows_before = len(rows(db))
        assert not other, f"unexpected responses: {list(other.items())[:5]}\n--- gunicorn log\n{server.log()}"
        assert len(results) == REQUESTS

        code = server.terminate()  # no flush: pending events must be delivered at exit
        log = server.log()
        stored = rows(db)
        print(f"\n[{label}] requests={len(results)} "
              f"accepted={len(accepted)} refused={len(refused)} workers={len(pids)} "
              f"rows_before_sigterm={rows_before} rows_after={len(stored)} exit={code}")
        assert code == 0, f"gunicorn exited {code}\n--- gunicorn log\n{log}"
        assert rows_before < len(accepted), "nothing was pending at SIGTERM: the test proves nothing"
        by_user = {}
        for row in stored:
            by_user.setdefault(row[1], []).append(row)
        dupes = {u: r for u, r in by_user.items() if len(r) > 1}
        assert not dupes, f"events stored twice: {list(dupes.items())[:5]}"
        missing = sorted(accepted - set(by_user))
        extra = sorted(set(by_user) - accepted)
        assert not missing and not extra and len(stored) == len(accepted), (
            f"accepted {len(accepted)}, rows {len(stored)}; missing {missing[:10]} "
            f"(of {len(missing)}), unexpected {extra[:10]}\n--- gunicorn log\n{log}")

        finished = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)
        for type_, user, channel, stamp, pid in stored:
            assert type_ == "message" and channel == f"c{int(user[1:]) % 7}", (type_, user, channel)
            assert started <= parse_stamp(stamp) <= finished, (user, stamp, started, finished)
            assert pid in pids, (user, pid, pids)
        assert "Traceback" not in log, log
    finally:
        server.kill()


def test_preload_gives_workers_a_clear_fork_error(tmp_path):
    """With --preload the processor is created in the master before fork:
    the workers must fail fast with ForkedProcessError (HTTP 500), not hang."""
    db = tmp_path / "site.sqlite3"
    env = site_env(db)
    migrate(env)
    server = Gunicorn(tmp_path, env, "--preload")
    try:
        server.wait_ready()
        statuses = []
        started = time.monotonic()
        for i in range(6):
            status, body = get(f"{server.base}/event?user=p{i}", timeout=10)
            statuses.append(status)
        elapsed = time.monotonic() - started
        log = server.log()
        assert statuses == [500] * 6, f"{statuses}\n--- gunicorn log\n{log}"
        assert elapsed < 10, f"requests took {elapsed:.1f} s\n--- gunicorn log\n{log}"
        assert "ForkedProcessError" in log and "--preload" in log, log
        status, _ = get(f"{server.base}/leaderboard?user=x&points=1", timeout=10)
        assert status == 500, server.log()
        code = server.terminate()
        log = server.log()
        print(f"\n[preload] statuses={statuses} in {elapsed:.2f} s, gunicorn exit={code}")
        assert code == 0, f"gunicorn exited {code}\n--- gunicorn log\n{log}"
        assert rows(db) == []
    finally:
        server.kill()
