"""The Django app with its leaderboard on Redis: the settings keys and their
checks, and two gunicorn workers that agree on every rank because they
share one board."""

from __future__ import annotations

import json
import time
import uuid

import pytest

pytest.importorskip("django")
pytest.importorskip("gunicorn")

import redis_server as rs  # noqa: E402
from gunicorn_server import Gunicorn, drive, get, manage, migrate  # noqa: E402
from test_django_app import SITE, app_env  # noqa: E402


def test_checks_name_bad_backend_settings(tmp_path):
    db = str(tmp_path / "app.sqlite3")
    ok = manage(app_env(db, {"leaderboard_backend": "redis://127.0.0.1:6379/0",
                             "leaderboard_name": "weekly"}), "check", site=SITE)
    assert ok.returncode == 0 and "no issues" in ok.stdout, ok.stdout + ok.stderr
    for config, key, check_id in [
        ({"leaderboard_backend": 6379}, "leaderboard_backend", "E003"),
        ({"leaderboard_backend": "memcached://x"}, "leaderboard_backend", "E004"),
        ({"leaderboard_name": ""}, "leaderboard_name", "E004"),
        ({"leaderboard_name": "a{b}"}, "leaderboard_name", "E004"),
        ({"leaderboard_name": 7}, "leaderboard_name", "E003"),
        ({"analytics_backend": "redis//x"}, "analytics_backend", "E004"),
        ({"analytics_name": "{x}"}, "analytics_name", "E004"),
    ]:
        proc = manage(app_env(db, config), "check", site=SITE)
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0, out
        assert f"(engagehub_native.{check_id}) ENGAGEHUB_NATIVE['{key}']" in out, (config, out)


@pytest.mark.skipif(rs.SERVER is None, reason=rs.MISSING)
def test_two_gunicorn_workers_agree_on_ranks(tmp_path, redis_server):
    db = str(tmp_path / "app.sqlite3")
    name = f"site-{uuid.uuid4().hex[:8]}"
    env = app_env(db, {"leaderboard_backend": redis_server.url, "leaderboard_name": name,
                       "analytics_backend": redis_server.url, "analytics_name": name,
                       "points": {"message": 1.0}})
    migrate(env, site=SITE)
    server = Gunicorn(tmp_path, env, site=SITE, app="appsite.wsgi:application", workers=2)
    try:
        server.wait_ready()
        server.wait_workers(2)  # else the first one up may serve every event
        results = drive(server.base, 200, 4)
        assert {r[0] for r in results.values()} == {200}, server.log()
        pids = {r[1]["pid"] for r in results.values()}
        assert len(pids) == 2, "one worker served every event: the test proves nothing"
        from engagehub_native import Leaderboard

        with Leaderboard(backend=redis_server.url, name=name) as board:
            # Each worker sends an update when it is made: the last are a
            # round trip away when the last response arrives.
            deadline = time.monotonic() + 10
            while len(board) < 200 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert len(board) == 200
            want = [(u.user_id, u.rank) for u in board.top(10)]
        tops = []
        for _ in range(20):
            status, body = get(server.base + "/leaderboard")
            assert status == 200, body
            tops.append(json.loads(body))
        # The board holds the events of both workers, and every answer,
        # whichever worker gave it, ranks them as the board itself does.
        for top in tops:
            assert [(u["user_id"], u["rank"]) for u in top] == want, top
            assert all(u["score"] == pytest.approx(1.0, rel=1e-5) for u in top)
        # The processors' analytics are shared too: every user, whichever
        # worker recorded it, counts in every worker's answer.
        from engagehub_native import EventStreamProcessor

        # They reach Redis in the background, a flush interval or two after
        # the responses: wait for the last of them.
        with EventStreamProcessor(backend=redis_server.url, name=name) as p:
            deadline = time.monotonic() + 10
            while (sum(n for _, n in p.top_channels(10)) < 200
                   and time.monotonic() < deadline):
                time.sleep(0.05)
            assert sum(n for _, n in p.top_channels(10)) == 200
            assert p.unique_users() == pytest.approx(200, rel=0.03)
        assert "Traceback" not in server.log(), server.log()
    finally:
        server.kill()
