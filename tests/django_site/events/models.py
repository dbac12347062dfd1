from django.db import models


class Event(models.Model):
    """One event as the flush callback stores it."""

    type = models.CharField(max_length=32)
    user_id = models.CharField(max_length=64)
    channel_id = models.CharField(max_length=64)
    timestamp = models.DateTimeField()
    #: pid of the gunicorn worker whose processor delivered the event
    worker_pid = models.IntegerField()
