"""Fork safety, in real subprocesses: never a hang, always a clear error.

A Go runtime does not survive fork(); a child calling into its parent's
runtime would hang forever. Each scenario runs under a timeout so a hang
fails the test instead of the suite.
"""

from conftest import run_python


def test_object_from_before_fork_raises_in_child_and_parent_keeps_working():
    out = run_python("""
        import os, engagehub_native
        board = engagehub_native.Leaderboard(clock=lambda: 1_700_000_000)
        board.update("a", 1)
        pid = os.fork()
        if pid == 0:
            code = 3
            try:
                board.update("b", 1)
            except RuntimeError as exc:
                msg = str(exc)
                code = 0 if "fork" in msg and "post_fork" in msg and isinstance(
                    exc, engagehub_native.ForkedProcessError) else 4
            try:
                engagehub_native.Leaderboard()  # a new object cannot be made either
                code = 5
            except engagehub_native.ForkedProcessError:
                pass
            try:
                len(board)
                code = 6
            except RuntimeError:
                pass
            del board  # the finalizer must not call into the dead runtime
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        board.update("c", 2)
        assert [u.user_id for u in board.top(3)] == ["c", "a"]
        print("ok")
    """, timeout=60)
    assert out.stdout.strip() == "ok"


def test_child_of_a_parent_that_never_loaded_works():
    out = run_python("""
        import os, engagehub_native, cpp_leaderboard
        pid = os.fork()
        if pid == 0:
            b = cpp_leaderboard.Leaderboard()
            b.update_user("x", 3, 0)
            os._exit(0 if b.get_top_users(1)[0]["user_id"] == "x" else 7)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        b = engagehub_native.Leaderboard()   # the parent can still load it afterwards
        b.update("y", 1)
        print(len(b))
    """, timeout=60)
    assert out.stdout.strip() == "1"


def test_forked_child_exits_cleanly_with_live_objects():
    # Interpreter shutdown in the child runs finalizers and atexit hooks;
    # none may touch the parent's runtime.
    out = run_python("""
        import os, sys, engagehub_native
        boards = [engagehub_native.Leaderboard() for _ in range(3)]
        pid = os.fork()
        if pid == 0:
            sys.exit(0)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
    """, timeout=60)
    assert out.stdout.strip() == "0"


def test_multiprocessing_fork_pool_gets_a_clear_error():
    out = run_python("""
        import multiprocessing as mp, engagehub_native
        board = engagehub_native.Leaderboard()
        def use(_):
            try:
                len(board)
                return "no error"
            except engagehub_native.ForkedProcessError as exc:
                return "forked"
        with mp.get_context("fork").Pool(2) as pool:
            print(set(pool.map(use, range(4))))
    """, timeout=60)
    assert out.stdout.strip() == "{'forked'}"
