"""Read the Région's référentiel from files: one workbook with a sheet per table (.xlsx,
.xlsm, .xls, .ods), or a folder of CSV files whose names contain the tables' names. The core
(``sofi_bulk.core.referentiel``) finds the tables, the header rows and the columns, checks
the rows and builds the model.

Each format has its guarded path, separate from the one of filled workbooks (which stay
.xlsx only): size limits, zip-bomb and far-away-cell checks before python-calamine
allocates anything, DTDs refused, and for CSV: NUL bytes, undecodable bytes and endless
fields. Every refusal is one French line naming the file, the sheet or the line, and the
column when there is one.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from sofi_bulk.core.cells import column_letter
from sofi_bulk.core.errors import WorkbookError
from sofi_bulk.core.referentiel import (
    Referentiel,
    ReferentielError,
    Rows,
    match_tables,
    referentiel_from_tables,
)
from sofi_bulk.core.resources import example_referentiel
from sofi_bulk.core.text import fr_number
from sofi_bulk.excel.scan import (
    MAX_ENTRIES,
    MAX_RATIO,
    OLE2_MAGIC,
    RATIO_MIN_SIZE,
    check_xlsx_container,
    scan_workbook,
)

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
MAX_BOOK_BYTES = 50 * 2**20
MAX_CSV_BYTES = 20 * 2**20
MAX_UNCOMPRESSED = 300 * 2**20
MAX_CELLS = 2_000_000  # per workbook: far more than a region's référentiel, far less than RAM
CSV_FIELD_LIMIT = csv.field_size_limit()
DELIMITERS = (";", ",", "\t")


def load_referentiel(path: str | Path | None = None) -> Referentiel:
    """Read a référentiel (workbook or folder of CSV); the bundled example when path is None."""
    src = Path(path) if path is not None else example_referentiel()
    if not src.exists():
        raise ReferentielError(f"Référentiel introuvable : {src}")
    if src.is_dir():
        return _read_csv_folder(src)
    suffix = src.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return _read_book(src, suffix)
    if suffix == ".csv":
        raise ReferentielError(
            f"Référentiel {src} : donnez le dossier qui contient les fichiers CSV des tables "
            "(lots, organismes, sites et contacts), pas un seul fichier CSV."
        )
    raise ReferentielError(
        f"Référentiel {src} : format non reconnu ; attendu un classeur .xlsx, .xlsm, .xls ou "
        ".ods (une feuille par table), ou un dossier de fichiers CSV."
    )


# --- workbooks --------------------------------------------------------------------------------
def _read_book(path: Path, suffix: str) -> Referentiel:
    name = path.name
    size = path.stat().st_size
    if size == 0:
        raise ReferentielError(f"Référentiel {name} : le fichier est vide.")
    if size > MAX_BOOK_BYTES:
        raise ReferentielError(
            f"Référentiel {name} : fichier trop volumineux ({size // 2**20} Mio, maximum "
            f"{MAX_BOOK_BYTES // 2**20} Mio pour un référentiel)."
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if suffix == ".xls":
        if head != OLE2_MAGIC:
            raise ReferentielError(
                f"Référentiel {name} : ce n'est pas un vrai classeur Excel 97-2003 (souvent une "
                "page web ou un texte enregistré avec l'extension .xls). Ouvrez-le dans Excel "
                "ou LibreOffice et enregistrez-le au format .xlsx, puis recommencez."
            )
        _check_xls(path)
    elif suffix == ".ods":
        _check_ods(path)
    else:
        try:
            check_xlsx_container(path)
            scan_workbook(path)  # a far-away cell would make the reader allocate a huge grid
        except WorkbookError as exc:
            raise ReferentielError(f"Référentiel {exc}") from exc
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
    except Exception as exc:  # calamine's own errors: corrupt parts, bad XML, password
        raise ReferentielError(_unreadable(name, None, exc)) from exc
    match = match_tables(name, names, "feuille")
    tables: dict[str, tuple[str, Rows]] = {}
    cells = 0
    for table, sheet_name in match.found.items():
        try:
            sheet = book.get_sheet_by_name(sheet_name)
            cells += sheet.height * sheet.width
            if cells > MAX_CELLS:
                raise ReferentielError(
                    f"Référentiel {name}, feuille « {sheet_name} » : plage de cellules "
                    f"démesurée ({sheet.height} lignes × {sheet.width} colonnes) ; effacez ce "
                    "qui se trouve loin du tableau, puis recommencez."
                )
            rows: Rows = sheet.to_python(skip_empty_area=False)
        except ReferentielError:
            raise
        except Exception as exc:
            raise ReferentielError(_unreadable(name, sheet_name, exc)) from exc
        tables[table] = (f"feuille « {sheet_name} »", rows)
    return referentiel_from_tables(path, tables, problems=match.problems, warnings=match.warnings)


def _unreadable(name: str, sheet: str | None, exc: Exception) -> str:
    where = f", feuille « {sheet} »" if sheet else ""
    kind = type(exc).__name__
    reason = {
        "PasswordError": "classeur protégé par mot de passe ; retirez le mot de passe",
        "XmlError": "XML invalide ou interdit, une DTD par exemple",
        "ZipError": "archive endommagée",
    }.get(kind, "contenu endommagé ou d'un format inattendu")
    return (
        f"Référentiel {name}{where} : illisible ({reason}). Ouvrez-le dans Excel ou "
        "LibreOffice et enregistrez-le à nouveau (au format .xlsx), puis recommencez."
    )


# BIFF records holding a value (python-calamine sizes its grid on these, not on blanks)
_VALUE_RECORDS = {0x0006, 0x00D6, 0x00FD, 0x0203, 0x0204, 0x0205, 0x027E}
_MULRK, _BOF, _BOUNDSHEET = 0x00BD, 0x0809, 0x0085


def _check_xls(path: Path) -> None:
    """An Excel 97-2003 workbook: its Workbook stream is read record by record, and a value
    far from the others (a few bytes that make python-calamine allocate a gigabyte) is
    refused before calamine opens the file."""
    import olefile

    name = path.name
    try:
        with olefile.OleFileIO(str(path)) as ole:
            stream = next((s for s in ("Workbook", "Book") if ole.exists(s)), None)
            if stream is None:
                raise ReferentielError(
                    f"Référentiel {name} : ce fichier .xls ne contient pas de classeur (document "
                    "Word ou autre ?). Enregistrez le référentiel au format .xlsx, puis "
                    "recommencez."
                )
            if ole.get_size(stream) > MAX_BOOK_BYTES:
                raise ReferentielError(f"Référentiel {name} : classeur démesuré ; refusé.")
            data = ole.openstream(stream).read()
    except ReferentielError:
        raise
    except Exception as exc:  # olefile's own errors: a damaged compound file
        raise ReferentielError(_unreadable(name, None, exc)) from exc
    names: dict[int, str] = {}
    extents: dict[str, tuple[int, int]] = {}
    sheet = ""
    pos = 0
    while pos + 4 <= len(data):
        kind, size = (
            int.from_bytes(data[pos : pos + 2], "little"),
            int.from_bytes(data[pos + 2 : pos + 4], "little"),
        )
        body = data[pos + 4 : pos + 4 + size]
        if kind == _BOUNDSHEET and len(body) >= 8:
            length, wide = body[6], body[7] & 1
            raw = body[8 : 8 + length * (2 if wide else 1)]
            names[int.from_bytes(body[:4], "little")] = raw.decode(
                "utf-16-le" if wide else "latin-1", "replace"
            )
        elif kind == _BOF:
            sheet = names.get(pos, sheet)
        elif (kind in _VALUE_RECORDS and size >= 4) or (kind == _MULRK and size >= 6):
            row = int.from_bytes(body[:2], "little")
            col = int.from_bytes(body[-2:] if kind == _MULRK else body[2:4], "little")
            rows, cols = extents.get(sheet, (0, 0))
            extents[sheet] = (max(rows, row + 1), max(cols, col + 1))
            if sum(r * c for r, c in extents.values()) > MAX_CELLS:
                raise ReferentielError(
                    f"Référentiel {name}, feuille « {sheet} » : une cellule est remplie très "
                    f"loin du tableau (ligne {fr_number(row + 1)}, colonne "
                    f"{column_letter(col + 1)}) ; c'est démesuré pour un référentiel. Effacez "
                    "ce qui se trouve au-delà du tableau, puis recommencez."
                )
        pos += 4 + size


_REPEAT_ROWS = "table:number-rows-repeated"
_REPEAT_COLUMNS = "table:number-columns-repeated"


def _check_ods(path: Path) -> None:
    """An OpenDocument spreadsheet: sane zip, then a streaming read of content.xml that
    refuses DTDs and a filled area that python-calamine would have to allocate whole (a
    filled cell repeated a million times takes a few bytes in the file)."""
    from defusedxml import DefusedXmlException
    from defusedxml.sax import make_parser

    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            total = sum(i.file_size for i in infos)
            if len(infos) > MAX_ENTRIES or total > MAX_UNCOMPRESSED:
                raise ReferentielError(
                    f"Référentiel {name} : archive anormale ({len(infos)} éléments, "
                    f"{total // 2**20} Mio décompressés) ; fichier refusé."
                )
            for info in infos:
                if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(
                    info.compress_size, 1
                ):
                    raise ReferentielError(
                        f"Référentiel {name} : taux de compression suspect ({info.filename}) ; "
                        "fichier refusé."
                    )
            if "content.xml" not in archive.namelist():
                raise ReferentielError(
                    f"Référentiel {name} : ce n'est pas un classeur OpenDocument (.ods). "
                    "Ouvrez-le dans LibreOffice et enregistrez-le à nouveau, puis recommencez."
                )
            extent = _OdsExtent(name)
            parser = make_parser()
            parser.forbid_dtd = True
            parser.setContentHandler(extent)
            with archive.open("content.xml") as stream:
                parser.parse(stream)
    except ReferentielError:
        raise
    except DefusedXmlException as exc:
        raise ReferentielError(
            f"Référentiel {name} : contenu XML interdit (DTD ou entités) ; fichier refusé. "
            "Enregistrez-le à nouveau depuis LibreOffice ou Excel."
        ) from exc
    except Exception as exc:  # bad zip, broken XML
        raise ReferentielError(_unreadable(name, None, exc)) from exc


class _OdsExtent:
    """SAX handler measuring, sheet by sheet, how far filled cells reach (repeats counted)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sheet = ""
        self.row = self.col = 0
        self.rows_repeat = 1
        self.cols_repeat = 1
        self.filled_cell = self.filled_row = False
        self.last_row = self.last_col = -1
        self.cells = 0

    # the xml.sax ContentHandler interface, without inheriting its no-op methods
    def setDocumentLocator(self, locator: Any) -> None: ...
    def startDocument(self) -> None: ...
    def endDocument(self) -> None: ...
    def startPrefixMapping(self, prefix: Any, uri: Any) -> None: ...
    def endPrefixMapping(self, prefix: Any) -> None: ...
    def characters(self, content: str) -> None: ...
    def ignorableWhitespace(self, whitespace: str) -> None: ...
    def processingInstruction(self, target: str, data: str) -> None: ...
    def skippedEntity(self, name: str) -> None: ...

    def startElement(self, tag: str, attrs: Any) -> None:
        if tag == "table:table":
            self.sheet = attrs.get("table:name", "")
            self.row, self.last_row, self.last_col = 0, -1, -1
        elif tag == "table:table-row":
            self.rows_repeat = _count(attrs.get(_REPEAT_ROWS))
            self.col, self.filled_row = 0, False
        elif tag in ("table:table-cell", "table:covered-table-cell"):
            self.cols_repeat = _count(attrs.get(_REPEAT_COLUMNS))
            self.filled_cell = "office:value-type" in attrs
        elif tag == "text:p":
            self.filled_cell = True

    def endElement(self, tag: str) -> None:
        if tag in ("table:table-cell", "table:covered-table-cell"):
            if self.filled_cell:
                self.last_col = max(self.last_col, self.col + self.cols_repeat - 1)
                self.filled_row = True
            self.col += self.cols_repeat
            self.filled_cell = False
        elif tag == "table:table-row":
            if self.filled_row:
                self.last_row = self.row + self.rows_repeat - 1
                area = (self.last_row + 1) * (self.last_col + 1)
                if self.cells + area > MAX_CELLS:
                    raise ReferentielError(
                        f"Référentiel {self.name}, feuille « {self.sheet} » : cellules remplies "
                        f"jusqu'à la ligne {fr_number(self.last_row + 1)} et la colonne "
                        f"{column_letter(min(self.last_col + 1, 16384))} ; c'est démesuré pour "
                        "un référentiel. Effacez ce qui se trouve loin du tableau (lignes ou "
                        "colonnes répétées), puis recommencez."
                    )
            self.row += self.rows_repeat
        elif tag == "table:table":
            self.cells += (self.last_row + 1) * (self.last_col + 1)


def _count(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 1


# --- CSV --------------------------------------------------------------------------------------
def _read_csv_folder(folder: Path) -> Referentiel:
    files = sorted(p.name for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
    match = match_tables(folder.name, files, "fichier")
    tables = {
        table: (f"fichier « {file} »", read_csv(folder / file, folder.name))
        for table, file in match.found.items()
    }
    return referentiel_from_tables(folder, tables, problems=match.problems, warnings=match.warnings)


def read_csv(path: Path, src: str, where: str | None = None) -> Rows:
    """The rows of one CSV file as a French spreadsheet saves it: UTF-8 (with or without
    BOM), UTF-16 (« Texte Unicode »), else Windows-1252; separator ; , or tab, or the one an
    Excel « sep= » first line declares. ``where`` names the file in messages (a référentiel's
    file by default)."""
    where = where or f"Référentiel {src}, fichier « {path.name} »"
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise ReferentielError(
            f"{where} : fichier trop volumineux ({size // 2**20} Mio, maximum "
            f"{MAX_CSV_BYTES // 2**20} Mio)."
        )
    raw = path.read_bytes()
    text = _decode(raw, where)
    lines = text.splitlines()
    delimiter = _delimiter(lines[:30])
    declared = re.fullmatch(r"sep=(.)", lines[0].strip()) if lines else None
    if declared:
        delimiter = declared.group(1)
        text = text.split("\n", 1)[1] if "\n" in text else ""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: Rows = []
    start = 1
    try:
        for row in reader:
            rows.append(row)
            start = reader.line_num + 1
    except csv.Error as exc:
        offset = 1 if declared else 0
        column = _field_at(text.splitlines(keepends=True)[start - 1 :], delimiter)
        if "larger than field limit" in str(exc):
            raise ReferentielError(
                f"{where}, ligne {start + offset}, colonne {column_letter(column + 1)} : un "
                f"champ dépasse {fr_number(CSV_FIELD_LIMIT)} caractères, le plus souvent à "
                "cause d'un guillemet (\") ouvert et jamais refermé. Corrigez ce guillemet "
                "dans le fichier, puis recommencez."
            ) from exc
        raise ReferentielError(
            f"{where}, ligne {start + offset}, colonne {column_letter(column + 1)} : ligne "
            "CSV illisible (guillemets mal placés ?). Corrigez-la, ou réenregistrez le "
            "fichier depuis le tableur au format CSV."
        ) from exc
    return rows


def _decode(raw: bytes, where: str) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ReferentielError(
                f"{where} : texte Unicode (UTF-16) abîmé vers l'octet {exc.start} ; "
                "réenregistrez-le au format « CSV UTF-8 »."
            ) from exc
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, column = _position(raw, nul)
        raise ReferentielError(
            f"{where}, ligne {line}, colonne {column} : caractère nul (octet 0) : ce n'est "
            "pas un texte CSV, ou il est abîmé. Réenregistrez-le depuis le tableur au format "
            "« CSV (point-virgule) » ou « CSV UTF-8 », puis recommencez."
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")  # CSV saved by a French Excel
    except UnicodeDecodeError as exc:
        line, column = _position(raw, exc.start)
        raise ReferentielError(
            f"{where}, ligne {line}, colonne {column} : octets illisibles (ni UTF-8 ni "
            f"Windows-1252 : 0x{raw[exc.start]:02X}). Réenregistrez le fichier depuis le "
            "tableur au format « CSV UTF-8 », puis recommencez."
        ) from exc


def _position(raw: bytes, offset: int) -> tuple[int, str]:
    """The line (1-based) and column letter of a byte, counting separators before it."""
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    before = raw[start:offset].decode("latin-1")
    head = raw[: min(len(raw), 4096)].decode("latin-1").splitlines()
    delimiter = _delimiter(head[:30])
    return line, column_letter(before.count(delimiter) + 1)


def _delimiter(lines: list[str]) -> str:
    """The separator that splits some line of the head into the most columns (; on a tie)."""
    best, most = ";", 0
    for candidate in DELIMITERS:
        count = max((line.count(candidate) for line in lines), default=0)
        if count > most:
            best, most = candidate, count
    return best


def _field_at(lines: list[str], delimiter: str) -> int:
    """The 0-based index of the field that overflows, in a record starting at ``lines[0]``."""
    index, quoted, length = 0, False, 0
    for ch in "".join(lines):
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            index, length = index + 1, 0
            continue
        length += 1
        if length > CSV_FIELD_LIMIT:
            break
    return index
