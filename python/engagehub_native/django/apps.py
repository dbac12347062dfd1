from django.apps import AppConfig


class EngagehubNativeConfig(AppConfig):
    """The app: the ``Event`` model, the system checks and the management commands.

    ``ready()`` registers checks and, where Celery is installed, connects
    ``worker_process_shutdown`` to :func:`~engagehub_native.django.shutdown`
    (a prefork child ends with ``os._exit``, which skips the exit hooks
    that deliver pending events). It creates no processor or leaderboard: under gunicorn ``--preload`` it runs in the master before
    the fork, and a Go runtime does not survive a fork. They are created on
    first use, in the process that uses them (see ``get_processor()``).
    """

    name = "engagehub_native.django"
    label = "engagehub_native"
    verbose_name = "engagehub-native"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
        from . import celery_signals

        celery_signals.connect()
