"""The « Reprise » sheet of a workbook taken back from an existing offer: what was taken,
what the check found in it, the fixed values replaced, what the source held that the
workbook has no column for. Every value is written as data (``put``)."""

from __future__ import annotations

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.workbook import Workbook

from sofi_bulk.core.cells import column_letter
from sofi_bulk.core.plan import COLOURS
from sofi_bulk.excel.values import put
from sofi_bulk.reprise.offer import Section

REPRISE_SHEET = "Reprise"
WIDTHS = (48, 16, 40, 16)
NOTE_SPAN = 4  # a sentence spreads over the table's columns


def write_reprise_sheet(book: Workbook, title: str, sections: list[Section]) -> None:
    """The sheet, right after « Aide », made the active one: the first thing to read."""
    ws = book.create_sheet(REPRISE_SHEET, index=1)
    put(ws["A1"], title)
    ws["A1"].font = Font(bold=True, size=14)
    header_fill = PatternFill("solid", fgColor=COLOURS["header"])
    wrap = Alignment(wrap_text=True, vertical="top")
    row = 2
    for section in sections:
        row += 1
        put(ws.cell(row=row, column=1), section.heading)
        ws.cell(row=row, column=1).font = Font(bold=True, size=12)
        for note in section.notes:
            row += 1
            put(ws.cell(row=row, column=1), note)
            ws.cell(row=row, column=1).alignment = wrap
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=NOTE_SPAN)
            ws.row_dimensions[row].height = 15 * (1 + len(note) // 110)
        if section.columns:
            row += 1
            for c, name in enumerate(section.columns, start=1):
                cell = ws.cell(row=row, column=c)
                put(cell, name)
                cell.font = Font(bold=True)
                cell.fill = header_fill
        for line in section.rows:
            row += 1
            for c, value in enumerate(line, start=1):
                cell = ws.cell(row=row, column=c)
                put(cell, value)
                cell.alignment = wrap
        row += 1
    for c, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[column_letter(c)].width = width
    for sheet in book.worksheets:
        sheet.sheet_view.tabSelected = sheet.title == REPRISE_SHEET
    book.active = 1
