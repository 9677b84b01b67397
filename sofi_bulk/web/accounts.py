"""Accounts made from the command line (``sofi-bulk serveur compte``): an organisation's, one
per SIRET, or the Carif-Oref staff's."""

from __future__ import annotations

from typing import Any

from sofi_bulk.core.errors import UserError
from sofi_bulk.core.text import article


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
        return (
            f"compte « {username} » créé pour {article(organisation.name)} "
            f"(SIRET {organisation.siret})."
        )
    role = "administrateur" if admin else "personnel du Carif-Oref"
    return f"compte « {username} » ({role}) créé."
