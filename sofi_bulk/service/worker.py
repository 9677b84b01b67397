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


def main() -> None:
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
