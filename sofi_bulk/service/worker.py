"""One worker process: ``python -m sofi_bulk.service.worker``, started by ``sofi-bulk serveur``
or ``sofi-bulk travailleur`` in the environment they configured.

Its main thread claims tasks from every queue, small workbooks first (priority); a second
thread claims only small workbooks, so that they never wait behind a big one; a third beats
(``WorkerProcess.seen_at``), takes over the tasks of dead workers and forgets old jobs. It
stops on SIGTERM or SIGINT, or when its parent closes its standard input (the parent stopped,
even on Windows): the task it was running goes back to the queue.
"""

from __future__ import annotations

import _thread
import contextlib
import logging
import secrets
import signal
import sys
import threading
import time
import types
from typing import Any

log = logging.getLogger("sofi_bulk.travailleur")


def _watch_parent() -> None:
    """Stop when the parent closes our standard input (or dies)."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    _thread.interrupt_main(signal.SIGINT)


def _beat(ident: str, stop: threading.Event) -> None:
    from django.db import DatabaseError, connection

    from sofi_bulk.web import workers

    last_purge = 0.0
    away = False
    while not stop.wait(workers.HEARTBEAT):
        try:
            workers.beat(ident)
            workers.take_over()
            if time.monotonic() - last_purge > 60:
                workers.purge()
                last_purge = time.monotonic()
            away = False
        except DatabaseError as exc:
            if not away:
                log.warning("base de données injoignable (%s) : nouvel essai", exc)
            away = True
            connection.close()


def _warm_up() -> None:
    """Load what a check needs once, so that the first workbook is as quick as the next."""
    import gc

    from sofi_bulk import api
    from sofi_bulk.web import workers
    from sofi_bulk.web.referentiels import server_referentiel

    try:
        result = api.check(api.read(api.example_workbook()), referentiel=server_referentiel()[1])
        api.error_lines(result)
    except Exception:  # the example against the Région's référentiel: nothing to worry about
        log.debug("warm-up check failed", exc_info=True)
    gc.collect()
    workers.release_memory()


# Classes django-stubs-ext makes subscriptable, among those a worker loads anyway (the others:
# the admin's, the sessions', the messages', sitemaps' and feeds' classes, ``LEFT_OUT``); those
# of a Django version that lacks them are passed over. tests/web/test_processes.py checks the
# list against django-stubs-ext's own.
SUBSCRIPTABLE = {
    "django.utils.connection": ("BaseConnectionHandler", "ConnectionProxy"),
    "django.utils.functional": ("LazyObject", "classproperty"),
    "django.utils.datastructures": ("OrderedSet", "DeferredSubDict"),
    "django.core.files.utils": ("FileProxyMixin",),
    "django.core.paginator": ("Paginator", "BasePaginator", "AsyncPaginator", "AsyncPage"),
    "django.db.models.fields": ("Field",),
    "django.db.models.lookups": ("Lookup",),
    "django.db.models.expressions": ("ExpressionWrapper", "Func", "Subquery"),
    "django.db.models.options": ("Options",),
    "django.db.models.query": ("BaseIterable", "ModelIterable", "RawQuerySet", "Prefetch"),
    "django.db.models.fields.related_descriptors": (
        "ForwardManyToOneDescriptor",
        "ReverseManyToOneDescriptor",
        "ReverseOneToOneDescriptor",
    ),
    "django.forms.formsets": ("BaseFormSet",),
    "django.forms.models": (
        "BaseModelForm",
        "BaseModelFormSet",
        "ModelChoiceField",
        "ModelChoiceIterator",
        "ModelFormOptions",
    ),
    "django.views": ("View",),
    "django.views.generic.base": ("TemplateResponseMixin",),
    "django.views.generic.detail": ("SingleObjectMixin",),
    "django.views.generic.edit": ("DeletionMixin", "FormMixin"),
    "django.views.generic.list": ("MultipleObjectMixin",),
    "django.tasks": ("Task", "TaskContext", "TaskResult"),  # Django 6: django-tasks uses them
}
LEFT_OUT = {
    "ModelAdmin",
    "BaseModelAdmin",
    "Feed",
    "Sitemap",
    "SuccessMessageMixin",
    "SessionStore",
}
NATIVE = {"QuerySet", "BaseManager", "ForeignKey"}  # subscriptable by Django itself


def _subscriptable() -> None:
    """``Class[…]`` answers the class itself, as django-stubs-ext's patch does (which passes
    the subscript on to a base class that takes it, if any)."""
    import importlib

    def patched(cls: type) -> Any:
        def getitem(klass: type, item: Any) -> Any:
            mro = klass.__mro__
            for base in mro[mro.index(cls) + 1 : -1]:
                found = base.__dict__.get("__class_getitem__")
                if found is not None:
                    return found.__get__(None, klass)(item)
            return klass

        return classmethod(getitem)

    for module, names in SUBSCRIPTABLE.items():
        try:
            loaded = importlib.import_module(module)
        except ImportError:  # django.tasks before Django 6
            continue
        for name in names:
            cls = getattr(loaded, name, None)
            if isinstance(cls, type):
                cls.__class_getitem__ = patched(cls)  # type: ignore[attr-defined]


def _light_stubs_ext() -> types.ModuleType:
    """django-stubs-ext as it is, but for ``monkeypatch()``: its submodules and names load
    as usual on demand, only its ``patch`` module (which imports the admin) is not loaded."""
    import importlib
    import importlib.util

    spec = importlib.util.find_spec("django_stubs_ext")
    light = types.ModuleType("django_stubs_ext")
    light.__path__ = list(spec.submodule_search_locations or []) if spec else []

    def monkeypatch(*args: Any, **kwargs: Any) -> None:
        _subscriptable()

    def __getattr__(name: str) -> Any:  # noqa: N807  (a module's own __getattr__)
        for part in ("aliases", "annotations", "types"):
            module = importlib.import_module(f"django_stubs_ext.{part}")
            if hasattr(module, name):
                return getattr(module, name)
        raise AttributeError(f"module 'django_stubs_ext' has no attribute {name!r}")

    light.monkeypatch = monkeypatch  # type: ignore[attr-defined]
    light.__getattr__ = __getattr__  # type: ignore[method-assign]
    return light


def lighten() -> None:
    """Keep out of a worker process what its libraries load in case and it never uses: 4 Mio
    of the 69 a worker took after checking 40 sessions (the goal: 1.5 times the 43 of
    ``sofi-bulk validate``). Call before ``django.setup()``.

    - django-tasks calls django-stubs-ext's ``monkeypatch()`` when imported, so that Django
      classes it subclasses take type parameters (``BaseConnectionHandler[…]``); that module
      imports the admin, sessions, messages, sitemaps and feeds to patch their classes too.
      A worker gets the same patch for the classes it loads anyway.
    - Python's ``ssl`` and OpenSSL's TLS library, loaded by asyncio in case: a worker opens
      no TLS connection of its own (PostgreSQL's goes through libpq, which brings its own);
      but psycopg's pure-Python binding to libpq (used when no compiled one loads) imports
      ``ssl``: the driver is loaded here, and loaded again with ``ssl`` if it needs it.
    - Django's default logging (``LOGGING_CONFIG = None`` in the worker's settings), whose
      e-mail handler loads the error pages' code: ``main`` applies ``LOGGING`` alone.
    """
    import os

    sys.modules.setdefault("django_stubs_ext", _light_stubs_ext())
    sys.modules.setdefault("ssl", None)  # type: ignore[arg-type]  # import ssl: ImportError
    if not os.environ.get("SOFI_WEB_DATABASE_URL", "").startswith(("postgres://", "postgresql")):
        return
    try:
        import psycopg  # noqa: F401
    except ImportError:  # its pure-Python binding: loaded again, with ssl
        if "ssl" in sys.modules and sys.modules["ssl"] is None:
            del sys.modules["ssl"]
        for name in [n for n in sys.modules if n == "psycopg" or n.startswith("psycopg.")]:
            del sys.modules[name]
        import psycopg  # noqa: F401


def _logging() -> None:
    """The worker's logging, before Django loads anything that logs: ``LOGGING`` (every line
    timed) and Python's warnings through it, as Django's own set-up does."""
    import logging
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    logging.captureWarnings(True)


def main() -> None:
    lighten()
    _logging()
    import django

    django.setup()
    from django.conf import settings
    from django.db import DatabaseError

    from sofi_bulk.web import jobs, workers

    workers.return_big_blocks()

    ident = secrets.token_hex(6)
    general = workers.Lane(f"{ident}.tout", ["*"], settings.WORKER_POLL)
    small = workers.Lane(f"{ident}.petits", [jobs.SMALL], settings.WORKER_POLL)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        if stop.is_set():
            return
        stop.set()
        general.running = small.running = False
        if general.running_task:
            raise workers.Interrupted

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    if not sys.stdin.isatty():
        threading.Thread(target=_watch_parent, name="parent", daemon=True).start()
    try:
        while not stop.is_set():  # seen alive before taking anything
            try:
                workers.beat(ident)
                break
            except DatabaseError as exc:
                log.warning("base de données injoignable (%s) : nouvel essai", exc)
                time.sleep(1)
        _warm_up()
        threading.Thread(target=_beat, args=(ident, stop), name="battement", daemon=True).start()
        guard = workers.MemoryGuard(settings.WORKER_MEMORY_MB, general, small)
        threading.Thread(target=guard.watch, args=(stop,), name="memoire", daemon=True).start()
        lane = threading.Thread(target=small.serve, name="petits", daemon=True)
        lane.start()
        log.info("processus de contrôle %s prêt", ident)
        general.serve()
    except (workers.Interrupted, KeyboardInterrupt):
        pass
    finally:
        stop.set()
        general.running = small.running = False
        deadline = time.monotonic() + 10
        for thread in threading.enumerate():
            if thread.name == "petits":
                thread.join(max(0.0, deadline - time.monotonic()))
        with contextlib.suppress(DatabaseError):  # else the others take its tasks over
            workers.leave(ident)


if __name__ == "__main__":
    main()
