"""What is installed and whether it works here: ``python -m engagehub_native info``.

For bug reports and the test suite's header. Gathering the facts loads
nothing into the calling process: whether the library loads is tried in a
child interpreter, so asking never starts a Go runtime that a later fork()
would strand (see _library).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from typing import Optional

from . import _library

LIBRARY = "libengagehub.so"
#: Go's build information record (runtime/debug.BuildInfo), written by the
#: linker into every Go binary and shared library, -s -w included; read the
#: way ``go version -m`` reads it (cmd/go/internal/version, debug/buildinfo).
_BUILDINFO_MAGIC = b"\xff Go buildinf:"
_BUILDINFO_INLINE = 0x2  # Go >= 1.18: version and module info follow the header


def _varint_string(data: bytes, pos: int):
    """A uvarint length and that many bytes at pos: (text, position after)."""
    length = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        length |= (byte & 0x7F) << shift
        if byte < 0x80:
            break
        shift += 7
    return data[pos:pos + length].decode("utf-8", "replace"), pos + length


def go_build_info(path: str) -> Optional[dict]:
    """{'go': 'go1.26.8', 'path': ..., 'settings': {...}} of a Go binary, or None."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    start = data.find(_BUILDINFO_MAGIC)
    while start != -1 and start % 16:  # the record is 16-byte aligned
        start = data.find(_BUILDINFO_MAGIC, start + 1)
    if start == -1 or not data[start + 15] & _BUILDINFO_INLINE:
        return None
    try:
        version, pos = _varint_string(data, start + 32)
        modinfo, _ = _varint_string(data, pos)
    except IndexError:
        return None
    info = {"go": version, "path": None, "settings": {}}
    # modinfo is framed by 16 sentinel bytes at each end; lines are tab-separated.
    for line in modinfo[16:-16].splitlines():
        fields = line.split("\t")
        if fields[0] == "path" and len(fields) > 1:
            info["path"] = fields[1]
        elif fields[0] == "build" and len(fields) > 1 and "=" in fields[1]:
            key, _, value = fields[1].partition("=")
            info["settings"][key] = value
    return info


def _package_dir() -> str:
    return os.path.dirname(os.path.abspath(__file__))


# Run in a child interpreter: import the package from the same folder as the
# caller's, open the library, print the ABI version it speaks.
_LOAD_PROBE = """
import sys
sys.path.insert(0, sys.argv[1])
from engagehub_native import _library
ffi, lib = _library.load()
print(lib.eh_abi_version())
"""


def probe_load(timeout: float = 60) -> dict:
    """Try to open the library in a child interpreter: {'ok', 'abi', 'error'}."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _LOAD_PROBE, os.path.dirname(_package_dir())],
            capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError) as exc:
        return {"ok": False, "abi": None, "error": f"{type(exc).__name__}: {exc}"}
    if proc.returncode == 0:
        return {"ok": True, "abi": int(proc.stdout.split()[-1]), "error": None}
    lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    return {"ok": False, "abi": None,
            "error": lines[-1] if lines else f"exit status {proc.returncode}"}


def process_state() -> str:
    """The library's state in this process, fork included."""
    pid = os.getpid()
    if not _library.is_loaded():
        return f"not loaded in this process (pid {pid})"
    if _library.usable():
        return f"loaded in this process (pid {pid})"
    return (f"loaded in process {_library._loaded_pid} before a fork: unusable in this "
            f"process (pid {pid}); create objects after the fork")


def collect(probe: bool = True) -> dict:
    """Every fact the info command prints, as a dict (probe: try loading in a child)."""
    from . import __version__

    folder = _package_dir()
    library = os.path.join(folder, LIBRARY)
    build = go_build_info(library)
    libc, libc_version = platform.libc_ver()
    return {
        "version": __version__,
        "abi_expected": _library.ABI_VERSION,
        "python": f"{platform.python_implementation()} {platform.python_version()} "
                  f"({sys.executable})",
        "platform": f"{platform.system()} {platform.machine()}, "
                    f"{libc or 'unknown libc'} {libc_version}".strip(),
        "package": folder,
        "library": library if os.path.exists(library) else f"{library} (missing)",
        "go": build["go"] if build else "unknown (no Go build info in the library)",
        "go_settings": build["settings"] if build else {},
        "process": process_state(),
        "load": probe_load() if probe else None,
    }


def lines(info: dict) -> list:
    """The facts as 'name: value' lines."""
    load = info["load"]
    if load is None:
        loads = "not checked"
    elif load["ok"]:
        same = "matches" if load["abi"] == info["abi_expected"] else "DOES NOT MATCH"
        loads = f"yes (in a child process; the library speaks ABI {load['abi']}, which {same})"
    else:
        loads = f"NO: {load['error']}"
    settings = info["go_settings"]
    target = "/".join(filter(None, (settings.get("GOOS"), settings.get("GOARCH"))))
    return [
        f"engagehub-native {info['version']} (C ABI {info['abi_expected']})",
        f"python: {info['python']}",
        f"platform: {info['platform']}",
        f"package: {info['package']}",
        f"library: {info['library']}",
        f"built with: {info['go']}" + (f" for {target}" if target else ""),
        f"library loads here: {loads}",
        f"this process: {info['process']}",
    ]
