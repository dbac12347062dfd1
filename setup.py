"""Build of engagehub-native: the Go c-shared library, then the cffi extension.

``pip install .`` (or ``pip install -e .``) runs build_ext, which first builds
capi/ with ``go build -buildmode=c-shared`` into build/golib/, then lets cffi
compile engagehub_native._native against it, and finally places
libengagehub.so beside the extension (the extension finds it via $ORIGIN).
A wheel therefore carries both and needs no Go toolchain to install.

Environment: GO names the go binary (default: ``go`` on PATH).
"""

import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
GO_LIB_DIR = os.path.join(ROOT, "build", "golib")
GO_LIB = "libengagehub.so"


def build_go_library():
    go = os.environ.get("GO") or shutil.which("go")
    if not go:
        raise SystemExit(
            "engagehub-native: building from source needs Go >= 1.26 and a C compiler "
            "(install Go, or set GO=/path/to/go); wheels need neither"
        )
    os.makedirs(GO_LIB_DIR, exist_ok=True)
    env = dict(os.environ, CGO_ENABLED="1")
    subprocess.run(
        [
            go, "build", "-buildmode=c-shared", "-trimpath",
            "-ldflags", "-s -w -extldflags=-Wl,-soname," + GO_LIB,
            "-o", os.path.join(GO_LIB_DIR, GO_LIB), "./capi",
        ],
        cwd=ROOT, env=env, check=True,
    )


class BuildGoThenExtension(build_ext):
    def run(self):
        build_go_library()
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


setup(
    cffi_modules=["python/engagehub_native/_ffi_build.py:ffibuilder"],
    cmdclass={"build_ext": BuildGoThenExtension},
)
