"""Settings of the test site of the app ``engagehub_native.django``.

Environment:
  ENGAGEHUB_DJANGO_DB    a SQLite database file, or a PostgreSQL URL
                         (postgresql://user[:password]@host:port/dbname)
  ENGAGEHUB_NATIVE_JSON  a JSON object merged into ENGAGEHUB_NATIVE
  ENGAGEHUB_EAGER        when set, also install the app "eager", which creates
                         the objects in ready() (what the checks warn about)
"""

import json
import os
import urllib.parse

SECRET_KEY = "engagehub-native-app-test-site-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = ["engagehub_native.django"]
if os.environ.get("ENGAGEHUB_EAGER"):
    INSTALLED_APPS.append("eager")
MIDDLEWARE = []
ROOT_URLCONF = "appsite.urls"
WSGI_APPLICATION = "appsite.wsgi.application"

_db = os.environ["ENGAGEHUB_DJANGO_DB"]
if _db.startswith(("postgresql://", "postgres://")):
    _url = urllib.parse.urlsplit(_db)
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "USER": urllib.parse.unquote(_url.username or ""),
        "PASSWORD": urllib.parse.unquote(_url.password or ""),
        "HOST": _url.hostname or "",
        "PORT": str(_url.port or ""),
    }}
else:
    # Several workers' dispatcher threads write at once: wait for the write
    # lock rather than fail (the tests also switch the file to WAL).
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _db,
                             "OPTIONS": {"timeout": 30}}}

USE_TZ = True
TIME_ZONE = "UTC"

ENGAGEHUB_NATIVE = {"batch_size": 64, "flush_interval": 0.2}
ENGAGEHUB_NATIVE.update(json.loads(os.environ.get("ENGAGEHUB_NATIVE_JSON", "{}")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        "engagehub_native": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
