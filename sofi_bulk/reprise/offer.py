"""An offer taken back from a file, as plain rows: what every reader (LHEO, JSON submission,
earlier workbook) produces and the workbook writer fills the template with.

Each row holds, by catalogue field key, only what the source gives: a key the source does
not have takes the programme's pre-filled value (as in a fresh template), a key given as
None stays empty. Values are the source's own (a code, an ISO date, a site's code) or a
cell as typed in an earlier workbook; ``rows.py`` turns both into the cells a user would
have picked. What the source held and the workbook has no column for is counted in
``left``, never dropped in silence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sofi_bulk.core.fields import Kind
from sofi_bulk.core.referentiel import Referentiel

EXAMPLES = 3  # examples kept per element not taken
EXAMPLE_LENGTH = 60


@dataclass
class LeftOut:
    """Something of the source with no column in the workbook: where, how often, examples."""

    what: str
    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, example: Any = None) -> None:
        self.count += 1
        text = " ".join(str(example).split()) if example not in (None, "") else ""
        if text and len(self.examples) < EXAMPLES and text not in self.examples:
            cut = text if len(text) <= EXAMPLE_LENGTH else text[: EXAMPLE_LENGTH - 1] + "…"
            self.examples.append(cut)


@dataclass
class Replaced:
    """A value the programme fixes, which the source held otherwise: the template's is
    written (its column is locked), and the change is reported."""

    key: str
    old: str
    new: str
    count: int = 0


@dataclass
class TakenOffer:
    """The sessions of a source, in its order, with their informations collectives and
    périodes d'inscription (linked by « Réf. session »)."""

    name: str  # the source file's name
    kind: str  # how the report names it: « fichier LHEO 2.3 », « soumission JSON (format 3) »…
    sessions: list[dict[str, Any]] = field(default_factory=list)
    infos: list[dict[str, Any]] = field(default_factory=list)
    periodes: list[dict[str, Any]] = field(default_factory=list)
    # (kind, code) -> how the source names a référentiel object: shown when it is unknown
    names: dict[tuple[Kind, str], str] = field(default_factory=dict)
    left: dict[str, LeftOut] = field(default_factory=dict)
    establishment: str | None = None  # the SIRET of who entered the source's offer
    lots: list[str] = field(default_factory=list)  # the lots the source was made for
    referentiel: Referentiel | None = None  # the copy an earlier workbook carries

    def leave(self, what: str, example: Any = None) -> None:
        """Count one thing of the source that has no place in the workbook."""
        found = self.left.get(what)
        if found is None:
            found = self.left[what] = LeftOut(what)
        found.add(example)


@dataclass
class Section:
    """A part of the report: its heading, sentences, then a table (header and rows)."""

    heading: str
    notes: list[str]
    columns: list[str] | None = None
    rows: list[list[Any]] = field(default_factory=list)


def unique_reference(wanted: str, taken: set[str]) -> str:
    """A « Réf. session » not yet used: ``wanted``, else ``wanted-2``, ``wanted-3``…"""
    ref, n = wanted, 1
    while ref.casefold() in taken:
        n += 1
        ref = f"{wanted}-{n}"
    taken.add(ref.casefold())
    return ref
