"""Refuse hostile or unreadable files before any parser sees them.

An .xlsx is a zip archive: we check its signature, its entry count, its declared
uncompressed size and its compression ratio from the central directory alone, so a
zip bomb is refused without inflating a byte. Every message is French and names the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sofi_bulk.errors import UserError, WorkbookError

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ENTRIES = 5_000
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 250  # per large entry; real worksheets compress 10-60x
RATIO_MIN_SIZE = 10 * 1024 * 1024  # ratios of small entries are not meaningful

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_xlsx_container(path: Path) -> None:
    """Raise WorkbookError unless ``path`` looks like a sane .xlsx file."""
    name = path.name or str(path)
    if not path.exists():
        raise WorkbookError(f"{name} : fichier introuvable.")
    if path.is_dir():
        raise WorkbookError(f"{name} : c'est un dossier, pas un classeur .xlsx.")
    size = path.stat().st_size
    if size == 0:
        raise WorkbookError(f"{name} : le fichier est vide.")
    if size > MAX_FILE_BYTES:
        raise WorkbookError(f"{name} : fichier trop volumineux ({size // 2**20} Mio, maximum {MAX_FILE_BYTES // 2**20}).")
    with path.open("rb") as fh:
        head = fh.read(512)
    if head.startswith(b"%PDF"):
        raise WorkbookError(f"{name} : c'est un document PDF, pas un classeur .xlsx.")
    if head[:8] == OLE2_MAGIC:
        raise WorkbookError(
            f"{name} : classeur protégé par mot de passe ou au format Excel 97-2003 (.xls). "
            "Retirez le mot de passe (Fichier > Informations > Protéger le classeur) ou "
            "enregistrez-le au format « Classeur Excel (.xlsx) », puis recommencez."
        )
    if not head.startswith(b"PK"):
        kind = "un fichier texte (CSV ?)" if _looks_like_text(head) else "un fichier d'un autre type"
        raise WorkbookError(
            f"{name} : ce n'est pas un classeur .xlsx mais {kind}. "
            "Ouvrez-le dans Excel ou LibreOffice et enregistrez-le au format .xlsx."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {i.filename for i in infos}
            if "mimetype" in names and "content.xml" in names:
                raise WorkbookError(
                    f"{name} : classeur OpenDocument (.ods). Dans LibreOffice, faites "
                    "Fichier > Enregistrer sous > « Excel 2007-365 (.xlsx) », puis recommencez."
                )
            if len(infos) > MAX_ENTRIES:
                raise WorkbookError(f"{name} : archive anormale ({len(infos)} éléments) ; fichier refusé.")
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED_BYTES:
                raise WorkbookError(
                    f"{name} : contenu décompressé démesuré ({total // 2**20} Mio) ; fichier refusé."
                )
            for info in infos:
                if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise WorkbookError(
                        f"{name} : taux de compression suspect ({info.filename}) ; fichier refusé."
                    )
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise WorkbookError(f"{name} : archive zip qui n'est pas un classeur Excel (.xlsx).")
            if any(n.startswith("xl/workbook.bin") for n in names):
                raise WorkbookError(f"{name} : classeur binaire (.xlsb) ; enregistrez-le au format .xlsx.")
    except zipfile.BadZipFile as exc:
        raise WorkbookError(f"{name} : fichier .xlsx endommagé ou incomplet (copie interrompue ?). "
                            "Rouvrez-le dans Excel ou LibreOffice et enregistrez-le à nouveau.") from exc
    except OSError as exc:
        raise WorkbookError(f"{name} : lecture impossible (droits d'accès ou disque).") from exc


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check_output_path(output: Path, inputs: list[Path], force: bool = True) -> None:
    """Refuse to write over an input file, into a folder that does not exist, or over a
    file holding the user's work (unless ``force``)."""
    out = output.resolve()
    for src in inputs:
        if src.exists() and out == src.resolve():
            raise UserError(f"{output} : le fichier de sortie ne peut pas être le fichier d'entrée.")
    if not out.parent.is_dir():
        raise UserError(f"{output} : le dossier {out.parent} n'existe pas.")
    if out.is_dir():
        raise UserError(f"{output} : c'est un dossier ; donnez un nom de fichier.")
    check_overwrite(out, force)


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder, then rename: never half a file."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UserError(f"{path} : écriture impossible dans {path.parent} (droits d'accès ?).") from exc
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp creates 0600; give the usual rights
        os.replace(tmp_path, path)
    except OSError as exc:
        tmp_path.unlink(missing_ok=True)
        raise UserError(f"{path} : écriture impossible (fichier ouvert dans Excel, disque plein, "
                        "droits d'accès ?). Fermez-le ou choisissez un autre nom, puis recommencez.") from exc
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes) -> None:
    write_atomic(path, lambda p: p.write_bytes(data))


# --- never overwrite what the user typed ------------------------------------------------------
def content_fingerprint(sheets: dict[str, list[list[Any]]]) -> str:
    """A hash of the values of the data sheets, as a reader sees them.

    The tool stamps it in ``_meta`` when it writes a workbook; a file whose values still
    hash the same holds nothing the user typed since, so it may be replaced.
    """
    from sofi_bulk.layout import META_SHEET
    from sofi_bulk.parse import as_text

    digest = hashlib.sha256()
    for sheet in sorted(sheets):
        if sheet == META_SHEET:
            continue
        for r, row in enumerate(sheets[sheet]):
            for c, value in enumerate(row):
                if value is None or value == "":
                    continue
                digest.update(f"{sheet}\t{r}\t{c}\t{as_text(value)}\n".encode())
    return digest.hexdigest()[:20]


def _regenerable(path: Path) -> bool:
    """True when replacing ``path`` loses nothing: an untouched output of sofi-bulk."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            from sofi_bulk.reader import read_workbook

            book = read_workbook(path)
            stamped = book.meta.get("content_fingerprint")
            return bool(stamped) and stamped == content_fingerprint(book.sheets)
        if suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            return isinstance(data, dict) and data.get("header", {}).get("format") == "sofi-bulk/soumission"
        if suffix == ".xml":
            from defusedxml.ElementTree import parse

            return parse(path).getroot().tag == "{http://lheo.gouv.fr/2.3}lheo"
    except (UserError, OSError, ValueError, AttributeError):
        return False
    except Exception:  # any parser failure means: not one of ours
        return False
    return False


def check_overwrite(path: Path, force: bool) -> None:
    """Refuse to replace a file that may hold the user's own work, unless asked to."""
    if force or not path.exists() or path.is_dir():
        return
    if _regenerable(path):
        return
    raise UserError(
        f"{path} existe déjà et contient des données que sofi-bulk n'a pas écrites telles quelles "
        "(une saisie, des corrections, un autre fichier ?). Choisissez un autre nom de fichier, "
        "ou ajoutez --ecraser pour le remplacer."
    )
