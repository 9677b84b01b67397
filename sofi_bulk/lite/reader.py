"""Read the open workbook the way xlwings Lite hands it over, into plain rows for the checks.

Lite sends raw cell values as JSON: text, numbers, booleans, "" for an empty cell, Excel
errors as their text (``#DIV/0!``) and date or time cells as ISO strings
(``2025-02-10T00:00:00.000Z``; a time alone is a date on Excel's day zero, 1899-12-30).
xlwings' own ``.value`` conversion is not used: in 0.37.8 it turns errors into blanks and
crashes on text that merely looks like an ISO datetime. Only the sheets the check needs
are read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from sofi_bulk import api
from sofi_bulk.api import FormulaError, Rows, WorkbookInput
from sofi_bulk.core.errors import WorkbookError
from sofi_bulk.core.layout import DATA_SHEETS, ERRORS_SHEET, META_SHEET, STATUS_UNLOCKED
from sofi_bulk.core.text import fold

# what the check reads; the names given to Lite's @script(include=...)
SHEETS = [*DATA_SHEETS, META_SHEET, ERRORS_SHEET]

# Excel's error values, as Office.js sends them (English) and as a French Excel shows them
ERROR_VALUES = frozenset(
    {
        "#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#DATA!",
        "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!",
        "#UNKNOWN!", "#PYTHON!", "#NOM?", "#VALEUR!", "#NOMBRE!", "#NUL!", "#PROPAGATION!",
        "#CHAMP!", "#BLOQUÉ!", "#CONNEXION!", "#OCCUPÉ!", "#INCONNU!",
    }
)  # fmt: skip
ISO_DATETIME = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$")
EXCEL_DAY_ZERO = dt.date(1899, 12, 30)


def cell_value(raw: Any) -> Any:
    """One cell as the core expects it (what python-calamine would give for the same cell)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        if raw in ERROR_VALUES:
            return FormulaError(raw)
        match = ISO_DATETIME.match(raw)
        if match:
            year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
            fraction = match.group(7)
            micro = round(float(fraction) * 1_000_000) if fraction else 0
            try:
                value = dt.datetime(year, month, day, hour, minute, second, min(micro, 999_999))
            except ValueError:
                return raw  # text shaped like a date but impossible: leave it to the checks
            if value.date() == EXCEL_DAY_ZERO:
                return value.time()  # a time-only cell
            return value
    return raw


def sheet_rows(
    values: Any, first_row: int = 1, first_column: int = 1, *, convert: bool = True
) -> Rows:
    """A sheet's values as rows anchored at A1, whatever shape Lite gave them; ``convert``
    False keeps text as text (the tool's own ``_meta``)."""
    if not isinstance(values, list | tuple):
        values = [[values]]
    elif values and not isinstance(values[0], list | tuple):
        values = [values]  # a single row
    pad = [None] * (first_column - 1)
    rows: Rows = [[] for _ in range(first_row - 1)]
    read = cell_value if convert else (lambda v: None if v is None or v == "" else v)
    rows.extend(pad + [read(v) for v in row] for row in values)
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    return rows


def find_sheet(names: Iterable[str], wanted: str) -> str | None:
    return next((name for name in names if fold(name) == fold(wanted)), None)


def read_book(book: Any) -> WorkbookInput:
    """The sheets of an xlwings ``Book`` that the check needs, as a ``WorkbookInput``.

    Refuses (``WorkbookError``, French) what Lite must not mark: a workbook that is not a
    sofi-bulk template, one that lacks a data sheet, one whose « Contrôle » column is locked.
    """
    name = str(book.name)
    by_name = {sheet.name: sheet for sheet in book.sheets}
    meta_name = find_sheet(by_name, META_SHEET)
    if meta_name is None:
        raise WorkbookError(
            f"{name} : ce classeur n'est pas un modèle sofi-bulk (sa feuille cachée "
            f"{META_SHEET} est absente). Le contrôle dans Excel ne marque que les modèles "
            "générés par sofi-bulk ; pour un autre classeur, utilisez la commande "
            "« sofi-bulk validate »."
        )
    sheets: dict[str, Rows] = {}
    for wanted in SHEETS:
        found = find_sheet(by_name, wanted)
        if found is None:
            if wanted in DATA_SHEETS:
                api.from_rows(sheets, name=name)  # the sheets read before it are refused first
                raise WorkbookError(
                    f"{name} : la feuille « {wanted} » est absente. Rétablissez-la (copiez-la "
                    "depuis un modèle vierge) : le contrôle n'a rien modifié."
                )
            continue
        used = by_name[found].used_range
        sheets[found] = sheet_rows(
            used.raw_value, used.row, used.column, convert=wanted != META_SHEET
        )
    book_input = api.from_rows(sheets, name=name)  # a far cell refused as a file's would be
    if not book_input.meta:
        raise WorkbookError(
            f"{name} : la feuille cachée {META_SHEET} est vide ou abîmée : ce classeur n'est pas "
            "(ou plus) un modèle sofi-bulk. Générez un nouveau modèle et recopiez-y vos lignes "
            "(collage spécial > valeurs)."
        )
    if book_input.meta.get(STATUS_UNLOCKED) != "1":
        raise WorkbookError(
            f"{name} : ce modèle a été généré par une version de sofi-bulk antérieure au "
            "complément Excel : sa colonne « Contrôle » est verrouillée et ne peut pas être "
            "remplie. Générez un nouveau modèle (sofi-bulk template) et recopiez-y vos lignes, "
            "ou contrôlez ce classeur avec « sofi-bulk validate »."
        )
    return book_input
