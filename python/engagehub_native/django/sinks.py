"""Sinks: where the processor's batches go.

A sink is any callable ``sink(batch)`` taking a list of event dicts
``{"type", "user_id", "channel_id", "timestamp"}`` (timestamp in Unix
seconds). It runs on the processor's dispatcher threads; an exception it
raises makes the processor retry the batch (``max_attempts``), then hand it
to ``on_error``. The ``sink`` setting names either such a callable (a
dotted path) or a model (``"app_label.ModelName"``), which
:class:`ModelSink` fills with ``bulk_create``.
"""

from __future__ import annotations

import datetime
import logging
from typing import Callable, Optional

logger = logging.getLogger("engagehub_native.django")

_UTC = datetime.timezone.utc


def event_to_model_kwargs(event: dict) -> dict:
    """The default mapping: the event dict as keyword arguments of ``Event``."""
    return {
        "type": event["type"],
        "user_id": event["user_id"],
        "channel_id": event["channel_id"],
        "timestamp": datetime.datetime.fromtimestamp(event["timestamp"], tz=_UTC),
    }


class ModelSink:
    """Writes each batch with one ``bulk_create`` inside ``transaction.atomic()``.

    Django keeps one connection per thread and closes stale ones only around
    requests, which dispatcher threads never see: so old or broken
    connections are closed before and after each batch. Database errors
    propagate, so the processor's retries and ``on_error`` apply.
    """

    def __init__(self, model, mapping: Callable[[dict], dict] = event_to_model_kwargs,
                 using: str = "default") -> None:
        self.model = model
        self.mapping = mapping
        self.using = using

    def __call__(self, batch: list) -> None:
        from django.db import close_old_connections, transaction

        model, mapping = self.model, self.mapping
        objects = [model(**mapping(event)) for event in batch]
        close_old_connections()
        try:
            with transaction.atomic(using=self.using):
                model.objects.using(self.using).bulk_create(objects)
        finally:
            close_old_connections()

    def __repr__(self) -> str:
        return f"ModelSink({self.model._meta.label}, using={self.using!r})"


def _import(path):
    from django.utils.module_loading import import_string

    return path if callable(path) else import_string(path)


def model_for(spec) -> Optional[type]:
    """The model a sink setting names (``"app_label.ModelName"``), or None."""
    if not isinstance(spec, str) or spec.count(".") != 1:
        return None
    from django.apps import apps

    try:
        return apps.get_model(spec)
    except (LookupError, ValueError):
        return None


def resolve_sink(config: dict) -> Callable[[list], None]:
    """The callable the ``sink`` setting names; ImportError if it names nothing."""
    spec = config["sink"]
    model = model_for(spec)
    if model is not None:
        return ModelSink(model, _import(config["mapping"]), using=config["database"])
    sink = _import(spec)
    if not callable(sink):
        raise ImportError(f"{spec!r} is neither a model label nor a callable")
    return sink


def log_failed_batch(batch, exc) -> None:
    """``on_error``: a batch given up on after every attempt is logged with its size."""
    logger.error("engagehub_native: a batch of %d events could not be written after every "
                 "attempt and is lost: %r", len(batch), exc)


# -- the native PostgreSQL sink ---------------------------------------------------


def native_dsn(config: dict) -> Optional[str]:
    """The libpq URL of the native sink the settings ask for, or None.

    ``sink`` is either the URL itself or ``"native"``: the PostgreSQL
    database of the ``database`` alias, reached with its own credentials.
    ``ImproperlyConfigured`` when that alias is unknown or not PostgreSQL.
    """
    from django.core.exceptions import ImproperlyConfigured

    from . import conf

    spec = config["sink"]
    if not conf.is_native_sink(spec):
        return None
    if spec != "native":
        return spec
    from django.db import connections

    alias = config["database"]
    if alias not in connections.databases:
        raise ImproperlyConfigured(f"{conf.SETTING}['database'] names no database: {alias!r}")
    db = connections.databases[alias]
    if "postgresql" not in db.get("ENGINE", ""):
        raise ImproperlyConfigured(
            f"{conf.SETTING}['sink'] 'native' needs a PostgreSQL database, and {alias!r} uses "
            f"{db.get('ENGINE')!r}; give a postgresql:// URL or a Python sink instead")
    from urllib.parse import quote

    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "localhost"
    if host.startswith("/"):  # a Unix socket folder
        return (f"postgresql://{auth}/{quote(db.get('NAME') or '', safe='')}"
                f"?host={quote(host, safe='')}" + (f"&port={db['PORT']}" if db.get("PORT") else ""))
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{quote(db.get('NAME') or '', safe='')}"


def native_table(config: dict) -> str:
    """The native sink's table: ``sink_table``, else the Event model's."""
    if config["sink_table"]:
        return config["sink_table"]
    from .models import Event

    return Event._meta.db_table


def native_options(config: dict) -> dict:
    """EventStreamProcessor keyword arguments of the native sink (empty without one):
    the URL, the table, the connections, and the ``callback`` that gets every batch too."""
    dsn = native_dsn(config)
    if dsn is None:
        return {}
    callback = config["callback"]
    return {"sink": dsn, "sink_table": native_table(config),
            "sink_workers": config["sink_workers"],
            "on_flush": _import(callback) if callback is not None else None}
