"""engagehub_native: event stream analytics and a decaying leaderboard, with a Go engine.

Importing this package loads nothing native; the engine (a Go shared
library) is opened when the first object is created, and a process forked
after that gets a clear error instead of a hang. See the README.
"""

from ._errors import (
    BackendError,
    CapacityError,
    ClosedError,
    EngagehubError,
    ForkedProcessError,
    InternalError,
    InvalidValueError,
    SinkError,
    SinkUnreachableError,
    SnapshotError,
    SnapshotFileError,
    WaitTimeoutError,
)
from .leaderboard import Leaderboard, LeaderboardWindow, RankedUser, as_dicts
from .processor import (ESTIMATE_CONFIDENCE, ChannelCount, Estimate, EventStreamProcessor,
                        ProcessorStats, SinkStats)

__version__ = "0.1.0"

__all__ = [
    "BackendError",
    "CapacityError",
    "ChannelCount",
    "ESTIMATE_CONFIDENCE",
    "Estimate",
    "ClosedError",
    "EngagehubError",
    "EventStreamProcessor",
    "ForkedProcessError",
    "InternalError",
    "InvalidValueError",
    "Leaderboard",
    "LeaderboardWindow",
    "ProcessorStats",
    "RankedUser",
    "SinkError",
    "SinkStats",
    "SinkUnreachableError",
    "SnapshotError",
    "SnapshotFileError",
    "WaitTimeoutError",
    "as_dicts",
]
