"""Paint an annotation plan on an openpyxl workbook: fills, notes, the « Contrôle »
column and the « Erreurs » sheet with its links. Decides nothing; the plan does."""

from __future__ import annotations

from copy import copy

from openpyxl.comments import Comment
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import coordinate_to_tuple, get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink

from sofi_bulk.core.plan import (
    COLOURS,
    ERRORS_HEADER_ROW,
    ERRORS_MESSAGE_COLUMN,
    ERRORS_WIDTHS,
    AnnotationPlan,
)
from sofi_bulk.excel.styles import font
from sofi_bulk.excel.values import note_text, put

LINK_FONT = font(color="0563C1", underline="single")


def fill(colour: str | None) -> PatternFill:
    return PatternFill("solid", fgColor=colour) if colour else PatternFill(fill_type=None)


def comment(text: str) -> Comment:
    """A note sized for its text."""
    note = Comment(note_text(text), "sofi-bulk")
    note.width, note.height = 340, 60 + 18 * (len(text) // 50)
    return note


def paint(book: Workbook, plan: AnnotationPlan, *, errors_index: int | None = None) -> None:
    """Clear an earlier run's marks, then paint the plan's; the « Erreurs » sheet goes at
    ``errors_index`` (the end by default) and becomes the active sheet."""
    for unmark in plan.clear.cells:
        if unmark.sheet in book.sheetnames:
            cell = book[unmark.sheet][unmark.cell]
            cell.fill = fill(unmark.colour)
            cell.comment = None
    for area in plan.clear.statuses:
        if area.sheet in book.sheetnames:
            ws = book[area.sheet]
            for row in range(area.first_row, area.last_row + 1):
                ws.cell(row=row, column=area.column).value = None
    for name in plan.clear.sheets:
        if name in book.sheetnames:
            del book[name]
    fills = {key: fill(colour) for key, colour in COLOURS.items()}
    for mark in plan.marks:
        cell = book[mark.sheet][mark.cell]
        cell.fill = fills[str(mark.severity)]
        cell.comment = comment(mark.note)
    for status in plan.statuses:
        cell = book[status.sheet].cell(row=status.row, column=status.column)
        cell.value = status.text
        cell.fill = fills[status.state]
        if status.note:
            cell.comment = comment(status.note)
    prompt_marks(book, plan)
    errors_sheet(book, plan, errors_index)


def errors_sheet(book: Workbook, plan: AnnotationPlan, index: int | None) -> None:
    ws = book.create_sheet(plan.errors_sheet, index=index)
    put(ws["A1"], plan.title)
    ws["A1"].font = font(bold=True)
    for col, title in enumerate(plan.headers, start=1):
        cell = ws.cell(row=ERRORS_HEADER_ROW, column=col, value=title)
        cell.font = font(bold=True)
        cell.fill = fill(COLOURS["header"])
    link_column = plan.headers.index("Cellule") + 1
    message_width = ERRORS_WIDTHS[ERRORS_MESSAGE_COLUMN - 1]
    row = ERRORS_HEADER_ROW
    for line in plan.errors:
        row += 1
        for col, value in enumerate(line.values(), start=1):
            target = ws.cell(row=row, column=col)
            put(target, value)
            target.alignment = Alignment(
                vertical="top",
                wrap_text=col == ERRORS_MESSAGE_COLUMN,
                horizontal="center" if col in (link_column, 5) else None,
            )
        # spreadsheets do not grow the wrapped rows of a file they open: sized here
        lines = max(1, -(-len(line.message) // int(message_width * 1.1)))
        ws.row_dimensions[row].height = 15 * lines
        link = ws.cell(row=row, column=link_column)
        link.fill = fill(COLOURS[str(line.severity)])
        if line.link:
            link.hyperlink = Hyperlink(ref=link.coordinate, location=line.link, display=line.cell)
            link.font = LINK_FONT
    for col, width in enumerate(ERRORS_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    last = get_column_letter(len(plan.headers))
    ws.freeze_panes = f"A{ERRORS_HEADER_ROW + 1}"
    ws.auto_filter.ref = f"A{ERRORS_HEADER_ROW}:{last}{max(row, ERRORS_HEADER_ROW + 1)}"
    for sheet in book.worksheets:
        sheet.sheet_view.tabSelected = sheet.title == plan.errors_sheet
    book.active = book.worksheets.index(ws)


# --- the input message of a marked cell ---------------------------------------------------
MAX_PROMPTS = 1000  # a rule each; past them, the cell's note alone says its error
PROMPT_TITLES = {"erreur": "Erreur", "avertissement": "Avertissement"}


def prompt_marks(book: Workbook, plan: AnnotationPlan) -> None:
    """A selected cell shows its rule's input message, and following a link of « Erreurs »
    selects it: a marked cell's message becomes its error (and what the column's help says
    after it), on a copy of its column's rule that no longer covers it."""
    for mark in plan.marks[:MAX_PROMPTS]:
        if mark.sheet not in book.sheetnames:
            continue
        ws = book[mark.sheet]
        column, row = coordinate_to_tuple(mark.cell)[::-1]
        rule = next((dv for dv in ws.data_validations.dataValidation if mark.cell in dv), None)
        own = copy(rule) if rule is not None else DataValidation(allow_blank=True)
        if rule is not None:
            rule.sqref = _without(rule.sqref, row, column)
        own.sqref = MultiCellRange(mark.cell)
        own.showInputMessage = True
        own.promptTitle = PROMPT_TITLES[str(mark.severity)]
        own.prompt = _shorten(mark.note, 255)
        ws.add_data_validation(own)


def _without(ranges: MultiCellRange, row: int, column: int) -> MultiCellRange:
    """``ranges`` less one cell: the range holding it split into what lies around it."""
    kept: list[CellRange] = []
    for rng in ranges.ranges:
        if not (rng.min_row <= row <= rng.max_row and rng.min_col <= column <= rng.max_col):
            kept.append(rng)
            continue
        pieces = [
            (rng.min_col, rng.min_row, rng.max_col, row - 1),  # above
            (rng.min_col, row + 1, rng.max_col, rng.max_row),  # below
            (rng.min_col, row, column - 1, row),  # left of it, on its row
            (column + 1, row, rng.max_col, row),  # right of it, on its row
        ]
        kept += [
            CellRange(min_col=a, min_row=b, max_col=c, max_row=d)
            for a, b, c, d in pieces
            if a <= c and b <= d
        ]
    return MultiCellRange(kept)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
