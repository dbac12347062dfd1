"""The ``ENGAGEHUB_NATIVE`` setting: one dict, its defaults, and its validation.

Validation returns problems instead of raising, so that the system checks
(checks.py) can report every bad key at once with ids a site may silence;
:func:`settings` raises on the first problem for code that needs values.
"""

from __future__ import annotations

import math
import os
from typing import Any, NamedTuple

SETTING = "ENGAGEHUB_NATIVE"

#: Points per event type that ``leaderboard_rebuild`` (and :func:`record`) give.
DEFAULT_POINTS = {"message": 1.0, "reaction": 0.5, "voice_join": 3.0}

DEFAULTS: dict = {
    "buffer_size": 65536,
    "batch_size": 500,
    "flush_interval": 0.2,          # seconds
    "num_threads": 2,
    "max_attempts": 3,              # callback attempts per batch before on_error
    "exit_timeout": 10.0,           # seconds to deliver pending events at exit
    "decay_factor": 0.95,
    "max_users": 100_000,           # 0 = unlimited
    "tie_break": "user_id",         # order of tied users: "user_id" or "earliest"
    "windows": {},                  # time-windowed boards, {name: seconds}, e.g. {"week": 604800}
    "window_origin": 0,             # Unix time the windows' periods count from
    "snapshot_path": None,          # restored on start, written at clean shutdown
    "leaderboard_backend": None,    # None/"embedded": per process; "redis://...": shared
    "leaderboard_name": "default",  # the board's name in Redis
    "analytics_backend": None,      # None/"embedded": per process; "redis://...": shared
    "analytics_name": "default",    # the processor analytics' name in Redis
    "sink": "engagehub_native.Event",
    "mapping": "engagehub_native.django.sinks.event_to_model_kwargs",
    "database": "default",
    "points": DEFAULT_POINTS,
    # The native sink (sink = a postgresql:// URL, or "native" for the
    # `database` alias's PostgreSQL): the table (None: the Event model's),
    # its Go connections, and a Python callable that gets every batch too.
    "sink_table": None,
    "sink_workers": 2,
    "callback": None,
}

#: The most windows a board may have (the engine's MaxWindows).
_MAX_WINDOWS = 16

#: Prefixes of a libpq URL: such a ``sink`` is written by the native sink.
NATIVE_PREFIXES = ("postgresql://", "postgres://")


def is_native_sink(value: Any) -> bool:
    """Whether a ``sink`` value names the native PostgreSQL sink."""
    return isinstance(value, str) and (value == "native" or value.startswith(NATIVE_PREFIXES))


class Problem(NamedTuple):
    """One invalid entry: the check id suffix (E001...), the key, and why."""

    id: str
    key: str
    message: str


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _at_least(minimum: int):
    def rule(key, value):
        if not _is_int(value):
            return Problem("E003", key, f"must be an int, not {type(value).__name__}")
        if value < minimum:
            return Problem("E004", key, f"must be at least {minimum}, not {value}")
        return None
    return rule


def _positive_seconds(key, value):
    if not _is_number(value):
        return Problem("E003", key, f"must be a number of seconds, not {type(value).__name__}")
    if not (math.isfinite(value) and value > 0):
        return Problem("E004", key, f"must be a finite number of seconds > 0, not {value!r}")
    return None


def _decay_factor(key, value):
    if not _is_number(value):
        return Problem("E003", key, f"must be a number, not {type(value).__name__}")
    if not (0 < value <= 1):
        return Problem("E004", key, f"must lie in (0, 1], not {value!r}")
    return None


def _tie_break(key, value):
    from .._boardstats import TIE_BREAKS

    if not isinstance(value, str):
        return Problem("E003", key, f"must be a str, not {type(value).__name__}")
    if value not in TIE_BREAKS:
        return Problem("E004", key, f"must be one of {', '.join(map(repr, TIE_BREAKS))}, "
                                    f"not {value!r}")
    return None


def _windows(key, value):
    from .._boardstats import window_specs

    try:
        names, lengths = window_specs(value)
    except TypeError as exc:
        return Problem("E003", key, str(exc))
    except ValueError as exc:
        return Problem("E004", key, str(exc))
    # The engine's rule (timewindows.go), checked here without loading the
    # library: checks may run in a process that forks workers later.
    if (len(lengths) > _MAX_WINDOWS or not all(names)
            or not all(n > 0 and n % 60 == 0 for n in lengths)):
        return Problem("E004", key, f"needs at most {_MAX_WINDOWS} windows, each a non-empty "
                                    f"name and a positive whole number of minutes in "
                                    f"seconds, not {value!r}")
    return None


def _optional_path(key, value):
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        return Problem("E003", key, f"must be a path (str or PathLike) or None, "
                                    f"not {type(value).__name__}")
    folder = os.path.dirname(os.path.abspath(os.fspath(value)))
    if not os.path.isdir(folder):
        return Problem("E004", key, f"its folder {folder} does not exist")
    return None


def _dotted_or_callable(key, value):
    if callable(value):
        return None
    if not isinstance(value, str) or "." not in value:
        return Problem("E003", key, "must be a dotted path (str) or a callable, "
                                    f"not {value!r}")
    return None


def _sink(key, value):
    if is_native_sink(value):
        return None
    return _dotted_or_callable(key, value)


def _optional_table(key, value):
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        return Problem("E003", key, f"must be a table name (str, 'name' or 'schema.name') or "
                                    f"None, not {value!r}")
    return None


def _optional_callable(key, value):
    if value is None:
        return None
    return _dotted_or_callable(key, value)


def _database(key, value):
    if not isinstance(value, str):
        return Problem("E003", key, f"must be a database alias (str), not {type(value).__name__}")
    return None


def _points(key, value):
    if not isinstance(value, dict):
        return Problem("E003", key, f"must be a dict of event type to points, "
                                    f"not {type(value).__name__}")
    for event_type, points in value.items():
        if not isinstance(event_type, str):
            return Problem("E003", key, f"event types must be str, not {event_type!r}")
        if not _is_number(points) or not math.isfinite(points):
            return Problem("E004", key, f"points of {event_type!r} must be a finite number, "
                                        f"not {points!r}")
    return None


def _backend(key, value):
    if value is None or value == "embedded":
        return None
    if not isinstance(value, str):
        return Problem("E003", key, f"must be None, 'embedded' or a Redis URL (str), "
                                    f"not {type(value).__name__}")
    if not value.startswith(("redis://", "rediss://", "redis+cluster://", "rediss+cluster://")):
        return Problem("E004", key, "must be None, 'embedded' or a URL starting with redis://, "
                                    "rediss://, redis+cluster:// or rediss+cluster://")
    return None


def _board_name(key, value):
    if not isinstance(value, str):
        return Problem("E003", key, f"must be a str, not {type(value).__name__}")
    if not value or "{" in value or "}" in value:
        return Problem("E004", key, f"must be non-empty, without '{{' or '}}', not {value!r}")
    return None


RULES = {
    "buffer_size": _at_least(1),
    "batch_size": _at_least(1),
    "flush_interval": _positive_seconds,
    "num_threads": _at_least(1),
    "max_attempts": _at_least(1),
    "exit_timeout": _positive_seconds,
    "decay_factor": _decay_factor,
    "max_users": _at_least(0),
    "tie_break": _tie_break,
    "windows": _windows,
    "window_origin": _at_least(0),
    "snapshot_path": _optional_path,
    "leaderboard_backend": _backend,
    "leaderboard_name": _board_name,
    "analytics_backend": _backend,
    "analytics_name": _board_name,
    "sink": _sink,
    "mapping": _dotted_or_callable,
    "database": _database,
    "points": _points,
    "sink_table": _optional_table,
    "sink_workers": _at_least(1),
    "callback": _optional_callable,
}
assert set(RULES) == set(DEFAULTS)


def raw_setting() -> Any:
    from django.conf import settings as django_settings

    return getattr(django_settings, SETTING, {})


def problems(raw: Any) -> list:
    """Every problem of a raw ``ENGAGEHUB_NATIVE`` value (empty when valid)."""
    if not isinstance(raw, dict):
        return [Problem("E001", SETTING, f"must be a dict, not {type(raw).__name__}")]
    found = []
    for key in raw:
        if key not in RULES:
            known = ", ".join(sorted(RULES))
            found.append(Problem("E002", str(key), f"is not a known key (known: {known})"))
    for key, rule in RULES.items():
        if key in raw:
            problem = rule(key, raw[key])
            if problem:
                found.append(problem)
    if not found and raw.get("leaderboard_backend") not in (None, "embedded"):
        # A board in Redis is a sorted set: ties by user id, no windows.
        for key in ("tie_break", "windows"):
            if raw.get(key, DEFAULTS[key]) != DEFAULTS[key]:
                found.append(Problem("E004", key, f"must stay {DEFAULTS[key]!r} with a Redis "
                                                  "leaderboard_backend (the embedded board has it)"))
    return found


def settings() -> dict:
    """The validated settings, defaults filled in; ``ImproperlyConfigured`` if invalid."""
    from django.core.exceptions import ImproperlyConfigured

    raw = raw_setting()
    found = problems(raw)
    if found:
        p = found[0]
        raise ImproperlyConfigured(f"{SETTING}[{p.key!r}] {p.message}")
    return {**DEFAULTS, **raw}
