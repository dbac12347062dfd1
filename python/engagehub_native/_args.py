"""Argument checks shared by the Pythonic classes: wrong types raise
TypeError, right types with bad values raise ValueError, with messages that
name the argument."""

from __future__ import annotations

import math
import operator

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def text(value, name: str) -> bytes:
    """A str argument as UTF-8 bytes; lone surrogates are refused."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {type(value).__name__}")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{name} is not valid Unicode: lone surrogate {value[exc.start]!r} at index {exc.start}"
        ) from None


def integer(value, name: str, *, minimum: int | None = None,
            maximum: int | None = INT64_MAX) -> int:
    """An int argument (bool refused) within [minimum, maximum] (None: unbounded)."""
    if type(value) is not int:
        if isinstance(value, bool) or isinstance(value, float):
            raise TypeError(f"{name} must be int, not {type(value).__name__}")
        try:
            value = operator.index(value)
        except TypeError:
            raise TypeError(f"{name} must be int, not {type(value).__name__}") from None
    low = INT64_MIN if minimum is None else minimum
    high = value if maximum is None else maximum
    if not low <= value <= high:
        if minimum is not None and value < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value}")
        raise ValueError(f"{name} is out of range: {value}")
    return value


def count(value, name: str) -> int:
    """A non-negative int meaning "up to this many"; any size is fine, as the
    engine never has more than 2**63 - 1 of anything."""
    return min(integer(value, name, minimum=0, maximum=None), INT64_MAX)


def timestamp(value, name: str = "timestamp") -> int:
    """A Unix timestamp in seconds; None and values <= 0 mean "now" (returned as 0)."""
    if value is None:
        return 0
    value = integer(value, name)
    return value if value > 0 else 0


def finite(value, name: str) -> float:
    """A real number (bool and strings refused) that is neither NaN nor infinite."""
    if type(value) is not float:
        if isinstance(value, (bool, str, bytes)) or not hasattr(type(value), "__float__"):
            raise TypeError(f"{name} must be a real number, not {type(value).__name__}")
        try:
            value = float(value)
        except OverflowError:
            raise ValueError(f"{name} is too large for a float: {value}") from None
    if math.isfinite(value):
        return value
    raise ValueError(f"{name} must be finite, got {value}")


def nonnegative(value, name: str) -> float:
    """A finite real number >= 0 (a duration in seconds, a backoff)."""
    value = finite(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def clock_reading(value, name: str = "clock") -> float:
    """What a clock returned: a finite number of Unix seconds > 0."""
    if type(value) is not float and type(value) is not int:
        if isinstance(value, bool) or not hasattr(type(value), "__float__"):
            raise TypeError(f"the {name} returned {type(value).__name__}, not a number of seconds")
        value = float(value)
    if not 0 < value < 2.0**62:
        raise ValueError(f"the {name} returned {value!r}, not a Unix time in seconds")
    return value
