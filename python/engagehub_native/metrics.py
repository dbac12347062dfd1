"""Prometheus metrics of processors and leaderboards (``pip install 'engagehub-native[metrics]'``).

A custom collector reads each tracked object's counters when Prometheus
scrapes, so pushes and updates pay nothing for metrics::

    from engagehub_native import metrics
    metrics.track(processor)                 # name="default"
    metrics.track(board, name="weekly")
    prometheus_client.start_http_server(9100)   # or the Django view, /metrics

Objects are tracked through weak references: tracking never keeps one
alive, and a collected one disappears from the output. Metric names:

====================================================  =========  =============================
``engagehub_events_pushed_total``                     counter    events offered to push
``engagehub_events_accepted_total``                   counter    queued
``engagehub_events_dropped_total``                    counter    refused, buffer full
``engagehub_events_processed_total``                  counter    analysed
``engagehub_events_delivered_total``                  counter    callback returned (or gave up)
``engagehub_events_failed_total``                     counter    in batches given up on
``engagehub_callback_retries_total``                  counter    callback attempts repeated
``engagehub_batches_total``                           counter    batches cut
``engagehub_callback_seconds_total``                  counter    time inside the callback
``engagehub_events_pending``                          gauge      analysed, not yet delivered
``engagehub_events_buffered``                         gauge      in the buffer, not yet analysed
``engagehub_leaderboard_users``                       gauge      users on the board
``engagehub_leaderboard_updates_total``               counter    updates that reached the engine
``engagehub_leaderboard_updates_refused_total``       counter    of which refused
``engagehub_leaderboard_query_seconds``               histogram  query latency (label ``query``:
                                                                 rank, page, around; a rank
                                                                 style, window or percentile
                                                                 counts as its kind)
====================================================  =========  =============================

Processor metrics carry the label ``processor``, leaderboard metrics
``leaderboard``: the name given to :func:`track`.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Iterator, Optional

from .leaderboard import Leaderboard
from .processor import EventStreamProcessor

try:
    from prometheus_client.core import (
        REGISTRY,
        CounterMetricFamily,
        GaugeMetricFamily,
        HistogramMetricFamily,
    )
    from prometheus_client.utils import floatToGoString
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("engagehub_native.metrics needs prometheus_client: "
                      "pip install 'engagehub-native[metrics]'") from exc

__all__ = ["EngagehubCollector", "track", "untrack", "collector"]

logger = logging.getLogger("engagehub_native")

#: ProcessorStats field -> (metric name, help, kind)
_PROCESSOR = (
    ("pushed", "engagehub_events_pushed_total", "Events offered to push/push_many.", "counter"),
    ("accepted", "engagehub_events_accepted_total", "Events queued.", "counter"),
    ("dropped", "engagehub_events_dropped_total", "Events refused because the buffer was full.",
     "counter"),
    ("processed", "engagehub_events_processed_total", "Events analysed.", "counter"),
    ("delivered", "engagehub_events_delivered_total",
     "Events whose flush callback returned (or that were given up on).", "counter"),
    ("failed", "engagehub_events_failed_total", "Events of batches given up on.", "counter"),
    ("retried", "engagehub_callback_retries_total",
     "Flush callback attempts repeated after an exception.", "counter"),
    ("batches", "engagehub_batches_total", "Batches cut.", "counter"),
    ("callback_seconds", "engagehub_callback_seconds_total",
     "Time spent inside the flush callback.", "counter"),
    ("pending", "engagehub_events_pending", "Events analysed and not yet delivered.", "gauge"),
    ("queue_depth", "engagehub_events_buffered", "Events in the buffer, not yet analysed.",
     "gauge"),
)
_QUERY_BUCKETS = [floatToGoString(2.0 ** i / 1e6) for i in range(16)]


class EngagehubCollector:
    """A prometheus_client collector over tracked processors and leaderboards.

    Reads their ``stats()`` on each scrape; safe to use from any thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._objects: dict = {}  # (kind, name) -> weakref

    def track(self, obj, name: str = "default") -> None:
        """Report ``obj`` (an EventStreamProcessor or Leaderboard) under ``name``,
        replacing what was tracked under that name."""
        if isinstance(obj, EventStreamProcessor):
            kind = "processor"
        elif isinstance(obj, Leaderboard):
            kind = "leaderboard"
        else:
            raise TypeError(f"can track an EventStreamProcessor or a Leaderboard, "
                            f"not {type(obj).__name__}")
        if not isinstance(name, str):
            raise TypeError(f"name must be str, not {type(name).__name__}")
        with self._lock:
            self._objects[(kind, name)] = weakref.ref(obj)

    def untrack(self, obj) -> None:
        """Stop reporting ``obj`` (under every name it was tracked with)."""
        with self._lock:
            for key, ref in list(self._objects.items()):
                if ref() is obj or ref() is None:
                    del self._objects[key]

    def _live(self, kind: str):
        with self._lock:
            items = [(name, ref()) for (k, name), ref in self._objects.items() if k == kind]
        for name, obj in sorted(items, key=lambda item: item[0]):
            if obj is None:
                continue
            try:
                yield name, obj.stats()
            except Exception as exc:  # closed-and-freed, forked child: nothing to report
                logger.debug("metrics: skipping %s %r: %s", kind, name, exc)

    def describe(self) -> list:
        return list(self._families())

    def collect(self) -> Iterator:
        families = self._families()
        by_name = {f.name: f for f in families}
        for name, stats in self._live("processor"):
            for field, metric, _, kind in _PROCESSOR:
                family = by_name[metric[:-len("_total")] if kind == "counter" else metric]
                family.add_metric([name], getattr(stats, field))
        for name, stats in self._live("leaderboard"):
            by_name["engagehub_leaderboard_users"].add_metric([name], stats.size)
            by_name["engagehub_leaderboard_updates"].add_metric([name], stats.updates)
            by_name["engagehub_leaderboard_updates_refused"].add_metric([name], stats.refused)
            histogram = by_name["engagehub_leaderboard_query_seconds"]
            for query, latency in stats.queries.items():
                cumulative, buckets = 0, []
                for le, n in zip(_QUERY_BUCKETS, latency.buckets):
                    cumulative += n
                    buckets.append((le, cumulative))
                buckets.append(("+Inf", latency.count))
                histogram.add_metric([name, query], buckets, latency.seconds)
        return iter(families)

    @staticmethod
    def _families() -> list:
        out = []
        for _, metric, help_text, kind in _PROCESSOR:
            cls = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
            out.append(cls(metric, help_text, labels=["processor"]))
        out += [
            GaugeMetricFamily("engagehub_leaderboard_users", "Users on the leaderboard.",
                              labels=["leaderboard"]),
            CounterMetricFamily("engagehub_leaderboard_updates_total",
                                "Leaderboard updates that reached the engine.",
                                labels=["leaderboard"]),
            CounterMetricFamily("engagehub_leaderboard_updates_refused_total",
                                "Leaderboard updates the engine refused.", labels=["leaderboard"]),
            HistogramMetricFamily("engagehub_leaderboard_query_seconds",
                                  "Leaderboard query latency, timed in the engine.",
                                  labels=["leaderboard", "query"]),
        ]
        return out


#: The collector :func:`track` registers in prometheus_client's default registry.
collector = EngagehubCollector()
_registered = False
_register_lock = threading.Lock()


def track(obj, name: str = "default", registry: Optional[object] = None) -> EngagehubCollector:
    """Report ``obj`` under ``name`` through :data:`collector`, registered in
    ``registry`` (default: prometheus_client's REGISTRY) on first use."""
    global _registered
    collector.track(obj, name)
    with _register_lock:
        if registry is not None:
            try:
                registry.register(collector)
            except ValueError:  # already registered there
                pass
        elif not _registered:
            REGISTRY.register(collector)
            _registered = True
    return collector


def untrack(obj) -> None:
    """Stop reporting ``obj``."""
    collector.untrack(obj)
