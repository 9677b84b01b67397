"""Checks run in the background by worker processes, so that no request waits for a workbook
and any web process answers for any check.

How a check flows:

1. The upload request stores a ``Job`` row, the uploaded bytes (``JobFile``) and the
   engine's task (Django's tasks API, database backend) in one transaction, then answers
   with the job's page. A workbook of up to ``SMALL_BYTES`` goes to the « petits » queue at
   priority 50; a bigger one to « gros », at a priority that falls with its size.
2. A worker claims the task (SELECT … FOR UPDATE SKIP LOCKED) and runs ``check_workbook``:
   read, check, report (and for a deposit: the JSON and LHEO files); each step is written to
   the job's row, which the page polls. The outcome and the end of the task are written in
   one transaction, only if the task is still this worker's (``workers.still_mine``).
3. The annotated copy is made only when someone asks for it (``request_copy``), by another
   task, in the « gros » queue at a priority just above the check's.
4. A worker that dies holding a task: see ``sofi_bulk.web.workers`` (taken over once, then
   failed with a true message and a « relancer » button, ``retry``).

A job is forgotten 30 minutes after it ends (``workers.purge``); a refused file's bytes as
soon as it is refused.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from sofi_bulk.core.errors import UserError
from sofi_bulk.core.text import plural
from sofi_bulk.web import workers
from sofi_bulk.web.models import Job, JobFile
from sofi_bulk.web.referentiels import NO_REFERENTIEL, referentiel_of, server_referentiel
from sofi_bulk.web.report import build_report

if TYPE_CHECKING:
    from django_tasks_db.compat import TaskContext

    from sofi_bulk.api import Referentiel, ValidationResult

log = logging.getLogger(__name__)

# lxml's parsed XSD is shared by the process's threads: one LHEO validation at a time
LHEO_LOCK = threading.Lock()
SMALL_BYTES = 256 * 1024  # a few hundred sessions: the template alone weighs 160 Kio
SMALL, BIG = "petits", "gros"
STEPS = {
    Job.CHECK: ["Lecture du classeur", "Contrôle des lignes"],
    Job.DEPOSIT: ["Lecture du classeur", "Contrôle des lignes", "Soumission JSON et fichier LHEO"],
}
NO_WORKER = (
    "En attente : le service de contrôle est momentanément arrêté ; votre classeur est gardé "
    "et sera contrôlé dès sa reprise"
)
POLL_MS, POLL_MAX_MS = 1000, 5000  # the progress page's rhythm (see next_poll_ms)
TAKEN_OVER = "Le processus qui contrôlait votre classeur s'est arrêté : un autre le reprend"


def placement(size: int) -> tuple[str, int]:
    """The queue and priority of a workbook of ``size`` bytes: small ones first."""
    if size <= SMALL_BYTES:
        return SMALL, 50
    return BIG, max(-90, 40 - size // (128 * 1024))


# --- the tasks the workers run ------------------------------------------------------------------
@task(takes_context=True, queue_name=SMALL)
def check_workbook(context: TaskContext, job_id: int) -> None:
    execute_check(job_id, str(context.task_result.id), context.task_result.worker_ids[-1])


@task(takes_context=True, queue_name=SMALL)
def annotate_workbook(context: TaskContext, job_id: int) -> None:
    execute_copy(job_id, str(context.task_result.id), context.task_result.worker_ids[-1])


# --- the web side: start, follow, retry ---------------------------------------------------------
def submit(
    owner: str,
    purpose: str,
    file_name: str,
    data: bytes,
    siret: str | None = None,
    client: str = "",
) -> Job:
    """Store an uploaded workbook and queue its check; the job. ``client``: who sent it, for
    the limits per client (``sofi_bulk.web.limits``)."""
    with transaction.atomic():
        job = Job.objects.create(
            token=secrets.token_urlsafe(24),
            owner=owner,
            client=client,
            purpose=purpose,
            file_name=file_name,
            siret=siret or "",
            size=len(data),
            priority=placement(len(data))[1],
        )
        JobFile.objects.create(job=job, kind=JobFile.UPLOAD, data=data)
        _enqueue(job)
    return job


def submit_for_deposit(checked: Job, owner: str, siret: str, client: str = "") -> Job:
    """A deposit's check of a workbook already checked (before logging in, say): its bytes
    copied in the database, never through this process, and checked again for the deposit."""
    from django.db import connection

    files = JobFile._meta.db_table
    with transaction.atomic():
        job = Job.objects.create(
            token=secrets.token_urlsafe(24),
            owner=owner,
            client=client,
            purpose=Job.DEPOSIT,
            file_name=checked.file_name,
            siret=siret,
            size=checked.size,
            priority=placement(checked.size)[1],
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {files} (job_id, kind, data) "  # our own table: no user text
                f"SELECT %s, kind, data FROM {files} WHERE job_id = %s AND kind = %s",
                [job.pk, checked.pk, JobFile.UPLOAD],
            )
            if cursor.rowcount != 1:
                raise JobFile.DoesNotExist("the checked workbook is gone")
        _enqueue(job)
    return job


def _enqueue(job: Job) -> None:
    queue, priority = placement(job.size)
    result = check_workbook.using(queue_name=queue, priority=priority).enqueue(job.pk)
    job.task_id = str(result.id)
    job.save(update_fields=["task_id"])


def job_for(token: str, owner: str, *, report: bool = True) -> Job | None:
    """The job, only for the browser session that started it, and only during its time."""
    jobs = Job.objects.filter(token=token)
    job = (jobs if report else jobs.defer("report")).first()
    if job is None or not owner or not secrets.compare_digest(job.owner, owner):
        return None
    if job.finished_at and (timezone.now() - job.finished_at).total_seconds() > workers.TTL:
        return None
    return job


def waiting_before(job: Job) -> int:
    """Checks the workers will take before this one."""
    return (
        Job.objects.filter(state=Job.WAITING)
        .filter(
            Q(priority__gt=job.priority) | Q(priority=job.priority, created_at__lt=job.created_at)
        )
        .count()
    )


def next_poll_ms(ahead: int, alive: int) -> int:
    """When the progress page asks again: every second near the front of the queue or while
    running, less often far behind it (a quarter of a second per check ahead of it per worker,
    at most 5 s): two hundred browsers waiting at a deadline would otherwise ask the service
    two hundred times a second what it already told them."""
    per_worker = ahead / max(1, alive)
    return int(min(POLL_MAX_MS, max(POLL_MS, 250 * per_worker)))


def status(job: Job) -> dict[str, Any]:
    """What the progress page shows (and polls, as JSON); ``relance``: in how many
    milliseconds the page should ask again."""
    steps = STEPS[job.purpose]
    poll = POLL_MS
    if job.state == Job.WAITING:
        alive = len(workers.alive_workers())
        if not alive:
            label = NO_WORKER
        elif job.restarted:
            label = TAKEN_OVER
        else:
            ahead = waiting_before(job)
            label = f"En attente : {plural(ahead, 'contrôle')} avant le vôtre"
            poll = next_poll_ms(ahead, alive)
    elif job.state == Job.RUNNING:
        label = steps[min(job.step, len(steps) - 1)]
    else:
        label = {Job.FAILED: "Échec", Job.REFUSED: "Fichier refusé"}.get(job.state, "Terminé")
    end = job.finished_at or timezone.now()
    return {
        "etat": job.state,
        "etape": job.step + (1 if job.state == Job.RUNNING else 0),
        "etapes": len(steps),
        "libelle": label,
        "secondes": round((end - job.created_at).total_seconds()),
        "termine": job.over,
        "relance": poll,
    }


def retry(job: Job) -> bool:
    """Queue a failed check again (its workbook is still there); False if it cannot be."""
    with transaction.atomic():
        job = Job.objects.select_for_update().defer("report").get(pk=job.pk)
        if job.state != Job.FAILED or not job.can_retry:
            return False
        if not JobFile.objects.filter(job=job, kind=JobFile.UPLOAD).exists():
            return False
        Job.objects.filter(pk=job.pk).update(
            state=Job.WAITING,
            step=0,
            message="",
            can_retry=False,
            restarted=False,
            report=None,
            created_at=timezone.now(),
            started_at=None,
            finished_at=None,
        )
        _enqueue(job)
    return True


def request_copy(job: Job) -> None:
    """Queue the annotated copy of a checked workbook, once."""
    with transaction.atomic():
        job = Job.objects.select_for_update().defer("report").get(pk=job.pk)
        if job.state != Job.DONE or job.copy_state in (Job.WAITING, Job.RUNNING, Job.DONE):
            return
        # never in the small workbooks' lane: a copy takes longer than their checks
        result = annotate_workbook.using(
            queue_name=BIG, priority=min(100, placement(job.size)[1] + 10)
        ).enqueue(job.pk)
        Job.objects.filter(pk=job.pk).update(copy_state=Job.WAITING, copy_task_id=str(result.id))


def file_of(job: Job, kind: str) -> bytes | None:
    found = JobFile.objects.filter(job=job, kind=kind).values_list("data", flat=True).first()
    return None if found is None else bytes(found)


# --- the worker side ----------------------------------------------------------------------------
def execute_check(job_id: int, task_id: str, lane: str) -> None:
    """Check a job's workbook and record the outcome (if the task is still this lane's)."""
    if not Job.objects.filter(pk=job_id, task_id=task_id).update(
        state=Job.RUNNING, step=0, started_at=timezone.now()
    ):
        _end(task_id, lane)  # the job was forgotten or started again meanwhile
        return
    job = Job.objects.defer("report").get(pk=job_id)
    data = file_of(job, JobFile.UPLOAD) or b""

    def step(n: int) -> None:
        Job.objects.filter(pk=job_id).update(step=n)

    outcome, files = check(job, data, step)
    with transaction.atomic():
        task_row = workers.still_mine(task_id, lane)
        if task_row is None:
            return  # taken over by another worker, which records its own outcome
        Job.objects.filter(pk=job_id).update(finished_at=timezone.now(), **outcome)
        for kind, content in files.items():
            JobFile.objects.update_or_create(job_id=job_id, kind=kind, defaults={"data": content})
        if outcome["state"] == Job.REFUSED:  # nothing kept of a refused file
            JobFile.objects.filter(job_id=job_id, kind=JobFile.UPLOAD).delete()
        workers.mark_done(task_row)


def check(
    job: Job, data: bytes, step: Callable[[int], None]
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Read, check and report (and for a deposit, export) a workbook: the job's new fields
    and files. A refused file says why in French, as the command line does."""
    from sofi_bulk import api

    try:
        book = api.read(data, name=job.file_name)
        step(1)
        referentiel_id, referentiel = server_referentiel()
        result = api.check(book, referentiel=referentiel)
        report = build_report(result, api.error_lines(result))
        outcome: dict[str, Any] = {
            "state": Job.DONE,
            "report": report.to_json(),
            "referentiel_id": referentiel_id,
        }
        files: dict[str, bytes] = {}
        if job.purpose == Job.DEPOSIT and report.ok and referentiel is None:
            outcome["refusal"] = NO_REFERENTIEL  # the workbook's own copy vouches for nothing
        elif job.purpose == Job.DEPOSIT and report.ok:
            step(2)
            prepared, outcome["refusal"] = prepare_deposit(result, data, job.siret or None)
            if prepared is not None:
                outcome["lots"] = prepared.lots
                files = {JobFile.JSON: prepared.json_bytes, JobFile.LHEO: prepared.lheo}
        return outcome, files
    except UserError as exc:  # a refused file: the same French message as the CLI
        return {"state": Job.REFUSED, "message": str(exc)}, {}
    except MemoryError:
        message = f"{job.file_name} : fichier trop volumineux pour la mémoire disponible."
        return {"state": Job.REFUSED, "message": message}, {}
    except RecursionError:
        message = f"{job.file_name} : fichier trop profondément imbriqué ; il est refusé."
        return {"state": Job.REFUSED, "message": message}, {}
    except DatabaseError:
        raise
    except Exception:  # a bug: logged for the operator, a plain French page for the user
        log.exception("check of %s failed", job.file_name)
        return {"state": Job.FAILED, "message": workers.BUG, "can_retry": True}, {}


def execute_copy(job_id: int, task_id: str, lane: str) -> None:
    """Make the annotated copy of a checked workbook (read and checked again: the result of
    the check is not kept, its report is)."""
    from sofi_bulk import api

    if not Job.objects.filter(pk=job_id, copy_task_id=task_id).update(copy_state=Job.RUNNING):
        _end(task_id, lane)
        return
    job = Job.objects.defer("report").get(pk=job_id)
    data = file_of(job, JobFile.UPLOAD)
    copy = None
    if data is not None:
        try:  # against the référentiel the check used (the workbook's own copy: None)
            ref = referentiel_of(job.referentiel_id) if job.referentiel_id else None
            result = api.check(api.read(data, name=job.file_name), referentiel=ref)
            copy = api.write_annotated(result)
        except DatabaseError:
            raise
        except Exception:
            log.exception("annotated copy of %s failed", job.file_name)
    with transaction.atomic():
        task_row = workers.still_mine(task_id, lane)
        if task_row is None:
            return
        if copy is not None:
            JobFile.objects.update_or_create(
                job_id=job_id, kind=JobFile.COPY, defaults={"data": copy}
            )
        Job.objects.filter(pk=job_id).update(copy_state=Job.DONE if copy else Job.FAILED)
        workers.mark_done(task_row)


def _end(task_id: str, lane: str) -> None:
    with transaction.atomic():
        task_row = workers.still_mine(task_id, lane)
        if task_row is not None:
            workers.mark_done(task_row)


def _not_yours(ref: Referentiel, number: str) -> str:
    """Why a lot is not the depositing organisation's: who it belongs to."""
    lot = ref.find_lot(number)
    if lot is None:
        return "lot absent du référentiel de la Région en service"

    def named(siret: str) -> str:
        organisme = ref.organismes.get(siret)
        return f"{organisme.nom}, SIRET {siret}" if organisme else f"SIRET {siret}"

    others = [named(s) for s in lot.siret_formateurs if s != lot.siret_mandataire]
    return (
        f"mandataire : {named(lot.siret_mandataire)} ; "
        f"formateurs : {', '.join(others) if others else 'aucun autre'}"
    )


@dataclass
class Prepared:
    """What a deposit needs once its check found no error: the files to store."""

    json_bytes: bytes
    lheo: bytes
    lots: dict[str, int]  # lot -> sessions


def prepare_deposit(
    result: ValidationResult, data: bytes, siret: str | None
) -> tuple[Prepared | None, str]:
    """The files of a deposit, or why this organisation may not deposit this workbook."""
    from sofi_bulk import api

    formulas = api.formula_cells(data)
    if formulas:  # the Carif-Oref's staff open the deposited file: values only
        return None, (
            f"Le classeur contient des formules ({', '.join(formulas)}"
            f"{'…' if len(formulas) >= 5 else ''}) : un dépôt ne garde que des valeurs, que "
            "le personnel du Carif-Oref peut ouvrir sans risque. Déposez la copie annotée de "
            "ce rapport (elle ne garde que les valeurs), ou remplacez les formules par leurs "
            "valeurs (Copier, puis Collage spécial > Valeurs)."
        )

    submission = api.to_submission(result)
    lots: dict[str, int] = {}
    for formation in submission["formations"]:
        for action in formation["actions"]:
            for session in action["sessions"]:
                lot = str(session.get("dispositif", {}).get("lot", ""))
                lots[lot] = lots.get(lot, 0) + 1
    if not lots:
        return None, "Le classeur ne contient aucune session : il n'y a rien à déposer."
    ref = result.referentiel  # the server's: a deposit is never checked against another
    foreign = {
        lot: _not_yours(ref, lot)
        for lot in sorted(lots)
        if siret is None or (found := ref.find_lot(lot)) is None or siret not in found.sirets
    }
    if foreign:
        one = len(foreign) == 1
        verb = "n'est" if one else "ne sont"
        return None, (
            f"{plural(len(foreign), 'lot')} de ce classeur {verb} pas à l'organisme qui "
            f"dépose (SIRET {siret}) : "
            + " ; ".join(f"{lot} ({why})" for lot, why in foreign.items())
            + ". Un organisme dépose les sessions des lots dont il est le mandataire ou un "
            "formateur (co-traitant), selon le référentiel de la Région en service. Retirez "
            f"{'les sessions de ce lot' if one else 'les sessions de ces lots'}, ou faites-les "
            "déposer par leur mandataire."
        )
    try:
        with LHEO_LOCK:
            lheo = api.to_lheo(result)
    except UserError as exc:  # a value LHEO cannot carry: the same message as sofi-bulk lheo
        return None, str(exc)
    return Prepared(api.submission_json(submission), lheo, dict(sorted(lots.items()))), ""
