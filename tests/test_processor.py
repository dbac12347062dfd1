"""The native engagehub_native.EventStreamProcessor API."""

from __future__ import annotations

import threading
import time

import pytest

import engagehub_native
from engagehub_native import EventStreamProcessor, ProcessorStats


@pytest.fixture
def collected():
    batches = []
    lock = threading.Lock()

    def on_flush(batch):
        with lock:
            batches.append(batch)

    on_flush.batches = batches
    return on_flush


def test_push_many_with_and_without_timestamps(collected):
    with EventStreamProcessor(buffer_size=1 << 15, batch_size=1000, on_flush=collected) as p:
        assert p.push_many([("m", f"u{i}", "c") for i in range(5000)]) == 5000
        assert p.push_many([("m", f"v{i}", "c", 1_700_000_000 + i) for i in range(5000)]) == 5000
        p.flush()
        events = [e for b in collected.batches for e in b]
        assert len(events) == 10_000
        assert events[5000] == {"type": "m", "user_id": "v0", "channel_id": "c", "timestamp": 1_700_000_000}
        assert events[0]["timestamp"] > 1_700_000_000
        assert p.stats().accepted == 10_000


def test_push_many_names_the_bad_event_and_refuses_its_chunk(collected):
    with EventStreamProcessor(buffer_size=1 << 14, batch_size=100, on_flush=collected) as p:
        events = [("m", f"u{i}", "c") for i in range(10)]
        events[6] = ("m", "bad\ud800", "c")
        with pytest.raises(ValueError, match="event 6.*surrogate"):
            p.push_many(events)
        with pytest.raises(TypeError, match="event 2"):
            p.push_many([("m", "u", "c"), ("m", "u", "c"), ("m", 5, "c")])
        with pytest.raises(TypeError, match="event 1"):
            p.push_many([("m", "u", "c"), ("m", "u")])
        with pytest.raises(TypeError, match="same number of fields"):
            p.push_many([("m", "u", "c"), ("m", "u", "c", 5)])
        with pytest.raises(TypeError, match="event 0"):
            p.push_many(["abc"])
        with pytest.raises(TypeError, match="event 1 timestamp"):
            p.push_many([("m", "u", "c", 5), ("m", "u", "c", 1.5)])
        # Surrogates that UTF-8-escape into valid-looking bytes are still caught.
        with pytest.raises(ValueError, match="event 0"):
            p.push_many([("m", "\udcc3\udca9", "c")])
        with pytest.raises(ValueError, match="event 0"):
            p.push_many([("m", "a\udcffb", "c")])
        p.flush()
        assert p.stats().accepted == 0  # a chunk with a bad event is refused whole


def test_push_many_bad_event_in_a_later_chunk(collected):
    with EventStreamProcessor(buffer_size=1 << 15, batch_size=1000, on_flush=collected) as p:
        events = [("m", f"u{i}", "c") for i in range(5000)]
        events[4500] = ("m", "u", None)
        with pytest.raises(TypeError, match="event 4500"):
            p.push_many(events)
        p.flush()
        assert p.stats().accepted == 4096  # the first chunk went in, the second did not


def test_push_many_leaves_only_small_events_waiting_when_earlier_ones_went_in():
    # Events staged before a push_many's (a full ring's leftovers) may go
    # into the engine with the first of its events; what is left is the
    # last of them, and only small ones may wait staged: the rest are
    # refused and counted.
    with EventStreamProcessor(buffer_size=16, max_pending=1) as p:  # no callback: keeps them
        pipeline, staging = p._pipeline, p._pipeline.staging
        with pipeline._drain_lock:
            assert staging.stage([f for i in range(4) for f in ("m", f"old{i}", "c", 1)], 100)
            new = [("m", f"new{i}", "c", 1) for i in range(20)]
            new[14] = ("m", "x" * 2000, "c", 1)  # larger than may wait
            assert staging.stage_events(new, 100) == 20
            accepted = pipeline._offer_or_unstage(20)
            waiting = staging.fields()
        assert all(len(waiting[i + 1]) < 100 for i in range(0, len(waiting), 4)), waiting[1::4]
        assert accepted < 20 and "new13" in waiting[1::4]
        assert p.stats().accepted == 4 + accepted


def test_push_many_ascii_with_and_without_nul_bytes(collected):
    with EventStreamProcessor(on_flush=collected, batch_size=100) as p:
        plain = [("m", f"u{i}", "") for i in range(5)]
        with_nul = [("m\0", "\0u\0", "\0")]
        assert p.push_many(plain) == 5 and p.push_many(with_nul) == 1
        p.flush()
        got = [(e["type"], e["user_id"], e["channel_id"]) for b in collected.batches for e in b]
        assert got == plain + with_nul


def test_push_many_non_ascii_fields(collected):
    with EventStreamProcessor(on_flush=collected, batch_size=100) as p:
        odd = ["é", "👩‍💻", "nul\0", "", "x" * 100_000, "e\u0301", "\0"]
        assert p.push_many([(s, s[::-1], s * 2) for s in odd]) == len(odd)
        p.flush()
        got = [(e["type"], e["user_id"], e["channel_id"]) for b in collected.batches for e in b]
        assert got == [(s, s[::-1], s * 2) for s in odd]


def test_push_many_none_timestamps_mean_now(collected):
    with EventStreamProcessor(on_flush=collected, batch_size=10) as p:
        p.push_many([("m", "u", "c", None), ("m", "u", "c", 0)])
        p.flush()
        stamps = [e["timestamp"] for b in collected.batches for e in b]
        assert all(abs(s - time.time()) < 5 for s in stamps)


def test_columnar_delivery():
    got = []
    with EventStreamProcessor(batch_size=100, columnar=True, on_flush=got.append) as p:
        p.push_many([("m", f"u{i}", f"c{i}", 1_700_000_000) for i in range(3)])
        p.flush()
    assert got == [{"type": ["m"] * 3, "user_id": ["u0", "u1", "u2"],
                    "channel_id": ["c0", "c1", "c2"], "timestamp": [1_700_000_000] * 3}]


def test_on_error_receives_the_failed_batch():
    failed = []

    def broken(batch):
        raise KeyError("nope")

    with EventStreamProcessor(batch_size=3, on_flush=broken, max_attempts=2, retry_backoff=0,
                              on_error=lambda batch, exc: failed.append((len(batch), type(exc)))) as p:
        p.push_many([("m", "u", "c")] * 3)
        p.flush()
        assert failed == [(3, KeyError)]
        s = p.stats()
        assert s.failed == 3 and s.retried == 1 and s.delivered == 3


def test_stats_repr_and_unique_users_window(collected):
    with EventStreamProcessor(on_flush=collected, batch_size=50) as p:
        now = int(time.time())
        p.push_many([("m", f"recent{i}", "c", now) for i in range(100)])
        p.push_many([("m", f"older{i}", "c", now - 1800) for i in range(100)])
        p.flush()
        assert abs(p.unique_users(600) - 100) <= 2  # HyperLogLog: near exact when small
        assert abs(p.unique_users() - 200) <= 3
        s = p.stats()
        assert isinstance(s, ProcessorStats)
        assert (s.pushed, s.accepted, s.dropped, s.processed, s.delivered, s.pending) == (200, 200, 0, 200, 200, 0)
        assert repr(p).startswith("<EventStreamProcessor accepted=200 dropped=0 delivered=200")
        with pytest.raises(ValueError):
            p.unique_users(7200)
    assert repr(p).startswith("<EventStreamProcessor closed accepted=200 dropped=0 delivered=200")


def test_closed_processor_raises_and_close_is_idempotent():
    p = EventStreamProcessor()
    p.close()
    p.close()
    with pytest.raises(engagehub_native.ClosedError):
        p.push("m", "u", "c")
    with pytest.raises(RuntimeError):
        p.flush()


def test_close_delivers_everything_pending(collected):
    p = EventStreamProcessor(buffer_size=1 << 16, batch_size=1000, flush_interval=10, on_flush=collected)
    p.push_many([("m", str(i), "c") for i in range(20_000)])
    p.close()
    assert sum(len(b) for b in collected.batches) == 20_000


def test_flush_timeout_raises_and_loses_nothing():
    release = threading.Event()
    got = []

    def slow(batch):
        release.wait(10)
        got.extend(batch)

    p = EventStreamProcessor(batch_size=1, on_flush=slow)
    p.push("m", "u", "c")
    with pytest.raises(engagehub_native.WaitTimeoutError):
        p.flush(timeout=0.2)
    release.set()
    p.flush()
    assert len(got) == 1
    p.close()


@pytest.mark.parametrize("kwargs", [
    {"buffer_size": -1}, {"batch_size": 1.5}, {"flush_interval": -1}, {"flush_interval": float("nan")},
    {"hll_precision": 3}, {"max_attempts": 0}, {"num_threads": "2"}, {"on_flush": 5},
    {"on_error": "log"},
])
def test_constructor_checks(kwargs):
    before = threading.active_count()
    with pytest.raises((TypeError, ValueError)):
        EventStreamProcessor(**kwargs)
    assert threading.active_count() == before  # nothing started for a refused configuration


def test_many_threads_push_and_query_at_once(collected):
    with EventStreamProcessor(buffer_size=1 << 16, batch_size=500, num_threads=2, on_flush=collected) as p:
        errors = []

        def work(k):
            try:
                for i in range(2000):
                    p.push("m", f"{k}:{i}", f"c{i % 3}")
                    if i % 200 == 0:
                        p.unique_users()
                        p.top_channels(3)
                        p.stats()
                p.push_many([("m", f"{k}:many{i}", "c0") for i in range(1000)])
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        p.flush()
        s = p.stats()
        assert errors == []
        assert s.accepted + s.dropped == 8 * 3000
        assert sum(len(b) for b in collected.batches) == s.accepted
