"""The embedded default, ``sofi-bulk serveur`` on SQLite: one command starts the web server
and its worker processes and stops them when it stops; ``--travailleurs 0`` and ``sofi-bulk
travailleur`` split them; a killed worker's check is taken over; a port in use, a bad
``--cle`` or ``--proxy`` is one French line; the data folder and its files are private; two
processes migrating a new database together both succeed; two web processes count the
password-reset limits together; a flood of big uploads from one client leaves the server's
memory within its bound and other clients served; a workbook too big for a worker's memory
bound is refused and the worker goes on."""

from __future__ import annotations

import html
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.web.conftest import SIRET_A, sample_for
from tests.web.services import (
    SOFI,
    Client,
    Process,
    children,
    free_port,
    health,
    service_env,
    sofi,
    start_web,
    token_in,
    wait_until,
    workers_alive,
)

SLOW = 240


def database(folder: Path) -> sqlite3.Connection:
    return sqlite3.connect(folder / "sofi-bulk.sqlite3", timeout=30)


def job(folder: Path, token: str) -> tuple[str, list[str]]:
    """A job's state and the worker ids that claimed its task."""
    with database(folder) as db:
        state, task = db.execute(
            "SELECT state, task_id FROM depot_job WHERE token = ?", (token,)
        ).fetchone()
        (holders,) = db.execute(
            "SELECT worker_ids FROM django_tasks_database_dbtaskresult WHERE id = ?",
            (task.replace("-", ""),),
        ).fetchone()
    return state, json.loads(holders)


def check(client: Client, data: bytes, name: str = "saisie.xlsx") -> str:
    client.get("/")
    status, url, body = client.post("/verifier", {}, (name, data))
    assert status == 200, body[:2000]
    return token_in(url)


def ended(client: Client, token: str) -> str:
    def state() -> str | None:
        _, _, _, body = client.request(f"/verification/{token}/etat")
        found = json.loads(body)
        return found["etat"] if found["termine"] else None

    return wait_until(state, SLOW, f"check {token} ended", every=0.3)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """``sofi-bulk serveur`` as one tries it: no option but a data folder and a port."""
    folder = tmp_path_factory.mktemp("embarque")
    data = folder / "donnees"
    port = free_port()
    server = start_web("serveur", folder, port, "--donnees", str(data))
    try:
        yield server, data, f"http://127.0.0.1:{port}"
    finally:
        if server.alive():
            server.stop(signal.SIGKILL)


def test_the_embedded_server_checks_with_its_two_workers(embedded):
    server, data, base = embedded
    workers_alive(base, 2)
    assert len(children(server.pid)) == 2
    client = Client(base)
    token = check(client, sample_for(SIRET_A, 3))
    assert ended(client, token) == "termine"
    _, _, page = client.get(f"/verification/{token}/")
    assert "Rapport de contrôle" in page and "3 sessions" in page
    assert "2 processus de contrôle" in server.log()
    assert oct(data.stat().st_mode & 0o777) == "0o700"
    for name in ("sofi-bulk.sqlite3", "cle-secrete.txt"):
        assert oct((data / name).stat().st_mode & 0o777) == "0o600", name


def test_a_killed_worker_is_replaced_and_its_check_taken_over(embedded, big_workbook):
    server, data, base = embedded
    workers_alive(base, 2)
    client = Client(base)
    token = check(client, big_workbook.read_bytes(), "gros.xlsx")

    def holder() -> str | None:
        state, holders = job(data, token)
        return holders[-1] if state == "en-cours" else None

    first = wait_until(holder, SLOW, "the check running", every=0.05)
    with database(data) as db:
        (pid,) = db.execute(
            "SELECT pid FROM depot_workerprocess WHERE ident = ?", (first.split(".")[0],)
        ).fetchone()
    assert pid in children(server.pid)
    os.kill(pid, signal.SIGKILL)
    assert ended(client, token) == "termine"
    state, holders = job(data, token)
    assert len(holders) == 2 and holders[1].split(".")[0] != first.split(".")[0]
    workers_alive(base, 2)  # the server started another
    assert "relancé" in server.log()


def test_the_embedded_server_stops_its_workers_when_it_stops(embedded):
    server, data, base = embedded
    workers = children(server.pid)
    assert len(workers) == 2
    assert server.stop(signal.SIGINT) == 0  # Ctrl+C: a normal end
    assert "Service arrêté." in server.log() and "Traceback" not in server.log()
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists(), f"worker {pid} still running"
    with database(data) as db:
        assert db.execute("SELECT count(*) FROM depot_workerprocess").fetchone()[0] == 0


def test_web_alone_then_workers_from_their_own_command(tmp_path):
    data, port = tmp_path / "donnees", free_port()
    base = f"http://127.0.0.1:{port}"
    web = start_web("web", tmp_path, port, "--donnees", str(data), "--travailleurs", "0")
    workers = None
    try:
        assert children(web.pid) == []
        status, body = health(base)
        assert status == 503 and body["travailleurs"] == 0 and body["base"] == "ok"
        client = Client(base)
        token = check(client, sample_for(SIRET_A, 2))
        _, _, page = client.get(f"/verification/{token}/")
        assert "momentanément arrêté" in page and "gardé" in page
        workers = Process(
            "travailleur", ["travailleur", "--donnees", str(data), "--travailleurs", "1"], tmp_path
        )
        assert ended(client, token) == "termine"
        assert health(base)[0] == 200
        assert workers.stop() == 0 and web.stop() == 0  # SIGTERM, as systemd stops them
        assert "1 processus de contrôle" in workers.log()
        assert "Processus de contrôle arrêtés." in workers.log()
    finally:
        for process in (web, workers):
            if process is not None and process.alive():
                process.stop(signal.SIGKILL)


def test_an_invitation_from_the_command_line_opens_on_the_web_process(tmp_path):
    """The account commands sign their invitations' links with the service's key (--cle, or
    SOFI_BULK_CLE as deploy/sofi-bulk.env gives it), not a key of their own."""
    data, mails, port = tmp_path / "donnees", tmp_path / "courriels", free_port()
    key = tmp_path / "cle-secrete.txt"
    key.write_text("k" * 60)
    web = start_web("web", tmp_path, port, "--donnees", str(data), "--cle", str(key),
                    "--travailleurs", "0")  # fmt: skip
    try:
        site = f"http://127.0.0.1:{port}"
        for n, how in enumerate((["--cle", str(key)], [])):
            env = service_env(SOFI_WEB_EMAIL_DIR=str(mails), SOFI_WEB_SITE=site)
            if not how:
                env["SOFI_BULK_CLE"] = str(key)
            done = subprocess.run(
                [SOFI, "serveur", "--donnees", str(data), *how, "compte", "personnel",
                 f"agent{n}", "--courriel", f"agent{n}@carif-oref.fr", "--inviter"],
                capture_output=True, text=True, env=env, timeout=120,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            (mail,) = [m for m in mails.iterdir() if f"agent{n}@" in m.read_text("utf-8")]
            link = re.search(r"http://127\.0\.0\.1:\d+(/invitation/\S+/)", mail.read_text("utf-8"))
            assert link, mail.read_text("utf-8")
            status, _, page = Client(site).get(link.group(1))
            assert status == 200 and "expiré" not in page, page[:1500]
            assert "mot de passe" in page.lower()
    finally:
        web.stop()


def test_a_port_in_use_is_one_french_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = sofi("serveur", "--donnees", str(tmp_path), "--port", str(port))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"Erreur : le port {port} est déjà utilisé sur 127.0.0.1 (un autre programme, ou "
        "sofi-bulk déjà lancé) : arrêtez-le, ou choisissez un autre port avec --port."
    ]
    assert "✔" not in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cle", "absente.txt"], "absente.txt : clé de signature illisible"),
        (["--proxy", "proxy.exemple.fr"], "--proxy proxy.exemple.fr : ni une adresse IP"),
        (["--travailleurs", "-1"], "--travailleurs -1 : un nombre de processus, 0 ou plus."),
        (["--base", "postgresql://sofi:a#b@localhost/sofi"], "--base : adresse de base de"),
        (["--base", "mysql://sofi@localhost/sofi"], "--base : pas une adresse de base"),
    ],
)
def test_bad_key_or_proxy_is_one_french_line(tmp_path, args, message):
    done = sofi("serveur", "--donnees", str(tmp_path / "d"), *args)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_short_key_file_is_refused(tmp_path):
    key = tmp_path / "cle.txt"
    key.write_text("trop-courte\n", encoding="utf-8")
    done = sofi("serveur", "--donnees", str(tmp_path / "d"), "--cle", str(key))
    assert done.returncode == 2 and "au moins 32 caractères" in done.stderr


def test_two_processes_migrating_a_new_database_together(tmp_path):
    data = tmp_path / "neuf"
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: sofi("serveur", "--donnees", str(data), "migrer"), [1, 2]))
    for done in runs:
        assert done.returncode == 0, done.stderr
        assert "Base de données à jour" in done.stdout
    with database(data) as db:
        rows = db.execute("SELECT app, name FROM django_migrations").fetchall()
    assert len(rows) == len(set(rows)) and ("depot", "0002_jobs_and_workers") in rows
    assert oct(data.stat().st_mode & 0o777) == "0o700"


def test_two_web_processes_count_the_reset_limits_together(tmp_path):
    """« Mot de passe oublié ? » asked five times for one address, alternately of two web
    processes on one database: three e-mails in all (not three per process); the sixth
    request from the same client address is refused (429) by either."""
    data, mails = tmp_path / "donnees", tmp_path / "courriels"
    address = "contact@ilf-formation.fr"
    made = sofi(
        "serveur", "--donnees", str(data), "compte", "organisme", "ilf", "--siret", SIRET_A,
        "--nom", "Institut Ligérien", "--courriel", address,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    env = {
        "SOFI_WEB_EMAIL_DIR": str(mails),
        "SOFI_WEB_REINITIALISATIONS_PAR_COURRIEL": "3",
        "SOFI_WEB_REINITIALISATIONS_INTERVALLE": "0",
        "SOFI_WEB_REINITIALISATIONS_PAR_ADRESSE": "5",
    }
    ports = [free_port(), free_port()]
    webs: list[Process] = []
    try:
        for n, port in enumerate(ports):
            args = ("--donnees", str(data), "--travailleurs", "0")
            webs.append(start_web(f"web{n}", tmp_path, port, *args, env=env))
        clients = [Client(f"http://127.0.0.1:{port}") for port in ports]
        answers = []
        for n in range(6):
            client = clients[n % 2]
            client.get("/mot-de-passe/oublie/")
            status, url, _ = client.post("/mot-de-passe/oublie/", {"email": address})
            answers.append((status, url.endswith("/mot-de-passe/envoye/")))
        assert answers[:5] == [(200, True)] * 5
        assert answers[5][0] == 429
        # Django's file backend names a file by the second and an object's id, which two
        # processes may share: it then appends the second message to the same file
        sent = "".join(p.read_text(encoding="utf-8") for p in sorted(mails.iterdir()))
        assert sent.count("\nMessage-ID: ") == 3, sent
        assert sent.count(f"\nTo: {address}\n") == 3
        assert "3 envoyé(s) dans l'heure" in webs[0].log() + webs[1].log()
    finally:
        for web in webs:
            if web.alive():
                web.stop(signal.SIGKILL)


def test_help_names_the_new_options():
    done = sofi("serveur", "--help")
    for option in ("--travailleurs", "--proxy", "--cle", "migrer"):
        assert option in done.stdout, option
    done = sofi("travailleur", "--help")
    assert done.returncode == 0 and "--travailleurs" in done.stdout and "--base" in done.stdout


def test_a_worker_alone_stops_with_its_parent(tmp_path):
    """A worker process whose parent dies (its standard input closes) gives back and leaves."""
    sofi("serveur", "--donnees", str(tmp_path), "migrer")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOFI_WEB_")}
    env.update(SOFI_WEB_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="sofi_bulk.service.settings")
    worker = subprocess.Popen(
        [sys.executable, "-m", "sofi_bulk.service.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:

        def registered() -> bool:
            with database(tmp_path) as db:
                return db.execute("SELECT count(*) FROM depot_workerprocess").fetchone()[0] == 1

        wait_until(registered, 60, "the worker registered")
        worker.stdin.close()
        assert worker.wait(30) == 0
        assert not registered()
        log = worker.stdout.read().decode()  # its own logging, with the time of each line
        assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO .*prêt$", log, re.M), log
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


LIGHT_WORKER = """
import sys, warnings
from sofi_bulk.service import worker
worker.lighten()
worker._logging()
import django
django.setup()
from django.utils.connection import BaseConnectionHandler
from django_stubs_ext import StrOrPromise  # the package's other names are all there
from django_tasks_db.models import DBTaskResult
assert BaseConnectionHandler[int] is BaseConnectionHandler
DBTaskResult.objects.ready().count()  # the engine's own queries, subscripted classes
warnings.warn("avertissement d'essai")
loaded = {name for name, module in sys.modules.items() if module is not None}
print(sorted(loaded & {"ssl", "django.contrib.admin", "django.contrib.sessions",
                       "django.contrib.syndication", "django.views.debug",
                       "django_stubs_ext.patch"}))
"""


def test_a_worker_leaves_out_what_it_never_uses(tmp_path):
    """The admin, feeds, TLS and error pages, loaded in case by its libraries (4 Mio of 69);
    its logging still times every line, Python's warnings included."""
    sofi("serveur", "--donnees", str(tmp_path), "migrer")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOFI_WEB_")}
    env.update(
        SOFI_WEB_DATA_DIR=str(tmp_path),
        SOFI_WEB_ROLE="travailleur",
        DJANGO_SETTINGS_MODULE="sofi_bulk.service.settings",
    )
    done = subprocess.run(
        [sys.executable, "-c", LIGHT_WORKER], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert re.search(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ WARNING .*avertissement d'essai", done.stderr, re.M
    ), done.stderr


def test_the_light_patch_covers_what_django_stubs_ext_patches():
    """Each class django-stubs-ext makes subscriptable on this Django is patched in a worker
    too, or deliberately left out (a module a worker never loads), or Django's own."""
    from django_stubs_ext.patch import _need_generic

    from sofi_bulk.service import worker

    ours = {name for names in worker.SUBSCRIPTABLE.values() for name in names}
    for spec in _need_generic:
        name = spec.cls.__name__
        assert name in ours | worker.LEFT_OUT | worker.NATIVE, name
        if name in ours:
            module = next(m for m, names in worker.SUBSCRIPTABLE.items() if name in names)
            assert spec.cls.__module__.startswith(module), (name, spec.cls.__module__)


LIGHT_DRIVER = """
import sys
from sofi_bulk.service import worker
worker.lighten()
import psycopg
print(psycopg.pq.__impl__, sys.modules["ssl"] is not None)
"""


@pytest.mark.parametrize(("impl", "tls"), [("binary", "False"), ("python", "True")])
def test_tls_stays_where_psycopg_binds_libpq_in_python(impl, tls):
    """psycopg's pure-Python binding to libpq imports ssl: a worker using it keeps ssl."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOFI_WEB_")}
    env.update(SOFI_WEB_DATABASE_URL="postgresql://sofi@127.0.0.1:1/sofi", PSYCOPG_IMPL=impl)
    done = subprocess.run(
        [sys.executable, "-c", LIGHT_DRIVER], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [impl, tls]


def memory_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def test_forty_big_uploads_from_one_client_leave_memory_bounded_and_others_served(tmp_path):
    """The measured case of the issue: 40 uploads of 19 Mio from one client, 8 at a time
    (the web process took 424 Mio more, and kept 337). Now the client gets its own limit of
    checks (the others: 429, their body never parsed), the web process reads one upload of
    that client at a time and gives the memory back: its resident memory stays within
    100 Mio of what it was before (one upload read, copied and stored), ends within 40 Mio of
    it, and another client's check is accepted during the flood."""
    data, port = tmp_path / "donnees", free_port()
    base = f"http://127.0.0.1:{port}"
    web = start_web("web", tmp_path, port, "--donnees", str(data), "--travailleurs", "0")
    try:
        warm = Client(base, source="127.0.0.3")  # every page and one upload seen once
        check(warm, sample_for(SIRET_A, 2))
        before = memory_kib(web.pid)
        peak = [before]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak.append(memory_kib(web.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        body = os.urandom(19 * 1024 * 1024)

        def flood(i: int) -> int:
            client = Client(base)
            client.get("/")
            status, _, page = client.post("/verifier", {}, (f"gros-{i}.xlsx", body))
            assert status in (200, 429), page[:500]
            assert status == 200 or "Réessayez dans" in page
            return status

        with ThreadPoolExecutor(8) as pool:
            flooding = pool.map(flood, range(40))
            other = Client(base, source="127.0.0.2")  # another client, meanwhile
            token = check(other, sample_for(SIRET_A, 2))
            statuses = list(flooding)
        time.sleep(1)
        stop.set()
        sampler.join()
        after = memory_kib(web.pid)
        assert statuses.count(200) == 3 and statuses.count(429) == 37  # 3 checks per address
        _, _, page = other.get(f"/verification/{token}/")
        assert "En attente" in page  # accepted, waiting for a worker (there is none here)
        grew, kept = (max(peak) - before) // 1024, (after - before) // 1024
        assert grew <= 100, f"the web process grew by {grew} Mio during the flood"
        assert kept <= 40, f"the web process kept {kept} Mio after the flood"
    finally:
        if web.alive():
            web.stop(signal.SIGKILL)


def test_a_workbook_beyond_a_workers_memory_bound_is_refused_and_another_worker_follows(
    tmp_path, big_workbook
):
    """A worker bounded to 120 Mio of resident memory (it needs about 60 to start): the
    5,000-session workbook (about 80 more) is refused in French, that worker ends at once and
    its pool starts another, which checks a small workbook."""
    data, port = tmp_path / "donnees", free_port()
    base = f"http://127.0.0.1:{port}"
    web = start_web(
        "web",
        tmp_path,
        port,
        "--donnees",
        str(data),
        "--travailleurs",
        "1",
        env={"SOFI_WEB_MEMOIRE_TRAVAILLEUR_MO": "120"},
    )
    try:
        workers_alive(base, 1)
        [first] = children(web.pid)
        client = Client(base)
        token = check(client, big_workbook.read_bytes(), "gros.xlsx")
        assert ended(client, token) == "refuse"
        page = html.unescape(client.get(f"/verification/{token}/")[2])
        assert "demande plus de mémoire que le service n'en accorde à un contrôle (120 Mio)" in (
            page
        )
        assert "sofi-bulk validate" in page
        wait_until(lambda: children(web.pid) and children(web.pid) != [first], 60, "restarted")
        workers_alive(base, 1)
        small = check(client, sample_for(SIRET_A, 2))
        assert ended(client, small) == "termine"
        assert "au-delà de 120 Mio" in web.log() and "Traceback" not in web.log()
    finally:
        if web.alive():
            web.stop(signal.SIGKILL)
