"""Which lots a template offers: the programme's lots, filtered by lot numbers or by the
SIRET of an organisation, with a French error for anything unknown; a lot's campaign year."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sofi_bulk.core.errors import UserError
from sofi_bulk.core.profile import Profile
from sofi_bulk.core.referentiel import Lot, Referentiel
from sofi_bulk.core.values import digits_code, siret_is_valid


def campaign_year(profile: Profile, lot: Lot | None) -> int:
    """The campaign a lot's sessions belong to: the lot's own year, else the programme's."""
    return lot.annee if lot is not None and lot.annee else profile.campaign_year


def expected_campaigns(today: dt.date) -> tuple[int, int]:
    """The campaigns an offer is entered for on ``today``: this year's, and next year's (the
    Région's order for next year is entered from the autumn on)."""
    return today.year, today.year + 1


def stale_lots(profile: Profile, lots: list[Lot], today: dt.date) -> list[tuple[Lot, int]]:
    """The lots whose campaign is neither ``today``'s year nor the next, with that year: a
    référentiel, or a programme's year, left from an earlier campaign."""
    expected = expected_campaigns(today)
    years = [(lot, campaign_year(profile, lot)) for lot in lots]
    return [(lot, year) for lot, year in years if year not in expected]


def select_lots(
    profile: Profile, referentiel: Referentiel, lots: list[str] | None, siret: str | None
) -> list[Lot]:
    """The lots a template offers, with a French error for an unknown lot or SIRET."""
    programme_lots = referentiel.lots_for(profile.referentiel_programme)
    known = ", ".join(lot.numero for lot in programme_lots) or "aucun"
    if siret is not None:
        clean_siret = digits_code(siret, 14)
        if clean_siret is None:
            if digits_code(siret, 9) is not None:
                raise UserError(
                    f"--siret « {siret} » : c'est un SIREN (9 chiffres) ; donnez le SIRET (14 "
                    "chiffres) "
                    "de l'établissement."
                )
            raise UserError(f"--siret « {siret} » : un SIRET a 14 chiffres.")
        if not siret_is_valid(clean_siret):
            raise UserError(
                f"--siret « {siret} » : SIRET invalide (la clé de contrôle ne correspond pas)."
            )
        if clean_siret not in referentiel.organismes:
            raise UserError(f"SIRET inconnu du référentiel : « {siret} ».")
        siret = clean_siret
    for numero in lots or []:
        lot = referentiel.find_lot(numero)
        if lot is None:
            raise UserError(
                f"Lot inconnu du référentiel : « {numero} ». Lots du programme {profile.label} : "
                f"{known}."
            )
        if not lot.in_programme(profile.referentiel_programme):
            raise UserError(
                f"Le lot « {numero} » relève du programme « {lot.programme} », "
                f"pas de « {profile.label} »."
            )
    selected = referentiel.lots_for(profile.referentiel_programme, siret, lots)
    if not selected:
        if siret and lots:
            own = (
                ", ".join(
                    lot.numero for lot in referentiel.lots_for(profile.referentiel_programme, siret)
                )
                or "aucun"
            )
            raise UserError(
                f"Le SIRET {siret} n'intervient sur aucun des lots demandés ({', '.join(lots)}) ; "
                f"ses lots : {own}."
            )
        who = f" pour le SIRET {siret}" if siret else ""
        raise UserError(f"Aucun lot du programme « {profile.label} »{who} dans le référentiel.")
    for (
        lot
    ) in selected:  # a lot without sites or contacts gives a workbook that can never be filled
        for what, found in (
            ("site", referentiel.sites_for(lot)),
            ("contact", referentiel.contacts_for(lot)),
        ):
            if not found:
                raise UserError(
                    f"Référentiel {Path(referentiel.source).name} : le lot {lot.numero} n'a aucun "
                    f"{what} "
                    f"(feuille « {what}s », SIRET {', '.join(lot.sirets)}) ; complétez le "
                    "référentiel."
                )
    return selected
