"""Helpers shared by the tests that run a Django site under real gunicorn:
free ports, HTTP requests, a gunicorn master whose leftovers are always
killed, and a client that drives /event from several threads.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

#: the site of test_django_gunicorn.py (the drop-in modules, as the original's guide used them)
SITE = Path(__file__).resolve().parent / "django_site"
HOST = "127.0.0.1"


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


def site_env(db: Path, *, settings: str = "engagehub_site.settings", **extra: str) -> dict:
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE=settings,
               ENGAGEHUB_DJANGO_DB=str(db), PYTHONUNBUFFERED="1", **extra)
    env.pop("PYTHONPATH", None)
    return env


def manage(env: dict, *args: str, site: Path = SITE,
           timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``manage.py ARGS`` of a test site; the completed process (not checked)."""
    return subprocess.run([sys.executable, "manage.py", *args], cwd=site, env=env,
                          capture_output=True, text=True, timeout=timeout)


def migrate(env: dict, site: Path = SITE) -> None:
    proc = manage(env, "migrate", "--noinput", site=site)
    assert proc.returncode == 0, f"migrate failed\n{proc.stdout}\n{proc.stderr}"


def get(url: str, timeout: float = 10.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


class Gunicorn:
    """A gunicorn master running the test site, its stderr in a file."""

    def __init__(self, tmp_path: Path, env: dict, *args: str, site: Path = SITE,
                 app: str = "engagehub_site.wsgi:application", workers: int = 2) -> None:
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.log_path = tmp_path / f"gunicorn-{self.port}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--chdir", str(site),
             "--bind", f"{HOST}:{self.port}", "--workers", str(workers),
             "--graceful-timeout", "20", "--timeout", "30", "--log-level", "info",
             *CONTROL_SOCKET_OFF, *args, app],
            cwd=site, env=env, stdout=self._log, stderr=subprocess.STDOUT,
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

    def wait_workers(self, n: int, timeout: float = 30.0) -> set:
        """Wait until ``n`` workers answer (the site's /health returns the
        worker's pid): wait_ready returns once one does, and the others may
        still be loading the app. Probes in bursts from several threads, as
        one request at a time may keep reaching the same worker."""
        deadline = time.monotonic() + timeout
        pids: set = set()

        def probe() -> None:
            try:
                status, body = get(self.base + "/health", timeout=2)
                if status == 200:
                    pids.add(body.decode())
            except OSError:
                pass

        while time.monotonic() < deadline:
            burst = [threading.Thread(target=probe) for _ in range(8)]
            for t in burst:
                t.start()
            for t in burst:
                t.join()
            if len(pids) >= n:
                return pids
            time.sleep(0.1)
        raise AssertionError(f"{len(pids)} of {n} gunicorn workers answered within {timeout} s"
                             f"\n--- gunicorn log\n{self.log()}")

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


def drive(base: str, n: int, threads: int, time_limit: float = 30.0,
          prefix: str = "u") -> dict:
    """GET /event n times from a few client threads; the outcome of each user id
    (``{prefix}{i:05d}``, in channel ``c{i % 7}``)."""
    results: dict[str, object] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + time_limit

    def client(worker: int) -> None:
        for i in range(worker, n, threads):
            if time.monotonic() > deadline:
                return
            user = f"{prefix}{i:05d}"
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
