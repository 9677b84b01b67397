"""Read a filled workbook into plain rows of cell values (the validator's input).

python-calamine reads values 10-20x faster than openpyxl; styles are not needed to
validate. The container is checked first (zip bomb, encrypted, .xls, .ods, CSV).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sofi_bulk.errors import WorkbookError
from sofi_bulk.layout import META_SHEET
from sofi_bulk.parse import FormulaError
from sofi_bulk.safety import check_xlsx_container
from sofi_bulk.xlsx_scan import scan_workbook

Rows = list[list[Any]]


@dataclass
class WorkbookInput:
    """A workbook as plain data: what every adapter (file, xlwings Book, tests) produces."""

    name: str
    sheets: dict[str, Rows]
    meta: dict[str, str] = field(default_factory=dict)
    referentiel_json: str | None = None
    merges: dict[str, list[tuple[int, int, int, int]]] = field(default_factory=dict)  # 0-based, inclusive

    @classmethod
    def from_sheets(cls, name: str, sheets: dict[str, Rows]) -> WorkbookInput:
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
        return cls(name, data, meta, "".join(chunks) or None)


def read_workbook(path: Path) -> WorkbookInput:
    check_xlsx_container(path)
    scans = scan_workbook(path)  # refuses a far-away cell before calamine allocates its grid
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheets: dict[str, Rows] = {}
        merges: dict[str, list[tuple[int, int, int, int]]] = {}
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            scan = scans.get(name)
            for (r, c), text in (scan.errors.items() if scan else ()):
                while len(rows) <= r:
                    rows.append([])
                rows[r].extend([None] * (c + 1 - len(rows[r])))
                rows[r][c] = FormulaError(text)  # readers return "" for #DIV/0!, #N/A…
            sheets[name] = rows
            merges[name] = [(a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])]
    except WorkbookError:
        raise
    except Exception as exc:  # calamine's own error classes: corrupt parts, bad XML
        raise WorkbookError(f"{path.name} : classeur illisible ou endommagé : une de ses parties est "
                            "invalide. Rouvrez-le dans Excel ou LibreOffice et enregistrez-le à nouveau "
                            "au format .xlsx.") from exc
    result = WorkbookInput.from_sheets(path.name, sheets)
    result.merges = merges
    return result

