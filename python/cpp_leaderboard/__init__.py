"""Drop-in replacement for the original C++ ``cpp_leaderboard`` extension.

A thin adapter over :class:`engagehub_native.Leaderboard`: the names,
argument shapes and return shapes of the original, with its bugs fixed
(NaN points refused, snapshots valid JSON and written atomically, a bad
snapshot leaving the board untouched). New code should use
``engagehub_native.Leaderboard`` directly.
"""

from __future__ import annotations

from typing import Callable, Optional

import engagehub_native

__all__ = ["Leaderboard", "RankEntry"]


class RankEntry:
    """A user's standing, as the original exported it (read-only)."""

    __slots__ = ("_user_id", "_score", "_rank", "_last_update")

    def __init__(self, user_id: str, score: float, rank: int, last_update: int) -> None:
        self._user_id, self._score, self._rank, self._last_update = user_id, score, rank, last_update

    user_id = property(lambda self: self._user_id)
    score = property(lambda self: self._score)
    rank = property(lambda self: self._rank)
    last_update = property(lambda self: self._last_update)

    def __repr__(self) -> str:
        return (f"RankEntry(user_id={self._user_id!r}, score={self._score!r}, "
                f"rank={self._rank!r}, last_update={self._last_update!r})")


def _k(k) -> int:
    # The original took k as an unsigned size: a negative or non-int k is a TypeError.
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise TypeError(f"k must be a non-negative int, got {k!r}")
    return k


class Leaderboard(engagehub_native.Leaderboard):
    """Users ranked by exponentially decayed points (``decay_factor`` per day).

    The native board under the original's names; its own methods (top,
    rank, around, update_many, ...) are there too.
    """

    def __init__(self, decay_factor: float = 0.95, max_users: int = 100000) -> None:
        if isinstance(max_users, int) and not isinstance(max_users, bool) and max_users < 0:
            raise TypeError(f"max_users must be a non-negative int, got {max_users!r}")
        super().__init__(decay_factor, max_users)

    #: update_user(user_id, points, timestamp): add points as of timestamp
    #: (<= 0: the clock's now).
    update_user = engagehub_native.Leaderboard.update

    def get_top_users(self, k: int) -> list:
        if type(k) is not int or k < 0:  # the common case without a call: 0.5 µs of 6
            k = _k(k)
        return engagehub_native.as_dicts(self.top(k))

    def get_user_rank(self, user_id: str) -> Optional[dict]:
        ranked = self.rank(user_id)
        if ranked is None:
            return None
        u, s, r, t = ranked
        return {"user_id": u, "score": s, "rank": r, "last_update": t}

    def save_to_json(self, filepath: str) -> None:
        self.save(filepath)

    def load_from_json(self, filepath: str) -> None:
        self.load(filepath)

    def size(self) -> int:
        return len(self)

    def get_current_time(self) -> float:
        return float(self.now())

    def set_time_source(self, time_source: Optional[Callable[[], int]]) -> None:
        self.clock = time_source
