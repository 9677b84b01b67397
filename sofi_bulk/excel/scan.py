"""Look at an .xlsx before any reader loads it: refuse what is hostile or unreadable.

An .xlsx is a zip archive: its signature, entry count, declared uncompressed size and
compression ratio are checked from the central directory alone, so a zip bomb is refused
without inflating a byte. Then a streaming scan of the sheet XML refuses a cell absurdly
far away (python-calamine would allocate a grid up to it) and notes the cells holding a
formula error (#DIV/0!, #N/A…), which readers return as empty. Every message is French
and names the file.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NoReturn
from xml.parsers import expat

from sofi_bulk.core.cells import column_index, column_letter
from sofi_bulk.core.errors import WorkbookError
from sofi_bulk.core.workbook import MAX_COLUMNS, MAX_ROWS, far_cell_message

Source = str | Path | bytes | bytearray | BinaryIO
Opened = Path | io.BytesIO

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ENTRIES = 5_000
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 250  # per large entry; real worksheets compress 10-60x
RATIO_MIN_SIZE = 10 * 1024 * 1024  # ratios of small entries are not meaningful

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# parts the reader keeps whole in memory, each string or style as an object of its own (a
# few dozen bytes for a few in the file): 49 000 sessions need 6 MB of shared strings
_READ_WHOLE = {"xl/sharedstrings.xml": 64 * 2**20, "xl/styles.xml": 16 * 2**20}


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
        raise WorkbookError(_compound_file_message(opened, name))
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
            if not _read_one_way(opened, len(infos)):
                raise WorkbookError(
                    f"{name} : archive anormale (sommaire ambigu : deux programmes n'y liraient "
                    "pas les mêmes éléments) ; fichier refusé. "
                    "Rouvrez-le dans Excel ou LibreOffice et enregistrez-le à nouveau."
                )
            if "mimetype" in names and "content.xml" in names:
                raise WorkbookError(
                    f"{name} : classeur OpenDocument (.ods). Dans LibreOffice, faites "
                    "Fichier > Enregistrer sous > « Excel 2007-365 (.xlsx) », puis recommencez."
                )
            # two parts of one name, as the reader matches names (case, "\\"): readers
            # disagree on which is read
            if len({_normal(n) for n in names}) != len(infos):
                raise WorkbookError(
                    f"{name} : archive anormale (élément en double) ; fichier refusé."
                )
            if any(_renamed(info) for info in infos):
                raise WorkbookError(
                    f"{name} : archive anormale (nom d'élément ambigu : deux programmes ne le "
                    "liraient pas de la même façon) ; fichier refusé. "
                    "Rouvrez-le dans Excel ou LibreOffice et enregistrez-le à nouveau."
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
                most = _READ_WHOLE.get(_normal(info.filename))
                if most is not None and info.file_size > most:
                    raise WorkbookError(
                        f"{name} : partie démesurée ({info.filename}, "
                        f"{info.file_size // 2**20} Mio, maximum {most // 2**20}) ; fichier refusé."
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
    except RuntimeError as exc:  # an encrypted part (NotImplementedError is one too: above)
        raise WorkbookError(
            f"{name} : archive chiffrée ; fichier refusé. Retirez le mot de passe, puis "
            "enregistrez-le à nouveau au format .xlsx."
        ) from exc
    except OSError as exc:
        raise WorkbookError(f"{name} : lecture impossible (droits d'accès ou disque).") from exc


def _normal(name: str) -> str:
    """A part's name as the reader matches it: "\\" as "/", ASCII letters in any case."""
    return name.replace("\\", "/").translate(_ASCII_LOWER_STR)


_ASCII_LOWER_STR = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_UNICODE_EXTRAS = (0x7075, 0x6375)  # Info-ZIP's Unicode path and comment: Python ignores them


def _renamed(info: zipfile.ZipInfo) -> bool:
    """True when the reader's zip library may read another name for this part than Python
    does: a Unicode path field, or a non-ASCII name not flagged as UTF-8 (cp437 here)."""
    if not info.filename.isascii() and not info.flag_bits & 0x800:
        return True
    extra, at = info.extra, 0
    while at + 4 <= len(extra):
        kind, size = (
            int.from_bytes(extra[at : at + 2], "little"),
            int.from_bytes(extra[at + 2 : at + 4], "little"),
        )
        if kind in _UNICODE_EXTRAS:
            return True
        at += 4 + size
    return False


_EOCD = struct.Struct("<4sHHHHIIH")  # end of central directory: 22 bytes
_EOCD64 = struct.Struct("<4sQHHIIQQQQ")  # its zip64 form: 56 bytes
_LOCATOR = struct.Struct("<4sIQI")  # where the zip64 form is: 20 bytes, before the EOCD


def _read_one_way(opened: Opened, entries: int) -> bool:
    """True when the archive has one central directory that Python's zipfile and the
    reader's zip library both find: else the scan could check one list of parts and the
    reader read another. Python takes the last end record and, if a zip64 locator stands
    before it, the zip64 record right before that; the other library skips an end record
    whose comment overruns the file and uses zip64 only when the end record asks for it.
    So: the comment ends the file, nothing is prepended, every count and offset agrees."""
    if isinstance(opened, Path):
        with opened.open("rb") as fh:
            size = fh.seek(0, 2)
            start = max(0, size - (1 << 16) - _EOCD.size - _LOCATOR.size - _EOCD64.size)
            fh.seek(start)
            tail = fh.read()
    else:
        with opened.getbuffer() as data:
            size, start = len(data), max(0, len(data) - (1 << 16) - 98)
            tail = bytes(data[start:])
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _EOCD.size > len(tail):
        return False
    _, disk, cd_disk, on_disk, count, cd_size, cd_offset, comment = _EOCD.unpack_from(tail, at)
    if start + at + _EOCD.size + comment != size or disk or cd_disk:
        return False
    end = start + at  # where the central directory must end (no data prepended)
    if at >= _LOCATOR.size and tail[at - _LOCATOR.size : at - 16] == b"PK\x06\x07":
        _, _, record, _ = _LOCATOR.unpack_from(tail, at - _LOCATOR.size)
        here = at - _LOCATOR.size - _EOCD64.size
        if here < 0 or start + here != record or tail[here : here + 4] != b"PK\x06\x06":
            return False
        _, _, _, _, disk64, cd_disk64, on_disk64, count64, size64, offset64 = _EOCD64.unpack_from(
            tail, here
        )
        pairs = (
            (on_disk, on_disk64, 0xFFFF),
            (count, count64, 0xFFFF),
            (cd_size, size64, 0xFFFFFFFF),
            (cd_offset, offset64, 0xFFFFFFFF),
        )
        if disk64 or cd_disk64 or any(v not in (v64, full) for v, v64, full in pairs):
            return False
        on_disk, count, cd_size, cd_offset, end = on_disk64, count64, size64, offset64, record
    elif 0xFFFF in (on_disk, count) or 0xFFFFFFFF in (cd_size, cd_offset):
        return False  # asks for a zip64 record that is not there
    return on_disk == count == entries and cd_offset + cd_size == end


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


# --- an OLE2 compound file: a .xls, or an .xlsx encrypted with a password ----------------------
_SAVE_XLSX = {
    "LibreOffice": "Dans LibreOffice, faites Fichier > Enregistrer sous et choisissez le type "
    "« Classeur Excel 2007-365 (.xlsx) »",
    "Excel": "Dans Excel, faites Fichier > Enregistrer sous et choisissez le type « Classeur "
    "Excel (.xlsx) »",
}
_NO_PASSWORD = (
    "Retirez le mot de passe (Excel : Fichier > Informations > Protéger le classeur ; "
    "LibreOffice : Fichier > Enregistrer sous, sans « Enregistrer avec mot de passe »)"
)


def _compound_file_message(opened: Opened, name: str) -> str:
    """What to do with an OLE2 file given as a workbook, in the words of the program that
    saved it: a .xls from LibreOffice or Excel, or an encrypted .xlsx."""
    kind = _compound_kind(opened)
    if kind == "encrypted":
        return f"{name} : classeur protégé par un mot de passe. {_NO_PASSWORD}, puis recommencez."
    if kind in _SAVE_XLSX:
        return (
            f"{name} : classeur au format Excel 97-2003 (.xls), enregistré par {kind}. "
            f"{_SAVE_XLSX[kind]}, puis contrôlez le fichier .xlsx."
        )
    return (
        f"{name} : classeur protégé par mot de passe ou au format Excel 97-2003 (.xls). Retirez "
        "le mot de passe, ou enregistrez-le au format .xlsx (Excel : Fichier > Enregistrer sous "
        "> « Classeur Excel » ; LibreOffice : Fichier > Enregistrer sous > « Classeur Excel "
        "2007-365 »), puis recommencez."
    )


def _compound_kind(opened: Opened) -> str | None:
    """« encrypted », the program that wrote a .xls (LibreOffice, Excel), or None when the
    file cannot tell."""
    import olefile

    try:
        source = opened if isinstance(opened, Path) else io.BytesIO(opened.getvalue())
        with olefile.OleFileIO(source) as ole:
            streams = {"/".join(entry).lower() for entry in ole.listdir()}
            if "encryptedpackage" in streams:
                return "encrypted"
            book = next((s for s in ("workbook", "book") if s in streams), None)
            if book is None:
                return None
            compobj = ole.openstream("\x01CompObj").read(512) if "\x01compobj" in streams else b""
            start = ole.openstream(book).read(4096)
    except Exception:  # a damaged container: say what it may be
        return None
    # LibreOffice writes its own constants: a German CompObj name, « Calc » as the author
    if b"97-Tabelle" in compobj or _write_access(start).startswith(b"Calc"):
        return "LibreOffice"
    return "Excel"


def _write_access(records: bytes) -> bytes:
    """The text of a BIFF stream's WRITEACCESS record (who saved it), from its first
    records."""
    at = 0
    while at + 4 <= len(records):
        kind, size = struct.unpack_from("<HH", records, at)
        if kind == 0x005C:
            return records[at + 7 : at + 4 + size]  # after the length and the flags
        at += 4 + size
    return b""


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


CHUNK = 1 << 22
KEEP = 4096  # bytes kept between chunks so that no element is cut in two
NAME_BOUND = 256  # a longer name before ":c" goes to the XML parser: its "<" may be out of view
CONTEXT = NAME_BOUND + 64  # bytes before the kept ones, seen again but not matched again

# python-calamine places a cell by its r attribute ("B12"; the last one when there are two),
# and a cell without one after the previous cell of its row, in the row where the last
# <row r> or </row> left it; it matches element names whatever their prefix (what precedes
# the first ":"), and a name runs to the first space, tab, newline, "/" or ">". Excel,
# LibreOffice and openpyxl write every cell as <c r="B12" …> with a near reference, which
# the negative lookahead below skips at C speed: what it finds is a reference of three
# letters or past row 49 999 (checked in Python), or a cell written some other way (no r,
# r not first, another quote, spaces, an entity…). A sheet holding one of those, a second
# r attribute, or a prefixed <x:c>, is read again by an XML parser, counting positions the
# way the reader does.
_NAME = rb"[^ \t\r\n<>]"  # a byte the reader may take into a tag name (prefix, ":" included)
_NEAR_COLUMN = rb"(?:[A-Da-d][A-Za-z]|[Ee][A-Ta-t]|[A-Za-z](?![A-Za-z]))"  # A to ET
_CELL = re.compile(
    rb'<c(?! r="\$?+' + _NEAR_COLUMN + rb'\$?+(?:[1-9][0-9]{0,3}|[1-4][0-9]{4})")[\s>/]'
)
# an r attribute that is not the canonical first one of <c r= or <row r= (a second r…)
_OTHER_R = re.compile(rb"r(?<=[\s\"']r)\s*=(?<!<c r=)(?<!<row r=)")
_PREFIXED = re.compile(rb":(?:c|row)[\s>/]")  # checked in Python: part of a tag name?
_TAG_NAME_END = re.compile(rb"<" + _NAME + rb"*\Z")
_LONG_NAME = re.compile(_NAME + rb"{%d}" % NAME_BOUND)
_PLAIN_REF = re.compile(rb' r="\$?([A-Za-z]+)\$?([0-9]+)"')
# a cell tag to its ">", quotes and all (a "/>" inside quotes does not close it)
# (no "<" inside: each match stops at the next tag, however the tags overlap)
_CELL_TAG_SPAN = re.compile(rb"""<c(?:[^<>"']++|"[^<"]*+"|'[^<']*+')*+>""")
# the end tag of an empty cell, as the reader reads it: what follows a far cell's tag, if
# anything but text, is a value, an error for the reader, or something hiding one
_EMPTY_END = re.compile(rb"</(?:[^ \t\r\n<>:]*+:)?c[ \t\r\n]*+>")
# where a t="e" may be a cell's: in a tag whose name is c, whatever its prefix
_CELL_NAME = re.compile(rb"<(?:[^ \t\r\n<>:/!?][^ \t\r\n<>:]*+:)?c[ \t\r\n]")
_ERROR_CELL = re.compile(rb't="e"')
_REF = re.compile(rb"\br=\"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})\"")
ERROR_TEXT_MAX = 32  # "#DIV/0!", "#GETTING_DATA", LibreOffice's "Err:502": a longer one is none
# possessive, and no "<" inside a formula (XML escapes it): linear however the cell is cut
_ERROR_VALUE = re.compile(
    rb"\s*+(?:<(?:[\w.-]+:)?f\b[^>]*+/>|<(?:[\w.-]+:)?f\b[^>]*+>[^<]*+</(?:[\w.-]+:)?f\s*+>)?+"
    rb"\s*+<(?:[\w.-]+:)?v\s*+>([^<]{0,%d}+)<" % (ERROR_TEXT_MAX + 1)
)
# the slow path's references: as programs write them, or as loosely as a reader may take them
_ANY_REF = re.compile(r"\$?([A-Za-z]*)\$?([0-9]*)")
_SIMPLE_REF = re.compile(r"([A-Za-z]+)([1-9][0-9]*)")

# The fast scan's four concerns above, as one pattern for google-re2, whose automaton reads
# a sheet once at C speed where Python's re spends hundreds of steps on every cell tag. RE2
# has no look-around: each alternative spells out, with the bytes around it, a superset of
# what one of the four regexes finds, and every place it stops at is looked at again by
# that regex, so both ways reach the same verdict. Where RE2 has no wheel (Pyodide), the
# four regexes run alone.
_WS = rb"[ \t\n\r\f\v]"  # Python's \s for bytes (RE2's \s lacks \v)
# a reference after <c r=" that is not written as Excel writes a near one ($ and lower
# case are, the regex tells them apart): the first byte where it departs from [A-Z]{1,2}
# then a row below 50 000 and a quote, or two letters past column ET
_FAR_OR_ODD = (
    rb"[^A-Z]|[A-Z][^A-Z1-9]|[A-Z]{2}[^1-9]|[A-Z]{1,2}[1-9][0-9]{0,3}[^0-9\"]"
    rb"|[A-Z]{1,2}[5-9][0-9]{4}|[A-Z]{1,2}[1-4][0-9]{4}[^\"]|E[U-Z]|[F-Z][A-Z]"
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
        rb"[\"']r" + _WS + rb"*=",  # glued to the previous value's quote
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
    file_name: str = "classeur"


# the folders sheets are kept in: every part there is scanned, pointed at or not (and a part
# of that very name: "xl/worksheets" is a path the reader takes)
SHEET_FOLDERS = ("xl/worksheets", "xl/chartsheets", "xl/dialogsheets")
MAX_SHEETS = 1_000  # sheets and workbook relationships kept: a workbook has a few dozen
_PLAIN_VALUE = re.compile(r"[^&\s]*")  # a value read the same with or without unescaping


def _elements(
    archive: zipfile.ZipFile, entry: str, local: str, keys: tuple[str, ...], budget: _Budget
) -> list[dict[str, str]]:
    """The ``keys`` attributes of every element named ``local`` (whatever its prefix) in a
    part, read by expat as in the slow scan; at most MAX_SHEETS of them."""
    found: list[dict[str, str]] = []
    depth = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        budget.spend(1 + len(attrs), entry)
        if depth > MAX_DEPTH:
            _unreadable(budget.file_name, entry, " (imbrication démesurée)")
        if name[name.find(":") + 1 :] == local:
            if len(found) >= MAX_SHEETS:
                _unreadable(budget.file_name, entry, f" (plus de {MAX_SHEETS} {local})")
            found.append({key: value for key, value in attrs.items() if key in keys})

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1

    parser = _parser(budget, entry)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _feed(parser, archive, entry, budget)
    return found


def sheet_parts(archive: zipfile.ZipFile, budget: _Budget | None = None) -> dict[str, str]:
    """Sheet name -> the part the reader reads as that sheet (the first of that name)."""
    return _sheet_map(archive, budget or _Budget("classeur"))[0]


def _sheet_map(archive: zipfile.ZipFile, budget: _Budget) -> tuple[dict[str, str], set[str]]:
    """The sheets as the reader finds them: the target of each <sheet>'s r:id (or
    relationships:id) in workbook.xml.rels, "/x" as "x", else "xl/x", matched as the reader
    matches names; and every part any <sheet> points at (of two sheets of one name the
    reader reads the first: both are scanned)."""
    entries = {_normal(info.filename): info.filename for info in archive.infolist()}
    by_id: dict[str, list[str]] = {}
    rels = entries.get("xl/_rels/workbook.xml.rels")
    if rels is not None:
        for attrs in _elements(archive, rels, "Relationship", ("Id", "Target"), budget):
            if not all(_PLAIN_VALUE.fullmatch(value) for value in attrs.values()):
                _odd_reference(budget.file_name, rels)  # the reader takes values as written
            target = attrs.get("Target", "")
            paths = [target[1:] if target.startswith("/") else f"xl/{target}"]
            if target.startswith("xl/"):
                paths.append(target)  # as another reader could take it: scanned too
            existing = [entries[p] for p in map(_normal, paths) if p in entries]
            by_id.setdefault(attrs.get("Id", ""), []).extend(existing)  # an Id twice: both
    names: dict[str, str] = {}
    parts: set[str] = set()
    book = entries.get("xl/workbook.xml")
    if book is not None:
        keys = ("name", "r:id", "relationships:id")
        for attrs in _elements(archive, book, "sheet", keys, budget):
            found: list[str] = []
            for key, rid in attrs.items():  # in the order written: the last one wins
                if key != "name":
                    if not _PLAIN_VALUE.fullmatch(rid):
                        _odd_reference(budget.file_name, book)
                    found = by_id.get(rid, [])
            parts.update(found)
            if found:
                names.setdefault(attrs.get("name", ""), found[0])
    return names, parts


def _odd_reference(file_name: str, part: str) -> NoReturn:
    raise WorkbookError(
        f"{file_name} : {_where_in(part)} : référence de feuille écrite avec une entité ou "
        "un espace, ce qu'aucun tableur n'écrit ; fichier refusé. Rouvrez-le dans Excel ou "
        "LibreOffice et enregistrez-le à nouveau."
    )


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c\s[^>]*>")


def formula_cells(data: bytes, limit: int = 5) -> list[str]:
    """Where a workbook (already read once, so within the size limits) holds formulas, as
    "Sheet!A1", the first ``limit`` of them: a file kept for others to open must hold values
    only (a formula may call a web address or another program)."""
    found: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for sheet, part in sheet_parts(archive).items():
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


def scan_opened(opened: Opened, name: str) -> dict[str, SheetScan]:
    """Every part the reader may read as a sheet, named by its sheet where workbook.xml
    says (else by its path): the parts its <sheet> elements point at, and, should the
    reader find one otherwise, every part of the sheet folders."""
    scans: dict[str, SheetScan] = {}
    budget = _Budget(name)
    try:
        with zipfile.ZipFile(opened) as archive:
            sheets, pointed = _sheet_map(archive, budget)
            noted = 0
            done: dict[str, SheetScan] = {}  # a part several sheets name is scanned once
            for sheet, part in sheets.items():
                if part in done:
                    scans[sheet] = SheetScan(sheet, dict(done[part].errors), name)
                else:
                    done[part] = _scan_part(archive, part, SheetScan(sheet, file_name=name), budget)
                    scans[sheet] = done[part]
                noted += len(scans[sheet].errors)
                if noted > MAX_ERRORS:
                    _too_many_errors(name, sheet)
            named = set(sheets.values())
            for info in archive.infolist():
                if info.filename not in named and (
                    info.filename in pointed or _normal(info.filename).startswith(SHEET_FOLDERS)
                ):
                    other = SheetScan(info.filename, file_name=name)
                    _scan_part(archive, info.filename, other, budget)
    except (
        zipfile.BadZipFile,
        KeyError,
        OSError,
        zlib.error,
        EOFError,
        ValueError,
        RuntimeError,  # an encrypted part, a compression method zip readers do not know
    ) as exc:
        raise WorkbookError(f"{name} : classeur endommagé (structure interne illisible).") from exc
    return scans


MAX_WORK = 12_000_000  # 5 s (fast scans) to 11 s (parser) of Python for a workbook: _Budget
STOP_COST = 5  # a place the fast scans look at in Python (2 µs); an element parsed: 1 + attributes
NOTE_COST = 2 * STOP_COST  # more for a formula error looked at around its t="e" (3.5 µs in all)


class _Budget:
    """What the scan may spend in Python on one workbook, in units of 0.2 to 0.9 µs: a place
    a fast scan looks at one by one costs STOP_COST (and NOTE_COST more for a formula
    error, looked at around its t="e"); with the XML parser, an element costs
    1 and 1 per attribute, and 256 bytes cost 1. A workbook of 10 000 sessions that only the
    parser reads (written as no spreadsheet program writes it) takes 3 to 4 million: such a
    workbook is read up to about 30 000 sessions. A hostile file piling up tags, t="e" or
    attributes, part after part, is refused within seconds, not hours."""

    __slots__ = ("file_name", "left")

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.left = MAX_WORK

    def spend(self, units: int, sheet: str) -> None:
        self.left -= units
        if self.left < 0:
            self.exhausted(sheet)

    def exhausted(self, sheet: str) -> NoReturn:
        raise WorkbookError(
            f"{self.file_name} : {_where_in(sheet)} : trop de balises à examiner une à une "
            "(fichier fabriqué ?) ; fichier refusé. Rouvrez-le dans Excel ou LibreOffice et "
            "enregistrez-le à nouveau."
        )


def _scan_part(archive: zipfile.ZipFile, part: str, scan: SheetScan, budget: _Budget) -> SheetScan:
    fast = _scan_marked(archive, part, scan, budget) if _ATTENTION is not None else None
    if fast is None:  # no RE2, or alarms so many that Python's re costs less per cell
        scan.errors.clear()
        fast = _scan_plain(archive, part, scan, budget)
    if fast:
        return scan
    scan.errors.clear()  # a cell written some other way: again, with an XML parser
    _scan_tags(archive, part, scan, budget)
    return scan


def _chunks(
    archive: zipfile.ZipFile, part: str, budget: _Budget, sheet: str
) -> Iterator[tuple[bytes, int, int]]:
    """The part's bytes in overlapping buffers, with the span [first, limit) where a match
    must start to be this buffer's: what follows the limit comes again in the next buffer,
    after a little of what precedes it (so that a look-behind sees a whole tag name). Each
    byte is charged to the budget (1 unit for 256: the inflating and the regexes' pass)."""
    tail, first = b"", 0
    with archive.open(part) as stream:
        while True:
            data = stream.read(CHUNK)
            budget.spend(len(data) >> 8, sheet)
            buffer = tail + data
            limit = len(buffer) if not data else max(len(buffer) - KEEP, first)
            yield buffer, first, limit
            if not data:
                return
            first = min(CONTEXT, limit)
            tail = buffer[limit - first :]


def _scan_plain(archive: zipfile.ZipFile, part: str, scan: SheetScan, budget: _Budget) -> bool:
    """The fast scan; False when a cell is written in a way it does not read."""
    file_name = budget.file_name
    for buffer, first, limit in _chunks(archive, part, budget, scan.name):
        left = budget.left
        for hit in _CELL.finditer(buffer, first):
            if hit.start() >= limit:
                break
            ref = _PLAIN_REF.match(buffer, hit.start() + 2)
            if ref is None:
                budget.left = left
                return False
            left -= STOP_COST
            if left < 0:
                budget.exhausted(scan.name)
            _check_plain_cell(buffer, hit.start(), ref, scan, file_name)
        for hit in _PREFIXED.finditer(buffer, first):
            if hit.start() >= limit:
                break
            left -= STOP_COST
            if left < 0:
                budget.exhausted(scan.name)
            if _in_tag_name(buffer, hit.start()):
                budget.left = left
                return False
        for hit in _OTHER_R.finditer(buffer, first):
            if hit.start() >= limit:
                break
            budget.left = left
            return False
        seen = 0  # the t="e" before it are in a tag already looked at
        for hit in _ERROR_CELL.finditer(buffer, first):
            if hit.start() >= limit:
                break
            left -= STOP_COST
            if hit.start() >= seen:
                left -= NOTE_COST
                seen = _note_error(buffer, hit.start(), scan)
            if left < 0:
                budget.exhausted(scan.name)
        budget.left = left
    return True


ALARM_BUDGET = 4096  # RE2 stops in a part past which _scan_plain is cheaper (~5 µs a stop)


def _scan_marked(
    archive: zipfile.ZipFile, part: str, scan: SheetScan, budget: _Budget
) -> bool | None:
    """The fast scan in one RE2 pass: each place it stops at is what one of the four
    regexes of ``_scan_plain`` would find, or a false alarm that regex dismisses. As there,
    a chunk's cells are all looked at before a prefixed tag or a second r sends the part
    to the careful scan: the same far cell is named. None when it stops too often (a sheet
    of formula errors, a hostile one): _scan_plain's passes then cost less."""
    alarms = ALARM_BUDGET
    file_name = budget.file_name
    for buffer, first, limit in _chunks(archive, part, budget, scan.name):
        if first == 0:  # the part's start: a byte that opens no tag stands before it
            buffer, first, limit = b">" + buffer, 1, limit + 1
        pos = 0  # an alarm may start before ``first`` ("<x:c" cut by the last limit)
        seen = 0  # as in _scan_plain
        careful = False
        while (hit := _ATTENTION.search(buffer, pos)) is not None:
            start = pos = hit.start()
            pos += 1
            alarms -= 1
            if alarms < 0:
                return None
            budget.spend(STOP_COST, scan.name)
            if start >= limit:
                break
            if buffer.startswith(b"<c", start) and buffer[start + 2] in _TAG_END_BYTES:
                if start >= first and _CELL.match(buffer, start):
                    ref = _PLAIN_REF.match(buffer, start + 2)
                    if ref is None:
                        return False
                    _check_plain_cell(buffer, start, ref, scan, file_name)
            elif buffer.startswith(b't="e"', start):
                if start >= first and start >= seen:
                    budget.spend(NOTE_COST, scan.name)
                    seen = _note_error(buffer, start, scan)
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
    if not _far(_number(ref.group(2).decode()), _column(ref.group(1).decode())):
        return
    tag = _CELL_TAG_SPAN.match(buffer, start)
    if tag is None or _holds_value(buffer, tag.end() - 1):  # its end out of sight: the worst
        _refuse(file_name, scan.name, ref.group(0)[4:-1].decode())


_TAG_REACH = 256  # how far a t="e" is looked around for its tag's < and > (Excel: 30 bytes)


def _note_error(buffer: bytes, start: int, scan: SheetScan) -> int:
    """The formula error whose t="e" is at ``start``, when it is a near cell's (a far one
    would make the reader pad the sheet up to it). Returns where the next t="e" may be in
    another tag: the stops inside this one, or in the junk around it, need no look."""
    tag_end = buffer.find(b">", start + 5, start + _TAG_REACH)
    if tag_end < 0:
        return start + _TAG_REACH  # not in a tag as programs write them
    tag_start = buffer.rfind(b"<", max(0, start - _TAG_REACH), start)
    if (
        tag_start < 0
        or _CELL_NAME.match(buffer, tag_start) is None
        or buffer.find(b">", tag_start, start) >= 0  # in the text after a tag
    ):
        return tag_end
    ref = _REF.search(buffer, tag_start, tag_end)
    if ref is not None:
        col, row = column_index(ref.group(1).decode().upper()), int(ref.group(2))
        if row >= 1 and not _far(row, col):  # A0 is no place
            value = _ERROR_VALUE.match(buffer, tag_end + 1)
            scan.errors[(row - 1, col - 1)] = _error_text(
                value.group(1).decode("utf-8", "replace") if value else None
            )
            if len(scan.errors) > MAX_ERRORS:
                _too_many_errors(scan.file_name, scan.name)
    return tag_end


MAX_ERRORS = 100_000  # formula errors noted in a workbook: each becomes an issue to show


def _too_many_errors(file_name: str, sheet: str) -> NoReturn:
    most = f"{MAX_ERRORS:,}".replace(",", " ")
    raise WorkbookError(
        f"{file_name} : {_where_in(sheet)} : plus de {most} cellules en erreur de formule "
        "(#N/A, #DIV/0!…) ; corrigez les formules ou remplacez-les par leurs valeurs, puis "
        "recommencez."
    )


def _error_text(text: str | None) -> str:
    """The error code a cell shows, kept short: any other text (hostile, megabytes) is not
    one, and is said as "#ERREUR"."""
    if text is None or len(text) > ERROR_TEXT_MAX or not (text.isascii() and text.isprintable()):
        return "#ERREUR"
    return text


def _scan_tags(archive: zipfile.ZipFile, part: str, scan: SheetScan, budget: _Budget) -> None:
    """The part read by an XML parser (expat), each cell placed as the reader places it: by
    its reference, else one column after the previous cell, in the row the last <row r>
    named or the last </row> moved to. Comments, CDATA and quoted values hide nothing here;
    what is not well-formed XML, or declares a DTD, is refused."""
    file_name = budget.file_name
    row, col = 1, 0  # the row of a cell without a reference (1-based); the previous column
    depth = -1  # elements open inside the current cell; -1 when no cell is open
    nest = 0  # elements open
    far_where = ""  # the open cell's reference when it lies far, else ""
    error_at: tuple[int, int] | None = None  # the open cell's place, when it holds an error
    value: list[str] | None = None  # its <v> text, once that has begun

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row, col, depth, nest, far_where, error_at, value
        budget.left -= 1 + len(attrs)
        if budget.left < 0:
            budget.exhausted(scan.name)
        nest += 1
        if nest > MAX_DEPTH:
            _unreadable(file_name, scan.name, " (imbrication démesurée)")
        local = name[name.find(":") + 1 :]
        if depth >= 0:  # inside a cell: its content
            if far_where:
                _refuse(file_name, scan.name, far_where)
            if local in ("c", "row"):
                _unreadable(file_name, scan.name)
            if depth == 0 and local == "v" and error_at is not None and value is None:
                value = []
                parser.CharacterDataHandler = collect
            depth += 1
            return
        if local == "row":
            raw = attrs.get("r")
            if raw is not None:  # as loosely as a reader may read it: its digits
                row = _number("".join(ch for ch in raw if "0" <= ch <= "9")) or row
            return
        if local != "c":
            return
        raw = attrs.get("r")
        simple = _SIMPLE_REF.fullmatch(raw) if raw is not None else None
        if simple is not None:  # as programs write it
            letters, digits = simple.group(1, 2)
        else:
            parsed = _ANY_REF.fullmatch(raw.strip()) if raw is not None else None
            letters, digits = parsed.group(1, 2) if parsed else ("", "")
        here = _number(digits) or row
        col = _column(letters) if letters else col + 1
        depth, value, error_at, far_where = 0, None, None, ""
        if _far(here, col):
            far_where = raw if raw else f"{column_letter(min(col, 16384))}{here}"
        elif attrs.get("t", "").strip() == "e":
            error_at = (here - 1, col - 1)

    def collect(text: str) -> None:
        if value is not None and len(value) <= ERROR_TEXT_MAX:  # a piece at a time
            value.append(text[: ERROR_TEXT_MAX + 1])

    def end(name: str) -> None:
        nonlocal row, col, depth, nest, error_at, value
        nest -= 1
        if depth > 0:
            depth -= 1
            if depth == 0 and value is not None:
                parser.CharacterDataHandler = None
            return
        if depth == 0:  # the cell's own end tag
            depth = -1
            if error_at is not None:
                scan.errors[error_at] = _error_text("".join(value) if value is not None else None)
                error_at = None
                if len(scan.errors) > MAX_ERRORS:
                    _too_many_errors(file_name, scan.name)
            return
        if name[name.find(":") + 1 :] == "row":
            row, col = row + 1, 0

    parser = _parser(budget, scan.name)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _feed(parser, archive, part, budget, scan.name)


MAX_TAG = 1 << 20  # bytes from a "<" to the next: 30 for a cell, 130 000 for the longest text
MAX_DEPTH = 256  # elements open at once: 8 in a sheet (expat keeps each open one in memory)


def _parser(budget: _Budget, where: str) -> Any:
    """An expat parser that reads bytes as UTF-8, as the reader does whatever the part
    declares (a UTF-16 part would hide its cells from it), and refuses a DTD anywhere."""

    def refuse_dtd(*_: object) -> NoReturn:
        raise WorkbookError(
            f"{budget.file_name} : {_where_in(where)} : déclaration de DTD (DOCTYPE), ce "
            "qu'Excel et LibreOffice n'écrivent jamais ; fichier refusé."
        )

    parser = expat.ParserCreate(encoding="UTF-8")
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.ExternalEntityRefHandler = refuse_dtd
    return parser


def _feed(
    parser: Any, archive: zipfile.ZipFile, part: str, budget: _Budget, where: str | None = None
) -> None:
    """The part to the parser chunk by chunk, charged to the budget (1 unit for 256 bytes
    and for 4 tags) and no tag, with the text after it, longer than MAX_TAG (its attributes
    would fill memory before any handler could count them)."""
    where = part if where is None else where
    run = 0  # bytes since the last "<" or ">"
    try:
        with archive.open(part) as stream:
            data = stream.read(CHUNK)
            if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4]:
                # expat would read it as UTF-16 or UTF-32 whatever it is told; the reader
                # reads bytes, and would see cells where expat sees text
                _unreadable(budget.file_name, where, " (encodage autre que UTF-8)")
            while data:
                budget.spend(len(data) >> 8, where)
                pieces = data.split(b"<")  # a tag and the text after it, each
                budget.spend(len(pieces) >> 2, where)  # comments, instructions: no handler
                if run + len(pieces[0]) >= MAX_TAG or max(map(len, pieces)) >= MAX_TAG:
                    _unreadable(budget.file_name, where, " (balise démesurée)")
                run = run + len(data) if len(pieces) == 1 else len(pieces[-1])
                del pieces
                parser.Parse(data, False)
                data = stream.read(CHUNK)
            parser.Parse(b"", True)
    except expat.ExpatError:
        _unreadable(budget.file_name, where, " (XML mal formé)")


def _column(letters: str) -> int:
    """A column's number; past three letters, merely far (a hostile run of letters would
    cost the conversion time in its square)."""
    return column_index(letters.upper()) if len(letters) <= 3 else MAX_COLUMNS + 1


def _number(digits: str) -> int:
    """A row number as written, 0 when there is none; past nine digits, merely far."""
    digits = digits.lstrip("0")
    if not digits:
        return 0
    return int(digits) if len(digits) <= 9 else 10**9


def _unreadable(file_name: str, sheet: str, detail: str = "") -> NoReturn:
    raise WorkbookError(
        f"{file_name} : {_where_in(sheet)} : contenu illisible{detail} ; fichier refusé. "
        "Rouvrez-le dans Excel ou LibreOffice et enregistrez-le à nouveau."
    )


def _far(row: int, col: int) -> bool:
    return row >= MAX_ROWS or col > MAX_COLUMNS


def _holds_value(buffer: bytes, tag_end: int) -> bool:
    """A far cell counts unless it is empty: openpyxl writes styled empty cells as
    <c r="B60000" s="27" t="n"></c>. Any element inside (a value, inline text, a formula,
    or what the reader refuses), a comment or CDATA that could hide one, another tag, or an
    end out of sight: the worst is assumed."""
    if buffer[tag_end - 1 : tag_end] == b"/":
        return False
    inside = buffer.find(b"<", tag_end)
    return inside < 0 or _EMPTY_END.match(buffer, inside) is None


def _refuse(file_name: str, sheet: str, where: str) -> NoReturn:
    raise WorkbookError(far_cell_message(file_name, _where_in(sheet), where))


def _where_in(sheet: str) -> str:
    """A sheet by its name; a part no sheet names (a "/" no sheet name holds) by its path."""
    return f"partie « {sheet} »" if "/" in sheet else f"feuille « {sheet} »"
