"""Build of engagehub-native: the Go c-shared library, then the cffi extension.

``pip install .`` (or ``pip install -e .``) runs build_ext, which first checks
the toolchain (Go at least as new as go.mod asks, a C compiler, Python's
headers) and stops with one line naming what is missing, then builds capi/
with ``go build -buildmode=c-shared`` into build/golib/, lets cffi compile
engagehub_native._native against it, and finally places libengagehub.so
beside the extension (the extension finds it via $ORIGIN). A wheel therefore
carries both and needs no Go toolchain to install.

The extension uses only CPython's limited API (cffi's default), so one wheel,
tagged cp39-abi3, serves every CPython from 3.9 on.

Environment: GO names the go binary (default: ``go`` on PATH); CC the C
compiler (default: the one Python was built with, else ``cc``).
"""

import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
GO_LIB_DIR = os.path.join(ROOT, "build", "golib")
GO_LIB = "libengagehub.so"
# Pins the few glibc symbols the Go runtime's cgo code calls to their oldest
# versions, so that the library does not need glibc 2.34 (see the header).
GLIBC_COMPAT = os.path.join(ROOT, "toolchain", "glibc_compat.h")
#: Oldest CPython the limited-API extension supports (the wheel's cpXY-abi3 tag).
LIMITED_API = "cp39"
WHEEL_ONLY = "or install a prebuilt wheel, which needs neither"


def fail(message):
    """Stop the build with one line (SystemExit prints no traceback)."""
    raise SystemExit("engagehub-native: " + message)


def version_tuple(text):
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def required_go():
    """The Go version go.mod asks for, e.g. '1.26'."""
    with open(os.path.join(ROOT, "go.mod"), encoding="utf-8") as f:
        match = re.search(r"^go\s+(\S+)", f.read(), flags=re.M)
    return match.group(1) if match else "1.21"


def find_go():
    """The go binary, checked against go.mod; stops the build with one line if unfit."""
    need = required_go()
    go = os.environ.get("GO") or shutil.which("go")
    if not go or not shutil.which(go):
        fail(f"building from source needs Go >= {need} (go.mod) and no 'go' was found on PATH: "
             f"install it from https://go.dev/dl/ (or set GO=/path/to/go), {WHEEL_ONLY}")
    # Asked outside the module, and with GOTOOLCHAIN=local, so that go reports
    # itself instead of refusing (or fetching) for go.mod's sake.
    outside = tempfile.gettempdir()
    local = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True,
                           env=dict(os.environ, GOTOOLCHAIN="local"), cwd=outside)
    have = local.stdout.strip() if local.returncode == 0 else ""
    if not have:
        fail(f"'{go} env GOVERSION' failed ({(local.stderr or '').strip()[:200]}); "
             f"building from source needs Go >= {need}")
    if version_tuple(have) < version_tuple(need):
        # Go >= 1.21 fetches the toolchain go.mod names when GOTOOLCHAIN allows it.
        toolchain = os.environ.get("GOTOOLCHAIN") or subprocess.run(
            [go, "env", "GOTOOLCHAIN"], capture_output=True, text=True, cwd=outside,
            env=dict(os.environ, GOTOOLCHAIN="local")).stdout.strip()
        can_switch = version_tuple(have) >= (1, 21) and toolchain not in ("", "local") \
            and not toolchain.endswith("+path")
        if not can_switch:
            fail(f"building from source needs Go >= {need} (go.mod), found {have} at {go}: "
                 f"install a newer Go from https://go.dev/dl/ (or, with Go >= 1.21, set "
                 f"GOTOOLCHAIN=auto to fetch it), {WHEEL_ONLY}")
    return go


def check_c_toolchain():
    """A C compiler and Python's headers, which cgo and cffi both need."""
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    compiler = shlex.split(cc)[0] if cc.strip() else "cc"
    if not shutil.which(compiler) and not shutil.which("cc") and not shutil.which("gcc"):
        fail(f"building from source needs a C compiler and none was found ('{compiler}', cc, gcc): "
             f"install gcc (Debian/Ubuntu: apt-get install gcc libc6-dev), {WHEEL_ONLY}")
    include = sysconfig.get_paths()["include"]
    if not os.path.exists(os.path.join(include, "Python.h")):
        fail(f"building from source needs Python's C headers and {include}/Python.h is missing: "
             f"install them (Debian/Ubuntu: apt-get install python3-dev), {WHEEL_ONLY}")


def build_go_library(go):
    os.makedirs(GO_LIB_DIR, exist_ok=True)
    env = dict(os.environ, CGO_ENABLED="1")
    if platform.machine() == "x86_64" and platform.libc_ver()[0] == "glibc":
        env["CGO_CFLAGS"] = (env.get("CGO_CFLAGS", "-O2 -g") + " -include " + GLIBC_COMPAT).strip()
    subprocess.run(
        [
            # netgo: Go's own DNS resolver (the native sink and the Redis
            # client connect by host name); the cgo one binds
            # res_search@GLIBC_2.34 (see build.sh).
            go, "build", "-buildmode=c-shared", "-trimpath", "-tags", "netgo",
            "-ldflags", "-s -w -extldflags=-Wl,-soname," + GO_LIB,
            "-o", os.path.join(GO_LIB_DIR, GO_LIB), "./capi",
        ],
        cwd=ROOT, env=env, check=True,
    )


class BuildGoThenExtension(build_ext):
    def run(self):
        go = find_go()
        check_c_toolchain()
        build_go_library(go)
        super().run()
        for ext in self.extensions:
            target = os.path.join(os.path.dirname(self.get_ext_fullpath(ext.name)), GO_LIB)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(os.path.join(GO_LIB_DIR, GO_LIB), target)

    def get_outputs(self):
        outputs = super().get_outputs()
        return outputs + [
            os.path.join(os.path.dirname(self.get_ext_fullpath(ext.name)), GO_LIB)
            for ext in self.extensions
        ]


# Commands that compile: check the toolchain before setuptools starts any of
# them, so a machine that cannot build hears so first and in one line.
# (Making the sdist or the metadata needs neither Go nor a compiler.)
COMPILING = {"build", "build_ext", "bdist_wheel", "bdist_egg", "install", "develop",
             "editable_wheel"}
if COMPILING & set(sys.argv[1:]):
    find_go()
    check_c_toolchain()

# A free-threaded CPython has no limited API; cffi then builds a version-specific
# extension, and the wheel must carry that interpreter's own tag.
options = {}
limited = not sysconfig.get_config_var("Py_GIL_DISABLED") and not hasattr(sys, "gettotalrefcount")
if limited:
    options["bdist_wheel"] = {"py_limited_api": LIMITED_API}


def hot_path(name):
    """A hot path of the Python layer in C (python/engagehub_native/<name>.c),
    against the same limited API; the Go library is reached only through cffi."""
    return Extension(
        "engagehub_native." + name, [f"python/engagehub_native/{name}.c"],
        include_dirs=["python/engagehub_native", "capi"],
        depends=["python/engagehub_native/_hot_path.h", "capi/engagehub.h"],
        py_limited_api=limited,
        define_macros=[("Py_LIMITED_API", "0x03090000")] if limited else [],
        # An undeclared function (one some CPython's headers keep out of the
        # limited API) must stop the build, not return a truncated int.
        extra_compile_args=["-O2", "-Werror=implicit-function-declaration"],
    )


setup(
    # _staging: push, update, a drain's buffers, a batch's dicts;
    # _pages: rank, top and page, and a page's ranked users.
    ext_modules=[hot_path("_staging"), hot_path("_pages")],
    cffi_modules=["python/engagehub_native/_ffi_build.py:ffibuilder"],
    cmdclass={"build_ext": BuildGoThenExtension},
    options=options,
)
