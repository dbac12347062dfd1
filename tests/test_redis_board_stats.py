"""Rank styles and percentiles of a Leaderboard kept in Redis (backend="redis://..."),
against a real redis-server (tests/redis_server.py): competition ranks,
percentiles and entries at percentiles equal to the embedded board's for the
same updates, and a clear ValueError naming what a sorted set cannot answer
in O(log n) (dense rank) or does not keep (windows, the earliest-first
tie-break)."""

from __future__ import annotations

import math
import random
import uuid

import pytest

from engagehub_native import Leaderboard, RankedUser

import redis_server as rs
from conftest import T0, ManualClock

pytestmark = pytest.mark.skipif(rs.SERVER is None, reason=rs.MISSING)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def ranks(users) -> list:
    return [(u.user_id, u.rank) for u in users]


def tied_updates(seed: int, n: int, users: int, span: int) -> list:
    """Integer points from three values over few users: most users tie."""
    rnd = random.Random(seed)
    return [(f"u{rnd.randrange(users)}", float(rnd.randint(1, 3)), T0 + rnd.randrange(span))
            for _ in range(n)]


@pytest.fixture
def small(redis_server, clock):
    """Scores 10, 7, 7, 7, 3 (d, a, b, c, e) on a board in Redis."""
    with Leaderboard(0.95, 0, clock=clock, backend=redis_server.url, name=unique("small")) as b:
        b.update_many([("a", 7, T0), ("b", 7, T0), ("c", 7, T0), ("d", 10, T0), ("e", 3, T0)])
        yield b


def test_competition_ranks(small, clock):
    clock.now = T0 + 86400  # decay changes scores, not ties
    assert ranks(small.top(5, style="competition")) == [("d", 1), ("a", 2), ("b", 2), ("c", 2),
                                                       ("e", 5)]
    assert ranks(small.top(5)) == [("d", 1), ("a", 2), ("b", 3), ("c", 4), ("e", 5)]
    assert ranks(small.page(2, 3, style="competition")) == [("b", 2), ("c", 2), ("e", 5)]
    assert ranks(small.around("e", 2, 3, style="competition")) == [("b", 2), ("c", 2), ("e", 5)]
    c = small.rank("c", style="competition")
    assert c == RankedUser("c", pytest.approx(7 * 0.95, rel=1e-12), 2, T0)
    assert small.rank("c", style="ordinal").rank == 4
    assert small.rank("nobody", style="competition") is None
    assert small.around("nobody", style="competition") == []


def test_percentiles(small, redis_server, clock):
    assert small.percentile("d") == 80.0
    assert small.percentile("a") == small.percentile("c") == 20.0  # only e is strictly below
    assert small.percentile("e") == 0.0
    assert small.percentile("nobody") is None
    assert small.at_percentile(100) == small.rank("d")
    assert small.at_percentile(0).user_id == "e"
    assert small.at_percentile(50) == small.rank("b")  # 3 of 5 up from the bottom
    assert small.at_percentile(50, style="competition").rank == 2
    assert small.at_percentile(20.0001, style="competition") == small.rank("c", style="competition")
    with Leaderboard(0.95, 0, clock=clock, backend=redis_server.url, name=unique("empty")) as e:
        assert e.at_percentile(50) is None
        assert e.percentile("a") is None


@pytest.mark.parametrize("decay,span", [
    (1.0, 30 * 86400),  # no decay: every stored value is an exact integer
    (0.95, 1),          # decay, every update at one time: weights of exactly the points
])
def test_same_answers_as_the_embedded_board(redis_server, decay, span):
    """Fed the same updates, the two boards store the same values bit for bit
    here, so every answer is equal exactly. (With decay and updates at
    different times, a weight f**(-(t - L)/86400) may differ in the last bit
    between Go's math.Exp and Redis's C exp: each board then has its own
    ties, consistent within it; see docs/redis.md.)"""
    updates = tied_updates(int(decay * 100), 5000, 700, span)
    clock = ManualClock(T0 + span + 3 * 86400)
    with Leaderboard(decay, 0, clock=clock) as emb, \
            Leaderboard(decay, 0, clock=clock, backend=redis_server.url,
                        name=unique("same")) as red:
        emb.update_many(updates)
        red.update_many(updates)
        n = len(emb)
        assert len(red) == n
        want = emb.top(n, style="competition")
        assert red.top(n, style="competition") == want
        assert sum(1 for i, u in enumerate(want) if u.rank != i + 1) > n // 2  # mostly ties
        for u in want[::3]:
            assert red.rank(u.user_id, style="competition") == u
            assert red.percentile(u.user_id) == emb.percentile(u.user_id)
            assert red.around(u.user_id, 3, 4, style="competition") == \
                emb.around(u.user_id, 3, 4, style="competition")
        for p in [i / 4 for i in range(401)]:
            for style in ("ordinal", "competition"):
                assert red.at_percentile(p, style=style) == emb.at_percentile(p, style=style), p
        rnd = random.Random(5)
        for _ in range(50):
            offset, limit = rnd.randrange(n + 3), rnd.randrange(30)
            assert red.page(offset, limit, style="competition") == \
                emb.page(offset, limit, style="competition")


def test_another_client_s_updates_are_counted(redis_server, clock):
    name = unique("shared")
    with Leaderboard(1.0, 0, clock=clock, backend=redis_server.url, name=name) as one, \
            Leaderboard(1.0, 0, clock=clock, backend=redis_server.url, name=name) as two:
        one.update_many([("a", 5, T0), ("b", 5, T0)])
        assert len(one) == 2  # a read: one's updates have reached Redis
        two.update("c", 9, T0)
        assert len(two) == 3  # and two's
        assert one.rank("a", style="competition").rank == 2
        assert one.percentile("c") == pytest.approx(200 / 3)
        assert ranks(two.top(3, style="competition")) == [("c", 1), ("a", 2), ("b", 2)]


def test_what_a_redis_board_cannot_answer_is_a_value_error_naming_it(small, redis_server):
    before = small.top(10)
    for call in (lambda: small.rank("a", style="dense"),
                 lambda: small.top(3, style="dense"),
                 lambda: small.page(0, 3, style="dense"),
                 lambda: small.around("a", style="dense"),
                 lambda: small.at_percentile(50, style="dense")):
        with pytest.raises(ValueError, match="dense rank: not available on a Redis-backed board"):
            call()
    for call in (lambda: small.rank("a", window="week"),
                 lambda: small.top(3, style="competition", window="week"),
                 lambda: small.percentile("a", window="week"),
                 lambda: small.at_percentile(50, window="week"),
                 lambda: small.window("week")):
        with pytest.raises(ValueError, match="windows: not available on a Redis-backed board"):
            call()
    with pytest.raises(ValueError, match="tie_break='earliest': not available on a Redis-backed"):
        Leaderboard(0.95, 0, backend=redis_server.url, name=unique("f"), tie_break="earliest")
    with pytest.raises(ValueError, match="windows: not available on a Redis-backed"):
        Leaderboard(0.95, 0, backend=redis_server.url, name=unique("f"), windows={"week": 604800})
    assert small.tie_break == "user_id" and small.windows == {}
    assert small.top(10) == before


def test_bad_arguments_on_a_redis_board(small):
    before = small.top(10)
    with pytest.raises(ValueError, match="style must be one of"):
        small.rank("a", style="olympic")
    with pytest.raises(TypeError, match="style must be str"):
        small.top(3, style=1)
    for p in (-0.5, 100.5, math.nan, math.inf):
        with pytest.raises(ValueError, match="percentile must lie in 0..100"):
            small.at_percentile(p)
    with pytest.raises(TypeError, match="p must be a real number"):
        small.at_percentile("50")
    with pytest.raises(TypeError, match="user_id must be str"):
        small.percentile(5)
    with pytest.raises(ValueError, match="user_id is not valid Unicode"):
        small.percentile("\ud800")
    assert small.top(10) == before


def test_the_c_abi_on_a_redis_board(small):
    from engagehub_native import _library

    ffi, lib = _library.load()
    board = small._handle
    small.rank("a")  # flush the staged updates
    standing = ffi.new("eh_standing *")
    lst = ffi.new("eh_list *")
    assert lib.eh_board_standing_as(board, b"", 0, b"c", 1, T0, lib.EH_RANK_COMPETITION,
                                    standing) == lib.EH_OK
    assert standing.rank == 2
    assert lib.eh_board_standing_as(board, b"", 0, b"c", 1, T0, 99, standing) \
        == lib.EH_ERR_INVALID_ARGUMENT
    assert lib.eh_board_standing_as(board, b"", 0, b"c", 1, T0, lib.EH_RANK_DENSE, standing) \
        == lib.EH_ERR_INVALID_ARGUMENT
    assert lib.eh_board_page_as(board, b"", 0, -1, 5, T0, 1, lst) == lib.EH_ERR_INVALID_ARGUMENT
    assert lib.eh_board_page_as(board, b"week", 4, 0, 5, T0, 1, lst) == lib.EH_ERR_INVALID_ARGUMENT
    assert lib.eh_board_at_percentile(board, b"", 0, float("nan"), T0, 1, lst) \
        == lib.EH_ERR_INVALID_ARGUMENT
    length = ffi.new("int64_t *")
    assert lib.eh_board_len_at(board, b"", 0, T0, length) == lib.EH_OK
    assert length[0] == 5
    pct, found = ffi.new("double *"), ffi.new("int *")
    assert lib.eh_board_percentile(board, b"", 0, b"d", 1, T0, pct, found) == lib.EH_OK
    assert (pct[0], found[0]) == (80.0, 1)
