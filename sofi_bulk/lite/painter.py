"""Paint an annotation plan on the open workbook through xlwings Lite's ``Book``.

Decides nothing; the plan does (``sofi_bulk.core.plan``). What is specific to Lite is how
few actions it sends to Excel: colours go in batches (``Range.set_colors``, at most
10,000 cells a call), each « Contrôle » column and the « Erreurs » sheet in one block of
values, and notes and links, one action per cell, stop at a cap (the « Erreurs » sheet
still lists every issue). The ``Book`` is duck-typed: xlwings' own, or a test double.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sofi_bulk.core.cells import column_index, column_letter, split_ref
from sofi_bulk.core.layout import DATA_SHEETS
from sofi_bulk.core.plan import (
    COLOURS,
    ERRORS_HEADER_ROW,
    ERRORS_MESSAGE_COLUMN,
    ERRORS_WIDTHS,
    AnnotationPlan,
)
from sofi_bulk.core.text import fold
from sofi_bulk.lite.reader import find_sheet

MAX_COLOUR_CELLS = 10_000  # xlwings' limit for one set_colors call
MAX_NOTES = 200  # one action (one round trip to Excel) each; Excel slows down with many notes
MAX_LINKS = 500  # one action (one round trip to Excel) each
KEEP = ...  # set_colors: leave this cell's fill as it is

Cell = tuple[int, int]  # row, column (1-based)


@dataclass
class Painted:
    """What a painting did, for the closing alert and for the tests."""

    notes: int = 0
    notes_skipped: int = 0  # past the cap, or where a note already stood
    notes_unsupported: bool = False
    links: int = 0
    links_skipped: int = 0
    colour_calls: int = 0
    value_blocks: int = 0
    errors_sheet: str | None = None
    deleted_sheets: list[str] = field(default_factory=list)


def hex_colour(colour: str | None) -> str | None:
    return None if colour is None else f"#{colour}"


def as_text(value: Any) -> Any:
    """A value written in a cell stays data: Excel would read text starting with ``=``, ``+``,
    ``-`` or ``@`` as a formula; the apostrophe makes it text (and is not shown)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "'"):
        return "'" + value
    return "" if value is None else value


def cell_of(ref: str) -> Cell:
    letters, row = split_ref(ref)
    return row, column_index(letters)


def colour_batches(colours: dict[Cell, str | None]) -> Iterator[tuple[Cell, list[list[Any]]]]:
    """Rectangles of at most MAX_COLOUR_CELLS cells covering ``colours``: (top-left cell,
    matrix of "#RRGGBB", None for no fill, or KEEP). Rows are taken in order; a rectangle
    grows down while its area allows."""
    by_row: dict[int, list[int]] = defaultdict(list)
    for row, column in colours:
        by_row[row].append(column)
    band: list[int] = []
    low = high = 0

    def matrix() -> tuple[Cell, list[list[Any]]]:
        top, bottom = band[0], band[-1]
        grid = [
            [
                hex_colour(colours[(r, c)]) if (r, c) in colours else KEEP
                for c in range(low, high + 1)
            ]
            for r in range(top, bottom + 1)
        ]
        return (top, low), grid

    for row in sorted(by_row):
        columns = by_row[row]
        if len(columns) > MAX_COLOUR_CELLS:  # never in practice: a row of Excel has 16,384
            raise ValueError("too many cells in one row")
        new_low = min(columns) if not band else min(low, *columns)
        new_high = max(columns) if not band else max(high, *columns)
        if band and (row - band[0] + 1) * (new_high - new_low + 1) > MAX_COLOUR_CELLS:
            yield matrix()
            band, new_low, new_high = [], min(columns), max(columns)
        band.append(row)
        low, high = new_low, new_high
    if band:
        yield matrix()


def fewest_batches(
    colours: dict[Cell, str | None], columns: set[int]
) -> list[tuple[Cell, list[list[Any]]]]:
    """The batches of ``colours``, taking the cells of ``columns`` (the « Contrôle » column:
    long and narrow) apart from the others when that makes fewer calls."""
    together = list(colour_batches(colours))
    narrow = {k: v for k, v in colours.items() if k[1] in columns}
    if not narrow or len(narrow) == len(colours):
        return together
    rest = {k: v for k, v in colours.items() if k[1] not in columns}
    apart = list(colour_batches(narrow)) + list(colour_batches(rest))
    return apart if len(apart) < len(together) else together


class Painter:
    """Paints one plan on one ``Book``."""

    def __init__(self, book: Any, plan: AnnotationPlan) -> None:
        self.book = book
        self.plan = plan
        self.done = Painted()
        self.colours: dict[str, dict[Cell, str | None]] = defaultdict(dict)
        # cells whose note an earlier run wrote and a new mark re-writes (one action, not two)
        self.rewrite: set[tuple[str, str]] = set()

    # --- the steps ------------------------------------------------------------------------
    def clear(self) -> None:
        """An earlier run's marks: notes, old « Erreurs » sheet, status texts; their fills are
        queued with the new ones."""
        for unmark in self.plan.clear.cells:
            sheet = self.sheet(unmark.sheet)
            if sheet is None:
                continue
            note = sheet.range(unmark.cell).note
            if note is not None and (fold(unmark.sheet), unmark.cell) not in self.rewrite:
                note.delete()
            self.colours[sheet.name][cell_of(unmark.cell)] = unmark.colour
        for name in self.plan.clear.sheets:
            sheet = self.sheet(name)
            if sheet is not None:
                sheet.delete()
                self.done.deleted_sheets.append(name)
        for area in self.plan.clear.statuses:
            for row in range(area.first_row, area.last_row + 1):
                self.colours[area.sheet][(row, area.column)] = area.colour

    def statuses(self) -> None:
        """Each « Contrôle » column in one block of values: the new texts, blanks elsewhere."""
        texts: dict[tuple[str, int], dict[int, str]] = defaultdict(dict)
        for area in self.plan.clear.statuses:
            texts[(area.sheet, area.column)].update(
                dict.fromkeys(range(area.first_row, area.last_row + 1), "")
            )
        for status in self.plan.statuses:
            texts[(status.sheet, status.column)][status.row] = status.text
            self.colours[status.sheet][(status.row, status.column)] = status.colour
        for (name, column), by_row in texts.items():
            sheet = self.sheet(name)
            if sheet is None or not by_row:
                continue
            first, last = min(by_row), max(by_row)
            letter = column_letter(column)
            values = [[as_text(by_row.get(row, ""))] for row in range(first, last + 1)]
            sheet.range(f"{letter}{first}:{letter}{last}").value = values
            self.done.value_blocks += 1

    def marks(self) -> None:
        for mark in self.plan.marks:
            self.colours[mark.sheet][cell_of(mark.cell)] = mark.colour

    def paint_colours(self) -> None:
        status_columns: dict[str, set[int]] = defaultdict(set)
        for sheet_name, column in [(s.sheet, s.column) for s in self.plan.statuses] + [
            (a.sheet, a.column) for a in self.plan.clear.statuses
        ]:
            status_columns[fold(sheet_name)].add(column)
        for name, cells in self.colours.items():
            sheet = self.sheet(name)
            if sheet is None:
                continue
            for (row, column), grid in fewest_batches(cells, status_columns[fold(name)]):
                bottom, right = row + len(grid) - 1, column + len(grid[0]) - 1
                sheet.range((row, column), (bottom, right)).set_colors(grid)
                self.done.colour_calls += 1
        self.colours.clear()

    def planned_notes(self) -> list[tuple[str, str, str]]:
        """(sheet, cell, text) of every note to write: the marked cells first, then the
        « Contrôle » cells that have more to say than their symbol."""
        return [(m.sheet, m.cell, m.note) for m in self.plan.marks] + [
            (s.sheet, s.cell, s.note) for s in self.plan.statuses if s.note
        ]

    def plan_notes(self) -> None:
        """The first MAX_NOTES notes are written; where an earlier run left its own note the
        text is replaced rather than deleted and added again."""
        ours = {(fold(u.sheet), u.cell) for u in self.plan.clear.cells}
        for sheet, cell, _ in self.planned_notes()[:MAX_NOTES]:
            key = (fold(sheet), cell)
            if key in ours and self.book.sheets[sheet].range(cell).note is not None:
                self.rewrite.add(key)

    def notes(self) -> None:
        """One note per marked cell, then per telling status, up to MAX_NOTES; never over a
        note the user wrote (it is kept, the « Erreurs » sheet gives the message)."""
        for sheet, cell, text in self.planned_notes():
            if self.done.notes >= MAX_NOTES or self.done.notes_unsupported:
                self.done.notes_skipped += 1
                continue
            rng = self.book.sheets[sheet].range(cell)
            note = rng.note
            if note is not None and (fold(sheet), cell) in self.rewrite:
                note.text = text
                self.done.notes += 1
                continue
            if note is not None:
                self.done.notes_skipped += 1
                continue
            try:
                rng.add_note(text)
            except NotImplementedError:  # Excel older than ExcelApi 1.18: no notes at all
                self.done.notes_unsupported = True
                self.done.notes_skipped += 1
                continue
            self.done.notes += 1

    def errors_sheet(self) -> None:
        """The « Erreurs » sheet after the data sheets: one block of values, its columns' widths
        and the message wrapped, the header and severity fills in one batch, a link per
        located issue up to MAX_LINKS."""
        names = [sheet.name for sheet in self.book.sheets]
        data = [found for s in DATA_SHEETS if (found := find_sheet(names, s))]
        after = self.book.sheets[data[-1]] if data else None
        sheet = self.book.sheets.add(self.plan.errors_sheet, after=after)
        self.done.errors_sheet = sheet.name
        rows = [[as_text(v) for v in row] for row in self.plan.rows()]
        width = len(self.plan.headers)
        sheet.range((1, 1), (len(rows), width)).value = rows
        self.done.value_blocks += 1
        # as the annotated copy lays it out: Excel measures a width in points, and a
        # character of Calibri 11 is 7 px (5 more for the margins), 3/4 of a point each
        for column, chars in enumerate(ERRORS_WIDTHS, start=1):
            sheet.range((ERRORS_HEADER_ROW, column)).column_width = (chars * 7 + 5) * 0.75
        if self.plan.errors:
            last = ERRORS_HEADER_ROW + len(self.plan.errors)
            message = ERRORS_MESSAGE_COLUMN
            sheet.range((ERRORS_HEADER_ROW + 1, message), (last, message)).wrap_text = True
        fills = self.colours[sheet.name]
        for column in range(1, width + 1):
            fills[(ERRORS_HEADER_ROW, column)] = COLOURS["header"]
        for i, line in enumerate(self.plan.errors):
            fills[(ERRORS_HEADER_ROW + 1 + i, 1)] = COLOURS[str(line.severity)]
        self.paint_colours()
        cell_column = self.plan.headers.index("Cellule") + 1
        for i, line in enumerate(self.plan.errors):
            if not line.link:
                continue
            if self.done.links >= MAX_LINKS:
                self.done.links_skipped += 1
                continue
            sheet.range((ERRORS_HEADER_ROW + 1 + i, cell_column)).add_hyperlink(
                f"#{line.link}", line.cell, f"Aller à {line.sheet}!{line.cell}"
            )
            self.done.links += 1
        sheet.activate()

    # --- whole runs -----------------------------------------------------------------------
    def paint(self) -> Painted:
        """Clear the earlier marks, then paint the plan's."""
        self.plan_notes()
        self.clear()
        self.statuses()
        self.marks()
        self.paint_colours()
        self.notes()
        self.errors_sheet()
        return self.done

    def erase(self) -> Painted:
        """Only clear: what « effacer_controle » does."""
        self.clear()
        for area in self.plan.clear.statuses:
            sheet = self.sheet(area.sheet)
            if sheet is None:
                continue
            letter = column_letter(area.column)
            blanks = [[""] for _ in range(area.first_row, area.last_row + 1)]
            sheet.range(f"{letter}{area.first_row}:{letter}{area.last_row}").value = blanks
            self.done.value_blocks += 1
        self.paint_colours()
        return self.done

    def sheet(self, name: str) -> Any:
        found = next((s for s in self.book.sheets if fold(s.name) == fold(name)), None)
        return found
