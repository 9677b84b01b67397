"""A workbook as plain data: what every adapter (file reader, xlwings Book, HTTP upload,
tests) hands to the checks. No file format here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from sofi_bulk.core.cells import column_letter
from sofi_bulk.core.layout import META_SHEET
from sofi_bulk.core.values import FormulaError, as_text

__all__ = ["FormulaError", "Merge", "Rows", "WorkbookInput", "content_fingerprint"]

Rows = list[list[Any]]

# The furthest a filled cell may lie, in every face: the file reader (python-calamine)
# reserves every cell of the rectangle up to it, so the limits bound its memory (row 49 999
# and column ET: about 300 MB a sheet at most; the Sessions sheet has 67 columns).
MAX_ROWS = 50_000
MAX_COLUMNS = 150


def far_cell_message(file_name: str, place: str, where: str) -> str:
    """The words for a filled cell beyond the limits; ``place`` is « feuille « X » »."""
    where = where if len(where) <= 24 else where[:20] + "…"
    where = f"ligne {where}" if where.isdigit() else where
    last_row = f"{MAX_ROWS - 1:,}".replace(",", " ")
    return (
        f"{file_name} : {place} : une cellule est remplie très loin du tableau ({where}). "
        f"Effacez ce qui se trouve au-delà de la ligne {last_row} ou de la colonne "
        f"{column_letter(MAX_COLUMNS)}, puis recommencez."
    )


def first_far_cell(rows: Rows) -> str | None:
    """The reference of the first filled cell beyond the limits, in rows anchored at A1."""
    for r, row in enumerate(rows):
        first = 0 if r + 1 >= MAX_ROWS else MAX_COLUMNS
        for c in range(first, len(row)):
            if row[c] is not None and row[c] != "":
                return f"{column_letter(c + 1)}{r + 1}"
    return None


Merge = tuple[
    int, int, int, int
]  # first row, first column, last row, last column; 0-based, inclusive


@dataclass
class WorkbookInput:
    """Sheet name -> rows of raw cell values, the tool's metadata and the merged ranges."""

    name: str
    sheets: dict[str, Rows]
    meta: dict[str, str] = field(default_factory=dict)
    referentiel_json: str | None = None
    merges: dict[str, list[Merge]] = field(default_factory=dict)

    @classmethod
    def from_sheets(
        cls, name: str, sheets: dict[str, Rows], merges: dict[str, list[Merge]] | None = None
    ) -> WorkbookInput:
        """Split the tool's metadata sheet off the data sheets."""
        data = {k: v for k, v in sheets.items() if k != META_SHEET}
        meta: dict[str, str] = {}
        chunks: list[str] = []
        for row in sheets.get(META_SHEET, [])[1:]:
            if len(row) < 2 or row[0] in (None, ""):
                continue
            key, value = str(row[0]), "" if row[1] is None else str(row[1])
            if key == "referentiel_json":
                chunks.append(value)
            else:
                meta[key] = value
        return cls(name, data, meta, "".join(chunks) or None, dict(merges or {}))


def content_fingerprint(sheets: dict[str, Rows]) -> str:
    """A hash of the values of the data sheets, as a reader sees them.

    The tool stamps it in ``_meta`` when it writes a workbook; a file whose values still
    hash the same holds nothing the user typed since, so it may be replaced.
    """
    digest = hashlib.sha256()
    texts: dict[tuple[type, Any], str] = {}  # values repeat (codes, default texts): said once

    def text(value: Any) -> str:
        key = (value.__class__, value)
        try:
            return texts[key]
        except KeyError:
            said = texts[key] = as_text(value)
            return said
        except TypeError:  # an unhashable value
            return as_text(value)

    for sheet in sorted(sheets):
        if sheet == META_SHEET:
            continue
        for r, row in enumerate(sheets[sheet]):  # a row at a time: the same hash as line by
            line = "".join(  # line, without holding the whole sheet's text at once
                f"{sheet}\t{r}\t{c}\t{text(value)}\n"
                for c, value in enumerate(row)
                if value is not None and value != ""
            )
            if line:
                digest.update(line.encode())
    return digest.hexdigest()[:20]
