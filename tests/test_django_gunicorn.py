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
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("django")
pytest.importorskip("gunicorn")

pytestmark = pytest.mark.slow

SITE = Path(__file__).resolve().parent / "django_site"
HOST = "127.0.0.1"
REQUESTS = 600
CLIENT_THREADS = 4


def _control_socket_off() -> tuple:
    """gunicorn >= 24 opens a control socket at one fixed path per user:
    parallel servers would share it, so turn it off where the option exists."""
    from gunicorn import config

    clis = {c for s in config.KNOWN_SETTINGS for c in (s.cli or ())}
    return ("--no-control-socket",) if "--no-control-socket" in clis else ()


CONTROL_SOCKET_OFF = _control_socket_off()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def site_env(db: Path, **extra: str) -> dict:
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE="engagehub_site.settings",
               ENGAGEHUB_DJANGO_DB=str(db), PYTHONUNBUFFERED="1", **extra)
    env.pop("PYTHONPATH", None)
    return env


def migrate(env: dict) -> None:
    proc = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=SITE,
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"migrate failed\n{proc.stdout}\n{proc.stderr}"


def get(url: str, timeout: float = 10.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


class Gunicorn:
    """A gunicorn master running the test site, its stderr in a file."""

    def __init__(self, tmp_path: Path, env: dict, *args: str) -> None:
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.log_path = tmp_path / f"gunicorn-{self.port}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--chdir", str(SITE),
             "--bind", f"{HOST}:{self.port}", "--workers", "2",
             "--graceful-timeout", "20", "--timeout", "30", "--log-level", "info",
             *CONTROL_SOCKET_OFF, *args, "engagehub_site.wsgi:application"],
            cwd=SITE, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,  # so a leftover group can be killed as a whole
        )

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if get(self.base + "/health", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"gunicorn not ready after {timeout} s "
                             f"(exit code {self.proc.poll()})\n--- gunicorn log\n{self.log()}")

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM the master (graceful shutdown) and wait for it to exit."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"gunicorn did not exit within {timeout} s of SIGTERM"
                                 f"\n--- gunicorn log\n{self.log()}") from None

    def kill(self) -> None:
        """Kill whatever is left of the master and its workers."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()


def drive(base: str, n: int, threads: int, time_limit: float = 30.0) -> dict:
    """GET /event n times from a few client threads; the outcome of each user id."""
    results: dict[str, object] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + time_limit

    def client(worker: int) -> None:
        for i in range(worker, n, threads):
            if time.monotonic() > deadline:
                return
            user = f"u{i:05d}"
            query = urllib.parse.urlencode({"type": "message", "user": user,
                                            "channel": f"c{i % 7}"})
            try:
                status, body = get(f"{base}/event?{query}")
                outcome = (status, json.loads(body) if status in (200, 503) else body[:200])
            except OSError as exc:
                outcome = ("error", repr(exc))
            with lock:
                results[user] = outcome

    pool = [threading.Thread(target=client, args=(w,), daemon=True) for w in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(time_limit + 15)
    return results


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
