"""A stand-in for xlwings Lite's ``Book``, ``Sheet``, ``Range`` and ``Note`` that records the
actions a script sends to Excel, the way xlwings 0.37.8 does (one action per call:
``setValues``, ``setRangeColors``, ``addNote``, ``setNoteText``, ``deleteNote``,
``setColumnWidth``, ``setWrapText``, ``addHyperlink``,
``addSheet``, ``sheetDelete``, ``activateSheet``, ``alert``).

``Excel`` is the workbook itself; ``Excel.open()`` gives the ``Book`` a script receives
(values as Lite sends them); ``Excel.run(script)`` runs one script and applies its queued
actions, as Lite does when the script returns. Plain Python: it also runs under Pyodide.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

MAX_COLOUR_CELLS = 10_000


def col_letter(index: int) -> str:
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def parse_address(address: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """'B4' or 'A3:A12' -> ((row, col), (row, col)), 1-based."""
    parts = address.replace("$", "").split(":")
    cells = []
    for part in parts:
        m = re.fullmatch(r"([A-Za-z]+)(\d+)", part)
        assert m, address
        cells.append((int(m.group(2)), col_index(m.group(1))))
    return cells[0], cells[-1]


def lite_value(value: Any) -> Any:
    """A Python cell value as Lite sends it: "" for empty, ISO strings with Z for dates and
    times (a time on 1899-12-30), Excel errors as their text."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    if isinstance(value, dt.time):
        return f"1899-12-30T{value.strftime('%H:%M:%S')}.000Z"
    if hasattr(value, "code") and type(value).__name__ == "FormulaError":
        return value.code
    return value


@dataclass
class SheetState:
    name: str
    values: dict[tuple[int, int], Any] = field(default_factory=dict)
    colours: dict[tuple[int, int], str | None] = field(default_factory=dict)
    notes: dict[tuple[int, int], str] = field(default_factory=dict)
    links: dict[tuple[int, int], tuple[str, str, str]] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)  # points, by column
    wrapped: set[tuple[int, int]] = field(default_factory=set)
    visible: bool = True

    def rows(self) -> list[list[Any]]:
        if not self.values:
            return []
        height = max(r for r, _ in self.values)
        width = max(c for _, c in self.values)
        return [
            [self.values.get((r, c), "") for c in range(1, width + 1)] for r in range(1, height + 1)
        ]


class Excel:
    """The workbook as Excel holds it; scripts see it through ``open()``."""

    def __init__(self, name: str, sheets: dict[str, list[list[Any]]], *, notes_supported=True):
        self.name = name
        self.sheets: list[SheetState] = []
        self.notes_supported = notes_supported
        self.alerts: list[tuple[str, str, str]] = []
        self.log: list[list[dict[str, Any]]] = []  # the actions of each run
        for sheet_name, rows in sheets.items():
            state = SheetState(sheet_name)
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row, start=1):
                    if value not in (None, ""):
                        state.values[(r, c)] = lite_value(value)
            self.sheets.append(state)

    def sheet(self, name: str) -> SheetState:
        return next(s for s in self.sheets if s.name.casefold() == name.casefold())

    def open(self, include: list[str] | None = None) -> Book:
        return Book(self, include)

    def run(self, script: Any, include: list[str] | None = None) -> list[dict[str, Any]]:
        book = self.open(include)
        script(book)
        actions = book.json()["actions"]
        self.apply(actions)
        self.log.append(actions)
        return actions

    # --- what Excel does with the actions -------------------------------------------------
    def apply(self, actions: list[dict[str, Any]]) -> None:
        for action in actions:
            getattr(self, "_" + action["func"])(action)

    def _cells(self, action: dict[str, Any]) -> list[tuple[int, int]]:
        (r1, c1), (r2, c2) = parse_address(action["address"])
        return [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]

    def _setValues(self, action: dict[str, Any]) -> None:
        sheet = self.sheet(action["sheet"])
        (r1, c1), _ = parse_address(action["address"])
        for i, row in enumerate(action["values"]):
            for j, value in enumerate(row):
                if isinstance(value, str) and value.startswith("'"):
                    value = value[1:]  # Excel's text prefix, not part of the value
                if value in (None, ""):
                    sheet.values.pop((r1 + i, c1 + j), None)
                else:
                    sheet.values[(r1 + i, c1 + j)] = value

    def _setRangeColors(self, action: dict[str, Any]) -> None:
        sheet = self.sheet(action["sheet"])
        (r1, c1), _ = parse_address(action["address"])
        for i, row in enumerate(action["args"][0]):
            for j, colour in enumerate(row):
                if colour == "keep":
                    continue
                if colour is None:
                    sheet.colours.pop((r1 + i, c1 + j), None)
                else:
                    sheet.colours[(r1 + i, c1 + j)] = colour

    def _addNote(self, action: dict[str, Any]) -> None:
        (cell,) = self._cells(action)
        sheet = self.sheet(action["sheet"])
        assert cell not in sheet.notes, "Excel refuses a second note on a cell"
        sheet.notes[cell] = action["args"][1]

    def _setNoteText(self, action: dict[str, Any]) -> None:
        (cell,) = self._cells(action)
        sheet = self.sheet(action["sheet"])
        assert cell in sheet.notes, "no note to rewrite"
        sheet.notes[cell] = action["args"][1]

    def _deleteNote(self, action: dict[str, Any]) -> None:
        (cell,) = self._cells(action)
        del self.sheet(action["sheet"]).notes[cell]

    def _setColumnWidth(self, action: dict[str, Any]) -> None:
        sheet = self.sheet(action["sheet"])
        for _, column in self._cells(action):
            sheet.widths[column] = action["args"]

    def _setWrapText(self, action: dict[str, Any]) -> None:
        sheet = self.sheet(action["sheet"])
        for cell in self._cells(action):
            (sheet.wrapped.add if action["args"] else sheet.wrapped.discard)(cell)

    def _addHyperlink(self, action: dict[str, Any]) -> None:
        (cell,) = self._cells(action)
        self.sheet(action["sheet"]).links[cell] = tuple(action["args"])

    def _addSheet(self, action: dict[str, Any]) -> None:
        position, name = action["args"]
        self.sheets.insert(position, SheetState(name))

    def _sheetDelete(self, action: dict[str, Any]) -> None:
        self.sheets.remove(self.sheet(action["sheet"]))

    def _activateSheet(self, action: dict[str, Any]) -> None:
        self.active = action["sheet"]

    def _alert(self, action: dict[str, Any]) -> None:
        self.alerts.append(tuple(action["args"][:3]))


# --- what a script sees (xlwings' public API, the part the add-in uses) -------------------------
class App:
    def __init__(self, book: Book) -> None:
        self.book = book

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        self.book.queue(func="alert", args=[prompt, title or "", buttons, mode or "", ""])


class Book:
    def __init__(self, excel: Excel, include: list[str] | None) -> None:
        self.excel = excel
        self.name = excel.name
        self._json: dict[str, Any] = {"actions": []}
        self._sheets = [Sheet(self, state, include) for state in excel.sheets]
        self.sheets = Sheets(self)
        self.app = App(self)

    def queue(self, **action: Any) -> None:
        self._json["actions"].append(action)

    def json(self) -> dict[str, Any]:
        return self._json


class Sheets:
    def __init__(self, book: Book) -> None:
        self.book = book

    def __iter__(self):
        return iter(list(self.book._sheets))

    def __len__(self) -> int:
        return len(self.book._sheets)

    def __getitem__(self, key: str | int) -> Sheet:
        if isinstance(key, int):
            return self.book._sheets[key]
        for sheet in self.book._sheets:
            if sheet.name.casefold() == key.casefold():
                return sheet
        raise ValueError(f"Sheet '{key}' doesn't exist!")

    def add(self, name: str, before: Sheet | None = None, after: Sheet | None = None) -> Sheet:
        assert name.casefold() not in {s.name.casefold() for s in self.book._sheets}, name
        position = self.book._sheets.index(after) + 1 if after else len(self.book._sheets)
        sheet = Sheet(self.book, SheetState(name), None)
        self.book._sheets.insert(position, sheet)
        self.book.queue(func="addSheet", args=[position, name])
        return sheet


class Sheet:
    def __init__(self, book: Book, state: SheetState, include: list[str] | None) -> None:
        self.book = book
        self.name = state.name
        sent = include is None or state.name in include  # Lite sends only included sheets
        self._values = state.rows() if sent else []
        self._notes = set(state.notes) if book.excel.notes_supported else None

    @property
    def used_range(self) -> Range:
        if not self._values:
            return Range(self, (1, 1), (1, 1))
        return Range(self, (1, 1), (len(self._values), len(self._values[0])))

    def range(self, arg1: Any, arg2: Any = None) -> Range:
        if isinstance(arg1, str):
            first, last = parse_address(arg1)
            return Range(self, first, last)
        return Range(self, tuple(arg1), tuple(arg2 or arg1))

    def delete(self) -> None:
        self.book._sheets.remove(self)
        self.book.queue(func="sheetDelete", sheet=self.name)

    def activate(self) -> None:
        self.book.queue(func="activateSheet", sheet=self.name)


class Note:
    def __init__(self, rng: Range) -> None:
        self.range = rng

    def delete(self) -> None:
        self.range.sheet._notes.discard(self.range.cell)
        self.range.queue("deleteNote", args=[self.range.address])

    @property
    def text(self) -> str:
        raise NotImplementedError("Lite reads a note's text only with await get_text()")

    @text.setter
    def text(self, value: str) -> None:
        self.range.queue("setNoteText", args=[self.range.address, value])


class Range:
    def __init__(self, sheet: Sheet, first: tuple[int, int], last: tuple[int, int]) -> None:
        self.sheet = sheet
        self.row, self.column = first
        self.last = last

    @property
    def shape(self) -> tuple[int, int]:
        return self.last[0] - self.row + 1, self.last[1] - self.column + 1

    @property
    def cell(self) -> tuple[int, int]:
        return self.row, self.column

    @property
    def address(self) -> str:
        first = f"{col_letter(self.column)}{self.row}"
        if self.shape == (1, 1):
            return first
        return f"{first}:{col_letter(self.last[1])}{self.last[0]}"

    def queue(self, func: str, **kwargs: Any) -> None:
        self.sheet.book.queue(func=func, sheet=self.sheet.name, address=self.address, **kwargs)

    @property
    def raw_value(self) -> Any:
        rows = [tuple(row[self.column - 1 : self.last[1]]) for row in self.sheet._values][
            self.row - 1 : self.last[0]
        ]
        if not rows:
            return "" if self.shape == (1, 1) else [("",) * self.shape[1]] * self.shape[0]
        return rows[0][0] if self.shape == (1, 1) else rows

    @property
    def value(self) -> Any:
        raise NotImplementedError("the add-in reads raw_value only")

    @value.setter
    def value(self, data: Any) -> None:
        assert isinstance(data, list) and all(isinstance(row, list) for row in data)
        assert len(data) == self.shape[0] and all(len(r) == self.shape[1] for r in data), (
            "a block of values matches its range"
        )
        values = [["" if v is None else v for v in row] for row in data]
        self.queue("setValues", values=copy.deepcopy(values))

    def set_colors(self, colors: list[list[Any]]) -> None:
        rows, columns = self.shape
        if rows * columns > MAX_COLOUR_CELLS:
            raise ValueError("Range.set_colors() supports at most 10,000 cells per call")
        if len(colors) != rows or any(len(row) != columns for row in colors):
            raise ValueError("colours must match the range's shape")
        matrix = [["keep" if c is ... else c for c in row] for row in colors]
        for row in matrix:
            for c in row:
                assert c in ("keep", None) or re.fullmatch(r"#[0-9A-F]{6}", c), c
        self.queue("setRangeColors", args=[matrix])

    @property
    def note(self) -> Note | None:
        notes = self.sheet._notes
        return Note(self) if notes is not None and self.cell in notes else None

    def add_note(self, text: str) -> Note:
        if self.sheet._notes is None:
            raise NotImplementedError("Notes require ExcelApi 1.18")
        if not isinstance(text, str) or not text:
            raise ValueError("Note text must be a non-empty string")
        if self.shape != (1, 1):
            raise ValueError("A note can only be added to a single cell")
        if self.note is not None:
            raise ValueError("This cell already has a note")
        self.sheet._notes.add(self.cell)
        self.queue("addNote", args=[self.address, text])
        return Note(self)

    @property
    def column_width(self) -> float:
        raise NotImplementedError("Lite reads a width only with await get_column_width()")

    @column_width.setter
    def column_width(self, points: float) -> None:  # in points, the columns of the range
        self.queue("setColumnWidth", args=points)

    @property
    def wrap_text(self) -> bool:
        raise NotImplementedError("Lite reads it only with await get_wrap_text()")

    @wrap_text.setter
    def wrap_text(self, value: bool) -> None:
        self.queue("setWrapText", args=bool(value))

    def add_hyperlink(self, address: str, text_to_display=None, screen_tip=None) -> None:
        assert self.shape == (1, 1)
        self.queue("addHyperlink", args=[address, text_to_display or address, screen_tip or ""])


# --- workbooks for the tests ---------------------------------------------------------------------
def excel_from_input(book: Any) -> Excel:
    """An ``Excel`` holding a ``WorkbookInput``'s sheets and its ``_meta`` sheet rebuilt."""
    meta = [["clé", "valeur"], *([k, v] for k, v in book.meta.items())]
    blob = book.referentiel_json or ""
    meta += [["referentiel_json", blob[i : i + 30000]] for i in range(0, len(blob), 30000)]
    return Excel(book.name, {**book.sheets, "_meta": meta})


def excel_from_file(path: Any) -> Excel:
    """An ``Excel`` holding a workbook file's sheets, in order, with the values Excel shows
    (formula errors included) and ``_meta`` as written."""
    from pathlib import Path

    from python_calamine import CalamineWorkbook

    import sofi_bulk

    book = sofi_bulk.read(path)
    raw = CalamineWorkbook.from_path(str(path))
    sheets = {
        name: book.sheets[name]
        if name in book.sheets
        else raw.get_sheet_by_name(name).to_python(skip_empty_area=False)
        for name in raw.sheet_names
    }
    return Excel(Path(path).name, sheets)
