"""System checks of the ENGAGEHUB_NATIVE setting and of objects created before a fork.

Ids: engagehub_native.E001 the setting is not a dict; E002 an unknown key;
E003 a value of the wrong type; E004 an impossible value; E005 a sink or
mapping that cannot be imported; W001 an object this process holds was
created by its parent before a fork; W002 an object was created while
Django was starting (in AppConfig.ready() or at import), which under
gunicorn --preload means in the master, before the fork.
"""

from __future__ import annotations

import os

from django.core import checks

from . import conf


@checks.register()
def check_settings(app_configs=None, **kwargs) -> list:
    raw = conf.raw_setting()
    errors = [checks.Error(f"{conf.SETTING}[{p.key!r}] {p.message}.", obj=conf.SETTING,
                           id=f"engagehub_native.{p.id}")
              for p in conf.problems(raw)]
    if errors:
        return errors
    from . import sinks

    config = {**conf.DEFAULTS, **raw}
    if conf.is_native_sink(config["sink"]):
        return _check_native_sink(config)
    try:
        sinks.resolve_sink(config)
    except ImportError as exc:
        key = "mapping" if sinks.model_for(config["sink"]) is not None else "sink"
        errors.append(checks.Error(
            f"{conf.SETTING}[{key!r}] cannot be imported: {exc}.", obj=conf.SETTING,
            hint="Give a dotted path to a callable sink(batch), or a model label "
                 "'app_label.ModelName' of an installed app.",
            id="engagehub_native.E005"))
    return errors


def _check_native_sink(config: dict) -> list:
    """The native sink's settings: a PostgreSQL database for "native", and an
    importable callback. The server itself is reached when the processor is
    created (an unreachable one raises SinkUnreachableError then)."""
    from django.core.exceptions import ImproperlyConfigured

    from . import sinks

    errors = []
    try:
        sinks.native_dsn(config)
    except ImproperlyConfigured as exc:
        errors.append(checks.Error(str(exc), obj=conf.SETTING, id="engagehub_native.E004"))
    if config["callback"] is not None:
        try:
            sinks._import(config["callback"])
        except ImportError as exc:
            errors.append(checks.Error(
                f"{conf.SETTING}['callback'] cannot be imported: {exc}.", obj=conf.SETTING,
                id="engagehub_native.E005"))
    return errors


@checks.register()
def check_fork_safety(app_configs=None, **kwargs) -> list:
    from . import creations

    found = []
    for name, (pid, during_startup) in sorted(creations.items()):
        if pid != os.getpid():
            found.append(checks.Warning(
                f"The engagehub_native {name} was created in process {pid}, before a fork: "
                f"it cannot be used in process {os.getpid()}.",
                hint=f"Call get_{name}() only where it is used (a request, a task), never in "
                     "AppConfig.ready() or at import under gunicorn --preload.",
                id="engagehub_native.W001"))
        elif during_startup:
            found.append(checks.Warning(
                f"The engagehub_native {name} was created while Django was starting "
                "(in an AppConfig.ready() or at import).",
                hint="Under gunicorn --preload or a Celery prefork pool that runs in the "
                     "parent, before the fork, and the workers cannot use it. Create it on "
                     f"first use: call get_{name}() in the code that needs it.",
                id="engagehub_native.W002"))
    return found
