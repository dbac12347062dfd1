"""cffi builder (API, out-of-line mode) for engagehub_native._native.

Registered with ``cffi_modules`` in setup.py. The cdef is read from the
hand-written public header capi/engagehub.h, so the C contract lives in one
place. The extension links against libengagehub.so, which setup.py builds
with Go first and installs beside the extension (found through $ORIGIN).

The extension is built against CPython's limited API (``py_limited_api``),
so one compiled module, ``_native.abi3.so``, loads in every CPython >= 3.9;
setup.py tags the wheel cp39-abi3 to match.
"""

import os
import re
import sys
import sysconfig

from cffi import FFI

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CAPI = os.path.join(ROOT, "capi")
HEADER = os.path.join(CAPI, "engagehub.h")
# Where setup.py's Go step writes the shared library.
GO_LIB_DIR = os.path.join(ROOT, "build", "golib")


def cdef_source(path=HEADER):
    """The header's declarations without comments and preprocessor lines."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


ffibuilder = FFI()
ffibuilder.cdef(cdef_source())
ffibuilder.set_source(
    "engagehub_native._native",
    '#include "engagehub.h"',
    include_dirs=[CAPI],
    library_dirs=[GO_LIB_DIR],
    libraries=["engagehub"],
    extra_link_args=["-Wl,-rpath,$ORIGIN"],
    # Not on a free-threaded or debug CPython, which have no limited API.
    py_limited_api=not sysconfig.get_config_var("Py_GIL_DISABLED")
    and not hasattr(sys, "gettotalrefcount"),
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
