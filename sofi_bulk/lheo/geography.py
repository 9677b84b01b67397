"""Département and région of a French address, from the INSEE's tables (``cog/``).

LHEO readers file an organisation under ``adresse/region`` and show ``adresse/departement``
(docs/lheo.md §1.5): both are derived here from the postcode, or from the commune's INSEE
code when the référentiel gives it (a commune table settles what a postcode cannot: the
Corsican postcodes on both sides of 20200, Saint-Barthélemy's 97133). The tables are facts
kept as data, with their source (``cog/SOURCE.md``).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

COG = Path(__file__).resolve().parent / "cog"
COUNTRY = "FR"  # ISO 3166-1 code of France, LHEO adresse/pays
_CORSICA_SPLIT = 20200  # postcodes below: Corse-du-Sud (2A); from it: Haute-Corse (2B)


def _table(name: str) -> list[dict[str, str]]:
    with (COG / name).open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@cache
def departements() -> dict[str, str]:
    """Département code -> its région's code (101 départements)."""
    return {row["DEP"]: row["REG"] for row in _table("departements.csv")}


@cache
def regions() -> dict[str, str]:
    """Région code -> its name (18 régions)."""
    return {row["REG"]: row["LIBELLE"] for row in _table("regions.csv")}


@cache
def overseas_collectivities() -> dict[str, str]:
    """Code of a collectivité d'outre-mer -> its name (no région)."""
    return {row["COMER"]: row["LIBELLE"] for row in _table("collectivites-outre-mer.csv")}


def _known(code: str) -> str | None:
    return code if code in departements() or code in overseas_collectivities() else None


@cache
def departement_of(postcode: str | None, insee: str | None = None) -> str | None:
    """The département (or overseas collectivity) of an address: from the commune's INSEE
    code when given, else from the postcode; None when neither tells (a foreign or
    malformed code)."""
    if insee and len(insee) == 5:
        head = insee[:3] if insee[:2] in ("97", "98") else insee[:2]
        found = _known(head.upper())
        if found:
            return found
    if not postcode or len(postcode) != 5 or not postcode.isdigit():
        return None
    if postcode.startswith("20"):
        return "2A" if int(postcode) < _CORSICA_SPLIT else "2B"
    if postcode[:2] in ("97", "98"):
        return _known(postcode[:3])
    return _known(postcode[:2])


def region_of(departement: str | None) -> str | None:
    """The INSEE code of a département's région (52 for Pays de la Loire); None for an
    overseas collectivity, which belongs to none."""
    return departements().get(departement or "")
