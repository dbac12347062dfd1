from django.apps import AppConfig


class EagerConfig(AppConfig):
    """The mistake the app's checks warn about: objects created in ready(),
    which under gunicorn --preload runs in the master, before the fork."""

    name = "eager"

    def ready(self):
        from engagehub_native.django import get_leaderboard, get_processor

        get_processor()
        get_leaderboard()
