"""The source distribution carries what it needs, and a machine that cannot
build it is told so in one line, before anything is compiled."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEEDED = ("setup.py", "pyproject.toml", "MANIFEST.in", "go.mod", "go.sum", "capi/engagehub.h",
          "capi/main.go", "toolchain/glibc_compat.h", "python/engagehub_native/_ffi_build.py",
          "python/cpp_leaderboard/__init__.py", "README.md", "CHANGELOG.md")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(os.path.join(ROOT, "setup.py")),
                       reason="needs the source tree to build the sdist"),
]


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> str:
    pytest.importorskip("build", reason="the sdist is made with pypa/build (the test extra)")
    out = tmp_path_factory.mktemp("sdist")
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(out), ROOT],
                   check=True, capture_output=True, timeout=600)
    (made,) = out.glob("engagehub_native-*.tar.gz")
    return str(made)


def tool_dir(tmp_path, **tools) -> str:
    """A folder to be the whole PATH besides the interpreter: one entry per
    tool, a symlink to a real binary or a shell script's text."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name, what in tools.items():
        target = folder / name
        if what.startswith("#!"):
            target.write_text(what)
            target.chmod(0o755)
        else:
            target.symlink_to(what)
    return str(folder)


def install(sdist, tmp_path, path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GO", "CGO")) and k not in ("CC", "PATH")}
    env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-cache-dir",
         "--target", str(tmp_path / "target"), sdist],
        env=env, capture_output=True, text=True, timeout=600)


def assert_one_clear_line(proc, expected: str) -> None:
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    lines = [line.strip() for line in output.splitlines() if "engagehub-native:" in line]
    assert len(lines) == 1 and expected in lines[0], output
    assert "Traceback" not in output, output


def test_sdist_carries_the_go_sources_and_the_builder(sdist):
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    missing = [name for name in NEEDED if name not in names]
    assert not missing, missing
    assert any(name.startswith("core/leaderboard/") and name.endswith(".go") for name in names)
    assert not any(name.endswith(".so") or name.startswith("build/") for name in names)


def test_without_go_the_build_stops_with_one_line(sdist, tmp_path):
    proc = install(sdist, tmp_path, tool_dir(tmp_path, **{"cc": "/bin/false"}))
    assert_one_clear_line(proc, "building from source needs Go >= ")
    assert "https://go.dev/dl/" in proc.stdout + proc.stderr


def test_with_a_go_older_than_go_mod_the_build_stops_with_one_line(sdist, tmp_path):
    old_go = ("#!/bin/sh\n"
              'case "$*" in "env GOVERSION") echo go1.19.8;; "env GOTOOLCHAIN") echo local;; '
              "*) echo 'go: unexpected call' >&2; exit 2;; esac\n")
    proc = install(sdist, tmp_path, tool_dir(tmp_path, go=old_go))
    assert_one_clear_line(proc, "found go1.19.8")


@pytest.mark.skipif(not shutil.which("go"), reason="needs a Go toolchain to get past the Go check")
def test_without_a_c_compiler_the_build_stops_with_one_line(sdist, tmp_path):
    proc = install(sdist, tmp_path, tool_dir(tmp_path, go=os.path.realpath(shutil.which("go"))))
    assert_one_clear_line(proc, "needs a C compiler")
