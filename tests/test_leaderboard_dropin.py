"""The cpp_leaderboard contract of API.md, every (fix) included."""

from __future__ import annotations

import json
import math
import threading

import pytest

import cpp_leaderboard
from cpp_leaderboard import Leaderboard

from conftest import T0

DAY = 86400


@pytest.fixture
def lb():
    board = Leaderboard(0.95, 100000)
    board.set_time_source(lambda: T0)
    return board


def expected(points_at, decay, now):
    return sum(p * decay ** ((now - t) / DAY) for p, t in points_at)


# -- construction -----------------------------------------------------------

def test_defaults_and_keywords():
    board = Leaderboard()
    board.set_time_source(lambda: T0)
    board.update_user("a", 1.0, T0 - DAY)
    assert board.get_user_rank("a")["score"] == pytest.approx(0.95)
    Leaderboard(decay_factor=0.5, max_users=3)


@pytest.mark.parametrize("decay", [0.0, -0.1, 1.0000001, 2.0, math.nan, math.inf])
def test_decay_factor_out_of_range_is_value_error(decay):
    with pytest.raises(ValueError):
        Leaderboard(decay)


def test_decay_factor_one_is_allowed():
    board = Leaderboard(1.0)
    board.set_time_source(lambda: T0)
    board.update_user("a", 3, T0 - 1000 * DAY)
    assert board.get_user_rank("a")["score"] == 3


@pytest.mark.parametrize("args", [("x",), (0.9, "10"), (0.9, 1.5), (0.9, -1)])
def test_wrong_constructor_types(args):
    with pytest.raises(TypeError):
        Leaderboard(*args)


# -- updates and scores -----------------------------------------------------

def test_score_follows_the_decay_formula_with_out_of_order_updates(lb):
    history = [(10, T0 - 3 * DAY), (-4, T0 - 10 * DAY), (7.5, T0 - DAY // 3), (2, T0 - 40 * DAY)]
    for points, ts in history:
        lb.update_user("u", points, ts)
    entry = lb.get_user_rank("u")
    assert entry["score"] == pytest.approx(expected(history, 0.95, T0), rel=1e-12)
    assert entry["last_update"] == T0 - DAY // 3


def test_timestamp_zero_or_negative_means_now(lb):
    lb.update_user("a", 1, 0)
    lb.update_user("b", 1, -5)
    assert lb.get_user_rank("a")["last_update"] == T0
    assert lb.get_user_rank("b")["last_update"] == T0


def test_zero_points_for_unknown_user_does_nothing(lb):
    lb.update_user("ghost", 0, T0)
    assert lb.size() == 0
    assert lb.get_user_rank("ghost") is None


def test_zero_points_for_known_user_keeps_score_and_moves_last_update(lb):
    lb.update_user("a", 10, T0 - DAY)
    before = lb.get_user_rank("a")["score"]
    lb.update_user("a", 0, T0)
    after = lb.get_user_rank("a")
    assert after["score"] == pytest.approx(before, rel=1e-12)
    assert after["last_update"] == T0


@pytest.mark.parametrize("points", [math.nan, math.inf, -math.inf])
def test_non_finite_points_are_refused_and_change_nothing(lb, points):
    lb.update_user("a", 1, T0)
    with pytest.raises(ValueError):
        lb.update_user("a", points, T0)
    with pytest.raises(ValueError):
        lb.update_user("nan-user", points, T0)
    assert lb.size() == 1
    assert lb.get_top_users(5)[0] == {"user_id": "a", "score": 1.0, "rank": 1, "last_update": T0}


@pytest.mark.parametrize("call", [
    lambda b: b.update_user(5, 1.0, T0),
    lambda b: b.update_user(b"bytes", 1.0, T0),
    lambda b: b.update_user(None, 1.0, T0),
    lambda b: b.update_user("a", "1", T0),
    lambda b: b.update_user("a", None, T0),
    lambda b: b.update_user("a", 1.0, 1.5),
    lambda b: b.update_user("a", 1.0, "now"),
    lambda b: b.get_top_users(-1),
    lambda b: b.get_top_users(2.0),
    lambda b: b.get_top_users("3"),
    lambda b: b.get_top_users(None),
    lambda b: b.get_user_rank(7),
    lambda b: b.get_user_rank(None),
])
def test_wrong_types_are_type_errors(lb, call):
    with pytest.raises(TypeError):
        call(lb)


def test_lone_surrogate_user_id_is_a_clear_value_error(lb):
    with pytest.raises(ValueError, match="surrogate"):
        lb.update_user("bad\ud800id", 1, T0)
    assert lb.size() == 0


# -- ranking ----------------------------------------------------------------

def test_ranking_order_ties_by_user_id_bytes(lb):
    for uid in ["b", "a", "c", "B", "é", "aa"]:
        lb.update_user(uid, 5, T0)
    lb.update_user("top", 6, T0)
    lb.update_user("low", 1, T0)
    top = lb.get_top_users(100)
    assert [u["user_id"] for u in top] == ["top"] + sorted(
        ["b", "a", "c", "B", "é", "aa"], key=lambda s: s.encode()) + ["low"]
    assert [u["rank"] for u in top] == list(range(1, 9))
    for entry in top:
        assert lb.get_user_rank(entry["user_id"]) == entry


def test_result_shapes(lb):
    lb.update_user("a", 2, T0)
    top = lb.get_top_users(1)
    assert type(top) is list and type(top[0]) is dict
    assert top[0] == {"user_id": "a", "score": 2.0, "rank": 1, "last_update": T0}
    assert type(top[0]["score"]) is float and type(top[0]["rank"]) is int
    assert type(top[0]["last_update"]) is int
    assert lb.get_user_rank("nobody") is None
    assert lb.get_top_users(0) == []


def test_ranks_follow_decay_not_insertion(lb):
    lb.update_user("old", 100, T0 - 60 * DAY)   # 100 * 0.95**60 ~ 4.6
    lb.update_user("new", 10, T0)
    assert [u["user_id"] for u in lb.get_top_users(2)] == ["new", "old"]


def test_max_users_evicts_the_lowest():
    board = Leaderboard(1.0, 3)
    board.set_time_source(lambda: T0)
    for uid, pts in [("a", 5), ("b", 3), ("c", 4), ("d", 1), ("e", 10)]:
        board.update_user(uid, pts, T0)
    assert board.size() == 3
    assert [u["user_id"] for u in board.get_top_users(10)] == ["e", "a", "c"]


def test_negative_points_rank_below_zero(lb):
    lb.update_user("neg", -5, T0)
    lb.update_user("pos", 1, T0)
    assert [u["user_id"] for u in lb.get_top_users(5)] == ["pos", "neg"]
    assert lb.get_user_rank("neg")["score"] == -5


# -- the clock --------------------------------------------------------------

def test_time_source_and_wall_clock():
    board = Leaderboard()
    now = [T0]
    board.set_time_source(lambda: now[0])
    assert board.get_current_time() == float(T0)
    assert type(board.get_current_time()) is float
    board.update_user("a", 1, 0)
    assert board.get_user_rank("a")["last_update"] == T0
    now[0] = T0 + DAY
    assert board.get_user_rank("a")["score"] == pytest.approx(0.95)
    board.set_time_source(None)
    import time
    assert abs(board.get_current_time() - time.time()) < 5


def test_time_source_exception_propagates_unchanged():
    board = Leaderboard()

    class Boom(Exception):
        pass

    def broken():
        raise Boom("clock broke")

    board.set_time_source(broken)
    with pytest.raises(Boom, match="clock broke"):
        board.get_current_time()
    with pytest.raises(Boom):
        board.update_user("a", 1, 0)
    with pytest.raises(Boom):
        board.get_top_users(3)


# -- snapshots --------------------------------------------------------------

WEIRD_IDS = [
    'quote"inside', "back\\slash", "new\nline", "tab\tand\rcr", "nul\0byte", "emoji 🎉👩‍👩‍👧",
    "combining e\u0301", "\u2028sep", "x" * (1 << 20), "", "ctrl\x01\x1f\x7f",
]


def test_snapshot_format_and_round_trip_of_odd_ids(lb, tmp_path):
    for i, uid in enumerate(WEIRD_IDS):
        lb.update_user(uid, i + 1, T0 - i * 3600)
    path = tmp_path / "board.json"
    lb.save_to_json(str(path))
    data = json.loads(path.read_text(encoding="utf-8"))
    # The original's fields, which its readers use; extra fields keep exact ties.
    assert set(data) >= {"decay_factor", "max_users", "entries"}
    assert data["decay_factor"] == 0.95 and data["max_users"] == 100000
    assert {e["user_id"] for e in data["entries"]} == set(WEIRD_IDS)
    by_id = {e["user_id"]: e for e in data["entries"]}
    assert by_id["nul\0byte"]["score"] == pytest.approx(WEIRD_IDS.index("nul\0byte") + 1)
    assert set(by_id[""]) >= {"user_id", "score", "last_update"}

    other = Leaderboard(0.5, 7)
    other.set_time_source(lambda: T0)
    other.load_from_json(str(path))
    loaded, saved = other.get_top_users(100), lb.get_top_users(100)
    assert [(e["user_id"], e["rank"], e["last_update"]) for e in loaded] == \
        [(e["user_id"], e["rank"], e["last_update"]) for e in saved]
    # Scores are stored at each user's last update and decayed again on load.
    assert [e["score"] for e in loaded] == pytest.approx([e["score"] for e in saved], rel=1e-12)
    other.update_user("late", 1000, T0)
    assert other.size() == len(WEIRD_IDS) + 1  # max_users came from the file


def test_reads_a_snapshot_written_by_the_original(tmp_path, lb):
    original = (
        '{\n  "decay_factor": 0.9,\n  "max_users": 50,\n  "entries": [\n'
        '    {"user_id": "alice", "score": 12.5, "last_update": %d},\n'
        '    {"user_id": "bob", "score": 3, "last_update": %d}\n  ]\n}\n' % (T0 - DAY, T0)
    )
    path = tmp_path / "original.json"
    path.write_text(original)
    lb.load_from_json(str(path))
    assert lb.get_user_rank("alice")["score"] == pytest.approx(12.5 * 0.9)
    assert lb.get_user_rank("bob") == {"user_id": "bob", "score": 3.0, "rank": 2, "last_update": T0}


BAD_SNAPSHOTS = {
    "empty": "",
    "garbage": "not json at all",
    "truncated": '{"decay_factor": 0.95, "max_users": 10, "entries": [{"user_id": "a", "sco',
    "list": "[1, 2, 3]",
    "foreign schema": '{"users": {"a": 1}}',
    "missing entries": '{"decay_factor": 0.95, "max_users": 10}',
    "score as string": '{"decay_factor": 0.95, "max_users": 10, "entries": [{"user_id": "a", "score": "1", "last_update": 1}]}',
    "id as number": '{"decay_factor": 0.95, "max_users": 10, "entries": [{"user_id": 1, "score": 1, "last_update": 1}]}',
    "nan score": '{"decay_factor": 0.95, "max_users": 10, "entries": [{"user_id": "a", "score": NaN, "last_update": 1}]}',
    "decay out of range": '{"decay_factor": 1.5, "max_users": 10, "entries": []}',
    "negative max_users": '{"decay_factor": 0.95, "max_users": -1, "entries": []}',
    "trailing garbage": '{"decay_factor": 0.95, "max_users": 10, "entries": []} extra',
    "duplicate ids": '{"decay_factor": 0.95, "max_users": 10, "entries": ['
                     '{"user_id": "a", "score": 1, "last_update": 1}, {"user_id": "a", "score": 2, "last_update": 1}]}',
}


@pytest.mark.parametrize("name", sorted(BAD_SNAPSHOTS))
def test_malformed_snapshot_is_value_error_and_board_unchanged(lb, tmp_path, name):
    lb.update_user("keep", 42, T0)
    lb.update_user("also", 7, T0 - DAY)
    before = lb.get_top_users(10)
    path = tmp_path / "bad.json"
    path.write_text(BAD_SNAPSHOTS[name])
    with pytest.raises(ValueError):
        lb.load_from_json(str(path))
    assert lb.get_top_users(10) == before
    assert lb.size() == 2


def test_binary_garbage_snapshot(lb, tmp_path):
    lb.update_user("keep", 1, T0)
    path = tmp_path / "bin.json"
    path.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(ValueError):
        lb.load_from_json(str(path))
    assert lb.size() == 1


def test_missing_snapshot_file_is_runtime_error(lb, tmp_path):
    lb.update_user("keep", 1, T0)
    with pytest.raises(RuntimeError):
        lb.load_from_json(str(tmp_path / "absent.json"))
    with pytest.raises(FileNotFoundError):  # it is an OSError with errno too
        lb.load_from_json(str(tmp_path / "absent.json"))
    assert lb.size() == 1


def test_save_into_missing_folder_is_a_clear_error(lb, tmp_path):
    lb.update_user("a", 1, T0)
    target = tmp_path / "no" / "such" / "dir" / "board.json"
    with pytest.raises(OSError) as info:
        lb.save_to_json(str(target))
    assert "no" in str(info.value) and info.value.errno is not None
    assert isinstance(info.value, RuntimeError)


def test_save_over_a_directory_leaves_no_temp_file(lb, tmp_path):
    lb.update_user("a", 1, T0)
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(OSError):
        lb.save_to_json(str(tmp_path / "dir.json"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.json"]


def test_save_replaces_the_previous_snapshot(lb, tmp_path):
    path = tmp_path / "board.json"
    lb.update_user("a", 1, T0)
    lb.save_to_json(str(path))
    lb.update_user("b", 2, T0)
    lb.save_to_json(str(path))
    assert [e["user_id"] for e in json.loads(path.read_text())["entries"]] == ["b", "a"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["board.json"]


def test_path_with_nul_byte_is_value_error(lb):
    with pytest.raises(ValueError):
        lb.save_to_json("bad\0path.json")


# -- concurrency ------------------------------------------------------------

def test_eight_threads_updating_and_querying_lose_no_update():
    board = Leaderboard(1.0, 0)
    per_thread, users = 2000, 50
    errors = []

    def writer(tid):
        try:
            for i in range(per_thread):
                board.update_user(f"user{i % users}", 1.0, T0 + i)
                if i % 50 == 0:
                    top = board.get_top_users(5)
                    assert len(top) <= 5
                    board.get_user_rank(f"user{tid}")
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert board.size() == users
    for entry in board.get_top_users(users):
        assert entry["score"] == 8 * per_thread / users


def test_rank_entry_is_exported_and_read_only():
    entry = cpp_leaderboard.RankEntry("a", 1.5, 1, T0)
    assert (entry.user_id, entry.score, entry.rank, entry.last_update) == ("a", 1.5, 1, T0)
    with pytest.raises(AttributeError):
        entry.score = 3
