"""Start the service's processes: what ``sofi-bulk serveur`` and ``sofi-bulk travailleur`` call.

``configure`` sets the environment the settings read (the worker processes inherit it),
creates the data folder (0700) and the SQLite file (0600), then starts Django. ``migrate``
brings the schema up to date once, however many processes start together: under
PostgreSQL's advisory lock, or a lock file beside the SQLite database. ``listen`` takes the
port (a port in use is one French line), ``run`` serves with waitress (pure Python, Linux
and Windows alike) while a ``WorkerPool`` runs the worker processes, restarts one that dies,
and stops them when the server stops.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sofi_bulk.core.errors import UserError, os_reason

log = logging.getLogger("sofi_bulk.service")

SECRET_FILE = "cle-secrete.txt"
DATABASE_FILE = "sofi-bulk.sqlite3"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
MIGRATION_LOCK = 0x50F1B01C  # PostgreSQL advisory lock key: « sofi-bulk migrations »
EXAMPLE = "exemple"  # --referentiel exemple: the bundled example référentiel


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _private_file(path: Path, content: str | None = None) -> None:
    """Create ``path`` readable by its owner only (never replacing one that exists)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        if content is not None:
            fh.write(content)


def secret_key(data_dir: Path) -> str:
    """The signing key kept in the data folder (created once, readable by its owner only), so
    that sessions survive a restart."""
    path = data_dir / SECRET_FILE
    if not path.is_file() or not path.read_text(encoding="utf-8").strip():
        path.unlink(missing_ok=True)
        _private_file(path, secrets.token_urlsafe(50) + "\n")
    return path.read_text(encoding="utf-8").strip()


def key_from(path: Path) -> str:
    """The signing key shared by every machine of the service, from the file --cle names."""
    try:
        key = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UserError(f"{path} : clé de signature illisible ({os_reason(exc)}).") from exc
    if len(key) < 32:
        raise UserError(
            f"{path} : la clé de signature doit faire au moins 32 caractères (par exemple : "
            'python -c "import secrets; print(secrets.token_urlsafe(50))" > cle-secrete.txt).'
        )
    return key


def _check_database_url(url: str) -> None:
    """A PostgreSQL address the settings can read, or one French line (a password holding
    « # » or « / » breaks the address: it is written encoded)."""
    import dj_database_url

    hint = (
        "attendu : postgresql://utilisateur:motdepasse@machine:5432/base, les caractères @ : / "
        "# % ? d'un mot de passe encodés (%40 %3A %2F %23 %25 %3F)."
    )
    try:
        config = dj_database_url.parse(url)
    except Exception:
        raise UserError(f"--base : adresse de base de données illisible ; {hint}") from None
    if "postgresql" not in config.get("ENGINE", "") or not config.get("NAME"):
        raise UserError(f"--base : pas une adresse de base PostgreSQL ; {hint}")


def configure(
    data_dir: Path,
    *,
    database_url: str | None = None,
    referentiel: str | None = None,
    https: bool = True,
    hosts: list[str] | None = None,
    public_names: list[str] | None = None,
    proxies: list[str] | None = None,
    key_file: Path | None = None,
    max_upload_mb: float | None = None,
    web: bool = True,
) -> None:
    """Set the environment for the settings, then start Django. ``web=False`` (workers):
    no signing key is needed."""
    try:
        created = not data_dir.exists()
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if created:
            data_dir.chmod(0o700)
        if not database_url:
            _private_file(data_dir / DATABASE_FILE)
    except OSError as exc:
        raise UserError(
            f"{data_dir} : dossier de données impossible à créer ({os_reason(exc)})."
        ) from exc
    if referentiel is not None:
        from sofi_bulk import api

        if referentiel == EXAMPLE and not Path(referentiel).exists():
            referentiel = str(api.example_referentiel())  # the trial's: fictitious data
        api.load_referentiel(referentiel)  # a bad référentiel stops here, in French
        os.environ["SOFI_WEB_REFERENTIEL"] = str(Path(referentiel).resolve())
    if proxies:
        from sofi_bulk.service.http import proxy_networks

        for proxy in proxies:
            try:
                proxy_networks([proxy])
            except ValueError:
                raise UserError(
                    f"--proxy {proxy} : ni une adresse IP, ni un réseau (par exemple 10.0.0.5 "
                    "ou 10.0.0.0/24)."
                ) from None
        os.environ["SOFI_WEB_PROXIES"] = ",".join(proxies)
    os.environ["SOFI_WEB_DATA_DIR"] = str(data_dir.resolve())
    if key_file is not None:
        os.environ["SOFI_WEB_SECRET_KEY"] = key_from(key_file)
    elif web:
        os.environ.setdefault("SOFI_WEB_SECRET_KEY", secret_key(data_dir))
    if database_url:
        _check_database_url(database_url)
        os.environ["SOFI_WEB_DATABASE_URL"] = database_url
    os.environ["SOFI_WEB_HTTPS"] = "1" if https else "0"
    if hosts:
        os.environ["SOFI_WEB_ALLOWED_HOSTS"] = ",".join(hosts)
    if public_names:
        os.environ["SOFI_WEB_PUBLIC_NAMES"] = ",".join(public_names)
    if max_upload_mb is not None:
        os.environ["SOFI_WEB_MAX_UPLOAD_MB"] = str(max_upload_mb)
    os.environ["DJANGO_SETTINGS_MODULE"] = "sofi_bulk.service.settings"
    import django

    django.setup()


@contextmanager
def _migration_lock() -> Iterator[None]:
    """One process migrates at a time; the others wait, then find nothing to do."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK])
    else:
        from filelock import FileLock

        name = Path(settings.DATABASES["default"]["NAME"])
        with FileLock(str(name.with_name(name.name + ".verrou")), mode=0o600):
            yield


def migrate() -> str | None:
    """Bring the database schema up to date (Django migrations), once; then put the file of
    ``--referentiel`` in service if its content never was (``sofi_bulk.web.referentiels``):
    a French line saying which référentiel is in service, or None without --referentiel."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db.utils import Error

    try:
        with _migration_lock():
            call_command("migrate", interactive=False, verbosity=0)
            if settings.REFERENTIEL:
                from sofi_bulk.web.referentiels import install_at_startup

                return install_at_startup(settings.REFERENTIEL)
    except Error as exc:
        raise UserError(database_message(exc)) from exc
    return None


def referentiel_line() -> str:
    """What the service checks deposits against, said at startup without --referentiel."""
    from sofi_bulk.web.referentiels import in_service

    current = in_service()
    if current is not None:
        return f"Référentiel en service : {current.name} ({current.fingerprint})."
    return (
        "Aucun référentiel de la Région : les contrôles utilisent la copie que porte chaque "
        "classeur (non vérifiée), le modèle proposé le référentiel d'exemple, et les dépôts "
        "sont fermés. Pour les ouvrir : --referentiel FICHIER (ou --referentiel exemple pour "
        "un essai), ou la page « Référentiel » du personnel."
    )


def database_message(exc: Exception) -> str:
    from django.conf import settings

    where = settings.DATABASES["default"]
    name = where.get("HOST") or where.get("NAME")
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"base de données {name} injoignable ou inutilisable ({first}). Vérifiez l'adresse "
        "donnée par --base (postgresql://utilisateur:motdepasse@hôte:5432/base) et que le "
        "serveur de base de données tourne."
    )


def listen(host: str, port: int, threads: int) -> Any:
    """The waitress server, its port taken (not serving yet)."""
    from django.conf import settings
    from waitress import create_server

    from sofi_bulk.service.wsgi import application

    try:
        return create_server(
            application,
            host=host,
            port=port,
            threads=threads,
            ident="sofi-bulk",
            max_request_body_size=settings.MAX_UPLOAD_BYTES * 2 + 1024 * 1024,
            channel_timeout=300,
            recv_bytes=65536,  # an upload in 64 Kio reads, not 8 Kio ones: fewer loop turns
            clear_untrusted_proxy_headers=False,  # sofi_bulk.service.http decides
        )
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE)):
            raise UserError(
                f"le port {port} est déjà utilisé sur {host} (un autre programme, ou sofi-bulk "
                "déjà lancé) : arrêtez-le, ou choisissez un autre port avec --port."
            ) from exc
        raise UserError(f"impossible d'écouter sur {host}:{port} ({os_reason(exc)}).") from exc


class WorkerPool:
    """The worker processes of this machine (``python -m sofi_bulk.service.worker``, in the
    environment ``configure`` set). A worker that dies is started again; ``stop`` closes
    their standard input, on which they give back their tasks and leave."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.processes: list[subprocess.Popen[bytes]] = []
        self.started: list[float] = []
        self.failures: list[int] = []
        self.stopping = threading.Event()

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "sofi_bulk.service.worker"],
            stdin=subprocess.PIPE,
            env={**os.environ, "SOFI_WEB_ROLE": "travailleur"},
        )

    def start(self) -> None:
        for _ in range(self.count):
            self.processes.append(self._spawn())
            self.started.append(time.monotonic())
            self.failures.append(0)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def watch(self) -> None:
        """Until ``stop``: start again the workers that ended (waiting longer for one that
        keeps ending at once, e.g. with the database away)."""
        while not self.stopping.wait(1):
            for i, process in enumerate(self.processes):
                code = process.poll()
                if code is None or self.stopping.is_set():
                    continue
                quick = time.monotonic() - self.started[i] < 10
                self.failures[i] = self.failures[i] + 1 if quick else 0
                delay = min(30, 2 ** self.failures[i]) if quick else 0
                log.warning(
                    "processus de contrôle %d arrêté (code %s) : relancé%s",
                    process.pid,
                    code,
                    f" dans {delay} s" if delay else "",
                )
                if self.stopping.wait(delay):
                    return
                self.processes[i] = self._spawn()
                self.started[i] = time.monotonic()

    def stop(self, timeout: float = 20) -> None:
        """Ask every worker to stop, wait for them, then end those that did not."""
        self.stopping.set()
        for process in self.processes:
            if process.stdin is not None:
                with suppress(OSError):
                    process.stdin.close()
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def run(server: Any, pool: WorkerPool) -> None:
    """Serve until interrupted (Ctrl+C, or SIGTERM from systemd: both a normal end), then
    stop the workers."""
    import signal

    def interrupted(signum: int, frame: Any) -> None:
        raise SystemExit(0)  # systemd's stop: a normal end, workers stopped in ``finally``

    signal.signal(signal.SIGTERM, interrupted)
    watcher = threading.Thread(target=pool.watch, name="sofi-travailleurs", daemon=True)
    watcher.start()
    try:
        server.run()
    finally:
        pool.stop()
        server.close()


def run_workers(pool: WorkerPool) -> None:
    """``sofi-bulk travailleur``: the workers alone, until interrupted."""
    import signal

    def interrupted(signum: int, frame: Any) -> None:
        raise SystemExit(0)  # systemd's stop: a normal end, workers stopped in ``finally``

    signal.signal(signal.SIGTERM, interrupted)
    try:
        pool.watch()
    except (KeyboardInterrupt, SystemExit):  # Ctrl+C, SIGTERM: a normal end, as for waitress
        pass
    finally:
        pool.stop()


def create_account(**kwargs: Any) -> str:
    """``sofi-bulk serveur compte``: see ``sofi_bulk.web.accounts``."""
    from sofi_bulk.web.accounts import create_account as create

    return create(**kwargs)


def import_accounts(path: Path, **kwargs: Any) -> Any:
    """``sofi-bulk serveur comptes importer``: see ``sofi_bulk.web.accounts``."""
    from sofi_bulk.web.accounts import import_accounts as run_import

    return run_import(path, **kwargs)
