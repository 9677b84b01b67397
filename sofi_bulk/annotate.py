"""The annotated copy: the user's values in a freshly generated template, with every
faulty cell coloured and noted, a status per row and an "Erreurs" sheet of links.

Rebuilding from the catalogue (rather than re-saving the user's file) restores every
dropdown, defined name and protection that Excel or LibreOffice may have moved or
dropped, removes the marks of an earlier run, and keeps the copy a working template.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet.hyperlink import Hyperlink

from sofi_bulk.errors import UserError
from sofi_bulk.fields import LEVEL_LABELS
from sofi_bulk.issues import Issue, Severity
from sofi_bulk.layout import (
    DATA_SHEETS,
    ERRORS_SHEET,
    FIRST_DATA_ROW,
    HEADER_ROW,
    TOOL_SHEETS,
    column_of,
)
from sofi_bulk.parse import FormulaError
from sofi_bulk.reader import WorkbookInput
from sofi_bulk.safety import check_output_path
from sofi_bulk.template import TemplateBuilder, select_lots
from sofi_bulk.text import fold
from sofi_bulk.validate import SheetMap, ValidationResult

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
WARNING_FILL = PatternFill("solid", fgColor="FFE0B2")
OK_FILL = PatternFill("solid", fgColor="C6EFCE")
FILLS = {Severity.ERROR: ERROR_FILL, Severity.WARNING: WARNING_FILL}
LABELS = {Severity.ERROR: "erreur", Severity.WARNING: "avertissement"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


class Annotator:
    def __init__(self, book: WorkbookInput, result: ValidationResult) -> None:
        self.book = book
        self.result = result
        lots = [n for n in book.meta.get("lots", "").split(";") if n]
        siret = book.meta.get("siret") or None
        profile, ref = result.profile, result.referentiel
        try:
            selected = select_lots(profile, ref, lots or None, None)
        except UserError:  # lots no longer in the référentiel: offer every lot of the programme
            selected = select_lots(profile, ref, None, None)
        rows = {name: self._rows_needed(name) for name in DATA_SHEETS}
        self.builder = TemplateBuilder(profile, ref, selected, siret=siret,
                                       referentiel_source=book.meta.get("referentiel_source"),
                                       session_rows=max(1000, rows[DATA_SHEETS[0]]),
                                       child_rows=max(2000, rows[DATA_SHEETS[1]], rows[DATA_SHEETS[2]]))
        self.out = self.builder.book
        self.extra_targets: dict[str, dict[int, int]] = {}
        self.outside: list[tuple[str, str, Any]] = []
        # (canonical sheet, output row) -> issues
        self.row_issues: dict[tuple[str, int], list[Issue]] = defaultdict(list)
        self.located: list[tuple[Issue, str | None, str | None]] = []  # issue, sheet, A1 in the copy

    def _rows_needed(self, sheet: str) -> int:
        smap = self.result.maps.get(sheet)
        if smap is None:
            return 0
        return len(self.book.sheets[smap.sheet]) - smap.header_row + 10

    # --- values -------------------------------------------------------------------------------
    def copy_values(self) -> None:
        for sheet in DATA_SHEETS:
            smap = self.result.maps.get(sheet)
            if smap is None:
                continue
            rows = self.book.sheets[smap.sheet]
            ws = self.out[sheet]
            targets = {idx: column_of(sheet, key, part).index for (key, part), idx in smap.columns.items()}
            extra = self._extra_columns(ws, smap, rows)
            self.extra_targets[sheet] = dict(extra)
            for r in range(smap.header_row, len(rows)):
                out_row = self.out_row(smap, r + 1)
                row = rows[r]
                for idx, target in list(targets.items()) + extra:
                    value = row[idx] if idx < len(row) else None
                    _put(ws.cell(row=out_row, column=target), value)
            self._keep_above_header(smap, rows)

    def _extra_columns(self, ws: Any, smap: SheetMap, rows: list[list[Any]]) -> list[tuple[int, int]]:
        """Columns the template does not know (added, duplicated, without header): kept, after its own."""
        known = set(smap.columns.values()) | ({smap.status_column} if smap.status_column is not None else set())
        headers = rows[smap.header_row - 1] if smap.header_row - 1 < len(rows) else []
        used = sorted({c for row in rows[smap.header_row - 1:] for c, v in enumerate(row)
                       if c not in known and v not in (None, "")})
        pairs = []
        next_col = ws.max_column + 1
        for idx in used:
            header = headers[idx] if idx < len(headers) and headers[idx] not in (None, "") else ""
            cell = ws.cell(row=HEADER_ROW, column=next_col, value=_cell_value(header))
            cell.font = Font(bold=True, italic=True)
            ws.column_dimensions[get_column_letter(next_col)].width = 18
            for r in range(FIRST_DATA_ROW, self.builder.last_row(ws.title) + 1):
                ws.cell(row=r, column=next_col).protection = Protection(locked=False)
            pairs.append((idx, next_col))
            next_col += 1
        return pairs

    def _keep_above_header(self, smap: SheetMap, rows: list[list[Any]]) -> None:
        """Notes typed above the header row have no place in the template: list them."""
        ours = {fold(label) for label in LEVEL_LABELS.values()}
        for r in range(0, smap.header_row - 1):
            for c, value in enumerate(rows[r] if r < len(rows) else []):
                if value in (None, "") or fold(str(value)) in ours:
                    continue
                self.outside.append((smap.sheet, f"{get_column_letter(c + 1)}{r + 1}", value))

    def out_row(self, smap: SheetMap, row: int) -> int:
        return row - smap.header_row + HEADER_ROW

    def copy_other_sheets(self) -> None:
        """The user's own sheets (and a data sheet whose headers were not found), kept as values,
        in their order, right after the data sheets."""
        known = {fold(n) for n in (*DATA_SHEETS, *TOOL_SHEETS)}
        mapped = {smap.sheet for smap in self.result.maps.values()}
        position = len(DATA_SHEETS) + 1
        for name, rows in self.book.sheets.items():
            if fold(name) in known and (name in mapped or fold(name) not in {fold(s) for s in DATA_SHEETS}):
                continue
            title = name[:31] if fold(name) not in known else f"{name[:22]} (copie)"
            ws = self.out.create_sheet(title, index=position)
            position += 1
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row, start=1):
                    if value not in (None, ""):
                        _put(ws.cell(row=r, column=c), value)
        if self.outside:
            ws = self.out.create_sheet("Hors modèle", index=position)
            ws.append(["Feuille", "Cellule", "Valeur (au-dessus des en-têtes, sans place dans le modèle)"])
            for sheet, ref, value in self.outside:
                ws.append([sheet, ref, _cell_value(value)])

    # --- marks ------------------------------------------------------------------------------
    def locate(self, issue: Issue) -> tuple[str | None, str | None]:
        canonical = next((s for s in DATA_SHEETS if s in self.result.maps and
                          self.result.maps[s].sheet == issue.sheet), None)
        if canonical is None:
            canonical = next((s for s in DATA_SHEETS if fold(s) == fold(issue.sheet)), None)
        if canonical is not None and issue.cell is None and issue.code == "colonne-manquante" and issue.field:
            return canonical, f"{column_of(canonical, issue.field).letter}{HEADER_ROW}"  # re-created, empty
        if canonical is None or issue.cell is None:
            return canonical, None
        smap = self.result.maps[canonical]
        letters, row = coordinate_from_string(issue.cell)
        idx = column_index_from_string(letters) - 1
        target = next((column_of(canonical, k, p).index for (k, p), i in smap.columns.items() if i == idx), None)
        if target is None:
            target = self.extra_targets.get(canonical, {}).get(idx)
        if target is None:
            return canonical, None
        return canonical, f"{get_column_letter(target)}{self.out_row(smap, row)}"

    def mark(self) -> None:
        by_cell: dict[tuple[str, str], list[Issue]] = defaultdict(list)
        for issue in self.result.issues:
            sheet, cell = self.locate(issue)
            self.located.append((issue, sheet, cell))
            if sheet and cell:
                by_cell[(sheet, cell)].append(issue)
            if sheet and issue.row is not None and sheet in self.result.maps:
                self.row_issues[(sheet, self.out_row(self.result.maps[sheet], issue.row))].append(issue)
        for (sheet, cell), issues in by_cell.items():
            target = self.out[sheet][cell]
            worst = Severity.ERROR if any(i.severity is Severity.ERROR for i in issues) else Severity.WARNING
            target.fill = FILLS[worst]
            text = "\n".join(f"{LABELS[i.severity].capitalize()} : {i.message}" for i in issues)
            note = Comment(text, "sofi-bulk")
            note.width, note.height = 340, 60 + 18 * (len(text) // 50)
            target.comment = note
        self.write_status()

    @property
    def sheet_errors(self) -> set[str]:
        return {sheet for issue, sheet, _ in self.located
                if sheet and issue.row is None and issue.severity is Severity.ERROR}

    def write_status(self) -> None:
        records = {DATA_SHEETS[0]: self.result.sessions, DATA_SHEETS[1]: self.result.infos,
                   DATA_SHEETS[2]: self.result.periodes}
        for sheet, recs in records.items():
            smap = self.result.maps.get(sheet)
            if smap is None:
                continue
            ws = self.out[sheet]
            for rec in recs:
                out_row = self.out_row(smap, rec.row)
                issues = self.row_issues.get((sheet, out_row), [])
                errors = sum(1 for i in issues if i.severity is Severity.ERROR)
                warnings = len(issues) - errors
                cell = ws.cell(row=out_row, column=1)
                if not issues and sheet in self.sheet_errors:
                    cell.value = "✖ voir Erreurs"  # a column the whole sheet lacks
                    cell.fill = ERROR_FILL
                elif errors:
                    cell.value = "✖ " + _plural(errors, "erreur")
                    cell.fill = ERROR_FILL
                elif warnings:
                    cell.value = "⚠ " + _plural(warnings, "avertissement")
                    cell.fill = WARNING_FILL
                else:
                    cell.value = "✔ OK"
                    cell.fill = OK_FILL

    def errors_sheet(self) -> None:
        ws = self.out.create_sheet(ERRORS_SHEET, index=len(DATA_SHEETS) + 1)
        total_e = len(self.result.errors)
        total_w = len(self.result.warnings)
        ws["A1"] = (f"Contrôle du {dt.datetime.now():%d/%m/%Y à %H:%M} : {_plural(total_e, 'erreur')}, "
                    f"{_plural(total_w, 'avertissement')}. Cliquez sur une cellule pour y aller, corrigez, "
                    "puis relancez le contrôle sur ce fichier.")
        ws["A1"].font = Font(bold=True)
        headers = ["Gravité", "Feuille", "Cellule", "Ligne", "Colonne", "Code", "Message"]
        for col, title in enumerate(headers, start=1):
            cell = ws.cell(row=3, column=col, value=title)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="D9D9D9")
        row = 3
        for issue, sheet, cell in self.located:
            row += 1
            column = _column_header(issue)
            values = [LABELS[issue.severity], sheet or issue.sheet, cell or "", _row_of(cell), column, issue.code,
                      issue.message]
            for col, value in enumerate(values, start=1):
                target = ws.cell(row=row, column=col, value=value)
                target.alignment = Alignment(vertical="top", wrap_text=col == 7,
                                             horizontal="center" if col in (3, 4) else None)
            ws.cell(row=row, column=1).fill = FILLS[issue.severity]
            if sheet and cell:
                link = ws.cell(row=row, column=3)
                link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{sheet}'!{cell}", display=cell)
                link.font = Font(color="0563C1", underline="single")
        for letter, width in zip("ABCDEFG", [14, 20, 10, 8, 28, 26, 100], strict=True):
            ws.column_dimensions[letter].width = width
        ws.freeze_panes = "A4"
        ws.auto_filter.ref = f"A3:G{max(row, 4)}"
        for sheet in self.out.worksheets:
            sheet.sheet_view.tabSelected = sheet.title == ERRORS_SHEET
        self.out.active = self.out.worksheets.index(ws)

    def build(self) -> TemplateBuilder:
        self.copy_values()
        self.copy_other_sheets()
        self.mark()
        self.errors_sheet()
        return self.builder


def _put(cell: Any, value: Any) -> None:
    """Write a value read from the user's file, keeping text as text (even '=Nantes')."""
    cell.value = _cell_value(value)
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"  # openpyxl would write it as a formula


def _cell_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, FormulaError):
        return value.code  # the error the user sees (#DIV/0!); its formula is not kept
    return value


def _column_header(issue: Issue) -> str:
    from sofi_bulk.fields import BY_KEY

    return BY_KEY[issue.field].header if issue.field in BY_KEY else ""


def _row_of(cell: str | None) -> int | None:
    if not cell:
        return None
    return coordinate_from_string(cell)[1]


def write_annotated(output: Path, source: Path | None, book: WorkbookInput, result: ValidationResult,
                    force: bool = True) -> None:
    check_output_path(output, [source] if source else [], force)
    Annotator(book, result).build().save(output)
