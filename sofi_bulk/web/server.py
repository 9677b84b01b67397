"""Start the service and manage its accounts: what ``sofi-bulk serveur`` calls.

``configure`` sets the environment the settings read, then starts Django; ``serve`` runs
the WSGI application with waitress (pure Python, Linux and Windows alike), one process
with several threads, which is what the in-memory check jobs need.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any

from sofi_bulk.core.errors import UserError

SECRET_FILE = "cle-secrete.txt"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def secret_key(data_dir: Path) -> str:
    """The signing key kept in the data folder (created once, readable by its owner only), so
    that sessions survive a restart."""
    path = data_dir / SECRET_FILE
    if path.is_file():
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
    key = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key + "\n")
    return key


def configure(
    data_dir: Path,
    *,
    database_url: str | None = None,
    referentiel: str | None = None,
    https: bool = True,
    hosts: list[str] | None = None,
    max_upload_mb: float | None = None,
) -> None:
    """Set the environment for the settings, then start Django."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{data_dir} : dossier de données impossible à créer ({exc}).") from exc
    if referentiel is not None:
        from sofi_bulk import api

        api.load_referentiel(referentiel)  # a bad référentiel stops here, in French
        os.environ["SOFI_WEB_REFERENTIEL"] = str(Path(referentiel).resolve())
    os.environ["SOFI_WEB_DATA_DIR"] = str(data_dir.resolve())
    os.environ.setdefault("SOFI_WEB_SECRET_KEY", secret_key(data_dir))
    if database_url:
        os.environ["SOFI_WEB_DATABASE_URL"] = database_url
    os.environ["SOFI_WEB_HTTPS"] = "1" if https else "0"
    if hosts:
        os.environ["SOFI_WEB_ALLOWED_HOSTS"] = ",".join(hosts)
    if max_upload_mb is not None:
        os.environ["SOFI_WEB_MAX_UPLOAD_MB"] = str(max_upload_mb)
    os.environ["DJANGO_SETTINGS_MODULE"] = "sofi_bulk.web.settings"
    import django

    django.setup()


def migrate() -> None:
    """Bring the database schema up to date (Django migrations)."""
    from django.core.management import call_command
    from django.db.utils import Error

    try:
        call_command("migrate", interactive=False, verbosity=0)
    except Error as exc:
        raise UserError(database_message(exc)) from exc


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


def serve(host: str, port: int, threads: int) -> None:
    from django.conf import settings
    from waitress import serve as waitress_serve

    from sofi_bulk.web.wsgi import application

    waitress_serve(
        application,
        host=host,
        port=port,
        threads=threads,
        ident="sofi-bulk",
        max_request_body_size=settings.MAX_UPLOAD_BYTES * 2 + 1024 * 1024,
        channel_timeout=300,
    )


def create_account(
    username: str,
    password: str,
    *,
    siret: str | None = None,
    name: str | None = None,
    staff: bool = False,
    admin: bool = False,
) -> str:
    """An organisation account (``siret``) or a staff account; returns a French summary."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from sofi_bulk.web.models import Account, Organisation, validate_siret

    model: Any = get_user_model()
    username = username.strip()
    if not username:
        raise UserError("l'identifiant est vide.")
    if model.objects.filter(username=username).exists():
        raise UserError(
            f"l'identifiant « {username} » existe déjà ; choisissez-en un autre (ou changez son "
            "mot de passe dans l'administration, /admin/)."
        )
    user = model(username=username, is_staff=staff or admin, is_superuser=admin)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise UserError("mot de passe refusé : " + " ".join(exc.messages)) from exc
    with transaction.atomic():
        organisation = None
        if siret is not None:
            siret = "".join(siret.split())
            try:
                validate_siret(siret)
            except ValidationError as exc:
                raise UserError(" ".join(exc.messages)) from exc
            organisation = Organisation.objects.filter(siret=siret).first()
            if organisation is None:
                if not name:
                    raise UserError(
                        f"l'organisme {siret} n'existe pas encore : donnez son nom avec --nom."
                    )
                organisation = Organisation.objects.create(siret=siret, name=name.strip())
        user.set_password(password)
        user.save()
        if organisation is not None:
            Account.objects.create(user=user, organisation=organisation)
    if organisation is not None:
        return f"compte « {username} » créé pour {organisation.name} (SIRET {organisation.siret})."
    role = "administrateur" if admin else "personnel du Carif-Oref"
    return f"compte « {username} » ({role}) créé."
