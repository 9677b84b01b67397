"""What a worker process does around the tasks it runs: claim them (the engine's ``db_worker``
loop, SELECT … FOR UPDATE SKIP LOCKED), beat, take over the tasks of a worker that stopped
beating, give back its own when it stops, and forget ended jobs after their time.

The engine is Django's tasks API (the django-tasks backport) with its database backend
(django-tasks-db): a task row per run, claimed by one worker, its ``worker_ids`` growing at
each claim. The engine has no notion of a worker that died holding a task: that is added
here. Each worker process has a row (``WorkerProcess``) it refreshes every ``HEARTBEAT``
seconds; a task held by a process whose row is stale (``TIMEOUT``), or whose process is gone
from this machine, is queued again once, then failed with a true message.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

from django.db import DatabaseError, close_old_connections, transaction
from django.utils import timezone
from django_tasks_db.compat import TaskContext, TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from sofi_bulk.web.models import Job, JobFile, ResetRequest, WorkerProcess

log = logging.getLogger(__name__)

HOST = socket.gethostname()[:255]
HEARTBEAT = 2.0  # seconds between two beats of a worker process
TIMEOUT = 20.0  # a worker silent for that long is dead (another machine's, or frozen)
ATTEMPTS = 2  # a task is run at most twice: a worker that dies twice on it fails it
TTL = 30 * 60  # an ended job is forgotten after 30 minutes
STALE = 24 * 3600  # a job that never ended (no worker ran it) is dropped after a day
LOST = (
    "Le contrôle a été interrompu deux fois : le processus qui le traitait s'est arrêté "
    "(redémarrage du service, ou mémoire insuffisante pour ce classeur). Votre classeur est "
    "gardé : relancez le contrôle ; si cela se reproduit, contactez le Carif-Oref."
)
BUG = (
    "Le contrôle a échoué à cause d'une erreur du service (elle a été enregistrée). "
    "Relancez-le ; si cela se reproduit, contactez le Carif-Oref."
)


class Interrupted(BaseException):
    """Raised in a worker's main thread when it is asked to stop: its task is given back."""


# --- running a claimed task -------------------------------------------------------------------
def still_mine(task_id: Any, lane: str) -> DBTaskResult | None:
    """The task, locked, if this lane still holds it (not taken over meanwhile). Call inside
    a transaction."""
    task = DBTaskResult.objects.select_for_update().filter(id=task_id).first()
    if task is None or task.status != TaskResultStatus.RUNNING or task.worker_ids[-1:] != [lane]:
        return None
    return task


def mark_done(task: DBTaskResult) -> None:
    task.status = TaskResultStatus.SUCCESSFUL
    task.finished_at = timezone.now()
    task.save(update_fields=["status", "finished_at"])


def run_task(task: DBTaskResult, lane: str) -> None:
    """Run a task this lane has claimed. The task functions (``sofi_bulk.web.jobs``) record
    their job's outcome and end the task in one transaction; what escapes them is a bug of
    the service (the job fails with a « relancer » button), the database going away (the
    task is given back when it returns), or the worker stopping (given back at once)."""
    result = task.task_result
    try:
        task.task.call(TaskContext(task_result=result), *result.args, **result.kwargs)
    except Interrupted:
        give_back(task.id, lane)
        raise
    except DatabaseError:
        raise
    except Exception:
        log.exception("task %s of job %s failed", task.id, result.args)
        with transaction.atomic():
            mine = still_mine(task.id, lane)
            if mine is not None:
                fail_jobs(str(task.id), BUG)
                mine.status = TaskResultStatus.FAILED
                mine.finished_at = timezone.now()
                mine.save(update_fields=["status", "finished_at"])


def give_back(task_id: Any, lane: str) -> None:
    """Queue a task this lane holds again, as if it had never been claimed."""
    with transaction.atomic():
        task = still_mine(task_id, lane)
        if task is None:
            return
        task.status = TaskResultStatus.READY
        task.started_at = None
        task.worker_ids = task.worker_ids[:-1]
        task.save(update_fields=["status", "started_at", "worker_ids"])
        requeue_jobs(str(task_id), restarted=False)


def requeue_jobs(task_id: str, *, restarted: bool) -> None:
    Job.objects.filter(task_id=task_id).exclude(state__in=Job.ENDED).update(
        state=Job.WAITING, step=0, restarted=restarted
    )
    Job.objects.filter(copy_task_id=task_id, copy_state=Job.RUNNING).update(copy_state=Job.WAITING)


def fail_jobs(task_id: str, message: str) -> None:
    now = timezone.now()
    Job.objects.filter(task_id=task_id).exclude(state__in=Job.ENDED).update(
        state=Job.FAILED, message=message, can_retry=True, finished_at=now
    )
    Job.objects.filter(copy_task_id=task_id).exclude(copy_state=Job.DONE).update(
        copy_state=Job.FAILED
    )


class Lane(Worker):
    """One loop claiming and running tasks (the engine's own loop), which outlives database
    outages. A worker process runs two: one for every queue (small workbooks first, by
    priority) and one for the small workbooks only, so that they never wait behind big ones."""

    def __init__(self, name: str, queues: list[str], interval: float) -> None:
        super().__init__(
            queue_names=queues,
            interval=interval,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=name,
            excluded_queue_names=[],
        )
        self.unfinished: list[Any] = []  # tasks a database outage interrupted
        self.current_task: Any = None  # the task being run, for the memory guard

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self.running_task = True
        self.current_task = db_task_result.id
        try:
            run_task(db_task_result, self.worker_id)
        except DatabaseError:
            self.unfinished.append(db_task_result.id)
            raise
        finally:
            self.current_task = None
            self.running_task = False
            release_memory()

    def serve(self) -> None:
        """The engine's loop until asked to stop, waiting for the database when it is away."""
        away = False
        while self.running:
            try:
                while self.unfinished:
                    give_back(self.unfinished[0], self.worker_id)
                    self.unfinished.pop(0)
                self.run()
            except DatabaseError as exc:
                if not away:
                    log.warning("base de données injoignable (%s) : nouvel essai", exc)
                away = True
                close_old_connections()
                time.sleep(1)
            else:
                away = False


# --- the worker processes: memory, beats, take-overs, housekeeping ------------------------------
_libc: Any = None


def _glibc() -> Any:
    global _libc
    if _libc is None:
        try:
            import ctypes

            _libc = ctypes.CDLL("libc.so.6")
        except OSError:
            _libc = False
    return _libc


def release_memory() -> None:
    """Hand back to the system what a task (or an upload) freed: glibc keeps freed memory
    otherwise, and a worker that checked big workbooks would stay as big (measured: the peak
    of a worker alternating 2,000- and 40-session workbooks stays 9 Mio lower). A no-op
    elsewhere."""
    libc = _glibc()
    if libc:
        libc.malloc_trim(0)


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def return_big_blocks(threshold: int = 1024 * 1024) -> None:
    """Blocks of ``threshold`` bytes or more (an upload, a workbook's parts) taken from the
    system and given back to it as soon as freed. glibc raises that threshold by itself after
    the first big block is freed (up to 32 Mio) and keeps the next ones in its heap: a web
    process that received 40 uploads of 19 Mio stayed at 626 Mio. Fixing it stops that."""
    libc = _glibc()
    if libc:
        libc.mallopt(M_MMAP_THRESHOLD, threshold)


def resident_kib() -> int:
    """This process's resident memory now (Linux); 0 where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


MEMORY = (
    "{name} : ce classeur demande plus de mémoire que le service n'en accorde à un contrôle "
    "({limit} Mio) ; il est refusé. Contrôlez-le sur votre ordinateur avec la commande "
    "sofi-bulk validate, ou découpez-le en plusieurs classeurs."
)


class MemoryGuard:
    """The bound on a worker's memory: checked every 0.1 s; beyond it, the task of the lane
    that takes every queue (big workbooks, copies) is refused with a French message, the
    small workbooks' lane gives its task back, and the process ends at once (its pool starts
    another). A bound that a check could not cross would have to stop it from inside: the
    reader (python-calamine, in Rust) cannot survive an allocation refused by the system
    (tried with RLIMIT_DATA: it hung), so the process is let go instead. Linux only (elsewhere
    ``resident_kib`` says 0, and nothing is bounded)."""

    def __init__(self, megabytes: int, big: Lane, small: Lane) -> None:
        self.limit_kib = megabytes * 1024
        self.megabytes = megabytes
        self.big, self.small = big, small

    def over(self) -> bool:
        return self.limit_kib > 0 and resident_kib() > self.limit_kib

    def watch(self, stop: Any) -> None:
        while not stop.wait(0.1):
            if self.over():
                self.give_up()

    def give_up(self) -> None:
        log.warning(
            "mémoire du processus au-delà de %d Mio : contrôle refusé, processus relancé",
            self.megabytes,
        )
        try:
            for lane in (self.big, self.small):
                task = lane.current_task
                if task is None:
                    continue
                if lane is self.big:
                    refuse_for_memory(task, lane.worker_id, self.megabytes)
                else:
                    give_back(task, lane.worker_id)
        finally:
            os._exit(75)  # the others take over anything left; the pool starts another


def refuse_for_memory(task_id: Any, lane: str, megabytes: int) -> None:
    """The job this lane runs, refused for the memory it asked (its workbook forgotten, as for
    any refused file); an annotated copy, failed."""
    with transaction.atomic():
        task = still_mine(task_id, lane)
        if task is None:
            return
        now = timezone.now()
        for job in Job.objects.filter(task_id=str(task_id)).exclude(state__in=Job.ENDED):
            Job.objects.filter(pk=job.pk).update(
                state=Job.REFUSED,
                message=MEMORY.format(name=job.file_name, limit=megabytes),
                can_retry=False,
                finished_at=now,
            )
            JobFile.objects.filter(job=job, kind=JobFile.UPLOAD).delete()
        Job.objects.filter(copy_task_id=str(task_id)).exclude(copy_state=Job.DONE).update(
            copy_state=Job.FAILED
        )
        task.status = TaskResultStatus.FAILED
        task.finished_at = now
        task.save(update_fields=["status", "finished_at"])


def peak_memory_kib() -> int:
    """This process's peak resident memory: VmHWM on Linux (getrusage would count the parent
    it was forked from), ru_maxrss elsewhere, 0 on Windows."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    try:
        import resource
    except ImportError:  # Windows
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak // 1024 if os.uname().sysname == "Darwin" else peak)


def beat(ident: str) -> None:
    WorkerProcess.objects.update_or_create(
        ident=ident,
        defaults={
            "host": HOST,
            "pid": os.getpid(),
            "seen_at": timezone.now(),
            "peak_kib": peak_memory_kib(),
        },
    )


def leave(ident: str) -> None:
    """A worker stopping: its tasks go back to the queue, its row goes."""
    for task in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        if task.worker_ids and task.worker_ids[-1].split(".")[0] == ident:
            give_back(task.id, task.worker_ids[-1])
    WorkerProcess.objects.filter(ident=ident).delete()


def process_gone(pid: int) -> bool:
    """Whether a process of this machine has ended (a zombie has). Never asked on Windows,
    where os.kill would end the process."""
    if os.name != "posix":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def alive_workers() -> list[WorkerProcess]:
    cutoff = timezone.now() - dt.timedelta(seconds=TIMEOUT)
    return [
        w
        for w in WorkerProcess.objects.filter(seen_at__gte=cutoff)
        if not (w.host == HOST and process_gone(w.pid))
    ]


def take_over() -> int:
    """Tasks held by dead workers: queued again if they ran once, failed (with a true message
    and a « relancer » button) if they already ran twice. Returns how many were handled."""
    alive = {w.ident for w in alive_workers()}
    handled = 0
    for task in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        if task.worker_ids and task.worker_ids[-1].split(".")[0] in alive:
            continue
        with transaction.atomic():
            locked = (
                DBTaskResult.objects.select_for_update(skip_locked=True)
                .filter(id=task.id, status=TaskResultStatus.RUNNING)
                .first()
            )
            if locked is None or locked.worker_ids != task.worker_ids:
                continue
            handled += 1
            if len(locked.worker_ids) < ATTEMPTS:
                log.warning("tâche %s reprise : son processus s'est arrêté", locked.id)
                locked.status = TaskResultStatus.READY
                locked.started_at = None
                locked.save(update_fields=["status", "started_at"])
                requeue_jobs(str(locked.id), restarted=True)
            else:
                log.warning("tâche %s abandonnée : ses deux processus se sont arrêtés", locked.id)
                locked.status = TaskResultStatus.FAILED
                locked.finished_at = timezone.now()
                locked.exception_class_path = f"{__name__}.WorkerLost"
                locked.save(update_fields=["status", "finished_at", "exception_class_path"])
                fail_jobs(str(locked.id), LOST)
    cutoff = timezone.now() - dt.timedelta(seconds=TIMEOUT)
    dead = [
        w.pk
        for w in WorkerProcess.objects.all()
        if w.seen_at < cutoff or (w.host == HOST and process_gone(w.pid))
    ]
    WorkerProcess.objects.filter(pk__in=dead).delete()
    return handled


def purge() -> int:
    """Forget the jobs ended more than ``TTL`` ago (their files with them), those nobody ran
    for a day, the engine's rows of ended tasks, and the journals past their time
    (``forget_journals``); returns how many jobs went."""
    now = timezone.now()
    forget_journals(now)
    old = Job.objects.filter(finished_at__lt=now - dt.timedelta(seconds=TTL)) | Job.objects.filter(
        created_at__lt=now - dt.timedelta(seconds=STALE)
    )
    tasks = [t for pair in old.values_list("task_id", "copy_task_id") for t in pair if t]
    count = old.count()
    old.delete()  # their files with them
    DBTaskResult.objects.filter(id__in=tasks).delete()
    DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lt=now - dt.timedelta(seconds=TTL),
    ).delete()
    return count


def forget_journals(now: dt.datetime) -> None:
    """The logins journal after ``LOGIN_JOURNAL_DAYS`` (django-axes' own deletion, that of its
    ``axes_reset_logs`` command: axes keeps it forever otherwise), failed logins once they no
    longer count (axes forgets them only at the next login attempt), and the reset requests
    once they no longer count (``sofi_bulk.web.limits``)."""
    from axes.handlers.proxy import AxesProxyHandler
    from axes.models import AccessAttempt
    from django.conf import settings

    AxesProxyHandler.reset_logs(age_days=settings.LOGIN_JOURNAL_DAYS)
    AxesProxyHandler.reset_failure_logs(age_days=settings.LOGIN_JOURNAL_DAYS)
    AccessAttempt.objects.filter(attempt_time__lt=now - settings.AXES_COOLOFF_TIME).delete()
    ResetRequest.objects.filter(created_at__lt=now - ResetRequest.kept_for()).delete()
