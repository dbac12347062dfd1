"""The Django app under a real Celery worker: the prefork pool (2 child
processes, forked after the master imported the tasks and set Django up)
with kombu's filesystem broker. Tasks push events through
``engagehub_native.django.record()``; after the worker's warm shutdown
(SIGTERM) every task's event is a row: the children deliver what their
processors hold from Celery's ``worker_process_shutdown`` signal, since a
prefork child ends with ``os._exit`` and runs no exit hook.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("django")
pytest.importorskip("celery")

from pg_server import NO_PG, PG_DSN, fresh_database  # noqa: E402
from test_django_app import SITE, app_env, migrated, stored  # noqa: E402

pytestmark = pytest.mark.slow

TASKS = 300


@pytest.fixture(params=[("sqlite", {}), ("postgresql", {}), ("postgresql", {"sink": "native"})],
                ids=["sqlite-model-sink", "postgresql-model-sink", "postgresql-native-sink"])
def case(request, tmp_path):
    """(database URL or file, app settings): the model sink on both databases,
    the native sink on PostgreSQL (the only database it writes to)."""
    kind, config = request.param
    if kind == "sqlite":
        yield str(tmp_path / "app.sqlite3"), config
        return
    if not PG_DSN:
        pytest.skip(NO_PG)
    with fresh_database(PG_DSN) as url:
        yield url, config


def test_n_tasks_are_n_rows_after_a_warm_shutdown(tmp_path, case):
    database, config = case
    broker = tmp_path / "broker"
    for sub in ("queue", "processed"):
        (broker / sub).mkdir(parents=True)
    # A flush interval longer than the test: events are certainly pending
    # in the children when the worker is told to stop.
    env = app_env(database, {"batch_size": 64, "flush_interval": 60.0, **config},
                  ENGAGEHUB_CELERY_DIR=str(broker))
    env["PYTHONPATH"] = str(SITE)
    migrated(database, env)
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "appsite.tasks", "worker", "--pool", "prefork",
             "--concurrency", "2", "--loglevel", "WARNING", "--without-heartbeat",
             "--without-mingle", "--without-gossip"],
            cwd=SITE, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        send = subprocess.run(
            [sys.executable, "-c",
             "from appsite.tasks import record_event\n"
             f"for i in range({TASKS}):\n"
             "    record_event.delay('message', f'u{i:05d}', f'c{i % 7}')\n"],
            cwd=SITE, env=env, capture_output=True, text=True, timeout=120)
        assert send.returncode == 0, send.stderr
        deadline = time.monotonic() + 120
        done = 0
        while time.monotonic() < deadline:
            done = len(re.findall(r"recorded u\d+ accepted=True", log_path.read_text()))
            if done >= TASKS or worker.poll() is not None:
                break
            time.sleep(0.2)
        text = log_path.read_text()
        assert done == TASKS, f"{done} of {TASKS} tasks ran\n--- worker log\n{text[-5000:]}"
        before = len(stored(database))
        assert before < TASKS, "nothing was pending at shutdown: the test proves nothing"
        worker.send_signal(signal.SIGTERM)  # warm shutdown
        code = worker.wait(60)
        text = log_path.read_text()
        rows = stored(database)
        pids = set(re.findall(r"accepted=True pid=(\d+)", text))
        kind = "postgresql" if database.startswith("postgresql://") else "sqlite"
        print(f"\n[celery prefork x2 {kind} {config.get('sink', 'model')} sink] "
              f"tasks={TASKS} children={len(pids)} rows_before_shutdown={before} "
              f"rows={len(rows)} exit={code}")
        assert code == 0, text[-5000:]
        assert len(pids) == 2, f"both children should have run tasks: {pids}"
        assert sorted(r[1] for r in rows) == [f"u{i:05d}" for i in range(TASKS)], text[-5000:]
        assert "Traceback" not in text and "ForkedProcessError" not in text, text[-5000:]
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
