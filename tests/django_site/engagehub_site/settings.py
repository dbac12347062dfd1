"""Minimal settings of the test site: one app, SQLite, no admin, no auth.

Environment:
  ENGAGEHUB_DJANGO_DB        path of the SQLite database file (required: each
                             test run uses its own temporary file)
  ENGAGEHUB_DJANGO_SECRET    SECRET_KEY (a fixed test key by default)
  ENGAGEHUB_BUFFER_SIZE, ENGAGEHUB_BATCH_SIZE, ENGAGEHUB_FLUSH_INTERVAL_MS
                             the processor's settings (see events/processing.py)
"""

import os

SECRET_KEY = os.environ.get("ENGAGEHUB_DJANGO_SECRET", "engagehub-native-test-site-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = ["events"]
MIDDLEWARE = []
ROOT_URLCONF = "engagehub_site.urls"
WSGI_APPLICATION = "engagehub_site.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["ENGAGEHUB_DJANGO_DB"],
        # Two workers, each with dispatcher threads, write at once: wait for the
        # write lock instead of failing with "database is locked".
        "OPTIONS": {"timeout": 30},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"

# With DEBUG off Django logs nothing to the console by default: send request
# errors (a 500's traceback) and the package's own log to stderr, which is
# gunicorn's error log, so the tests can read them.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        "engagehub_native": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "events": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
