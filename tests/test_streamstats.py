"""Trending channels over a sliding window, estimates with their error, and
analytics exported from one processor and merged into another."""

from __future__ import annotations

import time

import pytest

import cpp_event_processor
from engagehub_native import (
    ESTIMATE_CONFIDENCE,
    ChannelCount,
    Estimate,
    EventStreamProcessor,
    InvalidValueError,
)


def _drop(batch):
    pass


@pytest.fixture
def proc():
    with EventStreamProcessor(buffer_size=1 << 15, batch_size=1000, on_flush=_drop) as p:
        yield p


def _now() -> int:
    # Away from a minute's end, so "now" and the pushes share a minute.
    t = time.time()
    if t % 60 > 55:
        time.sleep(60 - t % 60 + 0.1)
    return int(time.time())


def test_window_separates_trending_from_all_time(proc):
    now = _now()
    proc.push_many([("m", f"u{i}", "old", now - 50 * 60) for i in range(300)])
    proc.push_many([("m", f"u{i}", "hot", now) for i in range(100)])
    proc.push_many([("m", "u", "ancient", now - 2 * 3600)] * 500)
    assert proc.top_channels(5) == [("ancient", 500), ("old", 300), ("hot", 100)]
    assert proc.top_channels(5, window=None) == proc.top_channels(5)
    assert proc.top_channels(5, window=3600) == [("old", 300), ("hot", 100)]
    assert proc.top_channels(5, window=600) == [("hot", 100)]
    assert proc.top_channels(1, window=60) == [("hot", 100)]


def test_counts_with_bounds(proc):
    now = _now()
    events, truth = [], {}
    for i in range(20_000):
        channel = f"ch{int(1 / ((i % 997) / 997 + 0.001))}"  # skewed: a few busy channels
        truth[channel] = truth.get(channel, 0) + 1
        events.append(("m", f"u{i}", channel, now - (i % 3000)))
    proc.push_many(events)
    for window in (None, 3600):
        top = proc.top_channels(10, window=window, with_bounds=True)
        assert len(top) == 10
        assert all(type(c) is ChannelCount for c in top)
        assert top == sorted(top, key=lambda c: (-c.count, c.channel_id))
        for c in top:
            assert c.count - c.max_overcount <= truth[c.channel_id] <= c.count
        plain = proc.top_channels(10, window=window)
        assert plain == [(c.channel_id, c.count) for c in top]


def test_unique_users_with_bounds(proc):
    now = _now()
    proc.push_many([("m", f"user-{i}", "c", now) for i in range(30_000)])
    est = proc.unique_users(3600, with_bounds=True)
    assert type(est) is Estimate
    assert est.value == proc.unique_users(3600)
    assert est.lower < est.value < est.upper
    assert est.lower <= 30_000 <= est.upper
    # 95 %: about ±1.96 · 1.04/√16384 of the value.
    assert est.upper - est.lower == pytest.approx(2 * 1.96 * 1.04 / 128 * est.value, rel=0.05)
    assert ESTIMATE_CONFIDENCE == 0.95
    assert proc.unique_users(600, with_bounds=True).value == proc.unique_users(600)


@pytest.mark.parametrize("window", [0, -60, 90, 59, 3601, 7200, 2**63 - 1])
def test_bad_window_is_value_error_and_changes_nothing(proc, window):
    proc.push("m", "u", "c")
    before = proc.top_channels(5, window=3600, with_bounds=True)
    with pytest.raises(ValueError, match="window"):
        proc.top_channels(5, window=window)
    with pytest.raises(InvalidValueError):
        proc.top_channels(5, window=window, with_bounds=True)
    assert proc.top_channels(5, window=3600, with_bounds=True) == before


@pytest.mark.parametrize("window", [60.0, "3600", True, b"60"])
def test_window_of_wrong_type_is_type_error(proc, window):
    with pytest.raises(TypeError, match="window"):
        proc.top_channels(5, window=window)


@pytest.mark.parametrize("k", [0, -1, -(2**40)])
def test_windowed_k_below_one_is_value_error(proc, k):
    with pytest.raises(ValueError, match="k"):
        proc.top_channels(k, window=3600)


@pytest.mark.parametrize("k", [1.5, "3", None, True])
def test_k_of_wrong_type_is_type_error(proc, k):
    with pytest.raises(TypeError, match="k"):
        proc.top_channels(k, window=3600)
    with pytest.raises(TypeError, match="k"):
        proc.top_channels(k)


def test_unique_users_bad_window(proc):
    with pytest.raises(ValueError):
        proc.unique_users(7200, with_bounds=True)
    with pytest.raises(TypeError):
        proc.unique_users(60.0, with_bounds=True)


def _stream(p, users, channel_weights, now):
    events = []
    for i, user in enumerate(users):
        for channel, weight in channel_weights:
            if i % weight == 0:
                events.append(("m", user, channel, now - (i % 1800)))
    p.push_many(events)
    return events


def test_export_and_merge_combine_processes():
    now = _now()
    kwargs = dict(buffer_size=1 << 16, batch_size=1000, on_flush=_drop)
    with EventStreamProcessor(**kwargs) as a, EventStreamProcessor(**kwargs) as b, \
            EventStreamProcessor(**kwargs) as both, EventStreamProcessor(**kwargs) as merged:
        users_a = [f"a{i}" for i in range(20_000)]
        users_b = [f"b{i}" for i in range(15_000)] + users_a[:5000]  # 5000 seen by both
        ea = _stream(a, users_a, [("general", 1), ("memes", 3)], now)
        eb = _stream(b, users_b, [("general", 2), ("voice", 5)], now)
        both.push_many(ea + eb)

        blob = a.export_analytics()
        assert isinstance(blob, bytes) and blob[:3] == b"EHA"
        merged.merge_analytics(blob)
        merged.merge_analytics(bytearray(b.export_analytics()))
        for window in (60, 600, 3600):
            # A HyperLogLog union is exact: one sketch fed both streams.
            assert merged.unique_users(window) == both.unique_users(window)
        truth = {}
        for e in ea + eb:
            truth[e[2]] = truth.get(e[2], 0) + 1
        for window in (None, 3600):
            top = merged.top_channels(3, window=window, with_bounds=True)
            assert [c.channel_id for c in top] == ["general", "memes", "voice"]
            for c in top:
                assert c.count - c.max_overcount <= truth[c.channel_id] <= c.count


def _corrupt(blob: bytes, at: int, value: int) -> bytes:
    b = bytearray(blob)
    b[at] = value
    return bytes(b)


def test_bad_blob_is_value_error_and_changes_nothing(proc):
    now = _now()
    with EventStreamProcessor(buffer_size=1024, batch_size=100, on_flush=_drop) as src:
        src.push_many([("m", f"u{i}", f"c{i % 7}", now) for i in range(500)])
        good = src.export_analytics()
    with EventStreamProcessor(buffer_size=1024, batch_size=100, on_flush=_drop,
                              hll_precision=12) as other:
        other.push("m", "u", "c", now)
        other_precision = other.export_analytics()
    with EventStreamProcessor(buffer_size=1024, batch_size=100, on_flush=_drop,
                              topk_capacity=100) as other:
        other.push("m", "u", "c", now)
        other_capacity = other.export_analytics()
    proc.push_many([("m", f"keep{i}", "kept", now) for i in range(100)])
    before = proc.export_analytics()
    bad = {
        "other version": _corrupt(good, 3, 2),
        "other precision": other_precision,
        "other top-k capacity": other_capacity,
        "truncated": good[:-1],
        "cut in half": good[: len(good) // 2],
        "garbage": b"not an analytics state at all",
        "empty": b"",
        "trailing byte": good + b"\0",
    }
    for name, blob in bad.items():
        with pytest.raises(ValueError):
            proc.merge_analytics(blob)
        assert proc.export_analytics() == before, name
    with pytest.raises(TypeError, match="bytes"):
        proc.merge_analytics("EHA")
    assert abs(proc.unique_users() - 100) <= 2  # HyperLogLog: near exact when small
    assert proc.top_channels(1) == [("kept", 100)]


def test_dropin_unchanged():
    p = cpp_event_processor.EventStreamProcessor(1024, 1, 100, 10)
    try:
        p.set_flush_callback(_drop)
        for _ in range(3):
            p.push_event("m", "u", "busy", 0)
        p.push_event("m", "u", "quiet", 0)
        p.flush_now()
        assert p.get_top_channels(5) == [("busy", 3), ("quiet", 1)]
        assert p.get_top_channels(0) == []
    finally:
        p.close()
