"""Time-windowed boards: "this week" and "this month" beside all time, from one stream."""

import math

import pytest

from engagehub_native import Leaderboard, LeaderboardWindow

DAY = 86400
WEEK = 7 * DAY
MONDAY = 2800 * WEEK + 4 * DAY  # a Monday 00:00 UTC (1970-01-05 was one)


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture
def clock():
    return Clock(MONDAY + 3600)


@pytest.fixture
def board(clock):
    with Leaderboard(1.0, 0, clock=clock, windows={"week": WEEK, "month": 30 * DAY},
                     window_origin=4 * DAY) as b:
        yield b


def ids(users):
    return [u.user_id for u in users]


def test_windows_rank_their_current_period(board, clock):
    assert board.windows == {"week": WEEK, "month": 30 * DAY}
    assert board.window_origin == 4 * DAY
    board.update("ann", 5, MONDAY + 10)
    board.update("bob", 3, MONDAY + DAY)
    board.update("ann", 1, MONDAY - 10)            # last week: all time (and the month) only
    board.update("cat", 10, MONDAY - 40 * DAY)     # long ago: all time only
    assert ids(board.top(10)) == ["cat", "ann", "bob"]
    assert ids(board.top(10, window="week")) == ["ann", "bob"]
    assert board.rank("ann", window="week").score == 5.0
    assert board.rank("cat", window="week") is None
    assert board.rank("bob", window="week", style="dense").rank == 2
    assert ids(board.page(1, 5, window="week")) == ["bob"]
    assert ids(board.around("bob", 1, 1, window="week")) == ["ann", "bob"]
    assert board.percentile("bob", window="week") == 0.0
    assert board.at_percentile(100, window="week").user_id == "ann"
    week = board.window("week")
    assert isinstance(week, LeaderboardWindow)
    assert len(week) == 2 and len(board) == 3
    assert ids(week.top(5)) == ["ann", "bob"]
    assert week.rank("ann").rank == 1
    month = board.window("month")
    assert len(month) == 2

    # A week later nobody has earned points: the week reads empty...
    clock.t = MONDAY + WEEK + 60
    assert len(week) == 0 and week.top(5) == [] and week.rank("ann") is None
    assert week.at_percentile(50) is None
    # ...until an update rolls it over.
    board.update("bob", 2, MONDAY + WEEK + 30)
    assert ids(week.top(5)) == ["bob"] and week.rank("bob").score == 2.0
    assert board.rank("bob").score == 5.0


def test_snapshots_hold_the_windows(board, clock, tmp_path):
    for i in range(50):
        board.update(f"u{i}", i % 7, MONDAY + i * 600)
    path = tmp_path / "board.json"
    board.save(path)
    with Leaderboard(0.5, 10, clock=clock) as other:
        assert other.windows == {}
        other.load(path)
        assert other.windows == {"week": WEEK, "month": 30 * DAY}
        assert other.window_origin == 4 * DAY
        for name in ("week", "month"):
            assert other.top(100, window=name) == board.top(100, window=name)
        assert other.top(100) == board.top(100)


@pytest.mark.parametrize("windows, exc, match", [
    ({"week": 0}, ValueError, "positive whole number of minutes"),
    ({"week": -WEEK}, ValueError, "positive whole number of minutes"),
    ({"week": 90}, ValueError, "positive whole number of minutes"),
    ({"": 60}, ValueError, "window name"),
    ({"week": 7.5 * DAY}, TypeError, "whole number of seconds"),
    ({"week": float(WEEK)}, TypeError, "whole number of seconds"),
    ({"week": True}, TypeError, "whole number of seconds"),
    ({"week": "604800"}, TypeError, "whole number of seconds"),
    ({"week": math.nan}, TypeError, "whole number of seconds"),
    ({5: 60}, TypeError, "window name must be str"),
    ([("week", WEEK)], TypeError, "windows must be a mapping"),
    ({f"w{i}": 60 for i in range(17)}, ValueError, "at most 16"),
])
def test_bad_windows_are_refused(windows, exc, match):
    with pytest.raises(exc, match=match):
        Leaderboard(1.0, 0, windows=windows)


def test_bad_window_origin_is_refused():
    with pytest.raises(ValueError, match="origin"):
        Leaderboard(1.0, 0, windows={"week": WEEK}, window_origin=-1)
    with pytest.raises(TypeError, match="window_origin must be int"):
        Leaderboard(1.0, 0, windows={"week": WEEK}, window_origin=1.5)


@pytest.mark.parametrize("call", [
    lambda b, w: b.top(3, window=w),
    lambda b, w: b.rank("ann", window=w),
    lambda b, w: b.page(0, 3, window=w),
    lambda b, w: b.around("ann", window=w),
    lambda b, w: b.percentile("ann", window=w),
    lambda b, w: b.at_percentile(50, window=w),
    lambda b, w: len(b.window(w)),
])
def test_unknown_window_name_is_refused(board, call):
    board.update("ann", 1, MONDAY)
    before = board.top(10, window="week")
    with pytest.raises(ValueError, match="no window of that name: \"fortnight\""):
        call(board, "fortnight")
    with pytest.raises(ValueError, match="window"):
        call(board, "")
    with pytest.raises(TypeError, match="window must be str"):
        call(board, 7)
    assert board.top(10, window="week") == before
    assert len(board) == 1
