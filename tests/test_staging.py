"""The C fast paths of push and update (engagehub_native._staging) against
the Python methods that hold the rules: for every input, both must do the
same thing (the same result and staged fields, or the same exception), and
inputs outside the fast path must reach Python unchanged."""

from __future__ import annotations

import gc
import random
import sys
import threading
import time

import pytest

import engagehub_native
from engagehub_native import EventStreamProcessor, Leaderboard, _staging

from conftest import T0, ManualClock

BIG = 2 ** 63

PUSHES = [
    (("click", "u1", "c1", T0), {}),
    (("click", "u1", "c1"), {}),
    (("click", "u1", "c1", None), {}),
    (("click", "u1", "c1", 0), {}),
    (("click", "u1", "c1", -5), {}),
    (("click", "u1", "c1", -BIG), {}),
    (("click", "u1", "c1", -BIG - 1), {}),
    (("click", "u1", "c1", BIG - 1), {}),
    (("click", "u1", "c1", BIG), {}),
    (("click", "u1", "c1", True), {}),
    (("click", "u1", "c1", 1.5), {}),
    (("click", "u1", "c1", "17"), {}),
    (("click", "u1", "c1"), {"timestamp": T0}),
    (("click",), {"user_id": "u1", "channel_id": "c1"}),
    (("", "", ""), {}),
    (("click", "u\0with NUL", "c1", T0), {}),
    (("click", "ünïcødé", "频道", T0), {}),
    (("click", "emoji \U0001F600", "c1", T0), {}),
    (("click", "lone \udc80 surrogate", "c1", T0), {}),
    (("click", b"bytes", "c1", T0), {}),
    (("click", 42, "c1", T0), {}),
    ((None, "u1", "c1", T0), {}),
    (("click", "u1", "c1", T0, "extra"), {}),
    (("click", "u1"), {}),
    (("click", "x" * 1020, "c1", T0), {}),  # 1026 characters: never staged
    (("click", "x" * 1014, "c1", T0), {}),  # 1021: staged
]


class Text(str):
    """A str subclass: never the fast path's."""


def outcome(call):
    try:
        return "returned", call()
    except Exception as exc:  # compared, not swallowed
        return type(exc), str(exc)


def staged_now(proc):
    """The staged fields, with "now" timestamps replaced by a marker."""
    fields = proc._staging.fields()
    for i in range(3, len(fields), 4):
        if abs(fields[i] - time.time()) < 5:
            fields[i] = "now"
    return fields


@pytest.mark.parametrize("args,kwargs", PUSHES + [((Text("click"), "u1", "c1", T0), {})])
def test_push_fast_path_agrees_with_python(args, kwargs):
    # No callback: nothing leaves the staging list while the test looks.
    with EventStreamProcessor(buffer_size=64) as fast, EventStreamProcessor(buffer_size=64) as slow:
        assert outcome(lambda: fast.push(*args, **kwargs)) == \
            outcome(lambda: slow._push_slow(*args, **kwargs))
        assert staged_now(fast) == staged_now(slow)
        assert fast._staging.next == slow._staging.next
        fast._staging.discard(0)
        slow._staging.discard(0)


def test_push_stages_the_very_objects_pushed():
    user, channel = "u-" + str(7), "c-" + str(8)
    with EventStreamProcessor(buffer_size=64) as p:
        assert p.push("click", user, channel, T0) is True
        staged = p._staging.fields()
        assert staged[1] is user and staged[2] is channel
        p._staging.discard(0)


def test_push_without_timestamp_is_stamped_now():
    with EventStreamProcessor(buffer_size=64) as p:
        before = int(time.time())
        p.push("click", "u1", "c1")
        after = int(time.time())
        stamp = p._staging.fields()[3]
        assert before <= stamp <= after
        assert type(stamp) is int
        p._staging.discard(0)


def test_push_past_the_staging_room_drains_or_refuses_in_python():
    # A ring of 4 and no callback: the staging list fills, the Python path
    # drains it into the engine until that holds all it may keep, then
    # refuses. Every refusal is counted; every accepted event is delivered
    # once a callback is set.
    delivered = []
    with EventStreamProcessor(buffer_size=4, max_pending=100) as p:
        results = [p.push("click", f"u{i}", "c", T0) for i in range(1000)]
        accepted = [f"u{i}" for i, ok in enumerate(results) if ok]
        assert 8 <= len(accepted) < 1000
        assert p.stats().dropped == results.count(False)
        p.on_flush = lambda batch: delivered.extend(e["user_id"] for e in batch)
        p.flush()
    assert delivered == accepted


def test_push_after_close_raises():
    p = EventStreamProcessor(buffer_size=64)
    p.close()
    with pytest.raises(engagehub_native.ClosedError):
        p.push("click", "u1", "c1", T0)


def test_push_keeps_per_thread_order_and_every_event():
    seen = []
    lock = threading.Lock()

    def keep(batch):
        with lock:
            seen.extend((e["user_id"], e["channel_id"]) for e in batch)

    threads, per_thread = 8, 5000
    with EventStreamProcessor(buffer_size=1024, batch_size=64, flush_interval=0.01,
                              on_flush=keep) as p:
        def produce(t):
            for i in range(per_thread):
                while not p.push("click", f"t{t}", str(i), T0):
                    time.sleep(0)

        workers = [threading.Thread(target=produce, args=(t,)) for t in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        p.flush()
    assert len(seen) == threads * per_thread
    for t in range(threads):
        assert [int(c) for u, c in seen if u == f"t{t}"] == list(range(per_thread))


def test_event_dicts_are_the_batch_as_dicts():
    fields = ["click", "u1", "c1", T0, "view", "u\0", "频道", T0 + 1]
    assert _staging.event_dicts(fields) == [
        {"type": "click", "user_id": "u1", "channel_id": "c1", "timestamp": T0},
        {"type": "view", "user_id": "u\0", "channel_id": "频道", "timestamp": T0 + 1},
    ]
    assert _staging.event_dicts([]) == []
    for bad in (fields[:3], tuple(fields), None):
        with pytest.raises(TypeError, match="4 fields per event"):
            _staging.event_dicts(bad)


UPDATES = [
    (("alice", 5.0, T0), {}),
    (("alice", 5, T0), {}),
    (("alice", -3, T0), {}),
    (("alice", 0, T0), {}),
    (("alice", 10 ** 400, T0), {}),
    (("alice", 2 ** 53 + 1, T0), {}),
    (("alice", float("nan"), T0), {}),
    (("alice", float("inf"), T0), {}),
    (("alice", True, T0), {}),
    (("alice", "5", T0), {}),
    (("alice", 5.0), {}),
    (("alice", 5.0, None), {}),
    (("alice", 5.0, 0), {}),
    (("alice", 5.0, -1), {}),
    (("alice", 5.0, T0 + 10 ** 9), {}),  # past the horizon: the engine refuses it
    (("alice", 5.0, BIG), {}),
    (("alice", 5.0, 1.5), {}),
    (("alice",), {"points": 5.0, "timestamp": T0}),
    (("ünïcødé", 5.0, T0), {}),
    (("lone \udc80", 5.0, T0), {}),
    ((b"alice", 5.0, T0), {}),
    ((Text("alice"), 5.0, T0), {}),
    ((7, 5.0, T0), {}),
    (("alice", 5.0, T0, "extra"), {}),
]


@pytest.mark.parametrize("args,kwargs", UPDATES)
def test_update_fast_path_agrees_with_python(args, kwargs):
    clock = ManualClock()
    with Leaderboard(0.95, 0, clock=clock) as fast, Leaderboard(0.95, 0, clock=clock) as slow:
        assert outcome(lambda: fast.update(*args, **kwargs)) == \
            outcome(lambda: slow._update_slow(*args, **kwargs))
        assert fast._staged == slow._staged
        assert fast._staged_fields() == slow._staged_fields()
        assert [type(f) for f in fast._staged_fields()] == [type(f) for f in slow._staged_fields()]
        assert fast.top(5) == slow.top(5)


def test_update_without_timestamp_reads_the_boards_clock():
    clock = ManualClock(T0 - 86400)
    with Leaderboard(0.5, 0, clock=clock) as board:
        board.update("alice", 8)
        assert board._staged_fields() in ([], ["alice", 8.0, T0 - 86400])
        clock.now = T0
        assert board.rank("alice").score == pytest.approx(4.0)


def test_staged_updates_wait_as_the_wire_a_drain_hands_the_engine():
    from array import array

    from engagehub_native._library import encode_strings

    clock = ManualClock()
    with Leaderboard(0.95, 0, clock=clock) as board:
        board._room = 10 ** 6  # nothing drains on its own
        ids = ["alice", "bö\0b", "频道", "", "x" * 70_000, "🎉"]
        points = [1.5, 2, -3.0, 1e308, 0.25, 7]
        for i, (uid, pts) in enumerate(zip(ids, points)):
            board.update(uid, pts, T0 + i)  # ASCII in C, the rest through _update_slow
        assert board._staged == len(ids)
        fields = [f for i, (u, p) in enumerate(zip(ids, points)) for f in (u, float(p), T0 + i)]
        assert board._staged_fields() == fields

        def wire(lo, hi):
            return (encode_strings(ids[lo:hi]), array("d", points[lo:hi]).tobytes(),
                    array("q", range(T0 + lo, T0 + hi)).tobytes(), hi - lo)

        assert board._take_staged(2) == wire(0, 2)  # the first ones; the rest move up
        assert board._staged_fields() == fields[6:]
        board.update("zed", 1.0, T0 + 99)  # after the rest
        assert board._take_staged(3) == wire(2, 5)
        assert board._take_staged(10) == (encode_strings(["🎉", "zed"]), array("d", [7, 1]).tobytes(),
                                          array("q", [T0 + 5, T0 + 99]).tobytes(), 2)
        assert board._take_staged(10) == (b"", b"", b"", 0) and board._staged == 0
        with pytest.raises(ValueError, match="count >= 0"):
            board._take_staged(-1)
        with pytest.raises(ValueError, match="no byte 0xFF"):
            board._stage(b"a\xffb", 1.0, T0)
        board.update("carol", 3.0, T0)
        board._discard_staged()
        assert board._staged == 0 and board._staged_fields() == []
        assert len(board) == 0  # nothing was submitted: the takes above only unstaged
        for i, uid in enumerate(ids):
            board.update(uid, 1.0, T0)
        assert sorted(u.user_id for u in board.top(10)) == sorted(ids)  # a read drains


@pytest.mark.parametrize("first_char", ["a", "ü"])  # the C path, _update_slow
def test_long_ids_drain_the_staging_at_4_mib(first_char):
    with Leaderboard(1.0, 0) as board:
        size = 100_000  # characters: 4 MiB of ids is 42 of them (ASCII), 41 (ü takes 2 bytes)
        ids = [first_char + f"{i:06d}" + "x" * (size - 7) for i in range(50)]
        staged_before_drain = 0
        for uid in ids:
            board.update(uid, 1.0, T0)
            if board._staged == 0:
                break
            staged_before_drain = board._staged
        assert board._staged == 0  # drained on its own, long before 1,024 updates
        assert 3 * staged_before_drain < board._room
        held = len(ids[0].encode()) + 1
        assert (staged_before_drain + 1) * held >= 4 << 20 > staged_before_drain * held
        assert len(board) == staged_before_drain + 1


def test_threads_staging_through_both_paths_lose_no_update():
    """Eight threads update through the C path (ASCII ids) and _update_slow
    (other ids) at once, across many drains, while another thread reads:
    every update lands exactly once."""
    per_thread, users = 3000, 40
    ids = [f"u{k}" if k % 2 else f"ü{k}" for k in range(users)]
    errors: list = []
    done = threading.Event()
    with Leaderboard(1.0, 0) as board:
        def writer(tid):
            try:
                for i in range(per_thread):
                    board.update(ids[(tid + i) % users], 1.0 + (i % 3 == 0), T0)
            except Exception as exc:  # surfaced below
                errors.append(exc)

        def reader():
            while not done.is_set():
                try:
                    assert len(board.top(5)) <= 5 and len(board) <= users
                except Exception as exc:
                    errors.append(exc)
                    return

        readers = [threading.Thread(target=reader)]
        writers = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
        for t in readers + writers:
            t.start()
        for t in writers:
            t.join()
        done.set()
        readers[0].join()
        assert errors == []
        expected = {uid: 0.0 for uid in ids}
        for tid in range(8):
            for i in range(per_thread):
                expected[ids[(tid + i) % users]] += 1.0 + (i % 3 == 0)
        assert {u.user_id: u.score for u in board.top(users)} == expected
        assert board._staged == 0


def test_update_drains_at_its_room_and_reads_see_every_update():
    with Leaderboard(0.95, 0) as board:
        now = int(time.time())
        for i in range(5000):  # several times the staging room
            board.update(f"u{i}", 1.0, now)
            assert 3 * board._staged < board._room
        assert len(board) == 5000


def test_update_after_close_raises():
    board = Leaderboard(0.95, 0)
    board.update("alice", 1.0, int(time.time()))
    board.close()
    with pytest.raises(engagehub_native.ClosedError):
        board.update("bob", 1.0, int(time.time()))


def test_the_fast_paths_are_the_public_methods():
    assert EventStreamProcessor.push is _staging.Pushes.__dict__["push"]
    assert Leaderboard.update is _staging.Updates.__dict__["update"]
    assert "Queue one event" in EventStreamProcessor.push.__doc__
    assert "Add ``points``" in Leaderboard.update.__doc__


def test_an_offer_hands_the_engine_the_staged_wire():
    from engagehub_native._library import encode_strings

    fields = ["click", "u1", "c1", T0, "vöice", "u\0nul", "频道 \U0001F600", T0 + 1,
              "", "", "", 1, "x" * 3000, "y", "z", 2 ** 63 - 1]
    with EventStreamProcessor(buffer_size=8) as p:  # no callback: the engine keeps them
        pipeline = p._pipeline
        staging = pipeline.staging
        assert staging.stage(fields, staging.capacity) is True
        status, taken, held, room = staging.offer(pipeline._handle, 10, 1 << 40, True)
        assert (status, taken, room) == (0, 4, 4)
        assert held == (len(encode_strings(fields[1::4] + fields[2::4]))
                        + sum(len(t) for t in fields[0::4]))
        assert (staging.count, staging.next) == (0, 4)
        assert dict(p.top_channels(10)) == {"c1": 1, "频道 \U0001F600": 1, "": 1, "z": 1}
        assert p.stats().accepted == 4
        assert staging.take_fields(0, 4) == fields  # the very objects, in their slots


def test_an_offer_stops_at_the_byte_budget_and_keeps_the_rest_staged():
    fields = [f for i in range(5) for f in ("t", f"user{i}", "ch", T0 + i)]
    each = len("t") + len("user0") + 1 + len("ch") + 1
    with EventStreamProcessor(buffer_size=16) as p:
        pipeline = p._pipeline
        staging, handle = pipeline.staging, pipeline._handle
        assert staging.stage(fields, 16)
        assert staging.offer(handle, 5, 2 * each, False)[1:3] == (2, 2 * each)
        assert staging.offer(handle, 5, each - 1, False)[1] == 0
        assert staging.offer(handle, 5, each - 1, True)[1] == 1  # alone: one even past it
        assert staging.fields() == fields[12:] and staging.next == 3
        status, taken, held, room = staging.offer(handle, 0, 1 << 40, False)  # room only
        assert (status, taken, held) == (0, 0, 0) and 13 <= room <= 16  # as analysed meanwhile


def test_the_slots_bound_the_staging_until_their_batches_are_taken():
    event = ["t", "u", "c", T0]
    with EventStreamProcessor(buffer_size=64) as p:
        handle = p._pipeline._handle
        staging = _staging.EventStaging(4, 3, False)
        assert staging.stage(event * 3, 3) and not staging.stage(event, 3)  # the limit
        assert staging.offer(handle, 3, 1 << 40, False)[1] == 3
        assert staging.stage(event, 3) and staging.free == 0
        assert not staging.stage(event, 100)  # every slot in use until kept_from moves
        staging.kept_from = 2  # the engine handed positions 0 and 1 out, and they were taken
        assert staging.take_fields(0, 2) == event * 2
        assert staging.free == 2 and staging.stage(event * 2, 100)
        assert staging.discard(1) == 2 and staging.count == 1
        staging.open = False
        assert not staging.stage(event, 100)


def test_slots_release_their_fields_on_the_next_lap_and_with_the_staging():
    # A native sink with no callback leaves each batch's fields in their
    # slots: the push that reuses a slot a lap later releases them, and the
    # staging releases what its slots still hold when it goes.
    def unique_ids(tag):
        return [f"{tag}-{i}-{'x' * i}" for i in range(4)]  # fresh objects, not interned

    def events(ids):
        return [f for uid in ids for f in ("t", uid, "c", T0)]

    with EventStreamProcessor(buffer_size=64) as p:
        handle = p._pipeline._handle
        staging = _staging.EventStaging(4, 4, False)
        first, second = unique_ids("first"), unique_ids("second")
        alone = [sys.getrefcount(uid) for uid in first]
        assert staging.stage(events(first), 4)
        assert [sys.getrefcount(uid) for uid in first] == [n + 1 for n in alone]
        assert staging.offer(handle, 4, 1 << 40, False)[1] == 4
        staging.kept_from = 4  # the engine is done with positions 0..3; no dispatcher took them
        assert staging.stage(events(second), 4)
        assert [sys.getrefcount(uid) for uid in first] == alone
        assert staging.fields() == events(second)
        del staging
        gc.collect()
        assert [sys.getrefcount(uid) for uid in second] == alone


def test_a_failed_stage_stages_nothing():
    staging = _staging.EventStaging(8, 8, False)
    good = ["click", "u1", "c1", T0]
    with pytest.raises(TypeError, match="4 fields per event"):
        staging.stage(["click", "u1", "c1"], 8)
    with pytest.raises(TypeError, match="must be str"):
        staging.stage(good + ["click", 7, "c1", T0], 8)
    with pytest.raises(UnicodeEncodeError):
        staging.stage(good + ["click", "\udc80", "c1", T0], 8)
    with pytest.raises(OverflowError):
        staging.stage(good + ["click", "u1", "c1", 2 ** 64], 8)
    assert staging.count == 0 and staging.fields() == []
    assert staging.stage(good, 8) and staging.fields() == good


def test_update_wire_is_the_wire_format():
    from array import array

    from engagehub_native._library import encode_strings

    ids, points, stamps = ["alice", "bö\0b", "频道", ""], [1.5, 2, -3, 1e308], [T0, 1, 2 ** 63 - 1, -2 ** 63]
    fields = [field for update in zip(ids, points, stamps) for field in update]
    assert _staging.update_wire(fields) == (
        encode_strings(ids), array("d", points).tobytes(), array("q", stamps).tobytes())
    assert _staging.update_wire([]) == (b"", b"", b"")
    for bad in (["a", 1.0], ("a", 1.0, T0)):
        with pytest.raises(TypeError, match="3 fields per update"):
            _staging.update_wire(bad)
    for bad in (["a", "1", T0], [b"a", 1.0, T0], ["a", 1.0, "1"], ["a", 1.0, 1.5]):
        with pytest.raises(TypeError):
            _staging.update_wire(bad)
    for stamp in (2 ** 63, -2 ** 63 - 1, 2 ** 100):
        with pytest.raises(OverflowError):
            _staging.update_wire(["a", 1.0, stamp])


# -- the checks of push_many and update_many ------------------------------------
#
# _staging.flat_events and flat_updates check a whole chunk in one pass and
# answer None for anything but the common case, which the Python rules then
# check one by one (and name). Wherever C answers, its answer must be the
# rules' answer; chunks mix the single calls above, so every field value they
# hold meets every position in a chunk.


def mixed_chunks(calls, usual, widths, seed):
    """Each call alone, plus random chunks of calls: half of them of calls the
    fast path takes alone (``usual``), all of one of ``widths``; half of any."""
    rng = random.Random(seed)
    singles = [list(args) for args, kwargs in calls if not kwargs]
    common = [s for s in singles if usual(s)]
    chunks = [[single] for single in singles]
    for i in range(300):
        if i % 2:
            width = rng.choice(widths)
            pool = [s for s in common if len(s) == width]
        else:
            pool = singles
        picks = [rng.choice(pool) for _ in range(rng.randint(2, 6))]
        chunks.append([tuple(p) if rng.random() < 0.5 else list(p) for p in picks])
    return chunks


def without_now(fields, stamp_at, step):
    """Timestamps read from the clock just now replaced by a marker."""
    fields = list(fields)
    for i in range(stamp_at, len(fields), step):
        if abs(fields[i] - time.time()) < 5:
            fields[i] = "now"
    return fields


def test_push_many_checks_in_c_agree_with_the_rules():
    from engagehub_native.processor import _checked_one_by_one

    answered = 0
    for chunk in mixed_chunks(PUSHES, lambda e: _staging.flat_events([e]) is not None,
                              (3, 4), seed=1):
        flat = _staging.flat_events(chunk)
        staging = _staging.EventStaging(16, 16, False)
        staged = staging.stage_events(chunk, 16)
        assert (staged is None) == (flat is None), chunk  # push_many's one pass, the same rules
        if flat is None:
            assert staging.count == 0
            continue
        answered += 1
        checked = _checked_one_by_one(chunk, 0)  # must not raise: C took the chunk
        assert without_now(flat, 3, 4) == without_now(checked, 3, 4), chunk
        assert [type(f) for f in flat] == [type(f) for f in checked]
        assert staged == len(chunk)
        assert without_now(staging.fields(), 3, 4) == without_now(checked, 3, 4), chunk
    assert answered > 150  # the common case is the fast path


def test_update_many_checks_in_c_agree_with_the_rules():
    clock = ManualClock()
    with Leaderboard(0.95, 0, clock=clock) as board:
        answered = 0
        usual = lambda u: _staging.flat_updates([u], board._latest, board.now) is not None  # noqa: E731
        for chunk in mixed_chunks(UPDATES, usual, (2, 3), seed=2):
            flat = _staging.flat_updates(chunk, board._latest, board.now)
            if flat is None:
                continue
            answered += 1
            checked = board._checked_one_by_one(chunk, 0)  # must not raise
            assert flat == checked, chunk
            assert all(type(p) is float for p in flat[1::3])
        assert answered > 150


@pytest.mark.parametrize("chunk", [
    [("m", "u", "c"), ("m", "u", "c", T0)],  # mixed widths: the rules refuse them
    [("m", Text("u"), "c", T0)],
    [("m", "u", "c", True)],
    [("m", "u", "c", 0)],
    ["mucx"],
])
def test_push_many_checks_leave_the_unusual_to_python(chunk):
    assert _staging.flat_events(chunk) is None
    staging = _staging.EventStaging(8, 8, False)
    assert staging.stage(["t", "u", "c", T0], 8)
    assert staging.stage_events(chunk, 8) is None
    assert staging.fields() == ["t", "u", "c", T0]  # what the call staged is unstaged


def test_push_many_stages_a_chunk_whole_or_not_at_all():
    staging = _staging.EventStaging(8, 8, False)
    chunk = [("m", f"u{i}", "c") for i in range(5)]
    assert staging.stage_events(chunk, 4) is False  # past the limit: nothing staged
    assert staging.stage_events(chunk, 8) == 5
    stamps = staging.fields()[3::4]
    assert len(set(stamps)) == 1 and abs(stamps[0] - time.time()) < 5  # now, read once
    assert staging.stage_events(chunk, 8) is False  # past the free slots
    assert staging.count == 5


def test_the_small_prefix_counts_events_that_may_wait():
    staging = _staging.EventStaging(8, 8, False)
    big = "x" * _staging.SMALL_EVENT
    assert staging.stage(["t", "u", "c", T0, "t", big, "c", T0, "t", "u", "c", T0], 8)
    assert [staging.small_prefix(i) for i in range(4)] == [1, 0, 1, 0]


def test_update_many_checks_leave_the_unusual_to_python_and_read_the_clock_once():
    clock = ManualClock()
    with Leaderboard(0.95, 0, clock=clock) as board:
        latest = board._latest
        for chunk in ([("a", 1.0, latest + 1)], [("a", True)], [(Text("a"), 1.0)], ["ab"]):
            assert _staging.flat_updates(chunk, latest, board.now) is None
        reads = []
        assert _staging.flat_updates([("a", 1.0), ("b", 2.0, T0), ("c", 3)], latest,
                                     lambda: reads.append(1) or T0 + 0.5) == \
            ["a", 1.0, T0, "b", 2.0, T0, "c", 3.0, T0]
        assert reads == [1]

        # The clock is read before any update's items are taken: a clock
        # that changes the updates (here a list the caller holds) is seen
        # as having run first.
        first, second = ["a", 1.0, T0], ["b", 2.0]

        def meddling_clock():
            del first[2]
            second.append(T0 - 5)
            return T0 + 9

        assert _staging.flat_updates([first, second], latest, meddling_clock) == \
            ["a", 1.0, T0 + 9, "b", 2.0, T0 - 5]

        def broken_clock():
            raise RuntimeError("no clock")

        with pytest.raises(RuntimeError, match="no clock"):
            _staging.flat_updates([("a", 1.0)], latest, broken_clock)
    with pytest.raises(TypeError):
        _staging.flat_events(("m", "u", "c"))
