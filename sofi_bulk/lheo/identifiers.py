"""The ``@numero`` of every formation, action, session and organisme of the LHEO file.

Importers key the offer by ``formation/@numero``, ``action/@numero`` and ``session/@numero``
(``F``, ``F|A``, ``F|A|S``) and the organismes by theirs: an element without one is lost, two
with the same one overwrite each other (docs/lheo.md §1.4). So every element gets one:

- the SOFI code when the row has one (digits only: ``19482``, ``89393``, ``143842``);
- otherwise a number made from the organisation's SIRET and the workbook's own references
  (« Réf. session », « Réf. action »), which the same workbook always gives again. It starts
  with ``SB-`` (sofi-bulk) and the kind's letter, so it can never be taken for a SOFI code;
- an organisme: its Carif-Oref number from the référentiel, else ``SB-O-`` and its SIRET.

An LHEO element that is only part of a SOFI one (an action whose sessions differ on a value
LHEO holds per action, docs/lheo.md §1.2) keeps the SOFI number for its first part; each
further part adds, to the number, the reference of its first session. A number that would
still repeat gets ``-2``, ``-3``… in document order: no two elements of a kind share one.
"""

from __future__ import annotations

import re

from sofi_bulk.core.text import fold

PREFIX = "SB"  # what every number this tool makes starts with: never a SOFI code (digits)
KINDS = {"formation": "F", "action": "A", "session": "S", "organisme": "O"}
_OTHER = re.compile(r"[^A-Z0-9._-]+")


def reference(text: str) -> str:
    """A workbook reference as a part of a number: accents and case folded, upper case, any
    run of characters but letters, digits, dots, dashes and underscores as one underscore
    (« Réf. a/1 » -> ``REF._A_1``): no space, no ``|`` (importers join numbers with it)."""
    return _OTHER.sub("_", fold(str(text)).upper()).strip("_") or "_"


def made(kind: str, *parts: str) -> str:
    """A number of this tool: ``SB-S-44198765800016-S001``."""
    return "-".join((PREFIX, KINDS[kind], *parts))


def part_of(kind: str, number: str, anchor: str) -> str:
    """The number of a further part of an element numbered ``number``: the SOFI code behind
    ``SB-A-`` (``SB-A-89393-S002``), or this tool's number followed by the reference of the
    part's first session."""
    base = made(kind, number) if number.isdigit() else number
    return f"{base}-{reference(anchor)}"


def organisme_number(organisme: dict[str, str]) -> str:
    """An organisme's number: the référentiel's (its Carif-Oref number), else ``SB-O-SIRET``."""
    return organisme.get("numero_organisme") or made("organisme", organisme.get("siret") or "_")


class Numbers:
    """Hands out the numbers of one kind, each once: a repeat gets ``-2``, ``-3``…"""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, number: str) -> str:
        unique, n = number, 1
        while unique in self.used:
            n += 1
            unique = f"{number}-{n}"
        self.used.add(unique)
        return unique
