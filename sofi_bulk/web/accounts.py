"""Accounts made from the command line: one by one (``sofi-bulk serveur compte``: an
organisation's, one per SIRET, or the Carif-Oref staff's), or a whole region's from one CSV
file (``sofi-bulk serveur comptes importer``). An account made without a password receives
an invitation by e-mail to choose it (``sofi_bulk.web.passwords``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sofi_bulk.core.errors import UserError
from sofi_bulk.core.text import article, clean, de, fold, plural

# the import's columns, by their folded header (case, accents and spaces aside)
COLUMNS = {
    "siret": ("siret", "numero siret", "n° siret", "siret de l'etablissement"),
    "name": ("nom", "nom de l'organisme", "organisme", "raison sociale", "denomination"),
    "email": (
        "e-mail",
        "email",
        "courriel",
        "mail",
        "adresse e-mail",
        "adresse email",
        "adresse mail",
        "adresse electronique",
    ),
    "username": ("identifiant", "nom d'utilisateur", "utilisateur", "login"),
}
REQUIRED = ("siret", "name", "email")
HEADERS = {"siret": "SIRET", "name": "Nom", "email": "E-mail", "username": "Identifiant"}


def _check_siret(siret: str) -> str:
    """The SIRET without its spaces; ``UserError`` saying why it is refused."""
    from django.core.exceptions import ValidationError

    from sofi_bulk.web.models import validate_siret

    compact = "".join(siret.split())
    try:
        validate_siret(compact)
    except ValidationError as exc:
        reason = " ".join(exc.messages).rstrip(".")
        if "e+" in compact.casefold():
            reason += (
                " : le tableur l'a écrit en notation scientifique ; mettez la colonne au format "
                "Texte avant d'enregistrer le CSV"
            )
        raise UserError(reason) from exc
    return compact


def _check_email(email: str) -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    email = clean(email)
    try:
        validate_email(email)
    except ValidationError:
        raise UserError(f"adresse e-mail « {email} » invalide") from None
    return email


def _check_username(username: str) -> str:
    from django.contrib.auth.validators import UnicodeUsernameValidator
    from django.core.exceptions import ValidationError

    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise UserError(
            f"identifiant « {username} » refusé (lettres, chiffres et @ . + - _ seulement, "
            "sans espace)"
        ) from None
    if len(username) > 150:
        raise UserError(f"identifiant « {username[:20]}… » trop long (150 caractères au plus)")
    return username


def send_messages(messages: list[Any]) -> str | None:
    """Send the e-mails over one connection; None, or why they could not be sent."""
    if not messages:
        return None
    from django.core.mail import get_connection

    try:
        with get_connection() as connection:
            connection.send_messages(messages)
    except OSError as exc:  # smtplib's errors are OSErrors, as are a refused connection's
        return f"envoi des e-mails impossible ({exc})"
    return None


def create_account(
    username: str,
    password: str | None,
    *,
    siret: str | None = None,
    name: str | None = None,
    email: str | None = None,
    staff: bool = False,
    admin: bool = False,
    site: str | None = None,
) -> str:
    """An organisation account (``siret``) or a staff account; returns a French summary.
    Without a password, an invitation goes to ``email`` to choose one."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from sofi_bulk.web.models import Account, Organisation

    model: Any = get_user_model()
    username = username.strip()
    if not username:
        raise UserError("l'identifiant est vide.")
    if model.objects.filter(username=username).exists():
        raise UserError(
            f"l'identifiant « {username} » existe déjà ; choisissez-en un autre (ou changez son "
            "mot de passe dans l'administration, /admin/)."
        )
    if email is not None:
        email = _check_email(email)
    if password is None and not email:
        raise UserError("une invitation demande l'adresse e-mail du compte (--courriel).")
    user = model(username=username, email=email or "", is_staff=staff or admin, is_superuser=admin)
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise UserError("mot de passe refusé : " + " ".join(exc.messages)) from exc
    with transaction.atomic():
        organisation = None
        if siret is not None:
            siret = _check_siret(siret)
            organisation = Organisation.objects.filter(siret=siret).first()
            if organisation is None:
                if not name:
                    raise UserError(
                        f"l'organisme {siret} n'existe pas encore : donnez son nom avec --nom."
                    )
                organisation = Organisation.objects.create(siret=siret, name=clean(name))
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save()
        if organisation is not None:
            Account.objects.create(user=user, organisation=organisation)
    if organisation is not None:
        done = (
            f"compte « {username} » créé pour {article(organisation.name)} "
            f"(SIRET {organisation.siret})"
        )
    else:
        role = "administrateur" if admin else "personnel du Carif-Oref"
        done = f"compte « {username} » ({role}) créé"
    if password is not None:
        return done + "."
    from sofi_bulk.web.passwords import invitation_message, site_address

    failed = send_messages([invitation_message(user, site_address(site))])
    if failed:
        return (
            f"{done}, mais l'invitation n'est pas partie : {failed}. Une fois l'envoi rétabli, "
            "« Mot de passe oublié ? » sur la page de connexion en envoie une."
        )
    return f"{done} ; invitation envoyée à {email}."


# --- a whole region's accounts from one file --------------------------------------------------
@dataclass
class ImportResult:
    """What an import did, one French line per row of the file, and its counts."""

    lines: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    invitations: int = 0
    unsent: str | None = None

    def summary(self) -> str:
        parts = [
            plural(self.created, "compte créé", "comptes créés"),
            plural(self.updated, "mis à jour", "mis à jour"),
            plural(self.unchanged, "inchangé"),
            plural(self.refused, "ligne refusée", "lignes refusées"),
        ]
        said = ", ".join(parts) + "."
        if self.invitations and not self.unsent:
            said += f" {plural(self.invitations, 'invitation envoyée', 'invitations envoyées')}."
        return said


def _columns(header: list[str], where: str) -> dict[str, int]:
    """Which column holds what, from the file's first line; ``UserError`` naming what lacks."""
    known = {fold(name): key for key, names in COLUMNS.items() for name in names}
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        key = known.get(fold(title))
        if key is not None and key not in found:
            found[key] = index
    missing = [HEADERS[key] for key in REQUIRED if key not in found]
    if missing:
        raise UserError(
            f"{where} : {'colonne absente' if len(missing) == 1 else 'colonnes absentes'} de la "
            f"première ligne : {', '.join(missing)}. La première ligne nomme les colonnes : "
            "SIRET, Nom, E-mail, et Identifiant si vous le choisissez (par défaut : le SIRET)."
        )
    return found


def import_accounts(
    path: str | Path,
    *,
    invite: bool = True,
    reinvite: bool = False,
    site: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportResult:
    """Create or update an organisation account for each row of a CSV file (SIRET, name,
    e-mail, optional user name: the SIRET by default). A row is refused, with its reason, for
    a SIRET already on an earlier row, a bad SIRET (14 digits, Luhn key), a bad e-mail or a
    user name taken by another organisation or the staff; the others are kept, each in its
    own transaction. Importing the same file again changes nothing. A created account has no
    password: an invitation goes to its e-mail (``invite``), and ``reinvite`` sends one again
    to the accounts of the file that have not chosen theirs yet."""
    from sofi_bulk import api

    rows = api.read_csv(path)
    where = str(path)
    if not rows:
        raise UserError(
            f"{where} : fichier vide (une ligne de titres, puis un organisme par ligne)."
        )
    columns = _columns(rows[0], where)
    result = ImportResult()
    say = progress or (lambda line: None)
    seen_sirets: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    to_invite: list[Any] = []

    def cell(row: list[str], key: str) -> str:
        index = columns.get(key)
        return clean(row[index]) if index is not None and index < len(row) else ""

    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        try:
            line, user, kind = _import_row(
                {key: cell(row, key) for key in COLUMNS}, number, seen_sirets, seen_names
            )
        except UserError as exc:
            result.refused += 1
            line = f"ligne {number} : refusé : {exc}."
        else:
            setattr(result, kind, getattr(result, kind) + 1)
            if user is not None and (
                (kind == "created" and invite) or (reinvite and not user.has_usable_password())
            ):
                to_invite.append(user)
                line += f" ; invitation à {user.email}"
            line += "."
        result.lines.append(line)
        say(line)
    if to_invite:
        from sofi_bulk.web.passwords import invitation_message, site_address

        address = site_address(site)
        result.unsent = send_messages([invitation_message(user, address) for user in to_invite])
        result.invitations = len(to_invite)
    return result


def _import_row(
    values: dict[str, str], number: int, seen_sirets: dict[str, int], seen_names: dict[str, int]
) -> tuple[str, Any, str]:
    """One row: (its line without the final stop, the account, created/updated/unchanged)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from sofi_bulk.web.models import Account, Organisation

    if not values["siret"]:
        raise UserError("SIRET manquant")
    siret = _check_siret(values["siret"])
    if siret in seen_sirets:
        raise UserError(f"doublon : le SIRET {siret} est déjà sur la ligne {seen_sirets[siret]}")
    seen_sirets[siret] = number
    name = values["name"]
    if not name:
        raise UserError(f"nom de l'organisme manquant (SIRET {siret})")
    if len(name) > 200:
        raise UserError(f"nom de l'organisme trop long (SIRET {siret}, 200 caractères au plus)")
    if not values["email"]:
        raise UserError(f"adresse e-mail manquante (SIRET {siret})")
    email = _check_email(values["email"])
    chosen = _check_username(values["username"]) if values["username"] else None
    if chosen is not None:
        if chosen in seen_names:
            raise UserError(
                f"doublon : l'identifiant « {chosen} » est déjà sur la ligne {seen_names[chosen]}"
            )
        seen_names[chosen] = number

    model: Any = get_user_model()
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().filter(siret=siret).first()
        user = None
        if chosen is not None:
            user = model.objects.filter(username=chosen).select_related("account").first()
            if user is not None:
                account = getattr(user, "account", None)
                if account is None:
                    raise UserError(
                        f"l'identifiant « {chosen} » est celui d'un compte du personnel"
                    )
                if account.organisation.siret != siret:
                    raise UserError(
                        f"l'identifiant « {chosen} » est déjà celui d'un autre organisme "
                        f"(SIRET {account.organisation.siret})"
                    )
        elif organisation is not None:
            accounts = list(organisation.accounts.select_related("user"))
            named = [a for a in accounts if a.user.username == siret]
            if len(accounts) == 1 or named:
                user = (named or accounts)[0].user
            elif accounts:
                raise UserError(
                    f"l'organisme {siret} a {len(accounts)} comptes : donnez l'identifiant de "
                    "celui à mettre à jour (colonne Identifiant)"
                )
        username = chosen or (user.username if user is not None else siret)
        if user is None and model.objects.filter(username=username).exists():
            raise UserError(f"l'identifiant « {username} » est déjà pris par un autre compte")
        changes = []
        if organisation is None:
            organisation = Organisation.objects.create(siret=siret, name=name)
        elif organisation.name != name:
            changes.append(f"nom : {organisation.name} → {name}")
            organisation.name = name
            organisation.save(update_fields=["name"])
        who = f"compte « {username} » {de(name)} (SIRET {siret})"
        if user is None:
            user = model(username=username, email=email)
            user.set_unusable_password()
            user.save()
            Account.objects.create(user=user, organisation=organisation)
            return f"ligne {number} : créé : {who}, {email}", user, "created"
        if user.email != email:
            changes.append(f"e-mail : {user.email or '(aucun)'} → {email}")
            user.email = email
            user.save(update_fields=["email"])
    if changes:
        return f"ligne {number} : mis à jour : {who} ({' ; '.join(changes)})", user, "updated"
    return f"ligne {number} : inchangé : {who}", user, "unchanged"
