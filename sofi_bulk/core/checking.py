"""What a rule is, and what every rule of a check is given.

A rule declares what it checks (in French, for ``docs/regles.md``), the issue codes it may
emit and the fields it reads; ``core/rules.py`` lists them all, in the order they run.
Rules that read cells one at a time run while a sheet is read (``validate.py``,
``parse.py``); the others are functions of one argument, the ``Checking`` of a workbook:
resolution rules turn what was typed into what it stands for (a lot, a site's code, a
SIRET, a session), then check rules read those values and never change them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sofi_bulk.core.fields import BY_KEY, INFOS_SHEET, PERIODES_SHEET, SESSIONS_SHEET, Kind
from sofi_bulk.core.issues import make_issue
from sofi_bulk.core.records import Record, ValidationResult
from sofi_bulk.core.referentiel import Lot

_MISSING: Any = object()


class Stage(StrEnum):
    STRUCTURE = "structure"  # the sheets and columns found, the workbook's stamp
    CELL = "cellule"  # one cell at a time, while its sheet is read
    RESOLUTION = "résolution"  # what a typed value stands for; the only rules that write
    CHECK = "contrôle"  # across fields, rows and sheets: reads values, never changes one


@dataclass(frozen=True)
class Rule:
    """One rule of the check. ``run`` is None for a rule applied while the sheets are read
    (``where`` names the module); ``refuses`` are the codes whose issue makes the field
    unusable for the rules that follow (they skip a value already refused);
    ``profile_reads`` names a section of the profile whose fields the rule reads too."""

    name: str
    description: str
    stage: Stage
    codes: tuple[str, ...]
    reads: tuple[str, ...] = ()
    run: Callable[[Checking], None] | None = None
    where: str = ""
    refuses: tuple[str, ...] = ()
    profile_reads: str | None = None
    kinds: tuple[Kind, ...] = ()  # a cell rule: it reads the fields of these kinds

    @property
    def module(self) -> str:
        """Where the rule is written (its module's file name)."""
        if self.where:
            return self.where
        assert self.run is not None
        return self.run.__module__.rpartition(".")[2] + ".py"


def field_issue(code: str, rec: Record, key: str, cell: str | None, **params: Any) -> Any:
    """The issue of one field of a row (the column's header in the message)."""
    return make_issue(
        code, rec.sheet, cell, row=rec.row, field=key, col=BY_KEY[key].header, **params
    )


class Checking:
    """One check of a workbook as its rules share it: the records, the profile, the
    référentiel, what the resolution rules found, and ``add`` to report an issue."""

    def __init__(self, result: ValidationResult, refusing: frozenset[str]) -> None:
        self.result = result
        self.profile = result.profile
        self.ref = result.referentiel
        self.today = result.today  # the check's date, given by the face
        self.issues = result.issues
        self.sessions = result.sessions
        self.refusing = refusing
        # each sheet's rows by the catalogue's name of the sheet
        self.rows: dict[str, list[Record]] = {
            SESSIONS_SHEET: result.sessions,
            INFOS_SHEET: result.infos,
            PERIODES_SHEET: result.periodes,
        }
        # found by the resolution rules: the lot of each session (None when none is usable),
        # the sessions by folded Réf. session (the first of a reference), and the session of
        # each row of a child sheet
        self.lots: list[Lot | None] = [None] * len(result.sessions)
        self.by_ref: dict[str, Record] = {}
        self.by_typed_ref: dict[Any, Record] = {}  # the same, by the reference as typed
        self.parents: dict[str, list[Record | None]] = {
            INFOS_SHEET: [None] * len(result.infos),
            PERIODES_SHEET: [None] * len(result.periodes),
        }
        self._lots: dict[str, Lot | None] = {}  # typed lot -> référentiel lot (memo)

    def add(self, code: str, rec: Record, key: str, **params: Any) -> None:
        """Report an issue on ``key``'s cell of ``rec``; a refusing code makes the field
        unusable for the rules that follow."""
        self.issues.append(field_issue(code, rec, key, rec.cells.get(key), **params))
        if code in self.refusing:
            rec.unusable.add(key)

    def find_lot(self, numero: str) -> Lot | None:
        """The référentiel's lot of a typed number, looked up once per distinct number."""
        lot = self._lots.get(numero, _MISSING)
        if lot is _MISSING:
            lot = self._lots[numero] = self.ref.find_lot(numero)
        return lot


def usable(rec: Record, *keys: str) -> bool:
    """Every field has a value that no issue refused (rules skip what another flags)."""
    values, unusable = rec.values, rec.unusable
    for k in keys:  # noqa: SIM110 - a loop: all() over a generator costs twice as much here
        if values.get(k) is None or k in unusable:
            return False
    return True
