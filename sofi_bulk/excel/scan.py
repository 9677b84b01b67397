"""Look at an .xlsx before any reader loads it: refuse what is hostile or unreadable.

An .xlsx is a zip archive: its signature, entry count, declared uncompressed size and
compression ratio are checked from the central directory alone, so a zip bomb is refused
without inflating a byte. Then a streaming scan of the sheet XML refuses a cell absurdly
far away (python-calamine would allocate a grid up to it) and notes the cells holding a
formula error (#DIV/0!, #N/A…), which readers return as empty. Every message is French
and names the file.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, NoReturn

from sofi_bulk.core.cells import column_index, column_letter
from sofi_bulk.core.errors import WorkbookError

Source = str | Path | bytes | bytearray | BinaryIO
Opened = Path | io.BytesIO

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ENTRIES = 5_000
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 250  # per large entry; real worksheets compress 10-60x
RATIO_MIN_SIZE = 10 * 1024 * 1024  # ratios of small entries are not meaningful

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def open_source(source: Source, name: str | None = None) -> tuple[str, Opened]:
    """A file path stays a path; bytes and file-like objects (an HTTP upload, Pyodide's
    memory) become an in-memory buffer, refused past the size limit before being read."""
    if isinstance(source, str | Path):
        path = Path(source)
        return name or path.name or str(path), path
    if isinstance(source, bytes | bytearray):
        if len(source) > MAX_FILE_BYTES:
            raise WorkbookError(
                f"{name or 'classeur'} : fichier trop volumineux "
                f"({len(source) // 2**20} Mio, maximum {MAX_FILE_BYTES // 2**20})."
            )
        return name or "classeur.xlsx", io.BytesIO(bytes(source))
    data = source.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise WorkbookError(
            f"{name or 'classeur'} : fichier trop volumineux (maximum {MAX_FILE_BYTES // 2**20} "
            "Mio)."
        )
    return name or getattr(source, "name", None) or "classeur.xlsx", io.BytesIO(data)


def check_xlsx_container(source: Source, name: str | None = None) -> None:
    """Raise WorkbookError unless ``source`` looks like a sane .xlsx file."""
    name, opened = open_source(source, name)
    check_container(opened, name)


def check_container(opened: Opened, name: str) -> None:
    if isinstance(opened, Path):
        path = opened
        if not path.exists():
            guess = path.with_name(path.name + ".xlsx")
            hint = f" Vouliez-vous dire {guess.name} ?" if guess.is_file() else ""
            raise WorkbookError(f"{name} : fichier introuvable.{hint}")
        if path.is_dir():
            raise WorkbookError(f"{name} : c'est un dossier, pas un classeur .xlsx.")
        size = path.stat().st_size
    else:
        size = len(opened.getbuffer())
    if size == 0:
        raise WorkbookError(f"{name} : le fichier est vide.")
    if size > MAX_FILE_BYTES:
        raise WorkbookError(
            f"{name} : fichier trop volumineux ({size // 2**20} Mio, maximum "
            f"{MAX_FILE_BYTES // 2**20})."
        )
    head = _head(opened)
    if head.startswith(b"%PDF"):
        raise WorkbookError(f"{name} : c'est un document PDF, pas un classeur .xlsx.")
    if head[:8] == OLE2_MAGIC:
        raise WorkbookError(
            f"{name} : classeur protégé par mot de passe ou au format Excel 97-2003 (.xls). "
            "Retirez le mot de passe (Fichier > Informations > Protéger le classeur) ou "
            "enregistrez-le au format « Classeur Excel (.xlsx) », puis recommencez."
        )
    if not head.startswith(b"PK"):
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n") if _looks_like_text(head) else None
        if text is not None and text.startswith(b"{") and b"sofi-bulk/soumission" in head:
            raise WorkbookError(
                f"{name} : c'est une soumission JSON écrite par sofi-bulk, pas un classeur : "
                "contrôlez le classeur .xlsx d'où elle vient (pour un fichier LHEO : "
                "sofi-bulk lheo SOUMISSION.json -o offre.xml)."
            )
        if text is not None and text.startswith(b"<") and b"lheo.gouv.fr" in head:
            raise WorkbookError(
                f"{name} : c'est un fichier LHEO (XML), pas un classeur : contrôlez le "
                "classeur .xlsx d'où il vient."
            )
        kind = "un fichier texte (CSV ?)" if text is not None else "un fichier d'un autre type"
        raise WorkbookError(
            f"{name} : ce n'est pas un classeur .xlsx mais {kind}. "
            "Ouvrez-le dans Excel ou LibreOffice et enregistrez-le au format .xlsx."
        )
    try:
        with zipfile.ZipFile(opened) as archive:
            infos = archive.infolist()
            names = {i.filename for i in infos}
            if "mimetype" in names and "content.xml" in names:
                raise WorkbookError(
                    f"{name} : classeur OpenDocument (.ods). Dans LibreOffice, faites "
                    "Fichier > Enregistrer sous > « Excel 2007-365 (.xlsx) », puis recommencez."
                )
            if len(names) != len(infos):  # two parts of one name: readers disagree on which
                raise WorkbookError(
                    f"{name} : archive anormale (élément en double) ; fichier refusé."
                )
            if len(infos) > MAX_ENTRIES:
                raise WorkbookError(
                    f"{name} : archive anormale ({len(infos)} éléments) ; fichier refusé."
                )
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED_BYTES:
                raise WorkbookError(
                    f"{name} : contenu décompressé démesuré ({total // 2**20} Mio) ; fichier "
                    "refusé."
                )
            for info in infos:
                if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(
                    info.compress_size, 1
                ):
                    raise WorkbookError(
                        f"{name} : taux de compression suspect ({info.filename}) ; fichier refusé."
                    )
            for folder, document in _OFFICE_DOCUMENTS.items():
                if "xl/workbook.xml" not in names and any(n.startswith(folder) for n in names):
                    raise WorkbookError(
                        f"{name} : c'est {document}, pas un classeur Excel (.xlsx)."
                    )
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise WorkbookError(
                    f"{name} : archive zip qui n'est pas un classeur Excel (.xlsx)."
                )
            if any(n.startswith("xl/workbook.bin") for n in names):
                raise WorkbookError(
                    f"{name} : classeur binaire (.xlsb) ; enregistrez-le au format .xlsx."
                )
            for info in infos:
                if _declares_doctype(archive, info):
                    raise WorkbookError(
                        f"{name} : une partie du classeur ({info.filename}) déclare une DTD "
                        "(DOCTYPE), ce qu'Excel et LibreOffice n'écrivent jamais ; "
                        "fichier refusé. Enregistrez-le à nouveau depuis votre tableur."
                    )
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
        raise WorkbookError(
            f"{name} : fichier .xlsx endommagé ou incomplet (copie interrompue ?). "
            "Rouvrez-le dans Excel ou LibreOffice et enregistrez-le à nouveau."
        ) from exc
    except NotImplementedError as exc:  # a compression method zip readers do not know
        raise WorkbookError(
            f"{name} : archive compressée d'une façon qu'Excel n'utilise pas ; fichier refusé. "
            "Rouvrez-le dans Excel ou LibreOffice et enregistrez-le à nouveau."
        ) from exc
    except OSError as exc:
        raise WorkbookError(f"{name} : lecture impossible (droits d'accès ou disque).") from exc


_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)
PROLOG_BYTES = 4096


def _declares_doctype(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """True when an XML part declares a DTD (entity expansion, external entities): the
    prolog, where a DOCTYPE must stand, is read alone, never the whole part."""
    if not info.filename.endswith((".xml", ".rels", ".vml")) or info.file_size == 0:
        return False
    with archive.open(info) as stream:
        head = stream.read(PROLOG_BYTES)
    return bool(_DOCTYPE.search(head))


def _head(opened: Opened) -> bytes:
    if isinstance(opened, Path):
        try:
            with opened.open("rb") as fh:
                return fh.read(512)
        except OSError as exc:
            raise WorkbookError(
                f"{opened.name} : lecture impossible (droits d'accès ou disque)."
            ) from exc
    return opened.getvalue()[:512]


# the other Office documents, by the folder of their main part
_OFFICE_DOCUMENTS = {
    "word/": "un document Word (.docx)",
    "ppt/": "une présentation PowerPoint (.pptx)",
}


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # only a character cut by the end of the sample
    return True


MAX_ROWS = 50_000
MAX_COLUMNS = 1_000  # column ALL
CHUNK = 1 << 22
KEEP = 4096  # bytes kept between chunks so that no element is cut in two
NAME_BOUND = 256  # a cell or row tag's prefix may not be as long: its "<" could be out of view
CONTEXT = NAME_BOUND + 64  # bytes before the kept ones, seen again but not matched again

# python-calamine places a cell by its r attribute ("B12"; the last one when there are two),
# and a cell without one after the previous cell of its row; it matches element names
# whatever their prefix. Excel, LibreOffice and openpyxl write every cell as <c r="B12" …>
# with a near reference, which the negative lookahead below skips at C speed: what it finds
# is a reference of three letters or past row 49 999 (checked in Python), or a cell written
# some other way (no r, r not first, another quote, spaces, an entity…). A sheet holding one
# of those, a second r attribute, or a prefixed <x:c>, is scanned again tag by tag, counting
# positions the way the reader does.
_NAME = rb"[^\s<>/=:\"']"  # a byte of an XML name, any script
_CELL = re.compile(rb'<c(?! r="\$?+[A-Za-z]{1,2}+\$?+(?:[1-9][0-9]{0,3}|[1-4][0-9]{4})")[\s>/]')
# an r attribute that is not the canonical first one of <c r= or <row r= (a second r…)
_OTHER_R = re.compile(rb"r(?<=\sr)\s*=(?<!<c r=)(?<!<row r=)")
_PREFIXED = re.compile(rb":(?:c|row)[\s>/]")  # checked in Python: part of a tag name?
_TAG_NAME_END = re.compile(rb"<" + _NAME + rb"*\Z")
_LONG_NAME = re.compile(_NAME + rb"{%d}" % NAME_BOUND)
_PLAIN_REF = re.compile(rb' r="\$?([A-Za-z]+)\$?([0-9]+)"')
_VALUE_CHILD = re.compile(rb"<(?:" + _NAME + rb"*:)?(?:v|is|f)[\s>/]")  # a cell's content
# where a cell's content stops: its end tag, or (when the file is malformed) another tag
_CONTENT_END = re.compile(rb"<(/?)(?:" + _NAME + rb"*:)?(c|row)[\s>/]")
_MARKUP = re.compile(rb"<[!?]")  # a comment, CDATA or instruction may hide a </c>
_ERROR_CELL = re.compile(rb't="e"')
_REF = re.compile(rb"\br=\"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})\"")
# possessive, and no "<" inside a formula (XML escapes it): linear however the cell is cut
_ERROR_VALUE = re.compile(
    rb"\s*+(?:<(?:[\w.-]+:)?f\b[^>]*+/>|<(?:[\w.-]+:)?f\b[^>]*+>[^<]*+</(?:[\w.-]+:)?f\s*+>)?+"
    rb"\s*+<(?:[\w.-]+:)?v\s*+>([^<]*+)<"
)
# the slow path: every <row> and <c> tag with its attributes, whatever their quotes
_TAG = re.compile(
    rb"<(?:" + _NAME + rb"*:)?(c|row)((?:\s+[^\s=>/]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>"
)
_TAG_START = re.compile(rb"<(?:" + _NAME + rb"*:)?(c|row)[\s>/]")
_TAG_ATTR = re.compile(rb"([^\s=>/]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_ANY_REF = re.compile(r"\$?([A-Za-z]*)\$?0*([0-9]*)")
_SIMPLE_REF = re.compile(rb"([A-Za-z]+)([1-9][0-9]*)")
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?/?>")
_ATTR = re.compile(rb"([\w:]+)=\"([^\"]*)\"")
_REL = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*?/?>")

# The fast scan's four concerns above, as one pattern for google-re2, whose automaton reads
# a sheet once at C speed where Python's re spends hundreds of steps on every cell tag. RE2
# has no look-around: each alternative spells out, with the bytes around it, a superset of
# what one of the four regexes finds, and every place it stops at is looked at again by
# that regex, so both ways reach the same verdict. Where RE2 has no wheel (Pyodide), the
# four regexes run alone.
_WS = rb"[ \t\n\r\f\v]"  # Python's \s for bytes (RE2's \s lacks \v)
# a reference after <c r=" that is not written as Excel writes a near one ($ and lower
# case are, the regex tells them apart): the first byte where it departs from [A-Z]{1,2}
# then a row below 50 000 and a quote
_FAR_OR_ODD = (
    rb"[^A-Z]|[A-Z][^A-Z1-9]|[A-Z]{2}[^1-9]|[A-Z]{1,2}[1-9][0-9]{0,3}[^0-9\"]"
    rb"|[A-Z]{1,2}[5-9][0-9]{4}|[A-Z]{1,2}[1-4][0-9]{4}[^\"]"
)
_RE2_TAG_END = rb"[ \t\n\r\f\v>/]"
_ATTENTION_SOURCE = b"|".join(
    (
        # _CELL: a cell tag not opened by a near <c r="…">
        rb"<c(?:[\t\n\r\f\v>/]| [^r]| r[^=]| r=[^\"]| r=\"(?:" + _FAR_OR_ODD + rb"))",
        # _OTHER_R: an r attribute other than the first of <c r= and <row r=, with the bytes
        # before it that tell (spaces around =, another space, another tag, a second r)
        _WS + rb"r" + _WS + rb"+=",
        rb"[\t\n\r\f\v]r=",
        rb"(?:[^cw]|[^<]c|[^o]w|[^r]ow|[^<]row) r=",
        # _PREFIXED: the end of <x:c or <x:row, the rest looked at in Python; after _OTHER_R,
        # which RE2 prefers where both start (":row r=" then holds both)
        rb":(?:c|row)" + _RE2_TAG_END,
        # _ERROR_CELL
        rb't="e"',
    )
)


def _compile_attention() -> Any:
    try:
        import re2
    except ImportError:
        return None
    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1  # a byte is a character, as in re
    return re2.compile(_ATTENTION_SOURCE, options)


_ATTENTION = _compile_attention()


@dataclass
class SheetScan:
    name: str
    errors: dict[tuple[int, int], str] = field(
        default_factory=dict
    )  # (row, col), 0-based -> "#DIV/0!"


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
    rels = (
        archive.read("xl/_rels/workbook.xml.rels")
        if "xl/_rels/workbook.xml.rels" in archive.namelist()
        else b""
    )
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


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c\s[^>]*>")


def formula_cells(data: bytes, limit: int = 5) -> list[str]:
    """Where a workbook (already read once, so within the size limits) holds formulas, as
    "Sheet!A1", the first ``limit`` of them: a file kept for others to open must hold values
    only (a formula may call a web address or another program)."""
    found: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        for sheet, part in sheet_parts(archive).items():
            if part not in names:
                continue
            xml = archive.read(part)
            for hit in _FORMULA.finditer(xml):
                # the cell it belongs to: the last <c …> tag opened before it
                cells = _CELL_TAG.findall(xml, max(0, hit.start() - 1000), hit.start())
                ref = _REF.search(cells[-1]) if cells else None
                where = f"{ref.group(1).decode()}{ref.group(2).decode()}" if ref else "?"
                found.append(f"{sheet}!{where}")
                if len(found) >= limit:
                    return found
    return found


def scan_workbook(source: Source, name: str | None = None) -> dict[str, SheetScan]:
    """Scan every worksheet; raise WorkbookError when a filled cell lies absurdly far."""
    name, opened = open_source(source, name)
    return scan_opened(opened, name)


_IMAGES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf")


def scan_opened(opened: Opened, name: str) -> dict[str, SheetScan]:
    scans: dict[str, SheetScan] = {}
    try:
        with zipfile.ZipFile(opened) as archive:
            names = set(archive.namelist())
            for sheet, part in sheet_parts(archive).items():
                if part in names:
                    scans[sheet] = _scan_part(archive, part, SheetScan(sheet), name)
            # the reader finds its parts its own way (case, comments, duplicate names, odd
            # targets…): every other part but images is scanned too, named by its path
            scanned = set(sheet_parts(archive).values())
            for info in archive.infolist():
                if info.filename not in scanned and not info.filename.lower().endswith(_IMAGES):
                    _scan_part(archive, info.filename, SheetScan(info.filename), name)
    except (zipfile.BadZipFile, KeyError, OSError, zlib.error, EOFError, ValueError) as exc:
        raise WorkbookError(f"{name} : classeur endommagé (structure interne illisible).") from exc
    return scans


def _scan_part(archive: zipfile.ZipFile, part: str, scan: SheetScan, file_name: str) -> SheetScan:
    fast = _scan_marked(archive, part, scan, file_name) if _ATTENTION is not None else None
    if fast is None:  # no RE2, or alarms so many that Python's re costs less per cell
        scan.errors.clear()
        fast = _scan_plain(archive, part, scan, file_name)
    if fast:
        return scan
    scan.errors.clear()  # a cell written some other way: again, tag by tag
    _scan_tags(archive, part, scan, file_name)
    return scan


def _chunks(archive: zipfile.ZipFile, part: str) -> Iterator[tuple[bytes, int, int]]:
    """The part's bytes in overlapping buffers, with the span [first, limit) where a match
    must start to be this buffer's: what follows the limit comes again in the next buffer,
    after a little of what precedes it (so that a look-behind sees a whole tag name)."""
    tail, first = b"", 0
    with archive.open(part) as stream:
        while True:
            data = stream.read(CHUNK)
            buffer = tail + data
            limit = len(buffer) if not data else max(len(buffer) - KEEP, first)
            yield buffer, first, limit
            if not data:
                return
            first = min(CONTEXT, limit)
            tail = buffer[limit - first :]


def _scan_plain(archive: zipfile.ZipFile, part: str, scan: SheetScan, file_name: str) -> bool:
    """The fast scan; False when a cell is written in a way it does not read."""
    stops = MAX_STOPS
    for buffer, first, limit in _chunks(archive, part):
        for hit in _CELL.finditer(buffer, first):
            if hit.start() >= limit:
                break
            ref = _PLAIN_REF.match(buffer, hit.start() + 2)
            if ref is None:
                return False
            stops -= 1
            if stops < 0:
                _too_many(file_name, scan.name)
            _check_plain_cell(buffer, hit.start(), ref, scan, file_name)
        for hit in _PREFIXED.finditer(buffer, first):
            if hit.start() >= limit:
                break
            stops -= 1
            if stops < 0:
                _too_many(file_name, scan.name)
            if _in_tag_name(buffer, hit.start()):
                return False
        for hit in _OTHER_R.finditer(buffer, first):
            if hit.start() >= limit:
                break
            return False
        for hit in _ERROR_CELL.finditer(buffer, first):
            if hit.start() >= limit:
                break
            stops -= 1
            if stops < 0:
                _too_many(file_name, scan.name)
            _note_error(buffer, hit.start(), scan)
    return True


MAX_STOPS = 4_000_000  # places looked at one by one in a part: 80 per row of 50 000


def _too_many(file_name: str, sheet: str) -> NoReturn:
    """A sheet needing millions of places looked at in Python, one by one (a hostile one,
    piling up tags or t="e"), is refused within seconds, not hours."""
    most = f"{MAX_STOPS:,}".replace(",", " ")
    raise WorkbookError(
        f"{file_name} : {_where_in(sheet)} : plus de {most} balises à examiner une à une ; "
        "fichier refusé. Rouvrez-le dans Excel ou LibreOffice et enregistrez-le à nouveau."
    )


ALARM_BUDGET = 4096  # RE2 stops past which _scan_plain is cheaper (each stop costs ~5 µs)


def _scan_marked(
    archive: zipfile.ZipFile, part: str, scan: SheetScan, file_name: str
) -> bool | None:
    """The fast scan in one RE2 pass: each place it stops at is what one of the four
    regexes of ``_scan_plain`` would find, or a false alarm that regex dismisses. As there,
    a chunk's cells are all looked at before a prefixed tag or a second r sends the part
    to the careful scan: the same far cell is named. None when it stops too often (a sheet
    of formula errors, a hostile one): _scan_plain's passes then cost less."""
    budget = ALARM_BUDGET
    for buffer, first, limit in _chunks(archive, part):
        if first == 0:  # the part's start: a byte that opens no tag stands before it
            buffer, first, limit = b">" + buffer, 1, limit + 1
        pos = 0  # an alarm may start before ``first`` ("<x:c" cut by the last limit)
        careful = False
        while (hit := _ATTENTION.search(buffer, pos)) is not None:
            start = pos = hit.start()
            pos += 1
            budget -= 1
            if budget < 0:
                return None
            if start >= limit:
                break
            if buffer.startswith(b"<c", start) and buffer[start + 2] in _TAG_END_BYTES:
                if start >= first and _CELL.match(buffer, start):
                    ref = _PLAIN_REF.match(buffer, start + 2)
                    if ref is None:
                        return False
                    _check_plain_cell(buffer, start, ref, scan, file_name)
            elif buffer.startswith(b't="e"', start):
                if start >= first:
                    _note_error(buffer, start, scan)
            else:  # a prefixed tag name, or a second r attribute: found where that regex
                anchor = _alarm_anchor(buffer, start, hit.end())  # would find it?
                careful = careful or (anchor is not None and first <= anchor < limit)
        if careful or (limit == len(buffer) and _cut_cell_tag(buffer, first)):
            return False
    return True


def _cut_cell_tag(buffer: bytes, first: int) -> bool:
    """True when the part ends inside a <c tag: RE2 needs the byte after "<c r", which
    _CELL's look-ahead does not."""
    cells = _CELL.finditer(buffer, max(first, len(buffer) - 24))
    return any(_PLAIN_REF.match(buffer, hit.start() + 2) is None for hit in cells)


def _alarm_anchor(buffer: bytes, start: int, end: int) -> int | None:
    """Where _OTHER_R, or _PREFIXED in a tag name, first matches in what RE2 found, if either
    does: RE2's match begins with the bytes before that regex's, which it cannot look behind
    at (":row r=" holds both)."""
    found = []
    hit = _OTHER_R.search(buffer, start, end)
    if hit is not None:
        found.append(hit.start())
    hit = _PREFIXED.search(buffer, start, end)
    if hit is not None and _in_tag_name(buffer, hit.start()):
        found.append(hit.start())
    return min(found, default=None)


def _in_tag_name(buffer: bytes, colon: int) -> bool:
    """True when the ":" of ":c" or ":row" ends a tag's prefix, or a run of name bytes so
    long that the "<" before it may be out of view (then the careful scan refuses it)."""
    return _TAG_NAME_END.search(buffer, max(0, colon - NAME_BOUND), colon) is not None or (
        _long_prefix(buffer, colon)
    )


def _long_prefix(buffer: bytes, colon: int) -> bool:
    return colon >= NAME_BOUND and _LONG_NAME.match(buffer, colon - NAME_BOUND, colon) is not None


_TAG_END_BYTES = frozenset(b" \t\n\r\f\v>/")


def _check_plain_cell(
    buffer: bytes, start: int, ref: re.Match[bytes], scan: SheetScan, file_name: str
) -> None:
    """Refuse the cell whose tag opens at ``start`` when it is far and holds a value."""
    col, row = column_index(ref.group(1).decode().upper()), int(ref.group(2))
    if _far(row, col) and _holds_value(buffer, buffer.find(b">", start + 2)):
        _refuse(file_name, scan.name, ref.group(0)[4:-1].decode())


_TAG_REACH = 1024  # how far a t="e" is looked around for its tag's < and >


def _note_error(buffer: bytes, start: int, scan: SheetScan) -> None:
    """The formula error whose t="e" is at ``start``, when it is a cell's."""
    tag_start = buffer.rfind(b"<", max(0, start - _TAG_REACH), start)
    tag_end = buffer.find(b">", start + 5, start + _TAG_REACH)
    if tag_start < 0 or tag_end < 0:
        return  # not in a tag as programs write them
    tag = buffer[tag_start : tag_end + 1]
    ref = _REF.search(tag)
    if not ref or tag[1:].split(b" ", 1)[0].split(b":")[-1] != b"c":
        return
    col, row = column_index(ref.group(1).decode().upper()), int(ref.group(2))
    value = _ERROR_VALUE.match(buffer, tag_end + 1)
    scan.errors[(row - 1, col - 1)] = (
        value.group(1).decode("utf-8", "replace") if value else "#ERREUR"
    )


def _scan_tags(archive: zipfile.ZipFile, part: str, scan: SheetScan, file_name: str) -> None:
    """Every <row> and <c> tag in turn, placing each cell as the reader would: by its
    reference, else one column after the previous cell, one row after the previous row."""
    row, col = 0, 0  # 1-based; col is the previous cell's column
    stops = MAX_STOPS
    for buffer, first, limit in _chunks(archive, part):
        for hit in _PREFIXED.finditer(buffer, first):
            if hit.start() >= limit:
                break
            stops -= 1
            if stops < 0:
                _too_many(file_name, scan.name)
            if _long_prefix(buffer, hit.start()):
                _unreadable(file_name, scan.name)
        for start in _TAG_START.finditer(buffer, first):
            if start.start() >= limit:
                break
            stops -= 1
            if stops < 0:
                _too_many(file_name, scan.name)
            tag = _TAG.match(buffer, start.start())
            if tag is None or start.start(1) - start.start() - 2 >= NAME_BOUND:  # "<" ":"
                _unreadable(file_name, scan.name)
            attrs = {  # the last of two of a name wins, as in the reader; one of the two
                name: double or single  # quoted forms is empty
                for name, double, single in _TAG_ATTR.findall(tag.group(2))
            }
            raw = attrs.get(b"r")
            if tag.group(1) == b"row":  # its cells without a reference take its number, read
                if raw is not None and raw.isdigit():  # as the reader does
                    row, col = int(raw), 0
                    continue
                ref = _unescaped(raw)
                number = "".join(ch for ch in ref if ch in "0123456789")
                row, col = (int(number) if number else row + 1), 0
                continue
            simple = _SIMPLE_REF.fullmatch(raw) if raw is not None else None
            if simple is not None:  # as programs write it: no entity, space or $ to undo
                ref, letters, digits = (part.decode() for part in simple.group(0, 1, 2))
            else:
                ref = _unescaped(raw)
                parsed = _ANY_REF.fullmatch(ref.strip())
                letters, digits = parsed.groups() if parsed else ("", "")
            here_row = int(digits) if digits else row
            col = column_index(letters.upper()) if letters else col + 1
            if tag.group(3):
                continue  # <c …/>: formatting only
            if _far(here_row, col) and _holds_value(buffer, tag.end() - 1):
                where = ref if ref else f"{column_letter(min(col, 16384))}{here_row}"
                _refuse(file_name, scan.name, where)
            if attrs.get(b"t", b"").strip() == b"e":
                value = _ERROR_VALUE.match(buffer, tag.end())
                scan.errors[(here_row - 1, col - 1)] = (
                    value.group(1).decode("utf-8", "replace") if value else "#ERREUR"
                )


def _unescaped(raw: bytes | None) -> str:
    return html.unescape(raw.decode("utf-8", "replace")) if raw is not None else ""


def _unreadable(file_name: str, sheet: str) -> NoReturn:
    raise WorkbookError(
        f"{file_name} : {_where_in(sheet)} : balise de cellule illisible ; fichier refusé. "
        "Rouvrez-le dans Excel ou LibreOffice et enregistrez-le à nouveau."
    )


def _far(row: int, col: int) -> bool:
    return row >= MAX_ROWS or col > MAX_COLUMNS


def _holds_value(buffer: bytes, tag_end: int) -> bool:
    """A far cell counts only when a value, inline text or formula is inside: openpyxl
    writes styled empty cells as <c r="B60000" s="27" t="n"></c>."""
    if tag_end < 0:
        return True  # the tag runs past what was read: assume the worst
    if buffer[tag_end - 1 : tag_end] == b"/":
        return False
    end = _CONTENT_END.search(buffer, tag_end)
    if end is None or end.group(1, 2) != (b"/", b"c"):
        return True  # its end is out of sight, or another cell opens first: assume the worst
    if _MARKUP.search(buffer, tag_end, end.start()):
        return True  # a comment or CDATA could hide its end
    return _VALUE_CHILD.search(buffer, tag_end, end.start()) is not None


def _refuse(file_name: str, sheet: str, where: str) -> NoReturn:
    where = f"ligne {where}" if where.isdigit() else where
    last_row = f"{MAX_ROWS - 1:,}".replace(",", " ")
    raise WorkbookError(
        f"{file_name} : {_where_in(sheet)} : une cellule est remplie très loin du tableau "
        f"({where}). Effacez ce qui se trouve au-delà de la ligne {last_row} ou de la "
        f"colonne {column_letter(MAX_COLUMNS)}, puis recommencez."
    )


def _where_in(sheet: str) -> str:
    """A sheet by its name; a part no sheet names (a "/" no sheet name holds) by its path."""
    return f"partie « {sheet} »" if "/" in sheet else f"feuille « {sheet} »"
