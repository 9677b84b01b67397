"""Write outside values into a workbook as data, never as code.

Every value that came from a user, a référentiel or a file goes through ``put``: text is
text whatever it starts with (``=``, ``+``, ``-``, ``@``), control characters that XML
cannot hold are written with Excel's own ``_xHHHH_`` escape (Excel, LibreOffice and
python-calamine read them back as the same character, and the check marks such a cell
« caracteres-invalides »), and a literal ``_xHHHH_`` typed by the user is escaped so
that it reads back unchanged. ``seal`` is the last guard before saving: the tool never
writes a cell formula, so any cell that would be one becomes text.
"""

from __future__ import annotations

import math
import re
from typing import Any

from openpyxl.workbook.workbook import Workbook

from sofi_bulk.core.values import FormulaError

_LITERAL_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")  # overlapping: "_x0041_x0042_"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def excel_text(text: str) -> str:
    """``text`` in the form a spreadsheet file stores it, so that it reads back the same."""
    if "_x" in text or "_X" in text:
        text = _LITERAL_ESCAPE.sub("_x005F_", text)
    if _NOT_XML.search(text):
        text = _NOT_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text


def cell_value(value: Any) -> Any:
    """What a read value becomes in a cell: 12.0 -> 12, #DIV/0! -> its text, nan -> text."""
    if isinstance(value, FormulaError):
        return value.code  # the error the user sees (#DIV/0!); its formula is not kept
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)  # a spreadsheet file cannot hold NaN or infinity as a number
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
    return value


def put(cell: Any, value: Any) -> None:
    """Write an outside value into an openpyxl cell: text stays text, nothing becomes code."""
    value = cell_value(value)
    if isinstance(value, str):
        cell.value = excel_text(value)
        cell.data_type = "s"  # openpyxl would take a leading "=" for a formula
    else:
        cell.value = value


def note_text(text: str) -> str:
    """A note's text, escaped like cell text (notes are XML too)."""
    return excel_text(text)


def seal(book: Workbook) -> None:
    """Before saving: no cell of ours is a formula; a value that would be one is text."""
    for ws in book.worksheets:
        for cell in ws._cells.values():
            if cell.data_type == "f":
                cell.data_type = "s"


_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


def sheet_title(name: str, taken: list[str]) -> str:
    """A sheet name a spreadsheet accepts (31 characters, none of []:*?/\\, not blank, not
    taken), as close as possible to the user's."""
    base = _BAD_TITLE.sub("_", excel_text(name)).strip("'").strip() or "Feuille"
    base = base[:31]
    title, n = base, 1
    folded = {t.casefold() for t in taken}
    while title.casefold() in folded:
        n += 1
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
    return title
