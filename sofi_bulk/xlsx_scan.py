"""A streaming look at the worksheets of an .xlsx before any reader loads them.

python-calamine builds a dense grid from A1 to the farthest filled cell: one stray value
in XFD1048576 would ask for hundreds of gigabytes. This scan reads the sheet XML as a
stream and refuses such a file before it is loaded; on the way it notes the cells holding
a formula error (#DIV/0!, #N/A…), which readers return as empty cells.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from openpyxl.utils import column_index_from_string, get_column_letter

from sofi_bulk.errors import WorkbookError

MAX_ROWS = 50_000
MAX_COLUMNS = 1_000  # column ALL
CHUNK = 1 << 22
KEEP = 4096  # bytes kept between chunks so that no element is cut in two

# a reference beyond row 49 999 or column ALL: a literal anchor, so the regex engine runs
# at C speed and Python only looks at the rare hits
_FAR = re.compile(rb'r="(?:[A-Z]{0,3}(?:[5-9][0-9]{4}|[1-9][0-9]{5,})|(?:AM[A-Z]|A[N-Z][A-Z]|[B-Z][A-Z]{2})[0-9]+)"')
_FILLED_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*[^/]>")
_ERROR_CELL = re.compile(rb't="e"')
_REF = re.compile(rb"\br=\"([A-Z]{1,3})([0-9]{1,7})\"")
_ERROR_VALUE = re.compile(rb"\s*(?:<(?:\w+:)?f\b[^>]*/>|<(?:\w+:)?f\b[^>]*>.*?</(?:\w+:)?f>)?\s*<(?:\w+:)?v>([^<]*)<", re.S)
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?/?>")
_ATTR = re.compile(rb"([\w:]+)=\"([^\"]*)\"")
_REL = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*?/?>")


@dataclass
class SheetScan:
    name: str
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col), 0-based -> "#DIV/0!"


def _attrs(tag: bytes) -> dict[str, str]:
    """Attributes of a tag; "r:id" keeps its prefix, other prefixes are dropped."""
    out = {}
    for key, value in _ATTR.findall(tag):
        name = key.decode()
        out[name if name == "r:id" else name.split(":")[-1]] = value.decode("utf-8", "replace")
    return out


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet part path, from workbook.xml and its relationships."""
    workbook = archive.read("xl/workbook.xml")
    rels = archive.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in archive.namelist() else b""
    targets = {}
    for tag in _REL.findall(rels):
        attrs = _attrs(tag)
        target = attrs.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        targets[attrs.get("Id", "")] = path
    parts = {}
    for tag in _SHEET.findall(workbook):
        attrs = _attrs(tag)
        rid = attrs.get("r:id", "")
        if rid in targets:
            parts[attrs.get("name", "")] = targets[rid]
    return parts


def scan_workbook(path: Path) -> dict[str, SheetScan]:
    """Scan every worksheet; raise WorkbookError when a filled cell lies absurdly far."""
    scans: dict[str, SheetScan] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            for sheet, part in sheet_parts(archive).items():
                if part in names:
                    scans[sheet] = _scan_part(archive, part, SheetScan(sheet), path.name)
    except (zipfile.BadZipFile, KeyError, OSError, zlib.error, EOFError, ValueError) as exc:
        raise WorkbookError(f"{path.name} : classeur endommagé (structure interne illisible).") from exc
    return scans


def _scan_part(archive: zipfile.ZipFile, part: str, scan: SheetScan, file_name: str) -> SheetScan:
    tail = b""
    with archive.open(part) as stream:
        while True:
            data = stream.read(CHUNK)
            buffer = tail + data
            limit = len(buffer) if not data else max(len(buffer) - KEEP, 0)
            for far in _FAR.finditer(buffer, 0, limit):
                tag_start = buffer.rfind(b"<", 0, far.start())
                tag_end = buffer.find(b">", far.end())
                tag = buffer[tag_start:tag_end + 1]
                name = tag[1:].split(b" ", 1)[0].split(b":")[-1]
                if tag.endswith(b"/>") or name not in (b"c", b"row"):
                    continue  # formatting only, or another element
                if name == b"row":  # a far row counts only when a filled cell is inside
                    close = buffer.find(b"</", tag_end)
                    if not _FILLED_CELL.search(buffer, tag_end, close if close > 0 else tag_end + KEEP):
                        continue
                where = far.group(0)[3:-1].decode()
                where = f"ligne {where}" if where.isdigit() else where
                raise WorkbookError(
                    f"{file_name} : feuille « {scan.name} » : une cellule est remplie très loin du tableau "
                    f"({where}). Effacez ce qui se trouve au-delà de la ligne {MAX_ROWS - 1:_} ou de la colonne "
                    f"{get_column_letter(MAX_COLUMNS)}, puis recommencez.".replace("_", " ")
                )
            for hit in _ERROR_CELL.finditer(buffer, 0, limit):
                tag_start = buffer.rfind(b"<", 0, hit.start())
                tag_end = buffer.find(b">", hit.end())
                tag = buffer[tag_start:tag_end + 1]
                ref = _REF.search(tag)
                if not ref or tag[1:].split(b" ", 1)[0].split(b":")[-1] != b"c":
                    continue
                col, row = column_index_from_string(ref.group(1).decode()), int(ref.group(2))
                value = _ERROR_VALUE.match(buffer, tag_end + 1)
                scan.errors[(row - 1, col - 1)] = value.group(1).decode("utf-8", "replace") if value else "#ERREUR"
            if not data:
                break
            tail = buffer[limit:]
    return scan
