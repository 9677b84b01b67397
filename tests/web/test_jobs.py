"""The background checks' rules, in the test's own thread and database (SQLite here, the CI's
PostgreSQL on its second run): small workbooks first and in their own queue, a dead worker's
task taken over once then failed with a true message and a « relancer » button, an outcome
recorded only by the worker that still holds the task, ``/sante``, a database error's page,
and the WSGI layer that trusts only the named proxies."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sofi_bulk.web import jobs, workers
from sofi_bulk.web.models import Job, WorkerProcess
from tests.web.conftest import run_jobs, token_of, upload
from tests.web.test_check import text

pytestmark = pytest.mark.django_db


def alive(ident: str, pid: int = 1) -> WorkerProcess:
    """A worker process seen now (pid 1 exists on every Linux machine)."""
    return WorkerProcess.objects.create(ident=ident, host=workers.HOST, pid=pid)


def claim(job: Job, lane: str) -> DBTaskResult:
    task = DBTaskResult.objects.get(id=job.task_id)
    task.claim(lane)
    Job.objects.filter(pk=job.pk).update(state=Job.RUNNING)
    return task


def test_small_workbooks_go_first_and_have_their_own_queue():
    assert jobs.placement(170_000) == (jobs.SMALL, 50)  # 40 sessions
    queue, priority = jobs.placement(1_700_000)  # 5,000 sessions
    assert queue == jobs.BIG and priority < 50
    assert jobs.placement(700_000)[1] > priority  # bigger: later
    big = jobs.submit("moi", Job.CHECK, "gros.xlsx", b"x" * 1_700_000)
    small = jobs.submit("moi", Job.CHECK, "petit.xlsx", b"x" * 100_000)
    # the engine's order (priority first), and the small workbooks' lane sees only them
    assert [str(t.id) for t in DBTaskResult.objects.ready()] == [small.task_id, big.task_id]
    lane = DBTaskResult.objects.ready().filter(queue_name__in=[jobs.SMALL])
    assert [str(t.id) for t in lane] == [small.task_id]
    assert jobs.waiting_before(big) == 1 and jobs.waiting_before(small) == 0


def test_the_progress_page_asks_less_often_far_back_in_the_queue():
    """Near the front, or running: every second; far behind: a quarter of a second per check
    ahead per worker, at most 5 s (what the page's script and the benchmark follow)."""
    alive("un")
    sent = [jobs.submit("moi", Job.CHECK, f"c{i}.xlsx", b"x" * 100_000) for i in range(13)]
    assert [jobs.status(job)["relance"] for job in (sent[0], sent[4], sent[8], sent[12])] == [
        1000,
        1000,
        2000,
        3000,
    ]
    alive("deux")  # twice the workers: half the wait
    assert jobs.status(sent[12])["relance"] == 1500
    assert jobs.next_poll_ms(1000, 2) == 5000 and jobs.next_poll_ms(0, 0) == 1000
    Job.objects.filter(pk=sent[12].pk).update(state=Job.RUNNING)
    sent[12].refresh_from_db()
    assert jobs.status(sent[12])["relance"] == 1000


def test_a_dead_workers_task_is_taken_over_once_then_failed_with_a_true_message(client, workbook_a):
    token = token_of(upload(client, workbook_a))
    job = Job.objects.get(token=token)
    alive("vivant")
    # first worker: its process has gone from this machine (a pid that cannot exist)
    WorkerProcess.objects.create(ident="mort1", host=workers.HOST, pid=2**22 + 7)
    claim(job, "mort1.tout")
    assert workers.take_over() == 1
    task = DBTaskResult.objects.get(id=job.task_id)
    assert task.status == "READY" and task.worker_ids == ["mort1.tout"]
    job.refresh_from_db()
    assert job.state == Job.WAITING and job.restarted
    assert jobs.status(job)["libelle"] == jobs.TAKEN_OVER
    assert not WorkerProcess.objects.filter(ident="mort1").exists()
    # second worker: silent for longer than the timeout (another machine's)
    WorkerProcess.objects.create(
        ident="mort2",
        host="autre-machine",
        pid=1,
        seen_at=timezone.now() - dt.timedelta(seconds=workers.TIMEOUT + 5),
    )
    claim(job, "mort2.tout")
    assert workers.take_over() == 1
    job.refresh_from_db()
    assert job.state == Job.FAILED and job.can_retry and job.message == workers.LOST
    assert DBTaskResult.objects.get(id=job.task_id).status == "FAILED"
    page = client.get(f"/verification/{token}/")
    shown = text(page)
    assert page.status_code == 500 and "interrompu deux fois" in shown
    assert "Relancer le contrôle" in shown and "expiré" not in shown
    # « relancer »: the workbook was kept, a new task checks it
    assert client.post(f"/verification/{token}/relancer").status_code == 302
    assert run_jobs() == 1
    assert "Rapport de contrôle" in text(client.get(f"/verification/{token}/"))


def test_a_living_workers_task_is_left_alone(client, workbook_a):
    job = Job.objects.get(token=token_of(upload(client, workbook_a)))
    alive("occupe")
    claim(job, "occupe.petits")
    assert workers.take_over() == 0
    assert DBTaskResult.objects.get(id=job.task_id).status == "RUNNING"


def test_only_the_worker_holding_the_task_records_its_outcome(client, workbook_a):
    """A worker thought dead (its task taken over) that finishes anyway changes nothing."""
    job = Job.objects.get(token=token_of(upload(client, workbook_a)))
    claim(job, "lent.tout")
    DBTaskResult.objects.filter(id=job.task_id).update(worker_ids=["lent.tout", "autre.tout"])
    jobs.execute_check(job.pk, job.task_id, "lent.tout")
    job.refresh_from_db()
    assert job.report is None and job.state == Job.RUNNING
    jobs.execute_check(job.pk, job.task_id, "autre.tout")
    job.refresh_from_db()
    assert job.state == Job.DONE and job.report["session_count"] == 3


def test_a_stopping_worker_gives_its_task_back_without_using_an_attempt(client, workbook_a):
    job = Job.objects.get(token=token_of(upload(client, workbook_a)))
    alive("partant")
    claim(job, "partant.tout")
    workers.leave("partant")
    task = DBTaskResult.objects.get(id=job.task_id)
    assert task.status == "READY" and task.worker_ids == []
    assert Job.objects.get(pk=job.pk).state == Job.WAITING
    assert not WorkerProcess.objects.filter(ident="partant").exists()


def test_jobs_nobody_ran_for_a_day_are_dropped(client, workbook_a):
    job = Job.objects.get(token=token_of(upload(client, workbook_a)))
    assert workers.purge() == 0
    Job.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=workers.STALE + 1)
    )
    assert workers.purge() == 1
    assert not DBTaskResult.objects.filter(id=job.task_id).exists()


def test_health_says_what_it_found(client):
    answer = client.get("/sante")
    assert answer.status_code == 503
    assert answer.json() == {
        "etat": "indisponible",
        "base": "ok",
        "travailleurs": 0,
        "en_attente": 0,
        "en_cours": 0,
    }
    alive("sain")
    WorkerProcess.objects.create(
        ident="vieux", host="ailleurs", pid=1, seen_at=timezone.now() - dt.timedelta(hours=1)
    )
    answer = client.get("/sante")
    assert answer.status_code == 200 and answer.json()["travailleurs"] == 1


def test_the_admin_lists_the_worker_processes(client, django_user_model):
    alive("a1b2c3", pid=4242)
    admin = django_user_model.objects.create_superuser("chef", password="Depot-Offre-2026!")
    client.force_login(admin)
    page = client.get("/admin/depot/workerprocess/")
    assert page.status_code == 200 and "a1b2c3" in page.content.decode()
    assert "Processus de contrôle" in client.get("/admin/").content.decode()


def test_a_database_error_gives_a_clean_french_page(client, monkeypatch):
    from sofi_bulk.web import views

    def away(*args, **kwargs):
        raise OperationalError("connection to server failed")

    monkeypatch.setattr(views.workers, "alive_workers", away)
    assert client.get("/sante").json() == {"etat": "indisponible", "base": "injoignable"}
    monkeypatch.setattr(views.Deposit.objects, "filter", away)
    client.raise_request_exception = False
    from tests.web.conftest import make_org_user

    client.force_login(make_org_user("ilf", "44198765800016", "ILF"))
    page = client.get("/depots/")
    assert page.status_code == 503
    assert "Service momentanément indisponible" in text(page)
    assert "connection to server" not in text(page)


# --- the WSGI layer: trusted proxies, access log ------------------------------------------------
def call(app, peer: str, headers: dict[str, str]) -> dict:
    environ = {
        "REMOTE_ADDR": peer,
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/sante",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8001",
        "HTTP_HOST": "127.0.0.1:8001",
        "wsgi.url_scheme": "http",
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
    }
    seen: dict = {}

    def inner(env, start_response):
        seen.update(env)
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    from sofi_bulk.service.http import access_log, behind_proxies

    list(behind_proxies(access_log(inner), app)(environ, lambda *a: None))
    return seen


FORWARDED = {
    "X-Forwarded-For": "203.0.113.9, 198.51.100.4",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "depot.exemple.fr",
}


def test_forwarded_headers_are_believed_from_the_named_proxies_only(caplog):
    caplog.set_level(logging.INFO, logger="sofi_bulk.acces")
    trusted = call(["10.0.0.0/24", "192.0.2.7"], "10.0.0.5", FORWARDED)
    assert trusted["REMOTE_ADDR"] == "198.51.100.4"  # the address the proxy saw
    assert trusted["wsgi.url_scheme"] == "https" and trusted["HTTP_HOST"] == "depot.exemple.fr"
    assert call(["192.0.2.7"], "192.0.2.7", FORWARDED)["REMOTE_ADDR"] == "198.51.100.4"
    for proxies in ([], ["10.0.0.0/24"]):
        ignored = call(proxies, "192.0.2.50", FORWARDED)
        assert ignored["REMOTE_ADDR"] == "192.0.2.50" and ignored["wsgi.url_scheme"] == "http"
        assert ignored["HTTP_HOST"] == "127.0.0.1:8001"
        assert not any(k.startswith("HTTP_X_FORWARDED") for k in ignored)
    lines = [r.getMessage() for r in caplog.records if r.name == "sofi_bulk.acces"]
    assert lines[0].startswith('198.51.100.4 "GET /sante HTTP/1.1" 200 2 ')
    assert lines[-1].startswith('192.0.2.50 "GET /sante HTTP/1.1" 200 2 ')


def test_the_access_log_leaves_out_the_tokens_that_open_an_account(caplog):
    """An invitation or reset link, opened and not yet used, stays valid for days: whoever
    reads the logs would otherwise hold it."""
    from sofi_bulk.service.http import access_log

    caplog.set_level(logging.INFO, logger="sofi_bulk.acces")

    def inner(env, start_response):
        start_response("200 OK", [])
        return [b""]

    paths = {
        "/invitation/Mg/dj8pst-0a1b2c3d4e5f/": "/invitation/Mg/…/",
        "/mot-de-passe/Mg/dj8pst-0a1b2c3d4e5f/": "/mot-de-passe/Mg/…/",
        "/mot-de-passe/Mg/set-password/": "/mot-de-passe/Mg/set-password/",
        "/mot-de-passe/oublie/": "/mot-de-passe/oublie/",
        "/verification/abc/": "/verification/abc/",
    }
    for path in paths:
        environ = {"REMOTE_ADDR": "192.0.2.1", "REQUEST_METHOD": "GET", "PATH_INFO": path}
        list(access_log(inner)(environ, lambda *a: None))
    lines = [r.getMessage() for r in caplog.records if r.name == "sofi_bulk.acces"]
    for line, shown in zip(lines, paths.values(), strict=True):
        assert f'"GET {shown} ' in line, line
    assert "dj8pst" not in " ".join(lines)


@pytest.mark.django_db
def test_an_ended_job_s_state_says_how_it_ended():
    """/etat of a job that ended: done, refused or failed, never « Terminé » for a failure."""
    job = Job.objects.create(token="t", owner="o", purpose=Job.CHECK, file_name="x", size=1)
    said = {}
    for state in (Job.DONE, Job.REFUSED, Job.FAILED):
        job.state, job.finished_at = state, timezone.now()
        said[state] = jobs.status(job)["libelle"]
    assert said == {Job.DONE: "Terminé", Job.REFUSED: "Fichier refusé", Job.FAILED: "Échec"}
