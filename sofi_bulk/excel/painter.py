"""Paint an annotation plan on an openpyxl workbook: fills, notes, the « Contrôle »
column and the « Erreurs » sheet with its links. Decides nothing; the plan does."""

from __future__ import annotations

from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink

from sofi_bulk.core.plan import COLOURS, ERRORS_HEADER_ROW, AnnotationPlan
from sofi_bulk.excel.values import note_text, put

ERRORS_WIDTHS = (14, 20, 10, 8, 28, 26, 100)
LINK_FONT = Font(color="0563C1", underline="single")


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
    errors_sheet(book, plan, errors_index)


def errors_sheet(book: Workbook, plan: AnnotationPlan, index: int | None) -> None:
    ws = book.create_sheet(plan.errors_sheet, index=index)
    put(ws["A1"], plan.title)
    ws["A1"].font = Font(bold=True)
    for col, title in enumerate(plan.headers, start=1):
        cell = ws.cell(row=ERRORS_HEADER_ROW, column=col, value=title)
        cell.font = Font(bold=True)
        cell.fill = fill(COLOURS["header"])
    row = ERRORS_HEADER_ROW
    for line in plan.errors:
        row += 1
        for col, value in enumerate(line.values(), start=1):
            target = ws.cell(row=row, column=col)
            put(target, value)
            target.alignment = Alignment(
                vertical="top", wrap_text=col == 7, horizontal="center" if col in (3, 4) else None
            )
        ws.cell(row=row, column=1).fill = fill(COLOURS[str(line.severity)])
        if line.link:
            link = ws.cell(row=row, column=3)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=line.link, display=line.cell)
            link.font = LINK_FONT
    for letter, width in zip("ABCDEFG", ERRORS_WIDTHS, strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = f"A{ERRORS_HEADER_ROW + 1}"
    ws.auto_filter.ref = f"A{ERRORS_HEADER_ROW}:G{max(row, ERRORS_HEADER_ROW + 1)}"
    for sheet in book.worksheets:
        sheet.sheet_view.tabSelected = sheet.title == plan.errors_sheet
    book.active = book.worksheets.index(ws)
