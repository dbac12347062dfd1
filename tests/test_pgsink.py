"""The native PostgreSQL sink (EventStreamProcessor(sink="postgresql://...")),
against real PostgreSQL servers: the one CI starts (ENGAGEHUB_TEST_PG_DSN) and,
for the outage test, a private one the test stops and starts again.
"""

from __future__ import annotations

import logging
import time

import pytest

from engagehub_native import (
    EventStreamProcessor,
    InvalidValueError,
    SinkError,
    SinkStats,
    SinkUnreachableError,
    WaitTimeoutError,
)

from pg_server import (  # noqa: E402
    EVENT_TABLE_SQL,
    NO_PG,
    PG_DSN,
    OwnPostgres,
    count_rows,
    execute,
    fresh_database,
    server_bin,
)

psycopg = pytest.importorskip("psycopg")


@pytest.fixture
def pg():
    """A fresh database with the Django app's Event table; its URL."""
    if not PG_DSN:
        pytest.skip(NO_PG)
    with fresh_database(PG_DSN) as dsn:
        execute(dsn, EVENT_TABLE_SQL)
        yield dsn


def stored(dsn: str) -> list:
    with psycopg.connect(dsn) as con:
        return con.execute("SELECT type, user_id, channel_id, extract(epoch FROM timestamp)::bigint "
                           "FROM engagehub_native_event ORDER BY id").fetchall()


def test_n_events_are_exactly_n_rows_and_the_callback_sees_them_too(pg):
    seen = []
    n = 5000
    with EventStreamProcessor(sink=pg, batch_size=256, buffer_size=4096, flush_interval=0.01,
                              on_flush=lambda batch: seen.extend(e["user_id"] for e in batch)) as p:
        sent = 0
        for i in range(n):
            while not p.push(("message", "reaction", "voice_join")[i % 3], f"u{i:05d}",
                             f"c{i % 7}", 1_700_000_000 + i):
                time.sleep(0.001)
            sent += 1
        p.flush(60)
        s = p.sink_stats()
        assert isinstance(s, SinkStats)
        assert (s.written, s.failed, s.waiting) == (n, 0, 0), s
        rows = stored(pg)
        assert len(rows) == n
        assert sorted(seen) == [f"u{i:05d}" for i in range(n)]
    # Two workers write at once: batches may commit out of order.
    assert sorted(rows, key=lambda r: r[1]) == [(("message", "reaction", "voice_join")[i % 3], f"u{i:05d}", f"c{i % 7}",
                     1_700_000_000 + i) for i in range(n)]
    assert p.stats().delivered == n and p.sink_stats().written == n


def test_a_sink_without_callback_delivers_at_close_and_push_many(pg):
    p = EventStreamProcessor(sink=pg, batch_size=1000, buffer_size=4096, flush_interval=60.0)
    events = [("message", f"m{i}", "general", 1_700_000_000) for i in range(2500)]
    assert p.push_many(events) == 2500
    assert p.push("message", "ünïcødé \t\\ id", "général")
    p.close(60)  # the flush interval is a minute: close must write the partial batch
    assert count_rows(pg) == 2501
    assert ("message", "ünïcødé \t\\ id", "général") in [r[:3] for r in stored(pg)]
    assert p.sink_stats().written == 2501


def test_unreachable_database_is_a_clear_error_within_seconds():
    started = time.monotonic()
    with pytest.raises(SinkUnreachableError, match="unreachable") as info:
        EventStreamProcessor(sink="postgresql://nobody@127.0.0.1:1/nothing",
                             sink_connect_timeout=2)
    assert isinstance(info.value, ConnectionError)
    assert time.monotonic() - started < 5


def test_a_missing_table_or_column_is_a_clear_error(pg):
    with pytest.raises(SinkError, match="does not exist"):
        EventStreamProcessor(sink=pg, sink_table="no_such_table")
    execute(pg, "DROP TABLE engagehub_native_event")
    with pytest.raises(SinkError, match="manage.py migrate"):
        EventStreamProcessor(sink=pg)
    execute(pg, "CREATE TABLE t (kind text, who text, place text, at bigint)")
    with pytest.raises(SinkError, match="does not exist"):
        EventStreamProcessor(sink=pg, sink_table="t")
    with EventStreamProcessor(sink=pg, sink_table="t",
                              sink_columns=("kind", "who", "place", "at")) as p:
        p.push("message", "u", "c", 1_700_000_123)
    assert count_rows(pg, "t") == 1


def test_bad_sink_arguments():
    with pytest.raises(TypeError, match="sink"):
        EventStreamProcessor(sink=123)
    with pytest.raises(InvalidValueError):
        EventStreamProcessor(sink="postgresql://%zz")
    with pytest.raises(ValueError, match="not empty"):
        EventStreamProcessor(sink=" ")
    with pytest.raises(TypeError, match="sink_columns"):
        EventStreamProcessor(sink="postgresql://x@127.0.0.1:1/db", sink_columns=("a", "b"))
    with pytest.raises(ValueError, match="sink_workers"):
        EventStreamProcessor(sink="postgresql://x@127.0.0.1:1/db", sink_workers=0)
    with pytest.raises(ValueError, match="sink_table"):
        EventStreamProcessor(sink="postgresql://x@127.0.0.1:1/db", sink_table="")
    assert EventStreamProcessor().sink_stats() is None


def test_rows_the_database_refuses_are_counted_failed_and_logged(pg, caplog):
    caplog.set_level(logging.ERROR, logger="engagehub_native")
    with EventStreamProcessor(sink=pg, batch_size=1, max_attempts=2, flush_interval=0.01) as p:
        p.push("x" * 40, "too-long-type", "c")      # varchar(32): refused by the database
        p.push("message", "fine", "c")
        p.flush(30)
        time.sleep(0.7)  # the dispatchers report the sink's news twice a second
        s = p.sink_stats()
    assert (s.written, s.failed, s.waiting) == (1, 1, 0), s
    assert "too long" in s.last_error
    assert [r[1] for r in stored(pg)] == ["fine"]
    assert "native sink: gave up on 1 batches" in caplog.text


@pytest.mark.slow
def test_the_database_stops_mid_run_and_comes_back(caplog):
    """Stopped server: batches wait in memory (counted), pushes are refused
    once the bound is reached (counted as drops), nothing is lost; started
    again: every accepted event becomes a row."""
    if server_bin() is None:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql "
                    "(Debian's postgresql package; .ci/run installs it)")
    caplog.set_level(logging.WARNING, logger="engagehub_native")
    server = OwnPostgres()
    try:
        execute(server.dsn, EVENT_TABLE_SQL)
        p = EventStreamProcessor(sink=server.dsn, batch_size=100, buffer_size=1024,
                                 max_pending=2048, flush_interval=0.01)
        accepted = sum(p.push("message", f"a{i}", "c") for i in range(1000))
        p.flush(30)
        assert count_rows(server.dsn) == accepted == 1000

        server.stop()
        for i in range(6000):   # more than the buffer and max_pending hold
            accepted += p.push("message", f"b{i}", "c")
        deadline = time.monotonic() + 30
        while not p.sink_stats().down and time.monotonic() < deadline:
            time.sleep(0.05)
        with pytest.raises(WaitTimeoutError):
            p.flush(1)
        s, st = p.sink_stats(), p.stats()
        assert s.down and s.failed == 0 and s.written == 1000, s
        assert s.waiting == accepted - 1000 > 0, (s, accepted)
        assert st.accepted == accepted and st.dropped == 7000 - accepted > 0, st
        assert s.retries > 0
        assert st.accepted == s.written + s.waiting + s.failed

        server.start()
        p.flush(60)
        s = p.sink_stats()
        assert (s.written, s.failed, s.waiting, s.down) == (accepted, 0, 0, False), s
        time.sleep(0.7)
        p.close(30)
        assert count_rows(server.dsn) == accepted
        assert "database is unreachable" in caplog.text
        assert "reachable again" in caplog.text
    finally:
        server.destroy()


@pytest.mark.slow
def test_close_while_the_database_is_down_times_out_and_finishes_later():
    if server_bin() is None:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql")
    server = OwnPostgres()
    try:
        execute(server.dsn, EVENT_TABLE_SQL)
        p = EventStreamProcessor(sink=server.dsn, batch_size=50, flush_interval=0.01)
        server.stop()
        accepted = sum(p.push("message", f"x{i}", "c") for i in range(300))
        with pytest.raises(WaitTimeoutError):
            p.close(1)
        assert p.closed and p.sink_stats().waiting == accepted
        server.start()
        p.close(60)
        assert count_rows(server.dsn) == accepted == p.sink_stats().written
    finally:
        server.destroy()


def test_the_c_abi_refuses_a_second_sink_a_late_sink_and_stats_without_one(pg):
    """What the Python layer never does, called through the C ABI directly:
    each refusal is an error status, never a crash."""
    from engagehub_native._library import check, load

    ffi, lib = load()

    def attach(handle) -> int:
        dsn = pg.encode()
        keep = ffi.new("char[]", dsn)
        config = ffi.new("eh_sink_config *", {"dsn": keep, "dsn_length": len(dsn)})
        return lib.eh_proc_attach_sink(handle, config)

    with EventStreamProcessor(sink=pg) as p:
        with pytest.raises(InvalidValueError, match="already has a sink"):
            check(attach(p._pipeline._handle))
    with EventStreamProcessor(on_flush=lambda batch: None) as p:
        p.push("message", "u", "c")
        p.flush(10)
        with pytest.raises(InvalidValueError, match="before the first push"):
            check(attach(p._pipeline._handle))
        counters = ffi.new("eh_sink_counters *")
        message = ffi.new("eh_list *")
        with pytest.raises(InvalidValueError, match="no sink"):
            check(lib.eh_proc_sink_stats(p._pipeline._handle, counters, message))
    columns = b"only\xffthree\xffcolumns\xff"
    keep = [ffi.new("char[]", pg.encode()), ffi.new("char[]", columns)]
    config = ffi.new("eh_sink_config *", {"dsn": keep[0], "dsn_length": len(pg),
                                           "columns": keep[1], "columns_length": len(columns)})
    with EventStreamProcessor() as p:
        with pytest.raises(InvalidValueError, match="strings"):
            check(lib.eh_proc_attach_sink(p._pipeline._handle, config))
        with pytest.raises(Exception, match="closed|invalid handle"):
            check(lib.eh_proc_attach_sink(0, config))
