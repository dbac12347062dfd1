"""The benchmark harness's timing loop: it makes each call exactly as given,
keywords included (the figures in docs/benchmarks.md rest on it)."""

from __future__ import annotations

from engagehub_native.bench import per_call_ns


def test_calls_are_made_with_the_arguments_and_keywords_given():
    calls = []

    def record(*args, **kwargs):
        calls.append((args, kwargs))

    args = [("a", 1), ("b", 2), ("c", 3)]
    samples = per_call_ns(record, args, warmup=1, keywords={"style": "dense", "window": None})
    assert calls == [(("a", 1), {"style": "dense", "window": None})] + [
        (a, {"style": "dense", "window": None}) for a in args]
    assert len(samples) == 3 and samples == sorted(samples) and all(s > 0 for s in samples)


def test_calls_without_arguments_or_keywords():
    calls = []
    samples = per_call_ns(lambda: calls.append(1), [()] * 5)
    assert calls == [1] * 5 and len(samples) == 5
    calls.clear()
    per_call_ns(lambda *a: calls.append(a), [(1, 2, 3)] * 2)
    assert calls == [(1, 2, 3)] * 2
