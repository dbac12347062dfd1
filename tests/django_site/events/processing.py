"""The event processor and the leaderboard, as the original integration guide made them.

Created at module level: imported by the views, so each gunicorn worker
creates its own when it loads the application after the fork (run gunicorn
WITHOUT --preload; with --preload they would be created in the master and be
unusable in the workers, which then raise ForkedProcessError).
"""

import datetime
import os

import cpp_event_processor
import cpp_leaderboard
from django.db import transaction

from .models import Event


def save_events(batch):
    """Flush callback: a list of dicts {"type", "user_id", "channel_id", "timestamp"}."""
    pid = os.getpid()
    with transaction.atomic():
        Event.objects.bulk_create(
            Event(
                type=e["type"],
                user_id=e["user_id"],
                channel_id=e["channel_id"],
                timestamp=datetime.datetime.fromtimestamp(e["timestamp"], tz=datetime.timezone.utc),
                worker_pid=pid,
            )
            for e in batch
        )


processor = cpp_event_processor.EventStreamProcessor(
    buffer_size=int(os.environ.get("ENGAGEHUB_BUFFER_SIZE", "65536")),
    num_threads=2,
    batch_size=int(os.environ.get("ENGAGEHUB_BATCH_SIZE", "500")),
    flush_interval_ms=int(os.environ.get("ENGAGEHUB_FLUSH_INTERVAL_MS", "200")),
)
processor.set_flush_callback(save_events)

board = cpp_leaderboard.Leaderboard(decay_factor=0.95, max_users=100000)
