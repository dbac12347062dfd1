"""Leaderboard reads in C (engagehub_native._pages.Reads): rank, top, page,
around, percentile and at_percentile answer the common call in C and hand
anything else to Python. Here: both paths answer alike, and whatever the C path
leaves (staged updates, another clock, a closed board, bad arguments) is
handled as the Python path handles it."""

from __future__ import annotations

import math
import random
import sys
import threading

import pytest

from engagehub_native import ClosedError, Leaderboard, RankedUser

from conftest import run_python

DAY = 86_400
STYLES = ("ordinal", "competition", "dense")


@pytest.fixture
def board():
    """A board on the wall clock (the C reads' clock), without decay so
    that scores do not change between two reads, with ties and two windows."""
    with Leaderboard(1.0, 0, windows={"week": 7 * DAY, "day": DAY}) as b:
        rng = random.Random(5)
        b.update_many([(f"user{i:04d}", float(rng.randint(1, 40)), None) for i in range(2_000)])
        len(b)  # applied: nothing staged
        yield b


def c_path_open(board) -> bool:
    return board._read_handle != 0 and not board._staged


def test_the_c_reads_answer_as_python_does(board):
    assert c_path_open(board)
    rng = random.Random(7)
    users = [f"user{rng.randrange(2_100):04d}" for _ in range(60)]  # some not on the board
    for window in (None, "week", "day"):
        for style in STYLES:
            for uid in users:
                assert board.rank(uid, style, window) == board._rank_slow(uid, style, window)
            assert board.top(25, style, window) == board._top_slow(25, style, window)
            assert board.page(1_990, 20, style, window) == board._page_slow(1_990, 20, style, window)
            for uid in users[:20]:
                assert board.around(uid, 3, 4, style, window) == \
                    board._around_slow(uid, 3, 4, style, window)
            for p in (0.0, 12.5, 50.0, 99.9, 100.0):
                assert board.at_percentile(p, style, window) == \
                    board._at_percentile_slow(p, style, window)
        for uid in users:
            assert board.percentile(uid, window) == board._percentile_slow(uid, window)
    assert c_path_open(board)


def test_every_way_of_passing_the_arguments(board):
    uid = board.top(1)[0].user_id
    expected = board._rank_slow(uid, "dense", "week")
    assert board.rank(uid, "dense", "week") == expected
    assert board.rank(uid, style="dense", window="week") == expected
    assert board.rank(user_id=uid, window="week", style="dense") == expected
    assert board.top() == board.top(10) == board.top(k=10) == board.top(10, "ordinal", None)
    assert board.page(offset=5, limit=3) == board.page(5, 3) == board.top(8)[5:]
    assert board.around(uid) == board.around(uid, 5, 5) == board.top(6)
    assert board.around(uid, after=2, window="week") == board._around_slow(uid, 5, 2, "ordinal", "week")
    assert board.percentile(user_id=uid, window="day") == board._percentile_slow(uid, "day")
    assert board.at_percentile(p=100.0) == board.top(1)[0]
    assert type(board.rank(uid)) is RankedUser and type(board.top(3)[0]) is RankedUser


def test_names_built_at_run_time_match_as_literals_do(board, monkeypatch):
    """The C path matches keywords and styles by address when they are the
    interned strs a literal gives, else by their characters: strs built at
    run time (not interned) are answered in C too, and alike."""
    uid = board.top(1)[0].user_id
    expected, top = board._rank_slow(uid, "dense", "week"), board._top_slow(10, "dense", None)
    style, window, user, dense = ("".join(parts) for parts in
                                  (("st", "yle"), ("win", "dow"), ("user", "_id"), ("de", "nse")))
    assert dense == "dense" and dense is not sys.intern("dense")

    def python_path(*args, **kwargs):
        raise AssertionError(f"left to Python: {args} {kwargs}")

    monkeypatch.setattr(board, "_rank_slow", python_path)
    monkeypatch.setattr(board, "_top_slow", python_path)
    assert board.rank(uid, dense, "week") == expected
    assert board.rank(**{user: uid, style: dense, window: "week"}) == expected
    assert board.top(**{style: dense}) == top
    monkeypatch.undo()
    with pytest.raises(TypeError):
        board.rank(uid, **{"".join(("sty", "les")): "dense"})
    with pytest.raises(ValueError):
        board.rank(uid, "".join(("den", "se ")))


def test_results_of_the_c_path(board):
    top = board.top(3)
    assert [u.rank for u in top] == [1, 2, 3]
    assert top[0].score >= top[1].score >= top[2].score
    assert board.rank(top[1].user_id) == top[1]
    assert board.rank("nobody") is None and board.percentile("nobody") is None
    assert board.top(0) == [] and board.page(10_000, 5) == []
    assert board.top(2 ** 64) == board.top(2_000)  # past int64: Python takes it
    assert board.percentile(board.page(1_999, 1)[0].user_id) == 0.0
    assert board.at_percentile(0.0) == board.page(1_999, 1)[0]


def test_an_update_is_seen_by_the_next_read_on_any_thread(board):
    board.update("newcomer", 1e6)
    assert board._staged  # staged, so the read goes through Python, which drains first
    assert board.top(1)[0].user_id == "newcomer"
    assert c_path_open(board)
    errors = []

    def worker(n):
        try:
            for i in range(200):
                uid = f"t{n}-{i}"
                board.update(uid, 1e7 + n * 1_000 + i)
                assert board.rank(uid) is not None, uid
                assert board.percentile(uid) is not None, uid
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert board.top(1)[0].user_id == "t7-199"


def test_a_board_on_its_own_clock_is_read_in_python(clock):
    with Leaderboard(0.5, 0, clock=clock) as board:
        board.update("a", 8.0, int(clock()))
        len(board)
        assert board._read_handle == 0
        clock.now += 2 * DAY
        assert board.rank("a").score == pytest.approx(2.0)
        assert board.top(1)[0].score == pytest.approx(2.0)
        board.clock = None  # the wall clock: C reads again
        assert board._read_handle != 0
        board.clock = clock
        assert board._read_handle == 0


@pytest.mark.parametrize("call,error", [
    (lambda b: b.rank(1), TypeError),
    (lambda b: b.rank(b"user0001"), TypeError),
    (lambda b: b.rank("user0001", "fancy"), ValueError),
    (lambda b: b.rank("user0001", None), TypeError),
    (lambda b: b.rank("user0001", window=""), ValueError),
    (lambda b: b.rank("user0001", window="year"), ValueError),
    (lambda b: b.rank("user0001", colour="red"), TypeError),
    (lambda b: b.rank("user0001", user_id="user0002"), TypeError),
    (lambda b: b.rank("user0001", "dense", style="dense"), TypeError),
    (lambda b: b.rank(style="dense"), TypeError),
    (lambda b: b.page(offset=1, style="dense"), TypeError),
    (lambda b: b.rank("user0001", "dense", "week", "extra"), TypeError),
    (lambda b: b.rank("\udc80"), ValueError),
    (lambda b: b.top(-1), ValueError),
    (lambda b: b.top(1.5), TypeError),
    (lambda b: b.top(True), TypeError),
    (lambda b: b.page(-1, 2), ValueError),
    (lambda b: b.page(1), TypeError),
    (lambda b: b.around("user0001", -1), ValueError),
    (lambda b: b.around("user0001", 2, 2.5), TypeError),
    (lambda b: b.around("user0001", style="fancy"), ValueError),
    (lambda b: b.around(None), TypeError),
    (lambda b: b.percentile("user0001", window=3), TypeError),
    (lambda b: b.at_percentile(100.5), ValueError),
    (lambda b: b.at_percentile(math.nan), ValueError),
    (lambda b: b.at_percentile("50"), TypeError),
])
def test_bad_arguments_raise_as_in_python(board, call, error):
    with pytest.raises(error):
        call(board)
    assert c_path_open(board)


def test_ids_beyond_ascii_go_through_python(board):
    for uid in ("ünï", "nul\0inside", "频道 \U0001F600", ""):
        board.update(uid, 1e9)
        assert board.rank(uid) == (uid, 1e9, board.rank(uid).rank, board.rank(uid).last_update)
        assert board.percentile(uid) is not None
    assert {u.user_id for u in board.top(4)} == {"ünï", "nul\0inside", "频道 \U0001F600", ""}


def test_a_closed_board_raises_closed_error(board):
    board.close()
    assert board._read_handle == 0
    for call in (lambda: board.rank("user0001"), lambda: board.top(), lambda: board.page(0, 1),
                 lambda: board.around("user0001"),
                 lambda: board.percentile("user0001"), lambda: board.at_percentile(50.0)):
        with pytest.raises(ClosedError):
            call()


def test_closing_while_other_threads_read():
    board = Leaderboard(1.0, 0)
    board.update_many([(f"u{i}", float(i), None) for i in range(5_000)])
    outcomes = set()
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                board.top(10)
                board.rank("u42")
                board.percentile("u7")
                outcomes.add("answer")
            except ClosedError:
                outcomes.add("closed")
                return

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    board.close()
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads)
    assert outcomes <= {"answer", "closed"}
    with pytest.raises(ClosedError):
        board.top()


def test_a_forked_child_gets_forked_process_error():
    run_python("""
        import os
        from engagehub_native import ForkedProcessError, Leaderboard
        board = Leaderboard(1.0, 0)
        board.update("a", 1.0)
        assert board.top(1)[0].user_id == "a"
        pid = os.fork()
        if pid == 0:
            codes = []
            for read in (lambda: board.rank("a"), lambda: board.top(), lambda: board.percentile("a")):
                try:
                    read()
                    codes.append(3)
                except ForkedProcessError:
                    codes.append(0)
            os._exit(max(codes))
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        assert board.rank("a").rank == 1
    """)


def test_as_dicts_keys_entries_by_ranked_users_fields(board):
    from engagehub_native import as_dicts

    for users in (board.top(25, "dense"), board.page(10, 5), board.around("user0007", 2, 2),
                  [RankedUser("x", 1.5, 3, 1_700_000_000), ("y", 2.0, 1, 0)]):
        dicts = as_dicts(users)
        assert dicts == [u._asdict() if isinstance(u, RankedUser) else
                         dict(zip(RankedUser._fields, u)) for u in users]
        assert all(list(d) == list(RankedUser._fields) for d in dicts)
        # The entries' own objects, not copies.
        assert all(d["user_id"] is u[0] and d["score"] is u[1] for d, u in zip(dicts, users))
    assert as_dicts([]) == []


@pytest.mark.parametrize("bad", [None, (RankedUser("x", 1.0, 1, 0),), [("x", 1.0, 1)],
                                 [("x", 1.0, 1, 0, "extra")], [["x", 1.0, 1, 0]], ["user"]])
def test_as_dicts_refuses_what_is_not_a_list_of_ranked_users(bad):
    from engagehub_native import as_dicts

    with pytest.raises(TypeError, match="as_dicts"):
        as_dicts(bad)


def test_as_dicts_survives_a_finalizer_that_empties_its_list():
    # Making a dict may run a collection, and a finalizer any code: here one
    # that empties the list as_dicts is reading. An IndexError, no crash.
    import gc

    from engagehub_native import as_dicts

    users = [RankedUser(f"u{i}", 1.0, i, 0) for i in range(2_000)]  # past the dict free list

    class Emptier:
        def __del__(self):
            users.clear()

    def garbage():
        cycle = Emptier()
        cycle.me = cycle  # only a collection frees it

    thresholds = gc.get_threshold()
    gc.collect()
    result = error = None
    garbage()
    gc.set_threshold(1)  # the next allocations collect the garbage
    try:
        result = as_dicts(users)
    except IndexError as exc:
        error = exc
    finally:
        gc.set_threshold(*thresholds)
    assert users == [], "the finalizer ran"
    if sys.version_info < (3, 12):  # a collection runs on an allocation: inside the call
        assert error is not None, "as_dicts saw the list emptied under it"
    else:  # it runs between bytecodes: after the call, which saw the whole list
        assert error is not None or len(result) == 2_000
