from django.db import models


class Event(models.Model):
    """One event as the default sink stores it (timestamps are aware UTC datetimes)."""

    type = models.CharField(max_length=32)
    user_id = models.CharField(max_length=64)
    channel_id = models.CharField(max_length=64)
    timestamp = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "event"

    def __str__(self) -> str:
        return f"{self.type} by {self.user_id} in {self.channel_id} at {self.timestamp:%Y-%m-%d %H:%M:%S}"
