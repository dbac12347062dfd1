"""Celery's prefork pool, handled by the app.

The pool's master imports the tasks (and so sets Django up) and then forks
its children. The app's objects are created lazily, in the child that first
calls ``get_processor()``/``get_leaderboard()``, so children never inherit
one. But a child ends with ``os._exit()``, which runs no ``atexit`` hook:
the events its processor still holds would be lost. So the child's
``worker_process_shutdown`` signal calls :func:`engagehub_native.django.shutdown`.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("engagehub_native.django")

_connected = False


def _on_worker_process_shutdown(**kwargs) -> None:
    from . import shutdown

    shutdown()


def connect() -> bool:
    """Connect the shutdown hook to Celery's signal, if Celery is installed
    (idempotent); whether it is connected."""
    global _connected
    if _connected:
        return True
    try:
        from celery import signals
    except ImportError:
        return False
    signals.worker_process_shutdown.connect(_on_worker_process_shutdown, weak=False)
    _connected = True
    return True
