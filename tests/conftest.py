"""Shared fixtures. Tests import the installed package, never the source tree
(build.sh runs pytest from this folder against the package installed in its
virtualenv)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import engagehub_native

T0 = 1_700_000_000  # a fixed "now" for deterministic decay


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def board(clock):
    with engagehub_native.Leaderboard(0.95, 0, clock=clock) as b:
        yield b


def run_python(code: str, *, timeout: float = 60, env: dict | None = None,
               check: bool = True) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter (fork, exit and signal tests need real processes)."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})}, cwd=os.path.dirname(__file__),
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"subprocess exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    return proc


def pytest_report_header(config):
    """What is under test (python -m engagehub_native info), at the top of every run."""
    from engagehub_native import _info

    return _info.lines(_info.collect())


@pytest.fixture(scope="session")
def redis_server():
    """A throwaway redis-server for the session (tests/redis_server.py);
    tests use distinct board names, so they share it."""
    import redis_server as rs

    if rs.SERVER is None:
        pytest.skip(rs.MISSING)
    server = rs.RedisServer().start()
    yield server
    server.close()
