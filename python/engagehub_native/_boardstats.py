"""Names of the leaderboard's rank styles and tie-break policies, and their
codes in the C ABI (the EH_RANK_* and EH_TIE_* constants of engagehub.h)."""

from __future__ import annotations

from typing import Dict, Mapping

from . import _args
from ._library import load

RANK_STYLES = ("ordinal", "competition", "dense")
TIE_BREAKS = ("user_id", "earliest")

_codes: Dict[str, Dict[str, int]] = {}

#: Rank style name -> code, for hot paths to look up before calling
#: style_code (filled by the first style_code call).
STYLE_CODES: Dict[str, int] = {}


def _table(prefix: str, choices: tuple) -> Dict[str, int]:
    table = _codes.get(prefix)
    if table is None:
        _, lib = load()
        table = _codes[prefix] = {name: getattr(lib, prefix + name.upper()) for name in choices}
    return table


def _code(value, name: str, choices: tuple, prefix: str) -> int:
    if type(value) is str:
        code = _table(prefix, choices).get(value)
        if code is not None:
            return code
    elif not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {type(value).__name__}")
    raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r:.40}")


def style_code(style) -> int:
    """The C ABI's code of a rank style name."""
    code = _code(style, "style", RANK_STYLES, "EH_RANK_")
    STYLE_CODES[style] = code
    return code


def tie_break_code(tie_break) -> int:
    """The C ABI's code of a tie-break policy name."""
    return _code(tie_break, "tie_break", TIE_BREAKS, "EH_TIE_")


def tie_break_name(code: int) -> str:
    for name, value in _table("EH_TIE_", TIE_BREAKS).items():
        if value == code:
            return name
    raise ValueError(f"unknown tie-break code {code}")


_window_bytes: Dict[str, bytes] = {}


def window_name(window) -> bytes:
    """A window argument for the C ABI: None (the whole board) as b"", a name as UTF-8."""
    if window is None:
        return b""
    if type(window) is str:
        raw = _window_bytes.get(window)
        if raw is not None:
            return raw
    if not isinstance(window, str):
        raise TypeError(f"window must be str or None, not {type(window).__name__}")
    if not window:
        raise ValueError("window must name one of the board's windows, not ''")
    raw = _args.text(window, "window")
    if len(_window_bytes) < 64 and type(window) is str:
        _window_bytes[window] = raw
    return raw


def window_specs(windows) -> tuple:
    """``windows={name: seconds}`` as (names, lengths); the engine checks the values
    (positive whole minutes, unique non-empty names)."""
    if windows is None:
        return [], []
    if not isinstance(windows, Mapping):
        raise TypeError(f"windows must be a mapping of name to seconds, not {type(windows).__name__}")
    names, lengths = [], []
    for name, length in windows.items():
        _args.text(name, "window name")
        if type(length) is not int:
            if isinstance(length, (bool, float)) or not hasattr(type(length), "__index__"):
                raise TypeError(f"window {name!r}: length must be a whole number of seconds "
                                f"(int), not {type(length).__name__}")
        names.append(name)
        lengths.append(_args.integer(length, f"window {name!r} length", minimum=None))
    return names, lengths
