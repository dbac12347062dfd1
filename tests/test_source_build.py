"""A source build compiles the C hot paths against the headers of the CPython
that builds them, which may differ from the ones the wheels were built with.

3.9's headers declared PyMem_Calloc only outside the limited API: built there
from source, _staging.c called it undeclared, as a function returning int, and
the first push crashed on the pointer's lost top half, while the wheel (built
against 3.11's headers) passed every test on 3.9. The build now stops on an
undeclared function; this test compiles both files against the running
interpreter's headers, as setup.py would, so the CI matrix's oldest and
newest CPythons check it too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sysconfig

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETUP = os.path.join(ROOT, "setup.py")
HOT_PATHS = ("_staging.c", "_pages.c")
COMPILER = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")

pytestmark = pytest.mark.skipif(
    not os.path.exists(SETUP) or COMPILER is None or sysconfig.get_config_var("Py_GIL_DISABLED"),
    reason="needs the source tree, a C compiler and a CPython with the limited API")


def setup_py_limited_api() -> str:
    """The Py_LIMITED_API value setup.py compiles the hot paths with."""
    with open(SETUP, encoding="utf-8") as f:
        found = re.search(r'\("Py_LIMITED_API", "(0x[0-9A-Fa-f]{8})"\)', f.read())
    assert found, "setup.py no longer defines Py_LIMITED_API as this test expects"
    return found.group(1)


@pytest.mark.parametrize("source", HOT_PATHS)
def test_a_hot_path_compiles_against_this_cpythons_headers(source):
    package = os.path.join(ROOT, "python", "engagehub_native")
    result = subprocess.run(
        [COMPILER, "-fsyntax-only", "-Wall", "-Werror=implicit-function-declaration",
         "-Werror=int-conversion", f"-DPy_LIMITED_API={setup_py_limited_api()}",
         "-I", sysconfig.get_paths()["include"], "-I", package, "-I", os.path.join(ROOT, "capi"),
         os.path.join(package, source)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr, result.stderr
