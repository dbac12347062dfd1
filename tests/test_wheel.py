"""The wheel installs and works on a machine without Go or a C compiler.

The wheel under test is $ENGAGEHUB_WHEEL when set (``./build.sh matrix`` and
CI set it to the manylinux wheel ``./build.sh wheel`` repaired), otherwise one
built here from the source tree with pip (which needs Go).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GIVEN = os.environ.get("ENGAGEHUB_WHEEL")
#: Tools a source build would need; none of them may be reachable.
BUILD_TOOLS = ("go", "gcc", "cc", "clang", "c++", "g++", "ld")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not GIVEN and not (os.path.exists(os.path.join(ROOT, "setup.py"))
                                          and shutil.which("go")),
                       reason="needs ENGAGEHUB_WHEEL, or the source tree and Go to build a wheel"),
]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> str:
    if GIVEN:
        return os.path.abspath(GIVEN)
    wheels = tmp_path_factory.mktemp("wheels")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), ROOT],
                   check=True, timeout=600)
    (built,) = wheels.glob("engagehub_native-*.whl")
    return str(built)


@pytest.fixture(scope="module")
def bare_venv(tmp_path_factory, wheel):
    """A fresh venv with the wheel installed, and an environment whose PATH
    holds that venv's bin/ and nothing else: no Go, no compiler, no linker."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=True)
    bin_dir = str(env_dir / "bin")
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("GO", "CGO", "PYTHON")) and k not in ("CC", "CXX", "LD")}
    env = {**clean, "PATH": bin_dir}
    for tool in BUILD_TOOLS:
        assert shutil.which(tool, path=bin_dir) is None, f"{tool} is reachable"
    subprocess.run([os.path.join(bin_dir, "python"), "-m", "pip", "install", "-q",
                    "--only-binary", ":all:", wheel],
                   check=True, env=env, timeout=300)
    return os.path.join(bin_dir, "python"), env, str(env_dir)


def test_wheel_is_one_abi3_wheel_for_every_cpython(wheel):
    name = os.path.basename(wheel)
    assert re.match(r"engagehub_native-[^-]+-cp39-abi3-", name), name


@pytest.mark.skipif(not GIVEN, reason="the manylinux tag comes from ./build.sh wheel (auditwheel repair)")
def test_given_wheel_has_a_manylinux_tag(wheel):
    assert re.search(r"manylinux_2_(\d+)_x86_64", os.path.basename(wheel)), wheel


def test_wheel_installs_and_runs_without_go_or_a_compiler(bare_venv, tmp_path):
    python, env, _ = bare_venv
    out = subprocess.run(
        [python, "-c",
         "import cpp_leaderboard, cpp_event_processor\n"
         "b = cpp_leaderboard.Leaderboard(); b.update_user('a', 2, 0)\n"
         "p = cpp_event_processor.EventStreamProcessor(0, 1, 0, 0); got = []\n"
         "p.set_flush_callback(got.extend); p.push_event('m', 'u', 'c', 0); p.flush_now()\n"
         "print(b.get_top_users(1)[0]['score'], len(got))"],
        check=True, env=env, capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    assert out.stdout.split() == ["2.0", "1"]


def test_wheel_info_names_the_installed_library(bare_venv, tmp_path):
    python, env, env_dir = bare_venv
    out = subprocess.run([python, "-m", "engagehub_native", "info"], env=env, capture_output=True,
                         text=True, timeout=120, cwd=str(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"library: {env_dir}" in out.stdout
    assert "library loads here: yes" in out.stdout
