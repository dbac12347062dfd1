"""The Django app engagehub_native.django, on SQLite and on PostgreSQL.

tests/django_app_site is a site with the app installed and views that call
``record()`` (one event: the processor and the points). Django is configured
in subprocesses only (manage.py, short scripts, gunicorn), so the test
process never loads settings. PostgreSQL tests need a server:
ENGAGEHUB_TEST_PG_DSN (postgresql://user@host:port/db, a role allowed to
create databases; .ci/run starts one); each test gets its own database.
"""

from __future__ import annotations

import json
import os
import sqlite3
import textwrap
import uuid
from pathlib import Path

import pytest

pytest.importorskip("django")
pytest.importorskip("gunicorn")

from conftest import run_python  # noqa: E402
from gunicorn_server import Gunicorn, drive, get, manage, migrate, site_env  # noqa: E402
from pg_server import fresh_database  # noqa: E402

SITE = Path(__file__).resolve().parent / "django_app_site"
PG_DSN = os.environ.get("ENGAGEHUB_TEST_PG_DSN")
NO_PG = "ENGAGEHUB_TEST_PG_DSN is not set (a postgresql:// URL of a role that may create " \
        "databases; .ci/run starts a server and sets it)"


def app_env(db: str, config: dict | None = None, **extra: str) -> dict:
    env = site_env(db, settings="appsite.settings", **extra)
    env["ENGAGEHUB_NATIVE_JSON"] = json.dumps(config or {})
    return env


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """A fresh, empty database: a SQLite file (WAL), or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "app.sqlite3")
        return
    if not PG_DSN:
        pytest.skip(NO_PG)
    import psycopg

    name = f"eh_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_DSN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrated(db: str, env: dict) -> None:
    migrate(env, site=SITE)
    if not db.startswith("postgresql://"):
        # Two gunicorn workers write at once: WAL lets readers and the other
        # writer's wait for the lock go on without "database is locked".
        con = sqlite3.connect(db)
        con.execute("PRAGMA journal_mode=WAL")
        con.close()


def stored(db: str) -> list[tuple]:
    """(type, user_id, channel_id) of every row of the app's Event table."""
    query = "SELECT type, user_id, channel_id FROM engagehub_native_event"
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db) as con:
            return con.execute(query).fetchall()
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def site_script(code: str, env: dict, check: bool = True):
    """Run code in a fresh interpreter with the test site's Django set up."""
    return run_python("import django; django.setup()\n" + textwrap.dedent(code),
                      env={**env, "PYTHONPATH": str(SITE)}, check=check, timeout=60)


# -- settings and checks ------------------------------------------------------

def test_checks_name_every_bad_key(tmp_path):
    db = str(tmp_path / "app.sqlite3")
    ok = manage(app_env(db), "check", site=SITE)
    assert ok.returncode == 0 and "no issues" in ok.stdout, ok.stdout + ok.stderr

    bad = {"bogus": 1, "batch_size": 0, "num_threads": True, "flush_interval": "fast",
           "decay_factor": 1.5, "max_users": -1, "points": {"message": "one"}}
    proc = manage(app_env(db, bad), "check", site=SITE)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    for key, check_id in [("bogus", "E002"), ("batch_size", "E004"), ("num_threads", "E003"),
                          ("flush_interval", "E003"), ("decay_factor", "E004"),
                          ("max_users", "E004"), ("points", "E004")]:
        assert f"(engagehub_native.{check_id}) ENGAGEHUB_NATIVE['{key}']" in out, (key, out)

    proc = manage(app_env(db, {"sink": "appsite.nowhere.sink"}), "check", site=SITE)
    assert proc.returncode != 0 and "engagehub_native.E005" in proc.stderr, proc.stderr
    proc = manage(app_env(db, {"mapping": "appsite.sinks.no_such_mapping"}), "check", site=SITE)
    assert "engagehub_native.E005" in proc.stderr and "'mapping'" in proc.stderr, proc.stderr


def test_board_settings_tie_break_and_windows_are_checked_and_used(tmp_path):
    db = str(tmp_path / "app.sqlite3")
    bad = {"tie_break": "random", "windows": {"week": 90}, "window_origin": -1}
    proc = manage(app_env(db, bad), "check", site=SITE)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    for key in ("tie_break", "windows", "window_origin"):
        assert f"(engagehub_native.E004) ENGAGEHUB_NATIVE['{key}']" in out, (key, out)
    for windows, check_id in [(["week"], "E003"), ({"week": 604800.0}, "E003"),
                              ({"": 3600}, "E004"), ({"w%d" % i: 60 for i in range(17)}, "E004")]:
        proc = manage(app_env(db, {"windows": windows}), "check", site=SITE)
        assert f"(engagehub_native.{check_id}) ENGAGEHUB_NATIVE['windows']" in proc.stderr, \
            (windows, proc.stderr)
    # A board in Redis is a sorted set: neither setting can hold there.
    proc = manage(app_env(db, {"leaderboard_backend": "redis://127.0.0.1:1/0",
                               "tie_break": "earliest", "windows": {"week": 604800}}),
                  "check", site=SITE)
    for key in ("tie_break", "windows"):
        assert f"ENGAGEHUB_NATIVE['{key}'] must stay" in proc.stderr, (key, proc.stderr)

    good = {"tie_break": "earliest", "windows": {"week": 7 * 86400, "day": 86400},
            "window_origin": 4 * 86400}
    proc = site_script("""
        from engagehub_native.django import get_leaderboard
        board = get_leaderboard()
        board.update("bob", 5.0)
        board.update("alice", 5.0)      # tied with bob, and later: earliest ranks bob first
        print(board.tie_break, sorted(board.windows.items()), board.window_origin)
        print([u.user_id for u in board.top(2)], [u.user_id for u in board.top(2, window="day")])
    """, app_env(db, good))
    lines = proc.stdout.splitlines()
    assert lines[0] == "earliest [('day', 86400), ('week', 604800)] 345600", proc.stdout
    assert lines[1] == "['bob', 'alice'] ['bob', 'alice']", proc.stdout


def test_native_sink_settings_are_checked_and_an_unreachable_server_is_clear(tmp_path):
    db = str(tmp_path / "app.sqlite3")
    proc = manage(app_env(db, {"sink": "native"}), "check", site=SITE)
    assert proc.returncode != 0 and "engagehub_native.E004" in proc.stderr, proc.stderr
    assert "needs a PostgreSQL database" in proc.stderr, proc.stderr
    bad = {"sink": "postgresql://nobody@127.0.0.1:1/x", "sink_workers": 0, "sink_table": 3,
           "callback": "appsite.nowhere.callback"}
    proc = manage(app_env(db, bad), "check", site=SITE)
    for key, check_id in [("sink_workers", "E004"), ("sink_table", "E003")]:
        assert f"(engagehub_native.{check_id}) ENGAGEHUB_NATIVE['{key}']" in proc.stderr, proc.stderr
    proc = manage(app_env(db, {"sink": "postgresql://nobody@127.0.0.1:1/x",
                               "callback": "appsite.nowhere.callback"}), "check", site=SITE)
    assert "engagehub_native.E005" in proc.stderr and "'callback'" in proc.stderr, proc.stderr

    env = app_env(db, {"sink": "postgresql://nobody@127.0.0.1:1/x"})
    proc = site_script("""
        import time
        from engagehub_native import SinkUnreachableError
        from engagehub_native.django import get_processor
        started = time.monotonic()
        try:
            get_processor()
        except SinkUnreachableError as exc:
            print("UNREACHABLE", round(time.monotonic() - started, 1), exc)
    """, env)
    assert "UNREACHABLE" in proc.stdout and "127.0.0.1:1" in proc.stdout, proc.stdout
    assert float(proc.stdout.split()[1]) < 10, proc.stdout


def test_check_warns_about_objects_created_in_ready(tmp_path):
    db = str(tmp_path / "app.sqlite3")
    proc = manage(app_env(db, ENGAGEHUB_EAGER="1"), "check", site=SITE)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert out.count("engagehub_native.W002") == 2, out  # the processor and the leaderboard


def test_a_forked_child_gets_a_clear_error_and_a_check_warning(tmp_path):
    db = str(tmp_path / "app.sqlite3")
    env = app_env(db)
    migrate(env, site=SITE)
    site_script("""
        import os
        from django.core import checks
        from engagehub_native import ForkedProcessError
        from engagehub_native.django import get_processor, get_leaderboard, created_before_fork

        assert get_processor() is get_processor() and get_leaderboard() is get_leaderboard()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                get_processor()
                code = 10
            except ForkedProcessError as exc:
                if "get_processor() was first called in process" not in str(exc):
                    code = 11
            ids = [m.id for m in checks.run_checks()]
            if ids.count("engagehub_native.W001") != 2 or len(created_before_fork()) != 2:
                code = 12
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        assert get_processor().push("message", "parent", "c")   # the parent's still works
        get_processor().flush(10)
    """, env)
    assert stored(db) == [("message", "parent", "c")]


# -- the default sink, on each database ------------------------------------------

def test_default_sink_writes_batches_and_surfaces_database_errors(database):
    env = app_env(database, {"batch_size": 7, "max_attempts": 2})
    migrated(database, env)
    proc = site_script("""
        import datetime, logging
        from django.db import connection
        from engagehub_native.django import get_processor, sinks
        from engagehub_native.django.models import Event

        logging.basicConfig(level=logging.ERROR)
        processor = get_processor()
        for i in range(50):
            assert processor.push(("message", "reaction", "voice_join")[i % 3], f"u{i}", "c1",
                                  1_700_000_000 + i)
        processor.flush(30)
        assert Event.objects.count() == 50, Event.objects.count()
        first = Event.objects.get(user_id="u0")
        assert first.timestamp == datetime.datetime(2023, 11, 14, 22, 13, 20,
                                                    tzinfo=datetime.timezone.utc), first.timestamp

        with connection.schema_editor() as editor:      # the table disappears:
            editor.delete_model(Event)
        for i in range(5):
            processor.push("message", f"lost{i}", "c1")
        processor.flush(30)
        s = processor.stats()
        assert s.failed == 5 and s.retried >= 1, s
        print("FAILED-BATCH-LOGGED")
    """, env)
    assert "FAILED-BATCH-LOGGED" in proc.stdout
    assert "could not be written after every attempt" in proc.stderr, proc.stderr


def test_a_dotted_path_sink(tmp_path):
    db, out = str(tmp_path / "app.sqlite3"), tmp_path / "events.jsonl"
    env = app_env(db, {"sink": "appsite.sinks.to_file"}, ENGAGEHUB_SINK_FILE=str(out))
    site_script("""
        from engagehub_native.django import get_processor
        for i in range(10):
            get_processor().push("message", f"u{i}", "c")
    """, env)  # no flush: delivered at exit
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(e["user_id"] for e in lines) == [f"u{i}" for i in range(10)]


def test_a_closed_processor_or_board_is_replaced(tmp_path):
    db, out = str(tmp_path / "app.sqlite3"), tmp_path / "events.jsonl"
    env = app_env(db, {"sink": "appsite.sinks.to_file"}, ENGAGEHUB_SINK_FILE=str(out))
    site_script("""
        from engagehub_native.django import get_leaderboard, get_processor
        first = get_processor()
        first.push("message", "before", "c")
        first.close()
        second = get_processor()
        assert second is not first and not second.closed
        second.push("message", "after", "c")
        board = get_leaderboard()
        board.close()
        assert get_leaderboard() is not board and len(get_leaderboard()) == 0
    """, env)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(e["user_id"] for e in lines) == ["after", "before"]


# -- the leaderboard, snapshots and the commands -----------------------------------

def test_snapshot_restore_rebuild_and_stats(tmp_path):
    db, snap = str(tmp_path / "app.sqlite3"), tmp_path / "board.json"
    env = app_env(db, {"snapshot_path": str(snap), "points": {"message": 1, "reaction": 0.5,
                                                               "voice_join": 3}})
    migrate(env, site=SITE)
    site_script("""
        from engagehub_native.django import record
        for user, kind in [("ann", "message"), ("ann", "voice_join"), ("bob", "reaction"),
                           ("bob", "message"), ("cat", "typing")]:
            assert record(kind, user, "general")
    """, env)
    board = json.loads(snap.read_text())  # written at exit
    scores = {e["user_id"]: e["score"] for e in board["entries"]}
    assert scores.keys() == {"ann", "bob"}, scores
    assert scores["ann"] == pytest.approx(4, rel=1e-3) and scores["bob"] == pytest.approx(1.5, rel=1e-3)

    proc = manage(env, "engagehub_stats", site=SITE)
    assert proc.returncode == 0, proc.stderr
    assert "leaderboard: 2 users" in proc.stdout and "stored events (engagehub_native.Event): 5" \
        in proc.stdout, proc.stdout

    copy = tmp_path / "copy.json"
    proc = manage(env, "leaderboard_snapshot", str(copy), site=SITE)
    assert proc.returncode == 0 and json.loads(copy.read_text())["entries"], proc.stderr

    snap.unlink()
    proc = manage(env, "leaderboard_rebuild", site=SITE)
    assert proc.returncode == 0, proc.stderr
    assert "from 4 events" in proc.stdout and "2 users" in proc.stdout, proc.stdout
    rebuilt = {e["user_id"]: e["score"] for e in json.loads(snap.read_text())["entries"]}
    assert rebuilt == pytest.approx(scores, rel=1e-3)

    snap.unlink()
    proc = manage(env, "leaderboard_restore", str(copy), site=SITE)
    assert proc.returncode == 0 and snap.exists(), proc.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    proc = manage(env, "leaderboard_restore", str(bad), site=SITE)
    assert proc.returncode != 0 and "cannot restore" in proc.stderr, proc.stderr
    assert json.loads(snap.read_text()) == json.loads(copy.read_text())  # left as it was


# -- under real gunicorn -------------------------------------------------------

REQUESTS = 240


@pytest.mark.slow
@pytest.mark.parametrize("workers, worker_args", [
    pytest.param(2, (), id="sync-x2"),
    pytest.param(1, ("--worker-class", "gthread", "--threads", "4"), id="gthread"),
    pytest.param(2, ("--preload",), id="preload-x2"),
])
def test_every_request_is_a_row_after_sigterm(tmp_path, database, workers, worker_args):
    requests_become_rows(tmp_path, database, workers, worker_args, {})


@pytest.fixture
def pg_database():
    """A fresh PostgreSQL database (no SQLite twin: the native sink is PostgreSQL's)."""
    if not PG_DSN:
        pytest.skip(NO_PG)
    with fresh_database(PG_DSN) as url:
        yield url


@pytest.mark.slow
@pytest.mark.parametrize("workers, worker_args", [
    pytest.param(2, (), id="sync-x2"),
    pytest.param(1, ("--worker-class", "gthread", "--threads", "4"), id="gthread"),
    pytest.param(2, ("--preload",), id="preload-x2"),
])
def test_native_sink_every_request_is_a_row_after_sigterm(tmp_path, pg_database, workers,
                                                          worker_args):
    """The same with "sink": "native": each worker's engine COPYs its batches
    into the database Django uses, with the credentials of DATABASES."""
    requests_become_rows(tmp_path, pg_database, workers, worker_args, {"sink": "native"})


def requests_become_rows(tmp_path, database: str, workers: int, worker_args: tuple,
                         config: dict) -> None:
    snap = tmp_path / "board.json"
    # A flush interval longer than the test: what is stored at SIGTERM's
    # arrival is at most the full batches; the rest is delivered at exit.
    env = app_env(database, {"batch_size": 50, "flush_interval": 60.0,
                             "snapshot_path": str(snap), **config})
    migrated(database, env)
    server = Gunicorn(tmp_path, env, *worker_args, site=SITE, app="appsite.wsgi:application",
                      workers=workers)
    try:
        server.wait_ready()
        results = drive(server.base, REQUESTS, 4)
        statuses = {r[0] for r in results.values()}
        assert statuses == {200}, (statuses, server.log())
        pids = {r[1]["pid"] for r in results.values()}
        status, body = get(server.base + "/leaderboard")
        assert status == 200 and json.loads(body), body
        before = len(stored(database))
        assert before < REQUESTS, "nothing was pending at SIGTERM: the test proves nothing"
        code = server.terminate()
        log = server.log()
        rows = stored(database)
        kind = "postgresql" if database.startswith("postgresql://") else "sqlite"
        kind += " native sink" if config.get("sink") == "native" else ""
        print(f"\n[{kind} {' '.join(worker_args) or 'sync'} x{workers}] requests={len(results)} "
              f"workers={len(pids)} rows_before_sigterm={before} rows={len(rows)} exit={code}")
        assert code == 0, log
        assert sorted(r[1] for r in rows) == sorted(results), log
        assert len(rows) == REQUESTS
        assert {r[0] for r in rows} == {"message"}
        board = json.loads(snap.read_text())  # written by a worker at exit
        assert {e["user_id"] for e in board["entries"]} <= set(results)
        assert "Traceback" not in log and "ForkedProcessError" not in log, log
    finally:
        server.kill()
