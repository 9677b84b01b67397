"""A filled template of thousands of rows, written fast: the data cells go straight into the
sheets' XML, the rest (lists, rules, help, the cells the plan marks, the « Contrôle »
column) through openpyxl as everywhere else.

openpyxl spends about ten microseconds on each cell it writes; an offer taken back fills
some 150 000 of them (``reprise``). Here openpyxl saves the workbook without the plain data
cells, then each data sheet's ``sheetData`` is written again with them merged in, row by row
and column by column, each cell with its column's style, exactly as openpyxl writes a cell
(an inline string, a number, a date as its serial number), before ``package`` shares the
texts. Values are written as data, escaped as ``put`` escapes them: no formula can come out
of here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from sofi_bulk.core.cells import column_index, column_letter
from sofi_bulk.core.layout import DATA_SHEETS
from sofi_bulk.core.plan import AnnotationPlan
from sofi_bulk.core.workbook import content_fingerprint
from sofi_bulk.excel.copy import AnnotatedCopy
from sofi_bulk.excel.package import workbook_bytes
from sofi_bulk.excel.template import TemplateBuilder, _values
from sofi_bulk.excel.values import cell_value, excel_text, put, seal
from sofi_bulk.files import write_out

# a sheet's data cells kept aside: row -> column (1-based) -> value
Aside = dict[int, dict[int, Any]]

_ROW = re.compile(r'<row r="(\d+)"([^>]*?)(?:/>|>(.*?)</row>)', re.DOTALL)
_CELL = re.compile(r'<c r="([A-Z]+)\d+"')
_COL = re.compile(r"<col\b([^>]*)/>")
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_SHEET_DATA = re.compile(r"<sheetData>(.*)</sheetData>|<sheetData/>", re.DOTALL)
_DIMENSION = re.compile(r'<dimension ref="[^"]*"/>')
_EPOCH = dt.datetime(1899, 12, 30)
# a carriage return written as such is read back as a line feed (XML's line-end rule): as a
# reference it stays one, as openpyxl writes it
_CR = {"\r": "&#13;"}


class BulkCopy(AnnotatedCopy):
    """The annotated copy whose plain data cells are kept aside and written by ``save``."""

    def __init__(self, result: Any, *, in_place: bool = False) -> None:
        super().__init__(result, in_place=in_place)
        self.aside: dict[str, Aside] = {sheet: {} for sheet in DATA_SHEETS}
        self.marked: set[tuple[str, str]] = set()

    def build(self, plan: AnnotationPlan | None = None) -> TemplateBuilder:
        plan = plan or self.plan()
        self.marked = {(mark.sheet, mark.cell) for mark in plan.marks}
        return super().build(plan)

    def copy_values(self) -> None:
        """The values of the data rows: aside, but those of the cells the plan marks (their
        fill and note are openpyxl's), which are put in their cells as the copy puts them."""
        for sheet in DATA_SHEETS:
            smap = self.result.maps.get(sheet)
            if smap is None:
                continue
            rows = self.book.sheets[smap.sheet]
            ws = self.out[sheet]
            targets = list(self.layout.targets[sheet].items())
            targets += list(self.layout.extra[sheet].items())
            self._extra_headers(ws, smap, rows, list(self.layout.extra[sheet].items()))
            first = self.layout.row(sheet, smap.header_row + 1)
            last = self.layout.row(sheet, len(rows))
            cells = ws._cells
            for key in [k for k in cells if first <= k[0] <= last]:
                del cells[key]  # the template's pre-filled values: the rows' own replace them
            aside = self.aside[sheet]
            letters = {target: column_letter(target) for _, target in targets}
            for r in range(smap.header_row, len(rows)):
                out_row = self.layout.row(sheet, r + 1)
                row = rows[r]
                kept: dict[int, Any] = {}
                for idx, target in targets:
                    value = row[idx] if idx < len(row) else None
                    if value is None or value == "":
                        continue
                    if (sheet, f"{letters[target]}{out_row}") in self.marked:
                        put(self.builder.new_cell(ws, out_row, target), value)
                    else:
                        kept[target] = value
                if kept:
                    aside[out_row] = kept
            self._keep_above_header(smap, rows)


def save_bulk(copy: BulkCopy, target: str | Path | BinaryIO) -> None:
    """Write the copy: openpyxl's workbook, its data sheets merged with the cells aside; the
    values' fingerprint stamped over both, as ``TemplateBuilder.save`` stamps it."""
    builder = copy.builder
    book = builder.book
    sheets = {ws.title: _values(ws) for ws in book.worksheets}
    for sheet, aside in copy.aside.items():
        rows = sheets.setdefault(sheet, [])
        for r, cells in aside.items():
            if len(rows) < r:
                rows.extend([] for _ in range(r - len(rows)))
            row = rows[r - 1]
            width = max(cells)
            if len(row) < width:
                row.extend([None] * (width - len(row)))
            for c, value in cells.items():
                row[c - 1] = _stored(value)
    builder._fingerprint_cell.value = content_fingerprint(sheets)
    builder._inherit_column_styles()
    seal(book)
    order = [ws.title for ws in book.worksheets]
    edits = {
        f"xl/worksheets/sheet{order.index(s) + 1}.xml": _merger(copy.aside[s])
        for s in DATA_SHEETS
        if copy.aside[s]
    }
    data = workbook_bytes(book, edits)
    write_out(data, target)


def _stored(value: Any) -> Any:
    """A value as the cell holds it once ``put`` wrote it (what the fingerprint hashes)."""
    value = cell_value(value)
    return excel_text(value) if isinstance(value, str) else value


def _merger(aside: Aside) -> Callable[[bytes], bytes]:
    """The edit that merges a sheet's XML, as openpyxl wrote it, with its cells aside."""
    return lambda xml: _merge_sheet(xml.decode("utf-8"), aside).encode("utf-8")


def _merge_sheet(xml: str, aside: Aside) -> str:
    styles = _column_styles(xml)
    found = _SHEET_DATA.search(xml)
    if found is None:
        raise ValueError("a worksheet without sheetData")
    theirs: dict[int, tuple[str, dict[int, str]]] = {}
    for m in _ROW.finditer(found.group(1) or ""):
        number, attrs, body = int(m[1]), m[2], m[3] or ""
        starts = [(c.start(), column_index(c[1])) for c in _CELL.finditer(body)]
        cells = {
            col: body[start : starts[k + 1][0] if k + 1 < len(starts) else len(body)]
            for k, (start, col) in enumerate(starts)
        }
        theirs[number] = (re.sub(r'\s*spans="[^"]*"', "", attrs), cells)
    parts: list[str] = ["<sheetData>"]
    tails: dict[Any, str] = {}
    last_col = 1
    for number in sorted(theirs.keys() | aside.keys()):
        attrs, cells = theirs.get(number, ("", {}))
        mine = aside.get(number, {})
        merged = dict(cells)
        for col, value in mine.items():
            if col not in merged:
                merged[col] = _cell(col, number, value, styles.get(col), tails)
        if merged:
            last_col = max(last_col, max(merged))
        parts.append(f'<row r="{number}"{attrs}>')
        parts.extend(merged[col] for col in sorted(merged))
        parts.append("</row>")
    parts.append("</sheetData>")
    rows = max(theirs.keys() | aside.keys(), default=1)
    xml = xml[: found.start()] + "".join(parts) + xml[found.end() :]
    return _DIMENSION.sub(f'<dimension ref="A1:{column_letter(last_col)}{rows}"/>', xml, count=1)


def _column_styles(xml: str) -> dict[int, str]:
    """The style of each column, as openpyxl wrote it in ``<cols>``."""
    styles: dict[int, str] = {}
    for m in _COL.finditer(xml):
        attrs = dict(_ATTR.findall(m[1]))
        if "style" in attrs:
            for col in range(int(attrs["min"]), int(attrs["max"]) + 1):
                styles[col] = attrs["style"]
    return styles


def _cell(col: int, row: int, value: Any, style: str | None, tails: dict[Any, str]) -> str:
    """One cell as openpyxl writes it: text inline, numbers, dates as serial numbers. Values
    repeat (pre-filled texts, codes, sites): each is written once in ``tails``."""
    try:
        key: Any = (style, value.__class__, value)
        tail = tails.get(key)
    except TypeError:  # an unhashable value: not expected, written all the same
        key, tail = None, None
    if tail is None:
        tail = _tail(value, style)
        if key is not None:
            tails[key] = tail
    return f'<c r="{column_letter(col)}{row}"{tail}'


def _tail(value: Any, style: str | None) -> str:
    """What follows a cell's reference: its style, type and value."""
    s = f' s="{style}"' if style is not None else ""
    value = cell_value(value)
    if isinstance(value, str):
        text = escape(excel_text(value), _CR)
        return f'{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    if isinstance(value, bool):
        return f'{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f"{s}><v>{value!r}</v></c>"
    if isinstance(value, dt.datetime):
        serial = (value.replace(tzinfo=None) - _EPOCH) / dt.timedelta(days=1)
        return f"{s}><v>{serial!r}</v></c>"
    if isinstance(value, dt.date):
        return f"{s}><v>{(value - _EPOCH.date()).days}</v></c>"
    if isinstance(value, dt.time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return f"{s}><v>{seconds / 86400!r}</v></c>"
    text = escape(excel_text(str(value)), _CR)
    return f'{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
