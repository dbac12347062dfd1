"""Rank styles, tie-break policies and percentiles of the native Leaderboard."""

import math
import random

import pytest

from engagehub_native import Leaderboard, RankedUser

T0 = 1_700_000_000


def clock():
    return T0


@pytest.fixture
def board():
    # decay 1: scores are plain sums, so ties are exact and easy to make
    with Leaderboard(1.0, 0, clock=clock) as b:
        for uid, pts in [("a", 10), ("b", 7), ("c", 7), ("d", 5), ("e", 5), ("f", 1)]:
            b.update(uid, pts, T0)
        yield b


def ranks(users):
    return [(u.user_id, u.rank) for u in users]


def test_styles_number_ties(board):
    assert ranks(board.top(6)) == [("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5), ("f", 6)]
    assert ranks(board.top(6, style="ordinal")) == ranks(board.top(6))
    assert ranks(board.top(6, style="competition")) == [
        ("a", 1), ("b", 2), ("c", 2), ("d", 4), ("e", 4), ("f", 6)]
    assert ranks(board.top(6, style="dense")) == [
        ("a", 1), ("b", 2), ("c", 2), ("d", 3), ("e", 3), ("f", 4)]
    assert board.rank("c", style="competition") == RankedUser("c", 7.0, 2, T0)
    assert board.rank("e", style="dense").rank == 3
    assert board.rank("e").rank == 5
    assert board.rank("nobody", style="dense") is None
    assert ranks(board.page(2, 3, style="competition")) == [("c", 2), ("d", 4), ("e", 4)]
    assert ranks(board.page(4, 10, style="dense")) == [("e", 3), ("f", 4)]
    assert ranks(board.around("d", 1, 1, style="dense")) == [("c", 2), ("d", 3), ("e", 3)]
    assert board.around("nobody", style="dense") == []
    first = board.top(1, style="competition")[0]
    assert first.score == 10.0 and first.last_update == T0


def test_styles_agree_with_brute_force_on_a_random_board():
    rng = random.Random(5)
    with Leaderboard(1.0, 0, clock=clock) as b:
        for _ in range(3000):
            b.update(f"u{rng.randrange(400)}", float(rng.randint(-2, 6)), T0)
        users = list(b)
        scores = [u.score for u in users]
        for u in users:
            above = [s for s in scores if s > u.score]
            assert b.rank(u.user_id, style="competition").rank == len(above) + 1
            assert b.rank(u.user_id, style="dense").rank == len(set(above)) + 1
            below = sum(s < u.score for s in scores)
            assert b.percentile(u.user_id) == pytest.approx(100 * below / len(scores))
        dense = b.page(0, len(users), style="dense")
        assert [d.user_id for d in dense] == [u.user_id for u in users]
        assert [d.rank for d in dense] == [b.rank(u.user_id, style="dense").rank for u in users]


def test_percentile(board):
    assert board.percentile("a") == pytest.approx(100 * 5 / 6)
    assert board.percentile("b") == pytest.approx(100 * 3 / 6)   # d, e, f below; c is tied
    assert board.percentile("f") == 0.0
    assert board.percentile("nobody") is None
    assert board.at_percentile(100).user_id == "a"
    assert board.at_percentile(0).user_id == "f"
    assert board.at_percentile(50) == RankedUser("d", 5.0, 4, T0)   # 3 of 6 up from the bottom
    assert board.at_percentile(50, style="dense").rank == 3
    assert board.at_percentile(49.9).user_id == "d"
    assert board.at_percentile(50.1).user_id == "c"
    assert board.at_percentile(50.1, style="competition").rank == 2
    with Leaderboard(1.0, 0) as empty:
        assert empty.at_percentile(50) is None
        assert empty.percentile("a") is None


def test_earliest_tie_break_and_its_snapshot(tmp_path):
    with Leaderboard(1.0, 0, clock=clock, tie_break="earliest") as b:
        assert b.tie_break == "earliest"
        b.update("zed", 5, T0)
        b.update("amy", 5, T0)
        b.update("bob", 2, T0)
        b.update("bob", 3, T0)          # reaches 5 last
        assert [u.user_id for u in b.top(3)] == ["zed", "amy", "bob"]
        assert ranks(b.top(3, style="competition")) == [("zed", 1), ("amy", 1), ("bob", 1)]
        path = tmp_path / "board.json"
        b.save(path)
        with Leaderboard(1.0, 0, clock=clock) as c:
            assert c.tie_break == "user_id"
            c.load(path)
            assert c.tie_break == "earliest"
            assert [u.user_id for u in c.top(3)] == ["zed", "amy", "bob"]
            c.update("ann", 5, T0)
            assert c.top(4)[3].user_id == "ann"
    with Leaderboard(1.0, 0, clock=clock) as d:
        d.update("zed", 5, T0)
        d.update("amy", 5, T0)
        assert d.tie_break == "user_id"
        assert [u.user_id for u in d.top(2)] == ["amy", "zed"]


@pytest.mark.parametrize("call", [
    lambda b, s: b.rank("a", style=s),
    lambda b, s: b.top(3, style=s),
    lambda b, s: b.page(0, 3, style=s),
    lambda b, s: b.around("a", style=s),
    lambda b, s: b.at_percentile(50, style=s),
])
def test_unknown_style_is_refused(board, call):
    before = board.top(10)
    with pytest.raises(ValueError, match="style must be one of 'ordinal', 'competition', 'dense'"):
        call(board, "olympic")
    with pytest.raises(ValueError, match="style"):
        call(board, "Dense")
    with pytest.raises(TypeError, match="style must be str"):
        call(board, 2)
    with pytest.raises(TypeError, match="style must be str"):
        call(board, None)
    assert board.top(10) == before


@pytest.mark.parametrize("p", [-0.001, 100.0001, 1e300, -math.inf, math.inf, math.nan])
def test_percentile_outside_0_100_or_nan_is_a_value_error(board, p):
    before = board.top(10)
    with pytest.raises(ValueError, match="p"):
        board.at_percentile(p)
    assert board.top(10) == before


@pytest.mark.parametrize("p", ["50", None, True, b"1"])
def test_percentile_of_a_wrong_type_is_a_type_error(board, p):
    with pytest.raises(TypeError, match="p must be a real number"):
        board.at_percentile(p)


def test_unknown_tie_break_is_refused():
    with pytest.raises(ValueError, match="tie_break must be one of 'user_id', 'earliest'"):
        Leaderboard(tie_break="latest")
    with pytest.raises(TypeError, match="tie_break must be str"):
        Leaderboard(tie_break=1)


def test_percentile_user_id_checks(board):
    with pytest.raises(TypeError, match="user_id must be str"):
        board.percentile(5)
    with pytest.raises(ValueError, match="user_id is not valid Unicode"):
        board.percentile("\ud800")


def test_decayed_ties_are_equal_stored_values():
    # 20 points a day earlier, halved by decay 0.5, tie with 10 points now.
    with Leaderboard(0.5, 0, clock=clock) as b:
        b.update("now", 10, T0)
        b.update("yesterday", 20, T0 - 86400)
        b.update("low", 1, T0)
        assert ranks(b.top(3, style="competition")) == [("now", 1), ("yesterday", 1), ("low", 3)]
        assert b.percentile("yesterday") == pytest.approx(100 / 3)


def test_the_c_abi_refuses_bad_styles_percentiles_and_windows_with_a_status():
    from engagehub_native import _library

    ffi, lib = _library.load()
    out = ffi.new("uint64_t *")
    names = b"week\xffweek\xff"
    lengths = ffi.new("int64_t[]", [604800, 60])
    assert lib.eh_board_new_config(1.0, 0, 0, names, len(names), lengths, 2, 0, out) \
        == lib.EH_ERR_INVALID_ARGUMENT                                  # a name twice
    assert lib.eh_board_new_config(1.0, 0, 0, names, len(names), lengths, 3, 0, out) \
        == lib.EH_ERR_INVALID_ARGUMENT                                  # 3 names expected
    assert lib.eh_board_new_config(1.0, 0, 5, b"", 0, ffi.NULL, 0, 0, out) \
        == lib.EH_ERR_INVALID_ARGUMENT                                  # tie-break 5
    assert lib.eh_board_new_config(1.0, 0, 0, b"w\xff", 2, ffi.NULL, 1, 0, out) \
        == lib.EH_ERR_INVALID_ARGUMENT                                  # no lengths
    one = b"week\xff"
    assert lib.eh_board_new_config(1.0, 0, lib.EH_TIE_EARLIEST, one, len(one), lengths, 1, 0,
                                   out) == lib.EH_OK
    board = out[0]
    try:
        ok = ffi.new("size_t *")
        assert lib.eh_board_update_many(board, b"a\xff", 2, ffi.new("double[]", [1.0]),
                                        ffi.new("int64_t[]", [T0]), 1, 0, 1, ok) == lib.EH_OK
        standing = ffi.new("eh_standing *")
        lst = ffi.new("eh_list *")
        assert lib.eh_board_standing_as(board, b"", 0, b"a", 1, T0, 99, standing) \
            == lib.EH_ERR_INVALID_ARGUMENT
        assert lib.eh_board_page_as(board, b"", 0, 0, 5, T0, -1, lst) == lib.EH_ERR_INVALID_ARGUMENT
        assert lib.eh_board_page_as(board, b"", 0, -1, 5, T0, 0, lst) == lib.EH_ERR_INVALID_ARGUMENT
        assert lib.eh_board_at_percentile(board, b"", 0, float("nan"), T0, 0, lst) \
            == lib.EH_ERR_INVALID_ARGUMENT
        assert lib.eh_board_at_percentile(board, b"", 0, 101.0, T0, 0, lst) \
            == lib.EH_ERR_INVALID_ARGUMENT
        assert lib.eh_board_standing_as(board, b"month", 5, b"a", 1, T0, 0, standing) \
            == lib.EH_ERR_INVALID_ARGUMENT                              # no such window
        assert lib.eh_board_standing_as(board, b"\xc3\x28", 2, b"a", 1, T0, 0, standing) \
            == lib.EH_ERR_INVALID_ARGUMENT
        assert lib.eh_board_standing_as(board, b"week", 4, b"a", 1, T0, 2, standing) == lib.EH_OK
        assert standing.rank == 1 and standing.score == 1.0
        tie = ffi.new("int *")
        assert lib.eh_board_tie_break(board, tie) == lib.EH_OK and tie[0] == lib.EH_TIE_EARLIEST
        _library.check(lib.EH_OK)
    finally:
        lib.eh_board_free(board)
    message = ffi.new("char **")
    length, errno = ffi.new("size_t *"), ffi.new("int *")
    while lib.eh_error_take(message, length, errno):  # leave no error behind for other tests
        lib.eh_free(message[0])
