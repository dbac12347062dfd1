"""``/metrics``: Prometheus metrics of this process's processor and leaderboard.

Needs ``prometheus_client`` (``pip install 'engagehub-native[metrics]'``).
Route it with ``path("", include("engagehub_native.django.urls"))`` or
``path("metrics", engagehub_native.django.views.metrics)``. The response
is prometheus_client's default registry: whatever else the site registers
there, and the objects ``get_processor()`` and ``get_leaderboard()`` made
in this process (a scrape never creates them), under the name "default":
do not also ``metrics.track()`` them under that name. Each process reports
its own objects: under gunicorn with several workers, a scrape reaches one.
"""

from __future__ import annotations

import os
import threading

from django.http import HttpResponse

_lock = threading.Lock()
_registered = False


class _AppCollector:
    """Reports the app's objects of the current process, under name="default"."""

    def collect(self):
        import sys

        from .. import metrics

        app = sys.modules[__package__]  # read its globals now: objects are replaced
        collector = metrics.EngagehubCollector()
        pid = os.getpid()
        for obj, owner in ((app._processor, app._processor_pid),
                           (app._board, app._board_pid)):
            if obj is not None and owner == pid and not obj.closed:
                collector.track(obj)
        return collector.collect()

    def describe(self):
        from .. import metrics

        return metrics.EngagehubCollector().describe()


def _registry():
    global _registered
    from prometheus_client import REGISTRY

    with _lock:
        if not _registered:
            REGISTRY.register(_AppCollector())
            _registered = True
    return REGISTRY


def metrics(request):
    """The Prometheus text format (version 0.0.4) of the default registry."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
