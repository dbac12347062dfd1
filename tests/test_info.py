"""python -m engagehub_native info: the facts a bug report needs, without loading anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import engagehub_native
from engagehub_native import _info

from conftest import run_python


def test_info_reports_versions_path_and_that_the_library_loads():
    proc = subprocess.run([sys.executable, "-m", "engagehub_native", "info"],
                          capture_output=True, text=True, timeout=60,
                          cwd=os.path.dirname(__file__))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"engagehub-native {engagehub_native.__version__} (C ABI " in out
    assert "built with: go1." in out
    library = os.path.join(os.path.dirname(engagehub_native.__file__), "libengagehub.so")
    assert f"library: {library}\n" in out
    assert "library loads here: yes" in out and "which matches" in out
    assert "this process: not loaded in this process" in out


def test_info_json_is_machine_readable():
    proc = subprocess.run([sys.executable, "-m", "engagehub_native", "info", "--json"],
                          capture_output=True, text=True, timeout=60, check=True,
                          cwd=os.path.dirname(__file__))
    facts = json.loads(proc.stdout)
    assert facts["version"] == engagehub_native.__version__
    assert facts["load"] == {"ok": True, "abi": facts["abi_expected"], "error": None}
    assert facts["go_settings"]["-buildmode"] == "c-shared"


def test_the_go_version_is_read_from_the_library_itself():
    library = os.path.join(os.path.dirname(engagehub_native.__file__), "libengagehub.so")
    build = _info.go_build_info(library)
    assert build is not None and build["go"].startswith("go1.")
    assert build["path"].endswith("/capi")
    assert _info.go_build_info(engagehub_native.__file__) is None  # not a Go binary


def test_asking_loads_nothing_into_this_process():
    out = run_python("""
        from engagehub_native import _info, _library
        facts = _info.collect()
        assert facts["load"]["ok"], facts
        assert not _library.is_loaded()
        print("ok")
    """)
    assert out.stdout.strip() == "ok"


def test_info_tells_a_forked_child_it_cannot_use_the_parents_library():
    out = run_python("""
        import os
        import engagehub_native
        from engagehub_native import _info
        board = engagehub_native.Leaderboard()
        print(_info.process_state())
        pid = os.fork()
        if pid == 0:
            print(_info.process_state(), flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
    """)
    parent, child = out.stdout.strip().splitlines()
    assert parent.startswith("loaded in this process")
    assert "before a fork: unusable in this process" in child


def test_library_that_cannot_load_is_reported_not_raised(monkeypatch):
    monkeypatch.setattr(sys, "executable", os.path.join(os.path.dirname(__file__), "no-such-python"))
    load = _info.probe_load()
    assert load["ok"] is False and load["error"]
