"""The installed package imports, loads lazily, and works end to end."""

import os

import cpp_leaderboard
import engagehub_native

from conftest import run_python


def test_imports_the_installed_package_not_the_source_tree():
    here = os.path.dirname(os.path.abspath(__file__))
    source = os.path.join(os.path.dirname(here), "python")
    assert not os.path.abspath(engagehub_native.__file__).startswith(source + os.sep) or \
        os.environ.get("ENGAGEHUB_ALLOW_SOURCE_TREE") == "1"
    assert os.path.exists(os.path.join(os.path.dirname(engagehub_native.__file__), "libengagehub.so"))


def test_import_opens_nothing():
    out = run_python("""
        import sys
        import engagehub_native, cpp_leaderboard, cpp_event_processor
        from engagehub_native import _library
        assert not _library.is_loaded()
        assert "engagehub_native._native" not in sys.modules
        b = cpp_leaderboard.Leaderboard()
        assert _library.is_loaded()
        print("ok")
    """)
    assert out.stdout.strip() == "ok"


def test_leaderboard_round_trip():
    board = cpp_leaderboard.Leaderboard(0.95, 10)
    board.update_user("alice", 10, 0)
    board.update_user("bob", 5, 0)
    top = board.get_top_users(5)
    assert [u["user_id"] for u in top] == ["alice", "bob"]
    assert board.size() == 2
