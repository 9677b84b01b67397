"""The annotated copy: the user's values in a freshly generated template, painted with
the annotation plan (``sofi_bulk.core.plan``).

Rebuilding from the catalogue (rather than re-saving the user's file) restores every
dropdown, defined name and protection that Excel or LibreOffice may have moved or
dropped, removes the marks of an earlier run, and keeps the copy a working template.
Nothing the user typed is lost: added columns follow the template's, added sheets are
kept as values, text above the headers goes to a « Hors modèle » sheet.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl.styles import Font, Protection

from sofi_bulk.core.cells import column_letter
from sofi_bulk.core.errors import UserError
from sofi_bulk.core.fields import LEVEL_LABELS
from sofi_bulk.core.layout import DATA_SHEETS, HEADER_ROW, SERVICE, TOOL_SHEETS
from sofi_bulk.core.lots import select_lots
from sofi_bulk.core.plan import AnnotationPlan, TemplateCopy, annotation_plan
from sofi_bulk.core.records import SheetMap, ValidationResult
from sofi_bulk.core.text import fold
from sofi_bulk.core.workbook import WorkbookInput
from sofi_bulk.distribution import service_address
from sofi_bulk.excel.painter import paint
from sofi_bulk.excel.template import TemplateBuilder
from sofi_bulk.excel.values import put, sheet_title

OUTSIDE_SHEET = "Hors modèle"


def _service(value: Any) -> str | None:
    """The service address the checked workbook carries, if it is one (a file may say
    anything in its _meta: anything else is dropped, not copied)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return service_address(value)
    except UserError:
        return None


class AnnotatedCopy:
    """A fresh template holding the values of ``result.book``, ready to be painted."""

    def __init__(self, result: ValidationResult, *, in_place: bool = False) -> None:
        if result.book is None:
            raise ValueError("the validation result carries no workbook rows")
        self.book: WorkbookInput = result.book
        self.result = result
        self.layout = TemplateCopy(result)
        meta = self.book.meta
        lots = [n for n in meta.get("lots", "").split(";") if n]
        profile, ref = result.profile, result.referentiel
        try:
            selected = select_lots(profile, ref, lots or None, None)
        except UserError:  # lots no longer in the référentiel: offer every lot of the programme
            selected = select_lots(profile, ref, None, None)
        rows = {name: self._rows_needed(name) for name in DATA_SHEETS}
        self.builder = TemplateBuilder(
            profile,
            ref,
            selected,
            siret=meta.get("siret") or None,
            referentiel_source=meta.get("referentiel_source"),
            session_rows=max(1000, rows[DATA_SHEETS[0]]),
            child_rows=max(2000, rows[DATA_SHEETS[1]], rows[DATA_SHEETS[2]]),
            in_place=in_place,
            service=_service(meta.get(SERVICE)),
        )
        self.out = self.builder.book
        self.outside: list[tuple[str, str, Any]] = []

    def _rows_needed(self, sheet: str) -> int:
        smap = self.result.maps.get(sheet)
        if smap is None:
            return 0
        return len(self.book.sheets[smap.sheet]) - smap.header_row + 10

    def copy_values(self) -> None:
        for sheet in DATA_SHEETS:
            smap = self.result.maps.get(sheet)
            if smap is None:
                continue
            rows = self.book.sheets[smap.sheet]
            ws = self.out[sheet]
            targets = list(self.layout.targets[sheet].items())
            extra = list(self.layout.extra[sheet].items())
            self._extra_headers(ws, smap, rows, extra)
            cells = ws._cells
            for r in range(smap.header_row, len(rows)):
                out_row = self.layout.row(sheet, r + 1)
                row = rows[r]
                for idx, target in targets + extra:
                    value = row[idx] if idx < len(row) else None
                    cell = cells.get((out_row, target))
                    if cell is None:  # a blank row of the template is its columns' style
                        if value is None or value == "":
                            continue
                        cell = self.builder.new_cell(ws, out_row, target)
                    put(cell, value)  # an emptied pre-filled cell is emptied too
            self._keep_above_header(smap, rows)

    def _extra_headers(
        self, ws: Any, smap: SheetMap, rows: list[list[Any]], extra: list[tuple[int, int]]
    ) -> None:
        """Headers of the kept columns, in italics, their cells left unlocked."""
        headers = rows[smap.header_row - 1] if smap.header_row - 1 < len(rows) else []
        for idx, target in extra:
            header = headers[idx] if idx < len(headers) and headers[idx] not in (None, "") else ""
            cell = ws.cell(row=HEADER_ROW, column=target)
            put(cell, header)
            cell.font = Font(bold=True, italic=True)
            column = ws.column_dimensions[column_letter(target)]
            column.width = 18
            column.protection = Protection(locked=False)  # its cells take it when saved

    def _keep_above_header(self, smap: SheetMap, rows: list[list[Any]]) -> None:
        """Notes typed above the header row have no place in the template: list them."""
        ours = {fold(label) for label in LEVEL_LABELS.values()}
        for r in range(0, smap.header_row - 1):
            for c, value in enumerate(rows[r] if r < len(rows) else []):
                if value in (None, "") or fold(str(value)) in ours:
                    continue
                self.outside.append((smap.sheet, f"{column_letter(c + 1)}{r + 1}", value))

    def copy_other_sheets(self) -> None:
        """The user's own sheets (and a data sheet whose headers were not found), kept as values,
        in their order, right after the data sheets."""
        known = {fold(n) for n in (*DATA_SHEETS, *TOOL_SHEETS)}
        mapped = {smap.sheet for smap in self.result.maps.values()}
        position = len(DATA_SHEETS) + 1
        for name, rows in self.book.sheets.items():
            if fold(name) in known and (
                name in mapped or fold(name) not in {fold(s) for s in DATA_SHEETS}
            ):
                continue
            title = name[:31] if fold(name) not in known else f"{name[:22]} (copie)"
            ws = self.out.create_sheet(sheet_title(title, self.out.sheetnames), index=position)
            position += 1
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row, start=1):
                    if value not in (None, ""):
                        put(ws.cell(row=r, column=c), value)
        if self.outside:
            ws = self.out.create_sheet(OUTSIDE_SHEET, index=position)
            ws.append(
                ["Feuille", "Cellule", "Valeur (au-dessus des en-têtes, sans place dans le modèle)"]
            )
            for r, (sheet, ref, value) in enumerate(self.outside, start=2):
                for c, item in enumerate((sheet, ref, value), start=1):
                    put(ws.cell(row=r, column=c), item)

    def plan(self, checked_at: dt.datetime | None = None) -> AnnotationPlan:
        return annotation_plan(self.result, self.layout, checked_at=checked_at)

    def build(self, plan: AnnotationPlan | None = None) -> TemplateBuilder:
        self.copy_values()
        self.copy_other_sheets()
        paint(self.out, plan or self.plan(), errors_index=len(DATA_SHEETS) + 1)
        return self.builder


def write_annotated(
    target: Path | BinaryIO,
    result: ValidationResult,
    *,
    checked_at: dt.datetime | None = None,
    in_place: bool = False,
) -> None:
    """Write the annotated copy of a checked workbook to a path (atomically) or a binary file;
    ``in_place`` when it replaces the checked file itself (``validate --en-place``)."""
    AnnotatedCopy(result, in_place=in_place).build(
        annotation_plan(result, TemplateCopy(result), checked_at=checked_at)
    ).save(target)
