"""A Celery app for the test site: ``celery -A appsite.tasks worker``.

The broker is kombu's filesystem transport in $ENGAGEHUB_CELERY_DIR, so no
server is needed. Tasks push events through the app's ``record()`` (that
is, ``get_processor()``), as a site's tasks would.
"""

import logging
import os

import django
from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "appsite.settings")
django.setup()  # in the pool's master, before the fork: creates no processor

from engagehub_native.django import get_leaderboard, get_processor, record  # noqa: E402

_folder = os.environ["ENGAGEHUB_CELERY_DIR"]
app = Celery("appsite")
app.conf.update(
    broker_url="filesystem://",
    broker_transport_options={"data_folder_in": os.path.join(_folder, "queue"),
                              "data_folder_out": os.path.join(_folder, "queue"),
                              "processed_folder": os.path.join(_folder, "processed"),
                              "store_processed": True},
    task_ignore_result=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)

logger = logging.getLogger("appsite.tasks")


@signals.worker_process_init.connect
def warm_up(**kwargs):
    """What the README suggests for work at start: in each child, after the fork."""
    get_processor()
    get_leaderboard()


@app.task(name="appsite.record_event")
def record_event(event_type, user_id, channel_id):
    accepted = record(event_type, user_id, channel_id)
    logger.warning("recorded %s accepted=%s pid=%d", user_id, accepted, os.getpid())
    return accepted
