"""The service as the README's « Mettre en service pour la région » sets it up, on loopback,
from the files of ``deploy/`` themselves: a PostgreSQL server, Debian's nginx with TLS
(``nginx-sofi-bulk.conf``, with a throw-away certificate) in front of two web processes (the
ExecStart line of ``sofi-bulk-web@.service``: ``sofi-bulk serveur --travailleurs 0 --proxy
127.0.0.1 --https …``, sharing one ``--cle``), and two workers (that of
``sofi-bulk-travailleur.service``), the base given by ``SOFI_BULK_BASE`` as in
``sofi-bulk.env``; only the paths, names and ports are the test's. The client connects from
127.0.0.2, so that the address a web process logs tells the forwarded client from the proxy.

Every program is real: without nginx or PostgreSQL these tests fail, they are never skipped.
The tests run in order on the same processes (a module fixture): proxy, two web processes,
killed workers, a restart of everything, a database outage, a proxy not trusted.
"""

from __future__ import annotations

import html
import json
import os
import secrets
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import sofi_bulk.api
from tests.conftest import ROOT
from tests.web.conftest import SIRET_A, sample_for
from tests.web.services import (
    DEPLOY,
    Client,
    Nginx,
    Postgres,
    Process,
    certificate,
    free_port,
    health,
    sofi,
    token_in,
    unit_command,
    wait_until,
    workers_alive,
)

FORGED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "http",
    # a host the service does not answer to: believed, Django would refuse it (400)
    "X-Forwarded-Host": "ailleurs.exemple.org",
    "X-Forwarded-Port": "4444",
}
SLOW = 240  # seconds a big workbook may take on a loaded two-core machine


class Region:
    """Every process of the deployment, started and restarted the way an operator would."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pg = Postgres()
        self.url = self.pg.create("sofi")
        self.key = folder / "cle-secrete.txt"
        self.key.write_text(secrets.token_urlsafe(50) + "\n", encoding="utf-8")
        self.cert = certificate(folder)
        self.ports = [free_port(), free_port()]
        self.untrusted_port = free_port()
        (folder / "nginx").mkdir()
        self.nginx = Nginx(folder / "nginx", self.ports, self.cert)
        self.web: list[Process] = []
        self.workers: Process | None = None
        self.untrusted: Process | None = None
        self.untrusted_nginx: Nginx | None = None

    @property
    def paths(self) -> dict[str, str]:
        """The deploy files' example values, and the test's."""
        return {
            "/var/lib/sofi-bulk": str(self.folder / "donnees"),
            "/etc/sofi-bulk/cle-secrete.txt": str(self.key),
            "/etc/sofi-bulk/referentiel.xlsx": str(ROOT / "examples" / "referentiel-exemple.xlsx"),
            "depot.exemple.fr": f"localhost:{self.nginx.https_port}",
        }

    def web_args(self, port: int, trusted: bool = True) -> list[str]:
        """The unit's command (instance ``port``), two threads (so that the outage test
        reaches every thread of both processes)."""
        args = unit_command("sofi-bulk-web@.service", {"%i": str(port), **self.paths})
        if not trusted:
            at = args.index("--proxy")
            del args[at : at + 2]
        return [*args, "--fils", "2"]

    @property
    def env(self) -> dict[str, str]:
        """deploy/sofi-bulk.env's settings, its paths the test's, the test's database."""
        env = {}
        for line in (DEPLOY / "sofi-bulk.env").read_text(encoding="utf-8").splitlines():
            name, equal, value = line.partition("=")
            if equal and not line.startswith("#"):
                env[name.strip()] = self.paths.get(value.strip(), value.strip())
        assert "SOFI_BULK_BASE" in env and "SOFI_BULK_CLE" in env, env
        return {**env, "SOFI_BULK_BASE": self.url}

    def start_web(self) -> None:
        """Both web processes at once: on a new database, they race to migrate."""
        self.web = [
            Process(f"web-{port}", self.web_args(port), self.folder, self.env)
            for port in self.ports
        ]
        for port, process in zip(self.ports, self.web, strict=True):
            wait_until(
                lambda p=port, w=process: health(f"http://127.0.0.1:{p}")[0] or not w.alive(),
                120,
                f"web {port} answering",
            )
            assert process.alive(), process.log()

    def start_workers(self) -> None:
        args = unit_command("sofi-bulk-travailleur.service", self.paths)
        self.workers = Process("travailleur", args, self.folder, self.env)
        workers_alive(f"http://127.0.0.1:{self.ports[0]}", 2)

    def stop_all(self) -> None:
        for process in [*self.web, self.workers]:
            if process is not None:
                assert process.stop() == 0, process.log()

    def client(self, source: str = "127.0.0.2") -> Client:
        return Client(self.nginx.base, ca=self.cert[0], source=source)

    def job(self, token: str) -> dict[str, Any]:
        rows = self.pg.sql(
            "sofi",
            "SELECT state, task_id, message, can_retry, report IS NOT NULL, lots IS NOT NULL "
            "FROM depot_job WHERE token = %s",
            token,
        )
        assert rows, token
        state, task, message, can_retry, report, lots = rows[0]
        return {
            "state": state, "task": task, "message": message, "can_retry": can_retry,
            "report": report, "lots": lots,
        }  # fmt: skip

    def holders(self, task_id: str) -> list[str]:
        """The worker ids (process.lane) that claimed a task, in order."""
        rows = self.pg.sql(
            "sofi",
            "SELECT worker_ids FROM django_tasks_database_dbtaskresult WHERE id = %s",
            task_id,
        )
        value = rows[0][0]
        return list(value if isinstance(value, list) else json.loads(value))

    def pid_of(self, worker_id: str) -> int:
        ident = worker_id.split(".")[0]
        rows = self.pg.sql("sofi", "SELECT pid FROM depot_workerprocess WHERE ident = %s", ident)
        assert rows, f"worker {ident} is not registered"
        return int(rows[0][0])

    def destroy(self) -> None:
        for process in [*self.web, self.workers, self.untrusted]:
            if process is not None and process.alive():
                process.stop(signal.SIGKILL)
        for proxy in (self.nginx, self.untrusted_nginx):
            if proxy is not None:
                proxy.stop()
        self.pg.destroy()


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    folder = tmp_path_factory.mktemp("region")
    region = Region(folder)
    try:
        region.start_web()
        region.start_workers()
        for args in (
            ["organisme", "ilf", "--siret", SIRET_A, "--nom", "Institut Ligérien"],
            ["personnel", "agent"],
        ):
            done = sofi("serveur", "--base", region.url, "--donnees", str(folder / "comptes"),
                        "compte", *args)  # fmt: skip
            assert done.returncode == 0, done.stderr
        done = sofi("serveur", "--base", region.url, "--donnees", str(folder / "comptes"), "migrer")
        assert done.returncode == 0 and "Base de données à jour" in done.stdout, done.stderr
        yield region
    finally:
        region.destroy()


@pytest.fixture(scope="module")
def big_check(big_workbook) -> bytes:
    """5,000 sessions: long enough to kill its worker in the middle of it."""
    return big_workbook.read_bytes()


def follow(client: Client, token: str, timeout: float = SLOW) -> dict[str, Any]:
    """Poll a job's state (as the page's script does) until it ends; its last state."""

    def ended() -> dict[str, Any] | None:
        status, _, _, body = client.request(f"/verification/{token}/etat")
        state = json.loads(body)
        return state if state.get("termine") else None

    return wait_until(ended, timeout, f"job {token} ended", every=0.5)


def upload(client: Client, data: bytes, path: str = "/verifier", name: str = "saisie.xlsx"):
    client.get("/" if path == "/verifier" else "/depots/")
    status, url, body = client.post(path, {}, (name, data))
    assert status == 200, body[:2000]
    return token_in(url)


def running(region: Region, token: str, attempt: int = 1) -> str:
    """Wait until a worker runs the job (for the ``attempt``-th time); the worker id that
    holds its task."""

    def holder() -> str | None:
        job = region.job(token)
        holders = region.holders(job["task"])
        return holders[-1] if job["state"] == "en-cours" and len(holders) == attempt else None

    return wait_until(holder, SLOW, f"the job running (attempt {attempt})", every=0.05)


def direct(port: int, path: str, client: Client) -> tuple[int, str]:
    """A request straight to one web process, with the client's session cookie (as nginx
    would pass it), from the trusted proxy's address."""
    web = Client(f"http://127.0.0.1:{port}")
    status, _, _, body = web.request(
        path,
        headers={
            "Cookie": f"sofi_session={client.cookie('sofi_session')}",
            "X-Forwarded-Proto": "https",
        },
    )
    return status, body.decode("utf-8", errors="replace")


def test_two_web_processes_started_together_migrated_once(region):
    for process in region.web:
        assert process.alive()
        assert "✔ Service « Déposer son offre »" in process.log(), process.log()
    applied = region.pg.sql("sofi", "SELECT count(*) FROM django_migrations WHERE app = 'depot'")
    migrations = ROOT / "sofi_bulk" / "web" / "migrations"
    assert applied[0][0] == len(list(migrations.glob("0*.py")))  # each once
    status, body = health(f"http://127.0.0.1:{region.ports[0]}")
    assert status == 200 and body["travailleurs"] == 2 and body["base"] == "ok"


def test_log_in_check_and_deposit_through_the_proxy(region):
    client = region.client()
    status, _, headers, _ = client.request("/", headers=FORGED)
    assert status == 200
    assert headers.get("Strict-Transport-Security", "").startswith("max-age=")  # HTTPS seen
    client.login("ilf")  # the form's origin is https://localhost:port (--nom-public)
    token = upload(client, sample_for(SIRET_A, 3), "/depots/nouveau")
    assert follow(client, token)["etat"] == "termine"
    _, _, page = client.get(f"/verification/{token}/")
    assert "peut être déposé" in page, page[:3000]
    status, url, receipt = client.post(f"/verification/{token}/deposer", {})
    assert status == 200 and "/depots/" in url and "SOFI-" in receipt, receipt[:2000]
    assert region.pg.sql("sofi", "SELECT count(*) FROM depot_deposit")[0][0] == 1
    # the web processes saw the client (127.0.0.2) through nginx, never what it forged
    logs = "".join(p.log() for p in region.web)
    assert '127.0.0.2 "POST /connexion/' in logs
    assert "203.0.113.9" not in logs


def test_an_upload_too_big_for_nginx_is_told_in_french(region):
    """Refused by nginx on its announced size, before it is sent: nginx's own page, in
    French, as the service's are."""
    import http.client
    import ssl

    context = ssl.create_default_context(cafile=str(region.cert[0]))
    connection = http.client.HTTPSConnection(
        "localhost", region.nginx.https_port, context=context, timeout=30
    )
    try:
        connection.putrequest("POST", "/verifier")
        connection.putheader("Content-Type", "multipart/form-data; boundary=x")
        connection.putheader("Content-Length", str(27 * 1024 * 1024))
        connection.endheaders()
        response = connection.getresponse()
        body = response.read().decode("utf-8")
    finally:
        connection.close()
    assert response.status == 413 and "Fichier trop volumineux" in body, body[:500]


def test_the_add_in_page_and_wheel_name_the_public_https_address(region):
    """« Contrôler dans Excel » behind nginx: what users paste names the public HTTPS address
    (``--nom-public``), even on a visit straight to a web process; both processes serve the
    same wheel, readable from xlwings Lite's origin through nginx."""
    import html
    import re

    public = region.nginx.base
    wheel = f"/complement/{sofi_bulk.api.addin_wheel_name()}"
    client = region.client()
    on_the_machine = Client(f"http://127.0.0.1:{region.ports[0]}")
    for page in (client.get("/complement/")[2], on_the_machine.get("/complement/")[2]):
        found = re.search(r'<textarea id="requirements"[^>]*>(.*?)</textarea>', page, re.S)
        assert found and html.unescape(found.group(1)).splitlines()[1] == public + wheel, page[
            :2000
        ]
    tags = set()
    for port in region.ports:
        status, _, headers, body = Client(f"http://127.0.0.1:{port}").request(
            wheel, headers={"Origin": "https://addin.xlwings.org", "X-Forwarded-Proto": "https"}
        )
        said = {k.lower(): v for k, v in headers.items()}
        assert status == 200 and said["access-control-allow-origin"] == "*"
        tags.add((said["etag"], len(body)))
    assert len(tags) == 1  # the same bytes from each process
    status, _, headers, _ = client.request(wheel, headers={"Origin": "https://addin.xlwings.org"})
    said = {k.lower(): v for k, v in headers.items()}
    assert status == 200 and said["access-control-allow-origin"] == "*"
    assert (said["etag"], int(said["content-length"])) in tags


def test_the_same_job_is_polled_through_both_web_processes(region):
    client = region.client()
    client.login("ilf")
    token = upload(client, sample_for(SIRET_A, 2))
    states = []
    for port in region.ports:  # one session, shared signing key: logged in on both
        status, body = direct(port, "/depots/", client)
        assert status == 200 and "Dépôts de l'Institut Ligérien" in html.unescape(body)
        status, body = direct(port, f"/verification/{token}/etat", client)
        assert status == 200, body
        states.append(json.loads(body)["etat"])
    wait_until(
        lambda: all(
            json.loads(direct(port, f"/verification/{token}/etat", client)[1])["termine"]
            for port in region.ports
        ),
        SLOW,
        "both web processes see the job ended",
        every=0.3,
    )
    reports = [direct(port, f"/verification/{token}/", client) for port in region.ports]
    assert all(status == 200 and "Rapport de contrôle" in body for status, body in reports)
    assert all(s in ("attente", "en-cours", "termine") for s in states)


def test_a_worker_killed_during_a_check_is_taken_over(region, big_check):
    client = region.client()
    token = upload(client, big_check, name="gros.xlsx")
    first = running(region, token)
    os.kill(region.pid_of(first), signal.SIGKILL)
    assert follow(client, token)["etat"] == "termine"
    job = region.job(token)
    assert job["state"] == "termine" and job["report"]
    holders = region.holders(job["task"])
    assert (
        len(holders) == 2
        and holders[0] == first
        and holders[1].split(".")[0] != first.split(".")[0]
    )
    _, _, page = client.get(f"/verification/{token}/")
    assert "5000 sessions" in page and "session expirée" not in page.lower()
    workers_alive(f"http://127.0.0.1:{region.ports[0]}", 2)  # the killed one was restarted


def test_a_deposit_whose_workers_die_twice_fails_with_a_true_message(region):
    client = region.client()
    client.login("ilf")
    token = upload(client, sample_for(SIRET_A, 3000), "/depots/nouveau", "depot.xlsx")
    for attempt in (1, 2):
        os.kill(region.pid_of(running(region, token, attempt)), signal.SIGKILL)
    assert follow(client, token)["etat"] == "echec"
    status, _, page = client.get(f"/verification/{token}/")
    assert status == 500
    assert "interrompu deux fois" in page and "Relancer le contrôle" in page
    assert "expiré" not in page
    workers_alive(f"http://127.0.0.1:{region.ports[0]}", 2)
    status, _, _ = client.post(f"/verification/{token}/relancer", {})
    assert status == 200
    assert follow(client, token)["etat"] == "termine"
    client.get(f"/verification/{token}/")
    status, url, receipt = client.post(f"/verification/{token}/deposer", {})
    assert status == 200 and "SOFI-" in receipt, receipt[:2000]
    counts = region.pg.sql("sofi", "SELECT session_count FROM depot_deposit ORDER BY id")
    assert counts[-1][0] == 3000, (counts, url)


def test_a_restart_of_every_process_loses_no_accepted_job(region, big_check):
    client = region.client()
    client.login("ilf")
    deposits = region.pg.sql("sofi", "SELECT count(*) FROM depot_deposit")[0][0]
    running_token = upload(client, big_check, name="en-cours.xlsx")
    running(region, running_token)
    assert region.workers is not None and region.workers.stop() == 0  # mid-check
    assert region.job(running_token)["state"] == "attente"  # given back, not lost
    waiting_token = upload(client, sample_for(SIRET_A, 2), name="en-attente.xlsx")
    _, _, page = client.get(f"/verification/{waiting_token}/")
    assert "momentanément arrêté" in page
    status, body = health(f"http://127.0.0.1:{region.ports[0]}")
    assert status == 503 and body["travailleurs"] == 0
    for process in region.web:
        assert process.stop() == 0
    status, _, headers, body = client.request("/")  # nginx alone: its page, in French
    assert status == 502 and headers.get("Retry-After") == "60"
    assert "Service momentanément indisponible" in body.decode("utf-8")
    region.start_web()
    region.start_workers()
    for token in (waiting_token, running_token):
        assert follow(client, token)["etat"] == "termine"
    assert len(region.holders(region.job(running_token)["task"])) == 1  # given back: no retry
    _, _, page = client.get("/depots/")  # still logged in: same key, sessions in the database
    assert "Dépôts de l'Institut Ligérien" in html.unescape(page)
    assert region.pg.sql("sofi", "SELECT count(*) FROM depot_deposit")[0][0] == deposits


def test_a_database_outage_is_a_clean_page_and_the_next_request_succeeds(region):
    client = region.client()
    client.login("ilf")
    region.pg.stop()
    try:
        status, _, _, body = client.request("/sante")
        assert status == 503 and json.loads(body)["base"] == "injoignable"
        status, _, page = client.get("/depots/")
        assert status == 503 and "Service momentanément indisponible" in page
        assert "Traceback" not in page
    finally:
        region.pg.start()
    wait_until(region.pg.accepts, 60, "PostgreSQL back")
    # the first requests after recovery, on every thread of both processes, all succeed
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda port: direct(port, "/depots/", client)[0], region.ports * 4))
    assert answers == [200] * 8
    wait_until(lambda: client.request("/sante")[0] == 200, 60, "/sante healthy again")
    token = upload(client, sample_for(SIRET_A, 2))  # the workers are back too
    assert follow(client, token)["etat"] == "termine"


def test_forwarded_headers_are_ignored_without_proxy(region):
    region.untrusted = Process(
        "non-fiable", region.web_args(region.untrusted_port, trusted=False), region.folder,
        region.env,
    )  # fmt: skip
    wait_until(lambda: health(f"http://127.0.0.1:{region.untrusted_port}")[0], 90, "web answering")
    (region.folder / "nginx-2").mkdir()
    region.untrusted_nginx = Nginx(region.folder / "nginx-2", [region.untrusted_port], region.cert)
    # through a proxy it does not trust: nginx's address, plain HTTP (no HSTS), forms refused
    client = Client(region.untrusted_nginx.base, ca=region.cert[0], source="127.0.0.2")
    status, _, headers, _ = client.request("/", headers=FORGED)
    assert status == 200 and "Strict-Transport-Security" not in headers
    client.get("/connexion/")
    status, _, page = client.post("/connexion/", {"username": "ilf", "password": "x" * 12})
    assert status == 403 and "Formulaire refusé" in page
    # straight from a client that fakes its address and HTTPS: both ignored
    for port in (region.untrusted_port, region.ports[0]):
        faker = Client(f"http://127.0.0.1:{port}", source="127.0.0.2")
        status, _, headers, _ = faker.request(
            "/sante", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
        )
        assert status == 200 and "Strict-Transport-Security" not in headers
    time.sleep(0.5)
    log = region.untrusted.log()
    assert '127.0.0.1 "GET / HTTP/1.0"' in log  # nginx, as seen without --proxy
    assert '127.0.0.2 "GET /sante' in log and "203.0.113.9" not in log
    assert "203.0.113.9" not in region.web[0].log()


def test_a_backup_of_the_database_restores_every_deposit(region):
    """The README's backup: the database alone (deposits and their files are in it), plus the
    signing key; a web process on the restored copy serves the same files."""
    import hashlib

    originals = {
        receipt: sha
        for receipt, sha in region.pg.sql(
            "sofi",
            "SELECT d.receipt, f.sha256 FROM depot_deposit d JOIN depot_depositfile f "
            "ON f.deposit_id = d.id WHERE f.kind = 'classeur'",
        )
    }
    assert originals
    region.pg.backup_and_restore("sofi", "sofi_restauree")
    port = free_port()
    (region.folder / "nginx-3").mkdir()
    proxy = Nginx(region.folder / "nginx-3", [port], region.cert)
    replace = {
        **region.paths,
        "%i": str(port),
        "/var/lib/sofi-bulk": str(region.folder / "copie"),
        "depot.exemple.fr": f"localhost:{proxy.https_port}",
    }
    restored = Process(
        "restauree",
        unit_command("sofi-bulk-web@.service", replace),
        region.folder,
        {"SOFI_BULK_BASE": region.pg.url("sofi_restauree")},
    )
    try:
        wait_until(lambda: health(f"http://127.0.0.1:{port}")[0], 90, "the restored service")
        staff = Client(proxy.base, ca=region.cert[0])
        staff.login("agent")
        for pk, receipt in region.pg.sql("sofi_restauree", "SELECT id, receipt FROM depot_deposit"):
            status, _, _, body = staff.request(f"/depots/{pk}/classeur")
            assert status == 200 and hashlib.sha256(body).hexdigest() == originals[receipt]
    finally:
        restored.stop()
        proxy.stop()
