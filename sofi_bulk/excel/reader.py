"""Read a filled workbook into plain rows of cell values (the checks' input).

python-calamine reads values 10-20x faster than openpyxl; styles are not needed to
check. The container is checked first (zip bomb, encrypted, .xls, .ods, CSV), then a
streaming scan refuses a far-away cell before calamine allocates its grid.
"""

from __future__ import annotations

import io

from sofi_bulk.core.errors import WorkbookError
from sofi_bulk.core.memory import collector_paused
from sofi_bulk.core.values import FormulaError
from sofi_bulk.core.workbook import Merge, Rows, WorkbookInput
from sofi_bulk.excel.scan import (
    Opened,
    SheetScan,
    Source,
    check_container,
    open_source,
    scan_opened,
)

# cells read into Python lists, empty ones of each sheet's rectangle included: a workbook of
# 49 000 sessions holds 4 million; each costs 8 bytes or more
MAX_CELLS = 12_000_000


def read_workbook(source: Source, name: str | None = None) -> WorkbookInput:
    """A workbook from a path, bytes or a binary file object; ``name`` is what messages call it."""
    name, opened = open_source(source, name)
    check_container(opened, name)
    scans = scan_opened(opened, name)
    with collector_paused():  # a list per row, none freed: see sofi_bulk.core.memory
        return _read(opened, name, scans)


def _read(opened: Opened, name: str, scans: dict[str, SheetScan]) -> WorkbookInput:
    from python_calamine import CalamineWorkbook

    try:
        if isinstance(opened, io.BytesIO):
            opened.seek(0)
            book = CalamineWorkbook.from_filelike(opened)
        else:
            book = CalamineWorkbook.from_path(str(opened))
        sheets: dict[str, Rows] = {}
        merges: dict[str, list[Merge]] = {}
        cells = 0
        for sheet_name in book.sheet_names:
            sheet = book.get_sheet_by_name(sheet_name)
            start = sheet.start or (0, 0)
            cells += (start[0] + sheet.height) * (start[1] + sheet.width)
            if cells > MAX_CELLS:  # sheet after sheet of far-spread cells: memory
                raise WorkbookError(
                    f"{name} : feuille « {sheet_name} » : classeur démesuré : ses feuilles "
                    f"couvrent plus de {MAX_CELLS // 1_000_000} millions de cellules, vides "
                    "comprises, de la première cellule remplie à la plus lointaine. Effacez "
                    "les cellules remplies loin des données, puis recommencez."
                )
            rows: Rows = sheet.to_python(skip_empty_area=False)
            scan = scans.get(sheet_name)
            for (r, c), text in scan.errors.items() if scan else ():
                while len(rows) <= r:
                    rows.append([])
                rows[r].extend([None] * (c + 1 - len(rows[r])))
                rows[r][c] = FormulaError(text)  # readers return "" for #DIV/0!, #N/A…
            sheets[sheet_name] = rows
            merges[sheet_name] = [
                (a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])
            ]
    except WorkbookError:
        raise
    except Exception as exc:  # calamine's own error classes: corrupt parts, bad XML
        raise WorkbookError(
            f"{name} : classeur illisible ou endommagé : une de ses parties est "
            "invalide. Rouvrez-le dans Excel ou LibreOffice et enregistrez-le à nouveau "
            "au format .xlsx."
        ) from exc
    return WorkbookInput.from_sheets(name, sheets, merges)
