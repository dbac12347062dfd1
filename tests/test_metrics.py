"""engagehub_native.metrics: Prometheus metrics of processors and leaderboards,
scraped in the text format, directly and through the Django app's /metrics."""

from __future__ import annotations

import json
import threading
import urllib.request

import pytest

prometheus_client = pytest.importorskip("prometheus_client")
from prometheus_client import CollectorRegistry, generate_latest, start_http_server  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from conftest import T0, ManualClock, run_python  # noqa: E402
from engagehub_native import EventStreamProcessor, Leaderboard, metrics  # noqa: E402


def samples(text: str) -> dict:
    """{(sample name, frozenset(labels)): value} of a scrape in the text format."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def scrape(collector) -> dict:
    registry = CollectorRegistry()
    registry.register(collector)
    return samples(generate_latest(registry).decode())


def test_processor_and_leaderboard_counters():
    collector = metrics.EngagehubCollector()
    delivered = []
    with EventStreamProcessor(buffer_size=4, batch_size=2, on_flush=delivered.extend) as p, \
            Leaderboard(0.95, 0, clock=ManualClock()) as board:
        collector.track(p, "events")
        collector.track(board, "weekly")
        for i in range(3):
            p.push("m", f"u{i}", "c")
        board.update_many([(f"u{i}", i + 1.0, T0) for i in range(5)])
        p.flush()
        board.top(3)
        board.rank("u1")
        board.rank("nobody")
        board.around("u2")

        got = scrape(collector)
        proc = frozenset({("processor", "events")})
        assert got[("engagehub_events_pushed_total", proc)] == 3
        assert got[("engagehub_events_accepted_total", proc)] == 3
        assert got[("engagehub_events_processed_total", proc)] == 3
        assert got[("engagehub_events_delivered_total", proc)] == 3
        assert got[("engagehub_events_dropped_total", proc)] == 0
        assert got[("engagehub_events_pending", proc)] == 0
        assert got[("engagehub_batches_total", proc)] >= 2
        assert got[("engagehub_callback_seconds_total", proc)] >= 0
        lb = frozenset({("leaderboard", "weekly")})
        assert got[("engagehub_leaderboard_users", lb)] == 5
        assert got[("engagehub_leaderboard_updates_total", lb)] == 5
        assert got[("engagehub_leaderboard_updates_refused_total", lb)] == 0

        def query(kind, sample, **extra):
            labels = frozenset({("leaderboard", "weekly"), ("query", kind), *extra.items()})
            return got[(f"engagehub_leaderboard_query_seconds_{sample}", labels)]

        assert query("rank", "count") == 2
        assert query("page", "count") == 1
        assert query("around", "count") == 1
        assert 0 < query("rank", "sum") < 1
        assert query("rank", "bucket", le="+Inf") == 2
        # Buckets are cumulative and end at the count.
        les = [2.0 ** i / 1e6 for i in range(16)]
        counts = [query("rank", "bucket", le=prometheus_client.utils.floatToGoString(le))
                  for le in les]
        assert counts == sorted(counts) and counts[-1] <= 2

        # A second scrape sees the counters grow; pushing paid nothing.
        p.push("m", "u9", "c")
        p.flush()
        assert scrape(collector)[("engagehub_events_delivered_total", proc)] == 4


def test_styled_windowed_and_percentile_queries_are_timed_as_their_kind():
    collector = metrics.EngagehubCollector()
    with Leaderboard(0.95, 0, clock=ManualClock(), windows={"week": 7 * 86400}) as board:
        collector.track(board, "styled")
        board.update_many([(f"u{i}", float(i % 2), T0) for i in range(6)])
        board.rank("u1", style="competition")       # rank
        board.rank("u1", window="week")             # rank
        board.percentile("u3")                      # rank
        board.top(3, style="dense")                 # page
        board.at_percentile(50.0)                   # page
        board.around("u2", style="competition")     # around
        got = scrape(collector)

    def count(kind):
        labels = frozenset({("leaderboard", "styled"), ("query", kind)})
        return got[("engagehub_leaderboard_query_seconds_count", labels)]

    assert (count("rank"), count("page"), count("around")) == (3, 2, 1)


def test_objects_are_weakly_tracked():
    collector = metrics.EngagehubCollector()
    board = Leaderboard()
    collector.track(board)
    assert ("engagehub_leaderboard_users", frozenset({("leaderboard", "default")})) in scrape(collector)
    board.close()
    del board
    assert not any(name == "engagehub_leaderboard_users" for name, _ in scrape(collector))


def test_track_refuses_other_objects():
    collector = metrics.EngagehubCollector()
    with pytest.raises(TypeError, match="EventStreamProcessor or a Leaderboard"):
        collector.track(object())
    with pytest.raises(TypeError, match="name"):
        collector.track(Leaderboard(), 3)


def test_track_serves_the_default_registry_over_http():
    """metrics.track() registers in prometheus_client's REGISTRY, which its
    own HTTP server exposes: scraped like Prometheus would."""
    with Leaderboard() as board:
        metrics.track(board, "http")
        board.update("alice", 3)
        server, thread = start_http_server(0, addr="127.0.0.1")
        try:
            port = server.server_address[1]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
                text = r.read().decode()
        finally:
            server.shutdown()
            server.server_close()
            thread.join(10)
            metrics.untrack(board)
        got = samples(text)
        assert got[("engagehub_leaderboard_users", frozenset({("leaderboard", "http")}))] == 1


def test_django_metrics_view(tmp_path):
    """The app's /metrics through Django's test client, in a configured subprocess."""
    pytest.importorskip("django")
    from test_django_app import SITE, app_env, migrated

    db = str(tmp_path / "metrics.sqlite3")
    env = app_env(db)
    migrated(db, env)
    out = run_python(f"""
        import json, sys
        sys.path.insert(0, {str(SITE)!r})
        import django
        django.setup()
        from django.test import Client
        from engagehub_native.django import get_leaderboard, get_processor, record

        client = Client()
        empty = client.get("/metrics")
        record("message", "alice", "general")
        record("message", "bob", "general")
        get_processor().flush()
        get_leaderboard().top(3)
        r = client.get("/metrics")
        print(json.dumps({{"status": r.status_code, "type": r["Content-Type"],
                          "empty": empty.content.decode(), "body": r.content.decode()}}))
    """, env=env)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == 200
    assert result["type"].startswith("text/plain")
    assert "engagehub_events_pushed_total{" not in result["empty"], "a scrape creates nothing"
    got = samples(result["body"])
    default_proc = frozenset({("processor", "default")})
    assert got[("engagehub_events_pushed_total", default_proc)] == 2
    assert got[("engagehub_events_delivered_total", default_proc)] == 2
    assert got[("engagehub_leaderboard_users", frozenset({("leaderboard", "default")}))] == 2
    assert got[("engagehub_leaderboard_query_seconds_count",
                frozenset({("leaderboard", "default"), ("query", "page")}))] == 1


def test_scrape_from_many_threads():
    collector = metrics.EngagehubCollector()
    with EventStreamProcessor(on_flush=lambda batch: None) as p:
        collector.track(p)
        errors = []

        def work():
            try:
                for i in range(200):
                    p.push("m", f"u{i}", "c")
                    if i % 50 == 0:
                        scrape(collector)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        p.flush()
        assert scrape(collector)[("engagehub_events_pushed_total",
                                  frozenset({("processor", "default")}))] == 800
