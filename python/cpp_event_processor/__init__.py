"""Drop-in replacement for the original C++ ``cpp_event_processor`` extension.

A thin adapter over :class:`engagehub_native.EventStreamProcessor`: the
names, argument shapes and return shapes of the original, with its bugs
fixed (a timestamp of 0 is delivered as the push time, flush_now() returns
without a callback, a callback that raises is logged and retried instead of
losing the batch, channel counts use bounded memory). New code should use
``engagehub_native.EventStreamProcessor`` directly.
"""

from __future__ import annotations

from typing import Callable, Optional

import engagehub_native

__all__ = ["EventStreamProcessor", "Event"]


class Event:
    """An event, as the original exported it (read-only)."""

    __slots__ = ("_event_type", "_user_id", "_channel_id", "_timestamp")

    def __init__(self, event_type: str, user_id: str, channel_id: str, timestamp: int) -> None:
        self._event_type, self._user_id = event_type, user_id
        self._channel_id, self._timestamp = channel_id, timestamp

    event_type = property(lambda self: self._event_type)
    user_id = property(lambda self: self._user_id)
    channel_id = property(lambda self: self._channel_id)
    timestamp = property(lambda self: self._timestamp)

    def __repr__(self) -> str:
        return (f"Event(event_type={self._event_type!r}, user_id={self._user_id!r}, "
                f"channel_id={self._channel_id!r}, timestamp={self._timestamp!r})")


def _size(value, name: str) -> int:
    # The original took sizes as unsigned integers: anything else is a TypeError.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"{name} must be a non-negative int, got {value!r}")
    return value


class EventStreamProcessor(engagehub_native.EventStreamProcessor):
    """Events in, live analytics and batched flush callbacks out.

    The native processor under the original's names; its own methods
    (push_many, stats, close, ...) are there too.
    """

    def __init__(self, buffer_size: int, num_threads: int, batch_size: int,
                 flush_interval_ms: int) -> None:
        super().__init__(
            buffer_size=_size(buffer_size, "buffer_size"),
            num_threads=_size(num_threads, "num_threads"),
            batch_size=_size(batch_size, "batch_size"),
            flush_interval=(_size(flush_interval_ms, "flush_interval_ms") or 1) / 1000.0,
        )

    #: push_event(event_type, user_id, channel_id, timestamp) -> bool: queue
    #: an event; False (a counted drop) when the buffer is full.
    push_event = engagehub_native.EventStreamProcessor.push

    def get_unique_users_last_hour(self) -> int:
        return self.unique_users(3600)

    def get_top_channels(self, k: int) -> list:
        return self.top_channels(_size(k, "k"))

    def set_flush_callback(self, callback: Optional[Callable[[list], object]]) -> None:
        self.on_flush = callback

    def flush_now(self) -> None:
        self.flush()

    def total_events_processed(self) -> int:
        return self.stats().processed

    def events_dropped(self) -> int:
        return self.stats().dropped
