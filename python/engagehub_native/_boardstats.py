"""Names of the leaderboard's rank styles and tie-break policies, and their
codes in the C ABI (the EH_RANK_* and EH_TIE_* constants of engagehub.h)."""

from __future__ import annotations

from ._library import load

RANK_STYLES = ("ordinal", "competition", "dense")
TIE_BREAKS = ("user_id", "earliest")


def _code(value, name: str, choices: tuple, prefix: str) -> int:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r:.40}")
    _, lib = load()
    return getattr(lib, prefix + value.upper())


def style_code(style) -> int:
    """The C ABI's code of a rank style name."""
    return _code(style, "style", RANK_STYLES, "EH_RANK_")


def tie_break_code(tie_break) -> int:
    """The C ABI's code of a tie-break policy name."""
    return _code(tie_break, "tie_break", TIE_BREAKS, "EH_TIE_")


def tie_break_name(code: int) -> str:
    _, lib = load()
    for name in TIE_BREAKS:
        if getattr(lib, "EH_TIE_" + name.upper()) == code:
            return name
    raise ValueError(f"unknown tie-break code {code}")
