from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Create the processor and the leaderboard when Django starts, as a
        # site that registers signal handlers or warms up in ready() does,
        # rather than on the first request (Django imports URLconfs and views
        # lazily). Without --preload this runs in each gunicorn worker, after
        # the fork: the documented way. With --preload it runs in the master,
        # before the fork, and the workers get ForkedProcessError.
        from . import processing  # noqa: F401
