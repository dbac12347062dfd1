"""The Python boundary: pushes and updates are staged in Python and reach the
engine in bulk, events come back as the objects that were pushed, and a
processor that is dropped is reclaimed."""

from __future__ import annotations

import threading
import time

import pytest

import engagehub_native
from engagehub_native import EventStreamProcessor, Leaderboard

from conftest import T0, run_python


class Sink:
    def __init__(self):
        self.lock = threading.Lock()
        self.events = []
        self.batches = []

    def __call__(self, batch):
        with self.lock:
            self.events.extend(batch)
            self.batches.append(batch)


def test_callback_gets_the_very_objects_that_were_pushed():
    sink = Sink()
    user = "".join(["user-", "42"])  # a str object of its own, not interned
    channel = "ch\u00e9\0nnel"
    with EventStreamProcessor(on_flush=sink) as p:
        assert p.push("message", user, channel, T0)
        p.flush()
    (event,) = sink.events
    assert event == {"type": "message", "user_id": user, "channel_id": channel, "timestamp": T0}
    assert event["user_id"] is user and event["channel_id"] is channel


def test_columnar_batches_hold_the_pushed_objects():
    got = []
    users = [f"u{i}" for i in range(300)]
    with EventStreamProcessor(on_flush=got.append, columnar=True, batch_size=1000) as p:
        for u in users:
            p.push("m", u, "c", T0)
        p.flush()
    assert [u for batch in got for u in batch["user_id"]] == users
    assert all(a is b for a, b in zip((u for batch in got for u in batch["user_id"]), users))


def test_staged_events_are_seen_by_every_read():
    # Fewer events than the staging list holds: nothing reached the engine
    # on its own, yet every read must see them.
    with EventStreamProcessor(on_flush=None, flush_interval=30) as p:
        for i in range(10):
            p.push("m", f"u{i}", "busy", 0)
        assert p.stats().accepted == 10
        assert p.top_channels(1) == [("busy", 10)]
        assert p.unique_users() == 10
        p.flush()
        assert p.stats().processed == 10


def test_staged_updates_are_seen_by_reads_on_other_threads(clock):
    board = Leaderboard(1.0, 0, clock=clock)
    errors = []
    stop = threading.Event()

    def reader(k):
        # A reader that saw the writer's counter must see that many users.
        while not stop.is_set():
            written = progress[0]
            n = len(board)
            if n < written:
                errors.append((k, written, n))

    progress = [0]
    readers = [threading.Thread(target=reader, args=(k,)) for k in range(3)]
    for t in readers:
        t.start()
    for i in range(3000):
        board.update(f"user{i}", 1.0, T0)
        progress[0] = i + 1
    stop.set()
    for t in readers:
        t.join()
    assert errors == []
    ids = sorted(f"user{i}" for i in range(3000))  # equal scores rank by id
    assert len(board) == 3000 and board.rank("user2999").rank == ids.index("user2999") + 1
    board.close()


def test_flush_covers_events_staged_behind_a_full_ring():
    # Ring of 16 and a slow callback: most events wait in the staging list,
    # and flush() must still return only once all of them are delivered.
    sink = Sink()

    def slow(batch):
        time.sleep(0.001)
        sink(batch)

    with EventStreamProcessor(buffer_size=16, batch_size=4, flush_interval=0.001,
                              on_flush=slow, num_threads=2) as p:
        accepted = sum(p.push("m", f"u{i}", "c", T0) for i in range(32))
        p.flush()
        assert len(sink.events) == accepted == p.stats().delivered
        assert accepted + p.stats().dropped == 32


def test_a_refused_push_gets_through_once_the_dispatchers_catch_up():
    # A push refused for want of a free slot must learn from the engine
    # which slots the dispatchers freed since the last offer: here the ring
    # has room and nothing is staged, so nothing else would ask it, and
    # every retry would be refused for ever.
    sink = Sink()
    with EventStreamProcessor(buffer_size=64, batch_size=8, flush_interval=0.001,
                              num_threads=4, on_flush=sink) as p:
        deadline = time.monotonic() + 20
        for i in range(20_000):
            while not p.push("m", f"u{i}", "c", T0):
                assert time.monotonic() < deadline, f"push {i} refused for ever: {p.stats()}"
                time.sleep(0)
        p.flush()
        assert len(sink.events) == 20_000 == p.stats().delivered


def test_many_producers_and_two_dispatchers_deliver_each_event_once():
    # Two dispatchers finish batches out of order; the pushed tuples are kept
    # by stream position and must never be handed out twice or overwritten.
    sink = Sink()
    p = EventStreamProcessor(buffer_size=1024, batch_size=100, flush_interval=0.001,
                             num_threads=2, on_flush=sink)
    accepted = [0] * 8

    def produce(k):
        accepted[k] = sum(p.push("m", f"{k}-{i}", "c", T0) for i in range(20_000))

    threads = [threading.Thread(target=produce, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    p.flush()
    ids = [e["user_id"] for e in sink.events]
    assert len(ids) == len(set(ids)) == sum(accepted)
    assert sum(accepted) + p.stats().dropped == 160_000
    for batch in sink.batches:  # within a batch, each producer's events in push order
        for k in range(8):
            mine = [int(e["user_id"].split("-")[1]) for e in batch
                    if e["user_id"].startswith(f"{k}-")]
            assert mine == sorted(mine)
    p.close()


def test_refused_pushes_are_counted_in_every_read_of_the_counters():
    # A refusal is counted in Python and handed to the engine before the
    # counters are read: from another thread, and in the final stats of close.
    gate = threading.Event()
    p = EventStreamProcessor(buffer_size=16, batch_size=4, flush_interval=0.001,
                             on_flush=lambda batch: gate.wait(10))
    accepted = sum(p.push("m", f"u{i}", "c", T0) for i in range(500))
    refused = 500 - accepted
    assert refused > 0
    seen = []
    reader = threading.Thread(target=lambda: seen.append(p.stats().dropped))
    reader.start()
    reader.join()
    assert seen == [refused]
    gate.set()
    p.close()
    s = p.stats()
    assert (s.pushed, s.accepted, s.dropped, s.delivered) == (500, accepted, refused, accepted)


def test_full_buffer_refuses_and_counts_without_losing_accepted_events():
    # No callback and max_pending 8: 8 analysed and kept, 8 in the ring, 8
    # staged (the staging list holds min(buffer_size, 1024)); then refusals.
    with EventStreamProcessor(buffer_size=8, on_flush=None, max_pending=8) as p:
        first = sum(p.push("m", f"u{i}", "c", T0) for i in range(100))
        p.flush()  # analysed as far as they can be, staged ones moved on
        more = [p.push("m", f"u{100 + i}", "c", T0) for i in range(50)]
        refused = more.index(False)
        assert not any(more[refused:]), "once full, nothing moves without a callback"
        s = p.stats()
        assert first + refused == s.accepted == 24
        assert (s.dropped, s.pushed) == (150 - 24, 150)
        sink = Sink()
        p.on_flush = sink
        p.flush()
        delivered = [e["user_id"] for e in sink.events]
        assert len(delivered) == 24 and delivered == sorted(delivered, key=lambda u: int(u[1:]))
        assert set(delivered) <= {f"u{i}" for i in range(150)}


def test_close_inside_the_callback_returns_and_delivers_the_rest():
    sink = Sink()
    box = {}

    def closing(batch):
        sink(batch)
        if "closed" not in box:
            box["closed"] = True
            box["p"].close(timeout=3)  # must return at once, not wait for itself

    p = EventStreamProcessor(on_flush=closing, batch_size=10, flush_interval=0.001)
    box["p"] = p
    for i in range(100):
        p.push("m", f"u{i}", "c", T0)
    deadline = time.monotonic() + 10
    while not p.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert p.closed
    with pytest.raises(engagehub_native.ClosedError):
        p.push("m", "late", "c", T0)
    p.close(timeout=10)  # from outside: waits for the rest
    assert len(sink.events) == 100
    assert p.stats().delivered == 100


def test_a_timed_out_close_says_closed_and_what_is_undelivered():
    release = threading.Event()

    def stuck(batch):
        release.wait(10)

    p = EventStreamProcessor(on_flush=stuck, batch_size=5, flush_interval=0.001)
    for i in range(20):
        p.push("m", f"u{i}", "c", T0)
    with pytest.raises(engagehub_native.WaitTimeoutError, match="not delivered yet"):
        p.close(timeout=0.3)
    assert p.closed, "close() has begun: pushes are refused from now on"
    with pytest.raises(engagehub_native.ClosedError):
        p.push("m", "late", "c", T0)
    release.set()
    p.close(timeout=10)
    assert p.stats().delivered == 20


def test_dropped_processors_are_reclaimed():
    out = run_python("""
        import gc, threading, time, engagehub_native

        def rss_mb():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * 4096 / 2**20

        delivered = [0]
        def count(batch):
            delivered[0] += len(batch)
        def use_and_drop(i):
            p = engagehub_native.EventStreamProcessor(on_flush=count, flush_interval=0.01)
            for k in range(50):
                p.push("m", f"u{k}", f"c{i}", 0)
            # dropped here without close()

        base_threads = threading.active_count()
        for i in range(20):  # warm up allocators
            use_and_drop(i)
        gc.collect()
        time.sleep(0.5)
        base_rss = rss_mb()
        for i in range(300):
            use_and_drop(i)
        gc.collect()
        deadline = time.monotonic() + 20
        while threading.active_count() > base_threads and time.monotonic() < deadline:
            time.sleep(0.05)
        gc.collect()
        print(threading.active_count() - base_threads, delivered[0], round(rss_mb() - base_rss, 1))
    """, timeout=120)
    threads_left, delivered, growth = out.stdout.split()
    assert int(threads_left) == 0
    assert int(delivered) == 320 * 50, "what a dropped processor held was delivered"
    assert float(growth) < 5.0, f"resident memory grew {growth} MB over 300 dropped processors"


def test_delivered_events_are_not_kept_alive():
    # The slots hold pushed strings only until their batch is taken: a burst
    # of large events must not stay in memory after delivery.
    import sys

    big = "x" * 1_000_000
    baseline = sys.getrefcount(big)
    seen = []
    with EventStreamProcessor(on_flush=lambda batch: seen.append(len(batch)), batch_size=7) as p:
        for i in range(50):
            p.push("m", big, f"c{i}", T0)
        p.flush()
        assert sum(seen) == 50
        assert sys.getrefcount(big) == baseline, "nothing holds the delivered strings"


def test_push_many_queues_a_prefix_so_the_rest_can_be_offered_again():
    # With several 4096-event chunks in one call and the buffer filling in
    # the first, nothing of a later chunk may be queued: the caller offers
    # events[n:] again and must get every event exactly once, in order.
    got = []
    with EventStreamProcessor(buffer_size=1024, batch_size=256, flush_interval=0.001,
                              on_flush=got.extend) as p:
        events = [("m", f"u{i}", "c", T0) for i in range(20_000)]
        rest, refused = events, 0
        while rest:
            n = p.push_many(rest)
            refused += len(rest) - n
            rest = rest[n:]
            if rest:
                time.sleep(0.001)
        p.flush()
        assert [e["user_id"] for e in got] == [f"u{i}" for i in range(20_000)]
        assert p.stats().dropped == refused
