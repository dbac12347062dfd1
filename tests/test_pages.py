"""engagehub_native._pages: a page block (scores, ints, ids ended by 0xFF)
read into RankedUser tuples in C, against the layout capi/wire.go writes."""

from __future__ import annotations

import struct

import pytest

from engagehub_native import Leaderboard, RankedUser, _pages

from conftest import T0


def block(scores, ints, ids):
    return (struct.pack(f"{len(scores)}d", *scores) + struct.pack(f"{len(ints)}q", *ints)
            + b"".join(i.encode("utf-8", "surrogateescape") + b"\xff" for i in ids))


def test_ranks_from_first_with_one_int_per_entry():
    ids = ["alice", "bö\0b", "频道 \U0001F600"]
    page = _pages.ranked_users(RankedUser, block([3.5, 2.0, -1.0], [T0, T0 + 1, 7], ids), 3, 1, 41)
    assert page == [("alice", 3.5, 41, T0), ("bö\0b", 2.0, 42, T0 + 1), ("频道 \U0001F600", -1.0, 43, 7)]
    assert all(type(user) is RankedUser for user in page)
    assert page[1].user_id == "bö\0b" and page[1].rank == 42 and page[1].last_update == T0 + 1


def test_ranks_from_the_ints_with_two_per_entry():
    page = _pages.ranked_users(RankedUser, block([1.0, 1.0], [2, T0, 2, T0 + 5], ["a", ""]), 2, 2, 0)
    assert page == [("a", 1.0, 2, T0), ("", 1.0, 2, T0 + 5)]


def test_an_empty_page():
    assert _pages.ranked_users(RankedUser, b"", 0, 1, 1) == []


@pytest.mark.parametrize("args,error,match", [
    ((tuple, block([1.0], [T0], ["a"]), 1, 1, 1), TypeError, "tuple subclass"),
    ((dict, block([1.0], [T0], ["a"]), 1, 1, 1), TypeError, "tuple subclass"),
    ((RankedUser, block([1.0], [T0], ["a"]), 1, 3, 1), ValueError, "1 or 2 ints"),
    ((RankedUser, block([1.0], [T0], ["a"]), -1, 1, 1), ValueError, "count >= 0"),
    ((RankedUser, block([1.0], [T0], ["ab"])[:-1], 1, 1, 1), ValueError, "ended by 0xFF"),
    ((RankedUser, block([1.0], [T0], [])[:12], 1, 1, 1), ValueError, "shorter"),
    ((RankedUser, block([1.0, 2.0], [T0, T0], ["a", "b"]), 3, 1, 1), ValueError, "shorter"),
    ((RankedUser, block([1.0], [T0], ["a"]), 2 ** 62, 2, 1), ValueError, "shorter"),
])
def test_a_malformed_call_raises(args, error, match):
    with pytest.raises(error, match=match):
        _pages.ranked_users(*args)


def test_the_boards_pages_are_read_by_it(clock):
    with Leaderboard(0.95, 0, clock=clock) as board:
        board.update_many([(f"u{i:03d}", float(i % 7), T0) for i in range(300)])
        board.update("ünï", 100.0, T0)
        top = board.top(5)
        assert [type(u) for u in top] == [RankedUser] * 5
        assert top[0] == ("ünï", 100.0, 1, T0)
        assert [u.rank for u in board.page(100, 3)] == [101, 102, 103]
        assert [u.rank for u in board.top(5, style="dense")][:2] == [1, 2]
        assert board.at_percentile(100.0) == top[0]
        assert [u.user_id for u in board.around("ünï", 0, 2)] == [u.user_id for u in top[:3]]


def test_a_page_shares_unchanged_ids_and_last_updates_with_the_one_before():
    first = _pages.ranked_users(RankedUser, block([3.0, 2.0], [T0, T0 + 1], ["alice", "bob"]), 2, 1, 1)
    again = _pages.ranked_users(RankedUser, block([3.5, 2.5], [T0, T0 + 1], ["alice", "bob"]), 2, 1, 1)
    assert again == [("alice", 3.5, 1, T0), ("bob", 2.5, 2, T0 + 1)]
    assert again[0].user_id is first[0].user_id and again[1].last_update is first[1].last_update


@pytest.mark.parametrize("ids,lasts", [
    (["bob", "alice"], [T0, T0 + 1]),            # other users at the same places
    (["alice", "bobby"], [T0, T0 + 1]),          # an id that starts as the one before
    (["alice", "bo"], [T0, T0 + 1]),             # one that is a prefix of it
    (["alice", "böb"], [T0, T0 + 1]),            # not ASCII: never shared
    (["alice", "bob"], [T0 + 9, T0 - 1]),        # other last updates
    (["a\udc80z", "bob"], [T0, T0 + 1]),         # a byte that is not UTF-8, kept by surrogateescape
])
def test_a_page_after_another_holds_its_own_entries(ids, lasts):
    _pages.ranked_users(RankedUser, block([3.0, 2.0], [T0, T0 + 1], ["alice", "bob"]), 2, 1, 1)
    for _ in range(2):  # and once more, against what it shared itself
        page = _pages.ranked_users(RankedUser, block([3.0, 2.0], lasts, ids), 2, 1, 1)
        assert page == [(ids[0], 3.0, 1, lasts[0]), (ids[1], 2.0, 2, lasts[1])]


def test_top_follows_the_board_between_reads(clock):
    with Leaderboard(1.0, 0, clock=clock) as board:
        board.update_many([("alice", 3.0, T0), ("bob", 2.0, T0 + 1)])
        assert board.top(2) == [("alice", 3.0, 1, T0), ("bob", 2.0, 2, T0 + 1)]
        board.update("bob", 5.0, T0 + 7)
        assert board.top(2) == [("bob", 7.0, 1, T0 + 7), ("alice", 3.0, 2, T0)]
        board.update("alice", 1.0, T0 + 8)
        assert board.top(2) == [("bob", 7.0, 1, T0 + 7), ("alice", 4.0, 2, T0 + 8)]
