"""The soak's verdict (tests/soak.py; run by ./build.sh soak) can tell a leak from a plateau."""

from __future__ import annotations

import soak


def test_a_plateau_levels_off():
    warm_up = [20.0, 50.0, 80.0]
    assert soak.levels_off(warm_up + [81.0, 83.0, 80.5, 84.0, 82.0, 85.0], "rss_mb")[0]
    assert soak.levels_off([6] * 9, "py_threads")[0]


def test_steady_growth_does_not_level_off():
    assert not soak.levels_off([float(40 + 10 * i) for i in range(12)], "rss_mb")[0]
    assert not soak.levels_off([10, 10, 10, 11, 12, 13, 14, 15, 16], "fds")[0]
    assert not soak.levels_off([13, 13, 13, 13, 13, 13, 13, 13, 17], "os_threads")[0]


def test_too_few_samples_is_not_a_verdict_of_growth():
    ok, why = soak.levels_off([1.0, 2.0], "rss_mb")
    assert ok and "too few" in why
