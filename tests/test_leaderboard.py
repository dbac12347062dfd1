"""The native engagehub_native.Leaderboard API (richer than the drop-in)."""

from __future__ import annotations

import math
import os

import pytest

import engagehub_native
from engagehub_native import Leaderboard, RankedUser
from engagehub_native.leaderboard import _BULK

from conftest import T0

DAY = 86400


def test_update_rank_score_and_ranked_user(board):
    board.update("a", 10)
    board.update("b", 20, T0 - DAY)
    assert board.rank("b") == RankedUser("b", pytest.approx(19.0), 1, T0 - DAY)
    assert board.rank("a") == RankedUser("a", 10.0, 2, T0)
    assert board.score("a") == 10.0
    assert board.score("nobody") is None and board.score("nobody", 0.0) == 0.0
    assert board.rank("nobody") is None


def test_update_many_mixed_tuples_and_chunks(board):
    n = 2 * _BULK + 500  # crosses chunks
    applied = board.update_many(
        [(f"u{i}", 1.0) if i % 2 else (f"u{i}", 1.0, T0 - DAY) for i in range(n)]
    )
    assert applied == n and len(board) == n
    assert board.rank("u1").last_update == T0
    assert board.score("u0") == pytest.approx(0.95)


@pytest.mark.parametrize("limit", [12_000, 100_000])
def test_a_bounded_board_keeps_the_top_users_after_bulk_updates(clock, limit):
    # A bounded board places a bulk of updates together only while they
    # cannot evict anyone: 12,000 users are outgrown by the second bulk,
    # 100,000 never. Either way the board must hold the top `limit` users
    # as scores and ids order them (the users evicted are never updated
    # again, and each was the lowest when evicted).
    bulk = [(f"b{i:05d}", float(1 + (i * 7919) % 5000), T0) for i in range(10_000)]
    again = [(f"b{i:05d}", float(i % 7), T0) for i in range(0, 10_000, 3)]
    fresh = [(f"n{i:05d}", float(1 + (i * 104729) % 6000), T0) for i in range(6_000)]
    scores: dict = {}
    with Leaderboard(1.0, limit, clock=clock) as board:
        for updates in (bulk, again + fresh):
            assert board.update_many(updates) == len(updates)
            for user_id, points, _ in updates:
                scores[user_id] = scores.get(user_id, 0.0) + points
        want = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
        got = [(user.user_id, user.score) for user in board.page(0, len(board))]
        assert len(board) == min(limit, 16_000)
        assert got == want


def test_update_many_reports_the_bad_tuple(board):
    with pytest.raises(ValueError, match="update 2"):
        board.update_many([("a", 1.0), ("b", 2.0), ("c", math.nan)])
    with pytest.raises(TypeError, match="update 1"):
        board.update_many([("a", 1.0), ("b",)])
    with pytest.raises(TypeError, match="update 0"):
        board.update_many([(1, 1.0)])
    assert len(board) == 0  # every tuple of a chunk is checked before any is applied


def test_update_many_applies_every_chunk_then_raises_the_first_refusal(board):
    # The second update of "x" would overflow its score: the engine refuses
    # it, applies everything else (chunks are applied while the next is
    # read), and update_many raises once all are applied.
    # Chunks enough that the engine reports the refusal while later ones
    # are still being submitted.
    updates = [("x", 1.7e308), ("x", 1.7e308)] + [(f"u{i}", 1.0) for i in range(3 * _BULK)]
    with pytest.raises(ValueError, match=r'update 1 \(user "x"\).*finite'):
        board.update_many(updates)
    assert len(board) == 3 * _BULK + 1
    assert board.score("x") == 1.7e308
    assert board.update_many([("y", 1.0)]) == 1, "the refusal was reported once"
    with pytest.raises(ValueError, match="finite"):  # in the last chunk
        board.update_many([(f"v{i}", 1.0) for i in range(2000)] + [("x", 1.7e308)])
    assert len(board) == 3 * _BULK + 2002


def test_a_refusal_in_a_later_chunk_names_its_index_in_the_whole_sequence(board):
    # update_many crosses into the engine a chunk at a time; the engine's
    # error counts from the chunk's place in the caller's sequence.
    bad = _BULK + 7_000
    updates = [(f"u{i}", 1.0) for i in range(bad)] + [("u3", 1.7e308), ("u3", 1.7e308)]
    with pytest.raises(ValueError, match=rf'update {bad + 1} \(user "u3"\).*finite'):
        board.update_many(updates)
    assert len(board) == bad and board.score("u3") == 1.0 + 1.7e308


def test_update_many_applies_the_chunks_read_before_its_iterator_raised(board):
    def updates():
        yield from ((f"u{i}", 1.0) for i in range(2 * _BULK + 452))
        raise RuntimeError("the source failed")

    with pytest.raises(RuntimeError, match="the source failed"):
        board.update_many(updates())
    assert len(board) == 2 * _BULK, "two whole chunks were read, checked and applied"


def test_a_refused_staged_update_is_logged_and_the_others_kept(board, caplog):
    board.update("x", 1.7e308)
    board.update("x", 1.7e308)  # staged: the engine refuses it when it applies it
    board.update("y", 1.0)
    with caplog.at_level("ERROR", logger="engagehub_native"):
        assert len(board) == 2
    # Staged updates come from many calls: the message names the user, no index.
    assert '1 staged update(s) refused (the first: update of user "x" at ' in caplog.text
    assert board.score("x") == 1.7e308 and board.score("y") == 1.0


def test_remove_len_contains(board):
    board.update("a", 1)
    assert "a" in board and "b" not in board and 5 not in board
    assert board.remove("a") is True
    assert board.remove("a") is False
    assert len(board) == 0


def test_top_page_around_and_iteration(board):
    for i in range(3000):
        board.update(f"user{i:04d}", float(i + 1))
    top = board.top(3)
    assert [u.user_id for u in top] == ["user2999", "user2998", "user2997"]
    assert [u.rank for u in top] == [1, 2, 3]
    page = board.page(10, 5)
    assert [u.rank for u in page] == [11, 12, 13, 14, 15]
    assert page[0].user_id == "user2989"
    around = board.around("user1500", before=2, after=1)
    assert [(u.user_id, u.rank) for u in around] == [
        ("user1502", 1498), ("user1501", 1499), ("user1500", 1500), ("user1499", 1501)]
    assert [u.rank for u in board.around("user2999", 3, 1)] == [1, 2]
    assert board.around("nobody") == []
    ranked = list(board)
    assert len(ranked) == 3000 and [u.rank for u in ranked] == list(range(1, 3001))
    assert board.page(5000, 10) == [] and board.top(0) == []


@pytest.mark.parametrize("call, exc", [
    (lambda b: b.top(-1), ValueError),
    (lambda b: b.top(1.5), TypeError),
    (lambda b: b.page(-1, 3), ValueError),
    (lambda b: b.around("a", before=-1), ValueError),
    (lambda b: b.update("a", True), TypeError),
    (lambda b: b.update("a", 1, True), TypeError),
    (lambda b: b.update("a", 1, 2**63), ValueError),
    (lambda b: b.update("a", 10**400), ValueError),
])
def test_argument_errors(board, call, exc):
    with pytest.raises(exc):
        call(board)


def test_decay_over_fifty_years_with_half_life_of_a_day(clock):
    with Leaderboard(0.5, 0, clock=clock) as board:
        fifty_years = 50 * 365 * DAY
        board.update("old", 1.0, T0 - fifty_years)
        board.update("new", 3.0, T0)
        board.update("mixed", -2.0, T0 - DAY)
        board.update("mixed", 5.0, T0)
        assert board.score("new") == 3.0
        assert board.score("mixed") == pytest.approx(5.0 - 1.0)
        assert 0.0 <= board.score("old") < 1e-300
        clock.now = T0 + 2 * DAY
        assert board.score("new") == pytest.approx(0.75)
        assert [u.user_id for u in board.top(3)] == ["mixed", "new", "old"]


def test_numpy_like_numbers_are_accepted(board):
    class Points:
        def __float__(self):
            return 2.5

    class Stamp:
        def __index__(self):
            return T0 - DAY

    board.update("a", Points(), Stamp())
    assert board.score("a") == pytest.approx(2.5 * 0.95)


def test_save_load_pathlike_and_config(board, tmp_path):
    board.update("a", 1)
    board.save(tmp_path / "b.json")
    other = Leaderboard(0.5, 3)
    other.load(tmp_path / "b.json")
    assert other.decay_factor == 0.95 and other.max_users == 0
    assert len(other) == 1


def test_close_context_manager_and_repr(clock):
    board = Leaderboard(0.9, 10, clock=clock)
    board.update("a", 1)
    assert repr(board) == "<Leaderboard users=1 decay_factor=0.9 max_users=10>"
    with board as b:
        assert b is board
    assert board.closed
    assert repr(board) == "<Leaderboard closed>"
    with pytest.raises(engagehub_native.ClosedError, match="closed"):
        board.update("a", 1)
    with pytest.raises(RuntimeError):
        len(board)
    board.close()  # idempotent


def test_clock_must_be_callable():
    with pytest.raises(TypeError):
        Leaderboard(clock=42)


def test_exceptions_share_a_base_and_the_builtins():
    assert issubclass(engagehub_native.SnapshotError, ValueError)
    assert issubclass(engagehub_native.SnapshotFileError, OSError)
    assert issubclass(engagehub_native.SnapshotFileError, RuntimeError)
    assert issubclass(engagehub_native.ForkedProcessError, RuntimeError)
    for name in ["SnapshotError", "SnapshotFileError", "ClosedError", "ForkedProcessError",
                 "InvalidValueError", "WaitTimeoutError", "InternalError", "CapacityError"]:
        assert issubclass(getattr(engagehub_native, name), engagehub_native.EngagehubError)


def test_package_ships_type_information():
    import cpp_event_processor
    import cpp_leaderboard

    for package in (engagehub_native, cpp_leaderboard, cpp_event_processor):
        assert os.path.exists(os.path.join(os.path.dirname(package.__file__), "py.typed"))


@pytest.mark.parametrize("reading, exc, words", [
    (float("nan"), ValueError, "clock returned nan"),
    (float("-inf"), ValueError, "clock returned -inf"),
    (-5, ValueError, "clock returned -5"),
    (None, TypeError, "clock returned NoneType"),
    ("now", TypeError, "clock returned str"),
])
def test_a_bad_clock_reading_is_refused_naming_the_clock(reading, exc, words):
    with engagehub_native.Leaderboard(0.9, 0, clock=lambda: reading) as board:
        with pytest.raises(exc, match=words):
            board.update("u", 1.0)  # no timestamp: reads the clock
        with pytest.raises(exc, match=words):
            board.top(1)
        assert len(board) == 0, "nothing was stored with a bad time"


def test_huge_k_means_everyone(board):
    board.update("a", 1.0)
    board.update("b", 2.0)
    assert [u.user_id for u in board.top(2**63)] == ["b", "a"]
    assert [u.user_id for u in board.top(10**30)] == ["b", "a"]
    assert board.page(2**70, 5) == []


def test_snowflake_ids_and_their_look_alikes_round_trip_exactly(board, tmp_path):
    """Ids of 16 to 19 digits are kept as numbers inside the engine; those
    that only look like one (a leading zero, 20 digits, a letter) are not.
    Every one must come back byte-exact, ranked by id bytes among ties."""
    ids = ["1234567890123456", "999999999999999999", "9999999999999999999", "10",
           "0123456789012345678", "12345678901234567890", "123456789012345678a",
           "1000000000000000000", "+123456789012345678"]
    board.update_many((uid, 7.0) for uid in ids)
    expected = sorted(ids, key=lambda s: s.encode())
    assert [u.user_id for u in board.top(20)] == expected
    assert all(board.score(uid) == 7.0 for uid in ids)
    assert "1234567890123457" not in board and "01234567890123456" not in board
    path = tmp_path / "snap.json"
    board.save(path)
    board.load(path)
    assert [u.user_id for u in board.top(20)] == expected
    assert [u.user_id for u in board.around("999999999999999999", 1, 1)] == \
        expected[expected.index("999999999999999999") - 1:][:3]
