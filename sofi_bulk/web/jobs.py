"""Checks run in the background, so a 5,000-session workbook never holds a request open.

The upload request hands the file's bytes to a small pool of worker threads and returns
at once; the page then polls the job's state (step n of N, elapsed time) until the report
is ready. Jobs live in this process's memory only, tied to the browser session that
created them, and are forgotten after ``TTL`` seconds: a check writes nothing to disk or
to the database, and the upload's bytes are dropped as soon as they have been read (a
deposit keeps them until it is confirmed, so that the stored workbook is the one checked).
Run the server as one process with several threads (``sofi-bulk serveur`` does).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sofi_bulk.core.errors import UserError
from sofi_bulk.core.referentiel import Referentiel
from sofi_bulk.core.text import plural
from sofi_bulk.web.report import Report, build_report

log = logging.getLogger(__name__)

# lxml's parsed XSD is shared by the process: one LHEO validation at a time
LHEO_LOCK = threading.Lock()
TTL = 30 * 60
WORKERS = 2
WAITING, RUNNING, DONE, REFUSED, FAILED = "attente", "en-cours", "termine", "refuse", "echec"
CHECK, DEPOSIT = "verification", "depot"
STEPS = {
    CHECK: ["Lecture du classeur", "Contrôle des lignes", "Copie annotée"],
    DEPOSIT: [
        "Lecture du classeur",
        "Contrôle des lignes",
        "Copie annotée",
        "Soumission JSON et fichier LHEO",
    ],
}


@dataclass
class Prepared:
    """What a deposit needs once its check found no error: the files to store."""

    workbook: bytes
    sha256: str
    submission: dict[str, Any]
    json_bytes: bytes
    lheo: bytes
    lots: dict[str, int]  # lot -> sessions


@dataclass
class Job:
    token: str
    owner: str  # the session key of the browser that uploaded
    purpose: str
    file_name: str
    siret: str | None = None  # the depositing organisation (deposits only)
    state: str = WAITING
    step: int = 0
    created: float = field(default_factory=time.monotonic)
    finished: float | None = None
    report: Report | None = None
    message: str = ""  # why the file was refused, in French
    annotated: bytes | None = None
    prepared: Prepared | None = None
    refusal: str = ""  # why a clean workbook cannot be deposited by this organisation
    deposit_id: int | None = None  # once confirmed
    done: threading.Event = field(default_factory=threading.Event)
    upload: bytes | None = None

    @property
    def steps(self) -> list[str]:
        return STEPS[self.purpose]

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.created

    @property
    def over(self) -> bool:
        return self.state in (DONE, REFUSED, FAILED)

    def status(self, queue_position: int = 0) -> dict[str, Any]:
        label = (
            f"En attente : {plural(queue_position, 'contrôle')} avant le vôtre"
            if self.state == WAITING
            else self.steps[min(self.step, len(self.steps) - 1)]
            if self.state == RUNNING
            else "Terminé"
        )
        return {
            "etat": self.state,
            "etape": self.step + (1 if self.state == RUNNING else 0),
            "etapes": len(self.steps),
            "libelle": label,
            "secondes": round(self.elapsed),
            "termine": self.over,
        }


class JobStore:
    """The jobs of this process, their worker threads and their expiry."""

    def __init__(self, workers: int = WORKERS, ttl: float = TTL) -> None:
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sofi-controle")
        self.ttl = ttl

    def submit(
        self,
        owner: str,
        purpose: str,
        file_name: str,
        data: bytes,
        *,
        referentiel: Callable[[], Referentiel | None],
        siret: str | None = None,
    ) -> Job:
        self.expire()
        job = Job(secrets.token_urlsafe(24), owner, purpose, file_name, siret=siret, upload=data)
        with self.lock:
            self.jobs[job.token] = job
        self.pool.submit(self._run, job, referentiel)
        return job

    def get(self, token: str, owner: str) -> Job | None:
        """The job, only for the session that created it."""
        self.expire()
        with self.lock:
            job = self.jobs.get(token)
        if job is None or not owner or not secrets.compare_digest(job.owner, owner):
            return None
        return job

    def waiting_before(self, job: Job) -> int:
        with self.lock:
            return sum(
                1
                for other in self.jobs.values()
                if other.state in (WAITING, RUNNING) and other.created < job.created
            )

    def expire(self) -> None:
        now = time.monotonic()
        with self.lock:
            for token in [
                t for t, j in self.jobs.items() if j.over and now - (j.finished or now) > self.ttl
            ]:
                del self.jobs[token]

    def _run(self, job: Job, referentiel: Callable[[], Referentiel | None]) -> None:
        try:
            job.state = RUNNING
            run_check(job, referentiel())
            job.state = DONE
        except UserError as exc:  # a refused file: the same French message as the CLI
            job.message = str(exc)
            job.state = REFUSED
        except MemoryError:
            job.message = f"{job.file_name} : fichier trop volumineux pour la mémoire disponible."
            job.state = REFUSED
        except RecursionError:
            job.message = f"{job.file_name} : fichier trop profondément imbriqué ; il est refusé."
            job.state = REFUSED
        except Exception:  # a bug: logged for the operator, a plain French page for the user
            log.exception("check of %s failed", job.file_name)
            job.message = (
                "Le contrôle a échoué à cause d'une erreur du service (elle a été enregistrée). "
                "Réessayez ; si cela se reproduit, contactez le Carif-Oref."
            )
            job.state = FAILED
        finally:
            if job.prepared is None:
                job.upload = None  # nothing kept of the file but the report
            job.finished = time.monotonic()
            job.done.set()


def run_check(job: Job, referentiel: Referentiel | None) -> None:
    """Read, check and annotate (and for a deposit, export) the uploaded workbook."""
    from sofi_bulk import api

    data = job.upload or b""
    job.step = 0
    book = api.read(data, name=job.file_name)
    job.step = 1
    result = api.check(book, referentiel=referentiel)
    report = build_report(result, api.plan(result))
    job.step = 2
    job.annotated = api.write_annotated(result)
    if job.purpose == DEPOSIT and report.ok:
        job.step = 3
        job.prepared, job.refusal = prepare_deposit(result, data, job.siret)
    job.report = report


def prepare_deposit(result: Any, data: bytes, siret: str | None) -> tuple[Prepared | None, str]:
    """The files of a deposit, or why this organisation may not deposit this workbook."""
    from sofi_bulk import api
    from sofi_bulk.excel.scan import formula_cells
    from sofi_bulk.submission.io import dumps

    formulas = formula_cells(data)
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
    foreign = sorted(
        lot
        for lot in lots
        if siret is None
        or (found := result.referentiel.find_lot(lot)) is None
        or siret not in found.sirets
    )
    if foreign:
        return None, (
            f"{plural(len(foreign), 'lot')} de ce classeur ({', '.join(foreign)}) "
            f"{'ne concerne' if len(foreign) == 1 else 'ne concernent'} pas votre organisme "
            f"(SIRET {siret}) : chaque organisme dépose les sessions de ses propres lots. "
            "Retirez ces sessions, ou faites-les déposer par l'organisme du lot."
        )
    try:
        with LHEO_LOCK:
            lheo = api.to_lheo(result)
    except UserError as exc:  # a value LHEO cannot carry: the same message as sofi-bulk lheo
        return None, str(exc)
    return (
        Prepared(
            workbook=data,
            sha256=hashlib.sha256(data).hexdigest(),
            submission=submission,
            json_bytes=dumps(submission).encode("utf-8"),
            lheo=lheo,
            lots=dict(sorted(lots.items())),
        ),
        "",
    )


_store: JobStore | None = None
_store_lock = threading.Lock()


def store() -> JobStore:
    """The process's job store, created on first use."""
    global _store
    with _store_lock:
        if _store is None:
            _store = JobStore()
        return _store
