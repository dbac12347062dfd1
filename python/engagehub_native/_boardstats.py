"""Names of the leaderboard's rank styles and tie-break policies, and their
codes in the C ABI (the EH_RANK_* and EH_TIE_* constants of engagehub.h)."""

from __future__ import annotations

from typing import Dict

from ._library import load

RANK_STYLES = ("ordinal", "competition", "dense")
TIE_BREAKS = ("user_id", "earliest")

_codes: Dict[str, Dict[str, int]] = {}


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
    return _code(style, "style", RANK_STYLES, "EH_RANK_")


def tie_break_code(tie_break) -> int:
    """The C ABI's code of a tie-break policy name."""
    return _code(tie_break, "tie_break", TIE_BREAKS, "EH_TIE_")


def tie_break_name(code: int) -> str:
    for name, value in _table("EH_TIE_", TIE_BREAKS).items():
        if value == code:
            return name
    raise ValueError(f"unknown tie-break code {code}")
