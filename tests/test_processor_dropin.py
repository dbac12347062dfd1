"""The cpp_event_processor contract of API.md, every (fix) included."""

from __future__ import annotations

import logging
import threading
import time

import pytest

import cpp_event_processor
from cpp_event_processor import EventStreamProcessor

KEYS = {"type", "user_id", "channel_id", "timestamp"}


class Sink:
    """A flush callback that records batches and the threads it ran on."""

    def __init__(self, delay: float = 0.0) -> None:
        self.batches: list[list[dict]] = []
        self.threads: set[int] = set()
        self.lock = threading.Lock()
        self.delay = delay
        self.running = 0
        self.max_running = 0

    def __call__(self, batch):
        with self.lock:
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            if self.delay:
                time.sleep(self.delay)
            with self.lock:
                self.batches.append(batch)
                self.threads.add(threading.get_ident())
        finally:
            with self.lock:
                self.running -= 1

    @property
    def events(self) -> list[dict]:
        with self.lock:
            return [e for b in self.batches for e in b]


@pytest.fixture
def proc():
    p = EventStreamProcessor(4096, 2, 50, 20)
    yield p
    p.close(timeout=10)


def test_constructor_arguments_required_keywords_and_zero_defaults():
    with pytest.raises(TypeError):
        EventStreamProcessor(1024, 1, 10)  # all four are required
    p = EventStreamProcessor(buffer_size=0, num_threads=0, batch_size=0, flush_interval_ms=0)
    sink = Sink()
    p.set_flush_callback(sink)
    assert p.push_event("m", "u", "c", 0)
    p.flush_now()
    assert [len(b) for b in sink.batches] == [1]  # batch_size 0 -> 1
    p.close()


@pytest.mark.parametrize("args", [(-1, 1, 1, 1), (1024, 1.5, 1, 1), (1024, 1, "10", 1), (1024, 1, 1, None)])
def test_constructor_wrong_types(args):
    with pytest.raises(TypeError):
        EventStreamProcessor(*args)


def test_delivery_shape_and_timestamp_zero_means_now(proc):
    sink = Sink()
    proc.set_flush_callback(sink)
    before = int(time.time())
    assert proc.push_event("message", "u1", "c1", 0) is True
    assert proc.push_event("reaction", "u2", "c2", -3) is True
    assert proc.push_event("voice_join", "u3", "c3", 1_700_000_123) is True
    proc.flush_now()
    after = int(time.time())
    events = sink.events
    assert [type(b) for b in sink.batches] == [list] * len(sink.batches)
    assert all(type(e) is dict and set(e) == KEYS for e in events)
    assert [e["type"] for e in events] == ["message", "reaction", "voice_join"]
    assert before <= events[0]["timestamp"] <= after
    assert before <= events[1]["timestamp"] <= after
    assert events[2] == {"type": "voice_join", "user_id": "u3", "channel_id": "c3",
                         "timestamp": 1_700_000_123}
    assert all(type(e["timestamp"]) is int for e in events)


def test_batches_are_bounded_and_cut_by_size():
    p = EventStreamProcessor(4096, 1, 7, 10_000)  # the interval never fires here
    sink = Sink()
    p.set_flush_callback(sink)
    for i in range(70):
        p.push_event("m", f"u{i}", "c", 0)
    deadline = time.time() + 10
    while len(sink.events) < 70 and time.time() < deadline:
        time.sleep(0.01)
    assert [len(b) for b in sink.batches] == [7] * 10
    p.close()


def test_partial_batch_is_handed_over_after_the_interval():
    p = EventStreamProcessor(1024, 1, 1000, 30)
    sink = Sink()
    p.set_flush_callback(sink)
    p.push_event("m", "u", "c", 0)
    deadline = time.time() + 5
    while not sink.events and time.time() < deadline:
        time.sleep(0.005)
    assert len(sink.events) == 1  # no flush_now: the interval did it
    p.close()


def test_per_producer_order_and_never_on_the_pushing_thread():
    p = EventStreamProcessor(1 << 16, 1, 64, 5)
    sink = Sink()
    p.set_flush_callback(sink)
    n = 5000

    def produce(name):
        for i in range(n):
            while not p.push_event("m", name, str(i), 0):
                time.sleep(0.001)

    threads = [threading.Thread(target=produce, args=(f"p{k}",)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    p.flush_now()
    events = sink.events
    assert len(events) == 4 * n
    for k in range(4):
        seq = [int(e["channel_id"]) for e in events if e["user_id"] == f"p{k}"]
        assert seq == list(range(n))
    assert threading.get_ident() not in sink.threads
    assert all(t.ident not in sink.threads for t in threads)
    p.close()


def test_callbacks_run_on_at_most_num_threads_threads():
    p = EventStreamProcessor(4096, 3, 5, 1)
    sink = Sink(delay=0.01)
    p.set_flush_callback(sink)
    for i in range(300):
        while not p.push_event("m", str(i), "c", 0):
            time.sleep(0.001)
    p.flush_now()
    assert len(sink.events) == 300
    assert 1 <= sink.max_running <= 3 and len(sink.threads) <= 3
    p.close()


def test_flush_now_without_callback_returns_and_events_are_kept(proc):
    for i in range(100):
        assert proc.push_event("m", f"u{i}", "c", 0)
    started = time.time()
    proc.flush_now()  # the original hung here forever
    assert time.time() - started < 5
    assert proc.total_events_processed() == 100
    sink = Sink()
    proc.set_flush_callback(sink)
    proc.flush_now()
    assert len(sink.events) == 100


def test_without_callback_memory_is_bounded_and_pushes_are_refused():
    p = EventStreamProcessor(64, 1, 8, 1)
    accepted = sum(p.push_event("m", f"u{i}", "c", 0) for i in range(50_000))
    assert accepted < 50_000
    assert p.events_dropped() == 50_000 - accepted
    p.flush_now()
    sink = Sink()
    p.set_flush_callback(sink)
    p.flush_now()
    deadline = time.time() + 10
    while len(sink.events) < accepted and time.time() < deadline:
        p.flush_now()
    assert len(sink.events) == accepted  # everything accepted is delivered, nothing more
    p.close()


def test_remove_callback_then_set_again(proc):
    sink = Sink()
    proc.set_flush_callback(sink)
    proc.push_event("m", "a", "c", 0)
    proc.flush_now()
    proc.set_flush_callback(None)
    proc.push_event("m", "b", "c", 0)
    proc.flush_now()
    assert [e["user_id"] for e in sink.events] == ["a"]
    proc.set_flush_callback(sink)
    proc.flush_now()
    assert [e["user_id"] for e in sink.events] == ["a", "b"]


def test_set_flush_callback_refuses_non_callables(proc):
    with pytest.raises(TypeError):
        proc.set_flush_callback(42)


def test_flush_now_inside_a_callback_does_not_deadlock():
    p = EventStreamProcessor(1024, 1, 2, 1)
    calls = []

    def callback(batch):
        p.flush_now()
        calls.append(len(batch))

    p.set_flush_callback(callback)
    for i in range(10):
        p.push_event("m", str(i), "c", 0)
    done = threading.Event()
    threading.Thread(target=lambda: (p.flush_now(), done.set()), daemon=True).start()
    assert done.wait(20), "flush_now deadlocked"
    assert sum(calls) == 10
    p.close()


def test_callback_exception_is_logged_retried_and_never_lost(caplog):
    p = EventStreamProcessor(1024, 1, 10, 1)
    p._pipeline.retry_backoff = 0.001
    seen = []
    failures = {"left": 2}

    def flaky(batch):
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("database is locked")
        seen.extend(batch)

    p.set_flush_callback(flaky)
    with caplog.at_level(logging.ERROR, logger="engagehub_native"):
        for i in range(10):
            p.push_event("m", str(i), "c", 0)
        p.flush_now()
        for i in range(10, 20):
            p.push_event("m", str(i), "c", 0)
        p.flush_now()
    assert [e["user_id"] for e in seen] == [str(i) for i in range(20)]
    messages = [r for r in caplog.records if "flush callback raised" in r.getMessage()]
    assert len(messages) == 2 and all(r.exc_info for r in messages)
    assert "database is locked" in caplog.text
    assert p.stats().retried == 2
    p.close()


def test_callback_that_always_fails_is_reported_with_its_size(caplog):
    p = EventStreamProcessor(1024, 1, 5, 1)
    p._pipeline.retry_backoff = 0.001

    def broken(batch):
        raise ValueError("broken sink")

    p.set_flush_callback(broken)
    with caplog.at_level(logging.ERROR, logger="engagehub_native"):
        for i in range(5):
            p.push_event("m", str(i), "c", 0)
        p.flush_now()
    assert "gave up on a batch of 5 events after 3 attempts" in caplog.text
    assert p.stats().failed == 5
    good = Sink()
    p.set_flush_callback(good)
    p.push_event("m", "later", "c", 0)
    p.flush_now()
    assert [e["user_id"] for e in good.events] == ["later"]  # later batches still flow
    p.close()


def test_slow_callback_backs_up_and_counts_drops():
    p = EventStreamProcessor(16, 1, 4, 1)
    sink = Sink(delay=0.05)
    p.set_flush_callback(sink)
    pushed = 2000
    accepted = sum(p.push_event("m", str(i), "c", 0) for i in range(pushed))
    assert accepted < pushed
    assert p.events_dropped() == pushed - accepted
    p.close(timeout=60)
    assert len(sink.events) == accepted


@pytest.fixture
def roomy():
    """A processor whose buffer holds every event a test pushes: no drops."""
    p = EventStreamProcessor(1 << 14, 2, 50, 20)
    p.set_flush_callback(Sink())
    yield p
    p.close(timeout=10)


def test_unique_users_last_hour(roomy):
    proc = roomy
    now = int(time.time())
    for i in range(5000):
        assert proc.push_event("m", f"user-{i}", "c", now - (i % 3000))  # all within the hour
    for i in range(3000):
        assert proc.push_event("m", f"old-{i}", "c", now - 7200)  # two hours ago
    proc.flush_now()
    estimate = proc.get_unique_users_last_hour()
    assert abs(estimate - 5000) <= 5000 * 3 * 0.0081
    assert type(estimate) is int


def test_top_channels(roomy):
    proc = roomy
    counts = {"general": 300, "memes": 200, "dev": 100, "quiet": 1}
    for channel, n in counts.items():
        for i in range(n):
            assert proc.push_event("m", str(i), channel, 0)
    proc.flush_now()
    top = proc.get_top_channels(3)
    assert [c for c, _ in top] == ["general", "memes", "dev"]
    assert all(type(c) is str and type(n) is int for c, n in top)
    for channel, n in top:
        assert n >= counts[channel]  # never under-estimates
    assert top == [("general", 300), ("memes", 200), ("dev", 100)]
    assert proc.get_top_channels(0) == []
    assert len(proc.get_top_channels(100)) == 4


@pytest.mark.parametrize("k", [-1, 1.5, "3", None])
def test_top_channels_wrong_k_is_type_error(proc, k):
    with pytest.raises(TypeError):
        proc.get_top_channels(k)


def test_counters(proc):
    for i in range(10):
        proc.push_event("m", str(i), "c", 0)
    proc.flush_now()
    assert proc.total_events_processed() == 10
    assert proc.events_dropped() == 0


def test_eight_producers_counts_reconcile():
    p = EventStreamProcessor(1024, 2, 100, 1)
    sink = Sink()
    p.set_flush_callback(sink)
    per_thread = 20_000
    accepted = [0] * 8

    def produce(k):
        accepted[k] = sum(p.push_event("m", f"{k}-{i}", f"c{i % 7}", 0) for i in range(per_thread))

    threads = [threading.Thread(target=produce, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    p.flush_now()
    total = sum(accepted)
    assert total + p.events_dropped() == 8 * per_thread
    assert len(sink.events) == total
    assert p.total_events_processed() == total
    assert len({(e["user_id"]) for e in sink.events}) == total  # each delivered once
    p.close()


ODD = ["nul\0inside", "e\u0301\u0301 combining", "emoji 👩‍💻🎉", "x" * 100_000, "", "quote\"back\\"]


def test_odd_strings_are_delivered_byte_exact_and_counted_as_distinct(proc):
    sink = Sink()
    proc.set_flush_callback(sink)
    for s in ODD:
        assert proc.push_event(s, s, s, 0)
    proc.flush_now()
    assert [(e["type"], e["user_id"], e["channel_id"]) for e in sink.events] == [(s, s, s) for s in ODD]
    assert proc.get_unique_users_last_hour() == len(ODD)


@pytest.mark.parametrize("field", [0, 1, 2])
def test_lone_surrogates_are_rejected_clearly(proc, field):
    args = ["m", "u", "c"]
    args[field] = "bad\udc80x"
    with pytest.raises(ValueError, match="surrogate"):
        proc.push_event(*args, 0)
    assert proc.events_dropped() == 0


@pytest.mark.parametrize("args", [
    (1, "u", "c", 0), ("m", None, "c", 0), ("m", "u", b"c", 0), ("m", "u", "c", 1.5), ("m", "u", "c", "0"),
])
def test_push_event_wrong_types(proc, args):
    with pytest.raises(TypeError):
        proc.push_event(*args)


def test_event_class_is_exported_read_only():
    e = cpp_event_processor.Event("m", "u", "c", 5)
    assert (e.event_type, e.user_id, e.channel_id, e.timestamp) == ("m", "u", "c", 5)
    with pytest.raises(AttributeError):
        e.user_id = "x"
