"""The file of a workbook we write: openpyxl's parts, each text kept once in a shared
strings table, as Excel and LibreOffice keep it.

openpyxl 3.1 writes every text inline, in its cell. A template pre-fills a thousand rows
with the same texts (the programme's name, codes, a paragraph of objectives), so its
« Sessions » sheet came to 4.7 Mo of XML where Excel writes 1 Mo; every reader of the file
(calamine in ``validate`` and in the service's workers, openpyxl, a spreadsheet program)
parsed it three times longer. Here openpyxl writes its parts unzipped, each worksheet's
inline texts become indices into ``xl/sharedStrings.xml``, and the whole is zipped once.
Values are moved as openpyxl escaped them, never unescaped: nothing becomes markup.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Mapping

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

SHARED_STRINGS = "xl/sharedStrings.xml"
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# a cell's plain inline text, as openpyxl (and ``bulk``) write it; rich text is left inline
_INLINE = re.compile(rb' t="inlineStr"><is><t(?: xml:space="preserve")?>([^<]*)</t></is></c>')
_SHEET = re.compile(r"xl/worksheets/sheet\d+\.xml")

# a worksheet part's XML, edited before its texts are shared (``bulk`` merges its cells)
Edit = Callable[[bytes], bytes]


def workbook_bytes(book: Workbook, edits: Mapping[str, Edit] | None = None) -> bytes:
    """The .xlsx file of ``book``: as openpyxl writes it, texts shared, zipped once."""
    edits = edits or {}
    book.properties.modified = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    raw = io.BytesIO()
    ExcelWriter(book, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED)).save()
    source = zipfile.ZipFile(raw)
    strings = _Strings()
    parts: list[tuple[zipfile.ZipInfo, bytes]] = []
    for info in source.infolist():
        data = source.read(info.filename)
        if info.filename in edits:
            data = edits[info.filename](data)
        if _SHEET.fullmatch(info.filename):
            data = _INLINE.sub(strings.shared, data)
        parts.append((info, data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            if strings.count and info.filename == "[Content_Types].xml":
                data = _with_content_type(data)
            elif strings.count and info.filename == "xl/_rels/workbook.xml.rels":
                data = _with_relationship(data)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)
        if strings.count:
            target.writestr(SHARED_STRINGS, strings.xml(), zipfile.ZIP_DEFLATED)
    return out.getvalue()


class _Strings:
    """The table of shared strings, filled as the worksheets are rewritten."""

    def __init__(self) -> None:
        self.index: dict[bytes, int] = {}
        self.count = 0

    def shared(self, match: re.Match[bytes]) -> bytes:
        self.count += 1
        text = match[1]
        n = self.index.get(text)
        if n is None:
            n = self.index[text] = len(self.index)
        return b' t="s"><v>%d</v></c>' % n

    def xml(self) -> bytes:
        head = (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<sst xmlns="%s" count="%d" uniqueCount="%d">'
            % (_MAIN.encode(), self.count, len(self.index))
        )
        items = b"".join(b'<si><t xml:space="preserve">%s</t></si>' % t for t in self.index)
        return head + items + b"</sst>"


def _with_content_type(xml: bytes) -> bytes:
    if b'PartName="/xl/sharedStrings.xml"' in xml:
        return xml
    override = f'<Override PartName="/{SHARED_STRINGS}" ContentType="{_SST_TYPE}"/>'
    return xml.replace(b"</Types>", override.encode() + b"</Types>", 1)


def _with_relationship(xml: bytes) -> bytes:
    if _SST_REL.encode() in xml:
        return xml
    taken = set(re.findall(rb'Id="([^"]*)"', xml))
    n = 1
    while b"rId%d" % n in taken:
        n += 1
    rel = f'<Relationship Type="{_SST_REL}" Target="sharedStrings.xml" Id="rId{n}"/>'
    return xml.replace(b"</Relationships>", rel.encode() + b"</Relationships>", 1)
